"""``llmcensus study``: the whole loop on the simulated internet, day by day, through real HTTP.

For each simulated day: the fleet (a child process, the second core) serves that day's hosts on
loopback; the probe sweeps the day's targets through the dial map, stamping observations with
simulated time; the simulator's request log for the day is kept beside the data as evidence of what
the probe sent. Then enrichment and the report. This module lives in ``cli`` because it is the one
place that wires every stage together; each stage is still called through its own library function.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from llmcensus.datalock import writer_lock
from llmcensus.discover.importer import import_files
from llmcensus.errors import UsageError
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.sweep import ScanRequest, scan
from llmcensus.simulate.params import Params, with_overrides
from llmcensus.simulate.serve_process import FleetProcess
from llmcensus.simulate.truth import write_truth
from llmcensus.simulate.world import ClockForDay, World, WorldViews, build_world
from llmcensus.store.layout import Layout

# On loopback every reply is immediate, but the probe and the fleet share two cores: with too many
# visits in flight a loaded machine starves the client's event loop and connects "time out" although
# the fleet answered. 256 in flight keeps both busy; 5 s timeouts bound the days with silent hosts.
STUDY_PROBE_SETTINGS = ProbeSettings(concurrency=256, connect_timeout=5.0, read_timeout=5.0, total_timeout=30.0,
                                     loopback_only=True, flush_seconds=5.0)


@dataclass
class DaySummary:
    day: int
    date: str
    targets: int
    statuses: dict[str, int]
    requests: int
    seconds: float


@dataclass
class StudySummary:
    out: Path
    days: list[DaySummary]
    seconds: float
    world: World


class DayClock:
    """Observation timestamps: the simulated date at 12:00 UTC plus real time elapsed in the sweep."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def run_study(out: Path, params: Params, *, settings: ProbeSettings = STUDY_PROBE_SETTINGS,
              progress: bool = False, echo: Callable[[str], Any] = print,
              imports: list[tuple[str, list[Path]]] | None = None) -> StudySummary:
    """Serve, sweep and store every day of the simulated study into ``out`` (observations, show cache, truth).

    Without ``imports`` each day's sweep visits every target of the simulated day (an own sweep of the
    world). With ``imports`` ((format, files) pairs, e.g. a Censys or masscan export), the candidates are
    imported first and each day's sweep visits them instead: what a study built on those channels sees.
    """
    if Layout(out).has_observations():
        raise UsageError(f"{out} already holds observations; choose an empty --out")
    with writer_lock(out, "llmcensus study"):
        return _run_study_locked(out, params, settings=settings, progress=progress, echo=echo, imports=imports)


def _run_study_locked(out: Path, params: Params, *, settings: ProbeSettings, progress: bool,
                      echo: Callable[[str], Any], imports: list[tuple[str, list[Path]]] | None) -> StudySummary:
    t0 = time.perf_counter()
    world = build_world(params)
    write_truth(world, out)
    candidates: Path | None = None
    for fmt, files in imports or []:
        result = import_files(fmt, files, out)
        echo(f"imported {fmt}: {result}")
        candidates = Layout(out).candidates
    sim = Layout(out).sim
    sim.mkdir(parents=True, exist_ok=True)
    days: list[DaySummary] = []
    fleet = FleetProcess(WorldViews(params.to_json()), "llmcensus.simulate.wire:respond",
                         clock_for_day=ClockForDay(params.start.isoformat()))
    with fleet:
        for day in range(params.days):
            t_day = time.perf_counter()
            if day == 0:
                fleet.start(day)
            else:
                fleet.set_day(day)
            dial = sim / "dialmap.csv"
            fleet.write_dial_map(dial)
            date = params.start + timedelta(days=day)
            clock = DayClock(datetime(date.year, date.month, date.day, 12, tzinfo=UTC))
            request = ScanRequest(data_dir=out, dial_map=dial, sweep_id=f"study-{date.isoformat()}", settings=settings,
                                  progress=progress)
            if candidates is not None:
                request.candidates = candidates
            else:
                targets = sim / f"targets-{date.isoformat()}.txt"
                targets.write_text("".join(f"{ip}:{port}\n" for ip, port in world.targets(day)))
                request.targets_file = str(targets)
            summary = scan(request, clock=clock)
            log = fleet.request_log(drain=True)
            log.write_parquet(sim / f"requests-{date.isoformat()}.parquet")
            d = DaySummary(day, date.isoformat(), summary.targets, dict(summary.counts), len(log),
                           time.perf_counter() - t_day)
            days.append(d)
            ok = d.statuses.get("success", 0)
            echo(f"day {day + 1:>3}/{params.days} {d.date}: {d.targets} targets, {ok} fingerprinted, "
                 f"{d.requests} requests, {d.seconds:.1f} s")
    return StudySummary(out, days, time.perf_counter() - t0, world)


