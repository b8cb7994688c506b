"""The simulated study, day by day, through real HTTP: a library function (``simulate_study``).

For each simulated day: the fleet (a child process, the second core) serves that day's hosts on loopback; the
probe sweeps the day's targets through the dial map, stamping observations with simulated time; the simulator's
request log for the day is kept beside the data as evidence of what the probe sent. Enrichment and the report
follow in ``llmcensus.api.study``.

This is a top-level module, not a stage: like ``cli`` and ``api`` it wires the stages together, and it is the one
library module (with ``api``) allowed to import the simulator (``tests/test_import_contract.py``). No stage imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from llmcensus.datalock import writer_lock
from llmcensus.discover.importer import import_files
from llmcensus.errors import UsageError
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.sweep import ScanRequest, scan
from llmcensus.simulate.params import Params
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

    def line(self, days: int) -> str:
        ok = self.statuses.get("success", 0)
        return (f"day {self.day + 1:>3}/{days} {self.date}: {self.targets} targets, {ok} fingerprinted, "
                f"{self.requests} requests, {self.seconds:.1f} s")


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


def simulate_study(out: Path, params: Params, *, settings: ProbeSettings = STUDY_PROBE_SETTINGS,
                   progress: bool = False, echo: Callable[[str], Any] | None = None,
                   imports: list[tuple[str, list[Path]]] | None = None) -> StudySummary:
    """Serve, sweep and store every day of the simulated study into ``out`` (observations, show cache, truth).

    Without ``imports`` each day's sweep visits every target of the simulated day (an own sweep of the
    world). With ``imports`` ((format, files) pairs, e.g. a Censys or masscan export), the candidates are
    imported first and each day's sweep visits them instead: what a study built on those channels sees.
    ``echo`` receives one line per import and per day; ``progress`` draws the probe's progress bar.
    """
    if Layout(out).has_observations():
        raise UsageError(f"{out} already holds observations; choose an empty --out")
    with writer_lock(out, "llmcensus study"):
        return _locked(Path(out), params, settings=settings, progress=progress, echo=echo or (lambda _: None),
                       imports=imports)


def _locked(out: Path, params: Params, *, settings: ProbeSettings, progress: bool,
            echo: Callable[[str], Any], imports: list[tuple[str, list[Path]]] | None) -> StudySummary:
    t0 = time.perf_counter()
    world = build_world(params)
    write_truth(world, out)
    candidates: Path | None = None
    for fmt, files in imports or []:
        result = import_files(fmt, files, out)
        echo(f"imported {fmt}: {result.candidates} distinct candidates from {result.records} records "
             f"({result.issue_count} malformed)")
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
            echo(d.line(params.days))
    return StudySummary(out, days, time.perf_counter() - t0, world)
