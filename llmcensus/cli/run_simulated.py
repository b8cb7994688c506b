"""``llmcensus run --simulate``: each cycle is one day of the simulated internet.

The world is built once per process from its parameters, which are remembered in ``<data>/sim/params.json``: a
run resumed after a crash continues the same world (other parameters are refused), at the day the run state says.
The fleet serves the day's hosts on loopback in a child process; the day's request log is kept beside the data,
and the ground truth under ``truth/`` as in ``llmcensus study``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from llmcensus.cli.run import RunState, Source
from llmcensus.errors import UsageError
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.sweep import ScanRequest
from llmcensus.simstudy import STUDY_PROBE_SETTINGS, DayClock
from llmcensus.simulate.params import Params, with_overrides
from llmcensus.simulate.serve_process import FleetProcess
from llmcensus.simulate.truth import write_truth
from llmcensus.simulate.world import ClockForDay, World, WorldViews, build_world
from llmcensus.store.layout import Layout


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