# --- the command -------------------------------------------------------------------------------------

app = typer.Typer(no_args_is_help=True)

TRUTH_KEYS = {
    # headline figure (analytics/queries/headline.sql) -> ground-truth key (simulate/truth.py)
    "observations": "observations",
    "unique_hosts": "unique_hosts",
    "countries": "countries",
    "asns": "asns",
    "persistent_host_share": "persistent_host_share",
    "persistent_observation_share": "persistent_observation_share",
    "single_observation_host_share": "single_host_share",
    "single_observation_observation_share": "single_observation_share",
    "tools_host_share": "capability_host_share.tools",
    "vision_host_share": "capability_host_share.vision",
    "thinking_host_share": "capability_host_share.thinking",
    "embedding_host_share": "capability_host_share.embedding",
    "q4_k_m_host_share": "q4_k_m_host_share",
    "public_library_host_share": "public_library_host_share",
    "system_prompt_visible_host_share": "system_prompt_visible_share",
    "guardrail_removal_hosts": "guardrail_template_hosts",
}


def headline_rows(headline: dict[str, dict[str, Any]], truth: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, this dataset, without flagged hosts, ground truth) as display strings."""

    def show(figure: str, v: Any) -> str:
        if v is None:
            return "-"
        if not isinstance(v, int | float):
            return str(v)
        return f"{v * 100:.1f} %" if figure.endswith("_share") else f"{v:,.0f}"

    rows = []
    for figure, scopes in headline.items():
        t = truth.get("all", {}).get(TRUTH_KEYS.get(figure, figure))
        rows.append((figure, show(figure, scopes.get("all")), show(figure, scopes.get("unflagged")), show(figure, t)))
    return rows


@app.command("study")
def study_cmd(
    out: Annotated[Path, typer.Option("--out", help="Data directory for the whole study (must be empty).")],
    hosts: Annotated[int, typer.Option("--hosts", help="Ollama hosts in the simulated world.")] = 2_000,
    days: Annotated[int, typer.Option("--days", help="Simulated days (one sweep per day).")] = 14,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    param: Annotated[list[str] | None, typer.Option("--param", help="Simulation parameter name=value.")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar per sweep.")] = False,
    import_: Annotated[list[str] | None, typer.Option(
        "--import", help="Start from a discovery export instead of a sweep: FORMAT:FILE (repeatable; formats of "
        "'llmcensus discover import')")] = None,
) -> None:
    """Run the study on the simulated internet: serve, sweep, store each day; then enrich and report."""
    from rich.console import Console
    from rich.table import Table

    from llmcensus.enrich.run import enrich
    from llmcensus.report.build import build_report

    params = with_overrides(Params(hosts=hosts, days=days, seed=seed), param or [])
    typer.echo(f"simulated study: {params.hosts:,} Ollama hosts x {params.days} days from {params.start} -> {out}")
    imports: list[tuple[str, list[Path]]] = []
    for item in import_ or []:
        fmt, sep, file = item.partition(":")
        if not sep or not file:
            raise UsageError(f"--import takes FORMAT:FILE, not {item!r}")
        imports.append((fmt, [Path(file)]))
    summary = run_study(out, params, progress=progress, echo=typer.echo, imports=imports or None)
    t = time.perf_counter()
    es = enrich(out)
    typer.echo(f"enriched in {time.perf_counter() - t:.1f} s ({es})")
    report = build_report(out, Layout(out).report)
    truth = json.loads((Layout(out).truth / "metrics.json").read_text())
    table = Table(title="Headline figures: this dataset vs the simulator's ground truth")
    for col in ("figure", "this dataset", "without flagged hosts", "ground truth"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for row in headline_rows(report.headline, truth):
        table.add_row(*row)
    Console().print(table)
    total = time.perf_counter() - t + summary.seconds
    typer.echo(f"study done in {total:.0f} s; report: {Layout(out).report / 'report.html'}")
