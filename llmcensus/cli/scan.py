"""`llmcensus scan` (thin: parse options, call ``llmcensus.api.scan``, print one summary line or ``--json``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, config, emit_json, show_progress
from llmcensus.config import probe_settings

if TYPE_CHECKING:
    from llmcensus.probe.engine import SweepSummary

app = typer.Typer(no_args_is_help=True, help="Probe targets read-only.")

_SET_HELP = ("override any probe setting, e.g. --set read_timeout=5 (settings: "
             + ", ".join(api.probe_setting_names()) + ")")


@app.command("scan")
def scan_cmd(
    targets_file: Annotated[str | None, typer.Argument(help="file of ip, ip:port or CIDR lines; '-' = stdin")] = None,
    data: Annotated[Path, typer.Option("--data", help="data directory (observations, sweeps, show cache)")] = Path(
        "data"),
    candidates: Annotated[Path | None, typer.Option(help="candidates Parquet dataset from discovery")] = None,
    dial_map: Annotated[Path | None, typer.Option("--dial-map", help="CSV public_ip,port,dial_ip,dial_port")] = None,
    sweep_id: Annotated[str | None, typer.Option("--sweep-id", help="default: UTC time, e.g. 20260101T000000Z")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue an interrupted sweep (same --sweep-id)")] = False,
    shard: Annotated[str | None, typer.Option(
        "--shard", help="sweep only shard i/n of the targets, split by address (needs --sweep-id; "
        "docs/sharding.md)")] = None,
    concurrency: Annotated[int | None, typer.Option(help="visits in flight (default 1000)")] = None,
    ports: Annotated[str | None, typer.Option(
        help="ports for targets without one, e.g. 11434,8080 (default: every runtime module's default ports)")] = None,
    optout: Annotated[list[Path] | None, typer.Option("--optout", help="opt-out file(s) of CIDRs; repeatable")] = None,
    user_agent: Annotated[str | None, typer.Option("--user-agent", help="User-Agent header")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="default: when a TTY")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help=_SET_HELP)] = None,
    json_: JsonOpt = False,
) -> None:
    """Probe targets read-only and append one observation per (target, port) to the data directory.

    Probe settings: built-in < [scan] of the configuration file < LLMCENSUS_SCAN_* < --set and the options."""
    settings = api.probe_settings(probe_settings(config()), set_ or [])
    if concurrency is not None:
        settings = settings.with_(concurrency=concurrency)
    if user_agent is not None:
        settings = settings.with_(user_agent=user_agent)
    summary = api.scan(
        targets_file, data_dir=data, candidates=candidates, dial_map=dial_map, sweep_id=sweep_id, resume=resume,
        ports=ports, optout=optout or [], settings=settings, shard=shard,
        progress=show_progress(json_) if progress is None else progress and not json_,
    )
    if json_:
        emit_json(summary.as_dict())
    else:
        _print(summary, shard)
    if summary.interrupted:
        again = f" --shard {shard}" if shard is not None else ""
        typer.echo(f"llmcensus: interrupted; continue with --resume --sweep-id {summary.sweep_id}{again}", err=True)
        raise SystemExit(130)


def _print(summary: SweepSummary, shard: str | None) -> None:
    counts = " ".join(f"{k}={v}" for k, v in sorted(summary.counts.items()))
    which = f" shard {shard.strip()}" if shard is not None else ""
    typer.echo(
        f"sweep {summary.sweep_id}{which}: {summary.written} observations in {summary.elapsed_s:.1f}s "
        f"({summary.rate:.0f}/s); skipped {summary.skipped_resume} already done, {summary.duplicates} duplicate; "
        f"{counts}"
    )
