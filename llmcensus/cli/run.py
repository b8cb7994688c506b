"""``llmcensus run``: the observatory's loop, one cycle per interval or cron time, until stopped (thin: parse the
options, call ``llmcensus.api.run``, print one line or JSON object per cycle).

The loop itself, and how it survives Ctrl+C, SIGTERM and ``kill -9``, is ``llmcensus/observatory.py``; with
``--simulate`` each cycle is one day of the simulated internet (``llmcensus.simstudy.SimulatedSource``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from llmcensus import api
from llmcensus.cli.options import config, emit_json, pick, section
from llmcensus.config import probe_settings

app = typer.Typer(no_args_is_help=True)

# The loop lived here; its names still resolve, through the API and on first use, for their callers (tests).
_MOVED = ("CycleSummary", "Monitoring", "RunState", "Schedule", "Source", "TargetSource", "parse_every", "run_loop")


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@app.command("run")
def run_cmd(
    data: Annotated[Path, typer.Option("--data", help="data folder the observatory keeps")],
    targets: Annotated[str | None, typer.Option("--targets", help="file of ip, ip:port or CIDR lines")] = None,
    candidates: Annotated[Path | None, typer.Option("--candidates", help="candidates dataset (discovery)")] = None,
    simulate: Annotated[bool, typer.Option("--simulate", help="one simulated day per cycle, on loopback")] = False,
    every: Annotated[str | None, typer.Option("--every", help="interval between cycle starts: 30m, 6h, 1d "
                                              "(default 1d; 0 with --simulate)")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="cron expression (UTC) for cycle starts, e.g. "
                                             "'0 3 * * *'")] = None,
    cycles: Annotated[int | None, typer.Option("--cycles", help="stop after this many cycles")] = None,
    hosts: Annotated[int, typer.Option("--hosts", help="--simulate: Ollama hosts of the world")] = 2_000,
    days: Annotated[int, typer.Option("--days", help="--simulate: days of the simulated window")] = 14,
    seed: Annotated[int, typer.Option("--seed", help="--simulate: random seed")] = 7,
    param: Annotated[list[str] | None, typer.Option("--param", help="--simulate: parameter name=value")] = None,
    host_key: Annotated[str | None, typer.Option("--host-key", help="host identity for the store: ip or ip_port "
                                                 "[default: ip]")] = None,
    report: Annotated[bool | None, typer.Option("--report/--no-report", help="write the report every cycle "
                                                "[default: report]")] = None,
    events: Annotated[Path | None, typer.Option("--events", help="append new events here as JSON lines "
                                                "(default <data>/run/events.jsonl)")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a probe setting name=value")] = None,
    watchlist: Annotated[Path | None, typer.Option("--watchlist", help="lineages to watch (TOML; default "
                                                   "<data>/watchlist.toml): alerts after every store update")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST each new alert (JSON) to this URL")] = None,
    json_: Annotated[bool, typer.Option("--json", help="one JSON object per cycle on stdout instead of text")
                     ] = False,
) -> None:
    """Run the observatory: scan, enrich, update the store, report and hand on events, every cycle.

    Options not given come from the [run] section of the configuration; probe settings from [scan]."""
    every, cron = pick(every, "run", "every", None), pick(cron, "run", "cron", None)
    if events is None and section("run").get("events"):
        events = Path(section("run")["events"])
    api.run(data, targets=targets, candidates=candidates, simulate=simulate, hosts=hosts, days=days, seed=seed,
            params=param or [], every=every, cron=cron, cycles=cycles, settings=probe_settings(config()),
            overrides=set_ or [], host_key=pick(host_key, "run", "host_key", "ip"),
            write_report=pick(report, "run", "report", True), events_out=events, watchlist=watchlist,
            webhook=webhook, on_cycle=(lambda c: emit_json(c.as_dict())) if json_ else None,
            echo=lambda line: typer.echo(line, err=json_))
