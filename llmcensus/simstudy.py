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
from llmcensus.observatory import RunState, Source
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
# Parts are committed as a real sweep commits them (``flush_seconds`` 30): a simulated day's sweep takes a few
# seconds, so it writes one part, not one every 5 s plus a tail, whose count (and footers: about 6 KB a part of
# each dataset) depended on the machine's speed (bench/storage.py).
STUDY_PROBE_SETTINGS = ProbeSettings(concurrency=256, connect_timeout=5.0, read_timeout=5.0, total_timeout=30.0,
                                     loopback_only=True)


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
                   imports: list[tuple[str, list[Path]]] | None = None,
                   on_progress: Callable[[str, int, int | None], None] | None = None) -> StudySummary:
    """Serve, sweep and store every day of the simulated study into ``out`` (observations, show cache, truth).

    Without ``imports`` each day's sweep visits every target of the simulated day (an own sweep of the
    world). With ``imports`` ((format, files) pairs, e.g. a Censys or masscan export), the candidates are
    imported first and each day's sweep visits them instead: what a study built on those channels sees.
    ``echo`` receives one line per import and per day; ``progress`` draws the probe's progress bar;
    ``on_progress("days", done, total)`` is called after each day (``llmcensus.api.Progress``).
    """
    if Layout(out).has_observations():
        raise UsageError(f"{out} already holds observations; choose an empty --out")
    with writer_lock(out, "llmcensus study"):
        return _locked(Path(out), params, settings=settings, progress=progress, echo=echo or (lambda _: None),
                       imports=imports, on_progress=on_progress)


def _locked(out: Path, params: Params, *, settings: ProbeSettings, progress: bool,
            echo: Callable[[str], Any], imports: list[tuple[str, list[Path]]] | None,
            on_progress: Callable[[str, int, int | None], None] | None = None) -> StudySummary:
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
            if on_progress is not None:
                on_progress("days", day + 1, params.days)
    return StudySummary(out, days, time.perf_counter() - t0, world)

# --- ``llmcensus run --simulate``: each cycle is one day of the simulated internet -----------------------------
# The world is built once per process from its parameters, which are remembered in ``<data>/sim/params.json``: a
# run resumed after a crash continues the same world (other parameters are refused), at the day the run state says.
# The fleet serves the day's hosts on loopback in a child process; the day's request log is kept beside the data,
# and the ground truth under ``truth/`` as in ``llmcensus study``.


class SimulatedSource(Source):
    settings: ProbeSettings = STUDY_PROBE_SETTINGS

    def __init__(self, layout: Layout, *, hosts: int, days: int, seed: int, param: list[str]) -> None:
        self.layout = layout
        self.params = with_overrides(Params(hosts=hosts, days=days, seed=seed), param)
        saved = layout.sim / "params.json"
        if saved.exists() and saved.read_text(encoding="utf-8") != self.params.to_json():
            raise UsageError(f"{layout.root} holds a simulated world made with other parameters "
                             f"({saved}); use the same --hosts/--days/--seed/--param or another --data")  # fmt: skip
        self.world: World | None = None
        self.fleet: FleetProcess | None = None

    def _date(self, state: RunState) -> str:
        return (self.params.start + timedelta(days=state.next_day)).isoformat()

    def sweep_id(self, state: RunState) -> str:
        return f"run-sim-{self._date(state)}"

    def exhausted(self, state: RunState) -> bool:
        return state.next_day >= self.params.days

    def prepare(self, req: ScanRequest, state: RunState) -> Callable[[], datetime]:
        sim = self.layout.sim
        if self.world is None:
            self.world = build_world(self.params)
            sim.mkdir(parents=True, exist_ok=True)
            (sim / "params.json").write_text(self.params.to_json(), encoding="utf-8")
            if not (self.layout.truth / "metrics.json").exists():
                write_truth(self.world, self.layout.root)
        day = state.next_day
        if self.fleet is None:
            self.fleet = FleetProcess(WorldViews(self.params.to_json()), "llmcensus.simulate.wire:respond",
                                      clock_for_day=ClockForDay(self.params.start.isoformat()))  # fmt: skip
            self.fleet.start(day)
        else:
            self.fleet.set_day(day)
        dial = sim / "dialmap.csv"
        self.fleet.write_dial_map(dial)
        date = self.params.start + timedelta(days=day)
        targets = sim / f"targets-{date.isoformat()}.txt"
        targets.write_text("".join(f"{ip}:{port}\n" for ip, port in self.world.targets(day)), encoding="utf-8")
        req.dial_map = dial
        req.targets_file = str(targets)
        return DayClock(datetime(date.year, date.month, date.day, 12, tzinfo=UTC))

    def after(self, state: RunState) -> None:
        if self.fleet is not None:
            log = self.fleet.request_log(drain=True)
            log.write_parquet(self.layout.sim / f"requests-{self._date(state)}.parquet")
        state.next_day += 1

    def close(self) -> None:
        if self.fleet is not None:
            self.fleet.stop()
            self.fleet = None


