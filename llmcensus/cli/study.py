"""``llmcensus study``: the whole loop on the simulated internet, day by day, through real HTTP.

For each simulated day: the fleet (a child process, the second core) serves that day's hosts on
loopback; the probe sweeps the day's targets through the dial map, stamping observations with
simulated time; the simulator's request log for the day is kept beside the data as evidence of what
the probe sent. Then enrichment and the report. This module lives in ``cli`` because it is the one
place that wires every stage together; each stage is still called through its own library function.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from llmcensus.errors import UsageError
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.sweep import ScanRequest, scan
from llmcensus.simulate.params import Params
from llmcensus.simulate.serve_process import FleetProcess
from llmcensus.simulate.truth import write_truth
from llmcensus.simulate.world import ClockForDay, World, WorldViews, build_world

# On loopback every reply is immediate: short timeouts bound the days that contain silent hosts.
STUDY_PROBE_SETTINGS = ProbeSettings(connect_timeout=2.0, read_timeout=2.0, total_timeout=15.0, loopback_only=True,
                                     flush_seconds=5.0)


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


class _DayClock:
    """Observation timestamps: the simulated date at 12:00 UTC plus real time elapsed in the sweep."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def run_study(out: Path, params: Params, *, settings: ProbeSettings = STUDY_PROBE_SETTINGS,
              progress: bool = False, echo: Callable[[str], Any] = print) -> StudySummary:
    """Serve, sweep and store every day of the simulated study into ``out`` (observations, show cache, truth)."""
    if (out / "observations").exists() and any((out / "observations").iterdir()):
        raise UsageError(f"{out} already holds observations; choose an empty --out")
    t0 = time.perf_counter()
    world = build_world(params)
    write_truth(world, out)
    sim = out / "sim"
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
            targets = sim / f"targets-{date.isoformat()}.txt"
            targets.write_text("".join(f"{ip}:{port}\n" for ip, port in world.targets(day)))
            clock = _DayClock(datetime(date.year, date.month, date.day, 12, tzinfo=UTC))
            summary = scan(ScanRequest(data_dir=out, targets_file=str(targets), dial_map=dial,
                                       sweep_id=f"study-{date.isoformat()}", settings=settings, progress=progress),
                           clock=clock)
            log = fleet.request_log(drain=True)
            log.write_parquet(sim / f"requests-{date.isoformat()}.parquet")
            d = DaySummary(day, date.isoformat(), summary.targets, dict(summary.counts), len(log),
                           time.perf_counter() - t_day)
            days.append(d)
            ok = d.statuses.get("success", 0)
            echo(f"day {day + 1:>3}/{params.days} {d.date}: {d.targets} targets, {ok} fingerprinted, "
                 f"{d.requests} requests, {d.seconds:.1f} s")
    return StudySummary(out, days, time.perf_counter() - t0, world)