def serve_fleet(out: Path, params: Params, *, day: int = 0, duration: float = 0.0,
                read_command: Callable[[], str] | None = None,
                echo: Callable[[str], Any] | None = None) -> int:
    """Serve the fleet of simulated day ``day`` on loopback, in this process, writing ``out/dialmap.csv``; then
    for ``duration`` seconds, or (``duration`` 0) until ``read_command`` returns 'quit' or '' (end of input):
    'next' and 'day N' switch the day. The request log is written to ``out/requests.parquet``; returns how many
    requests were served. ``echo`` receives one line per day served."""
    import asyncio
    import sys

    from llmcensus.errors import SimulationError
    from llmcensus.simulate.serve import FleetServer
    from llmcensus.simulate.wire import respond
    from llmcensus.simulate.world import SimClock

    if not 0 <= day < params.days:
        raise SimulationError(f"day must be within 0..{params.days - 1}")
    say = echo or (lambda _: None)
    read = read_command or sys.stdin.readline
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(params)

    async def run() -> int:
        server = FleetServer(respond, clock_ns=SimClock(params.start.isoformat(), day))
        t0 = time.perf_counter()
        await server.start(world.views(day))
        current = day
        server.write_dial_map(out / "dialmap.csv")
        say(f"serving day {current} ({world.date_of(current)}): {server.listener_count} listeners on loopback, "
            f"ready in {time.perf_counter() - t0:.1f} s; dial map {out / 'dialmap.csv'}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration if duration > 0 else None
        try:
            while True:
                if deadline is not None:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    await asyncio.sleep(min(remaining, 0.5))
                    continue
                line = await loop.run_in_executor(None, read)
                cmd = line.strip().split()
                if not line or (cmd and cmd[0] == "quit"):
                    break
                if cmd and cmd[0] in ("next", "day"):
                    target = current + 1 if cmd[0] == "next" else int(cmd[1])
                    if not 0 <= target < params.days:
                        say(f"day must be within 0..{params.days - 1}")
                        continue
                    current = target
                    server.clock_ns = SimClock(params.start.isoformat(), current)
                    await server.set_views(world.views(current))
                    server.write_dial_map(out / "dialmap.csv")
                    say(f"serving day {current} ({world.date_of(current)}): {server.listener_count} listeners")
        finally:
            server.request_log.write_parquet(out / "requests.parquet")
            await server.stop()
        return server.request_log.count_by()

    return asyncio.run(run())


@dataclass(frozen=True)
class FarmRecovery:
    """How the honeypot flags of a simulated study match its planted fakes (issue #19): ``planted`` fake
    addresses that answered as Ollama, ``flagged`` addresses carrying ``clone_farm`` or ``fake_ollama``, both,
    and the caught ones per planted kind (``simulate/farms.py``)."""

    planted: int
    flagged: int
    caught: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (caught, planted)

    @property
    def recall(self) -> float:
        return self.caught / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.caught / self.flagged if self.flagged else 1.0


FARM_FLAGS = ("clone_farm", "fake_ollama")


def flagged_addresses(con: Any) -> dict[str, set[str]]:
    """Address -> flags, from an attached analysis connection (``store.derive.attach``)."""
    rows = con.execute(
        "SELECT i.ip, f.flag FROM flags f JOIN (SELECT host, min(ip) AS ip FROM endpoints GROUP BY host) i "
        "USING (host)"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for ip, flag in rows:
        out.setdefault(ip, set()).add(flag)
    return out


def farm_recovery(world: World, con: Any) -> FarmRecovery:
    """Recall and precision of the farm flags on ``con`` (the study of ``world``, attached) against the planted
    fakes; a planted address that never answered as Ollama is not counted (it left nothing to flag)."""
    from llmcensus.simulate.world import ip_text

    h, kinds = world.hosts, world.farm_kinds
    seen = {r[0] for r in con.execute("SELECT DISTINCT ip FROM endpoints").fetchall()}
    planted = {ip_text(int(h.ip[i])): str(kinds[i]) for i in range(h.n) if kinds[i]}
    planted = {ip: k for ip, k in planted.items() if ip in seen}
    flagged = {ip for ip, f in flagged_addresses(con).items() if f & set(FARM_FLAGS)}
    by_kind: dict[str, tuple[int, int]] = {}
    for ip, kind in planted.items():
        caught, total = by_kind.get(kind, (0, 0))
        by_kind[kind] = (caught + (ip in flagged), total + 1)
    return FarmRecovery(len(planted), len(flagged), len(flagged & set(planted)), by_kind)
