"""The observatory's loop (``llmcensus.api.run``, ``llmcensus run``): one cycle per interval or cron time.

A cycle: targets -> scan -> enrich (new keys) -> store update (only new files) -> report -> hand new events on.
The whole run holds the data folder's writer lock, so a second ``run``, ``scan`` or store update on the same folder
is refused; a ``report`` elsewhere reads the store as of its last update. Ctrl+C or SIGTERM stops cleanly: a sweep
in progress commits what it has and the run exits 130. ``kill -9`` anywhere, then ``run`` again: the cycle that
was cut short resumes its sweep (same sweep id, nothing visited twice), and the store folds each file once.

A top-level module, not a stage: it wires probe, enrich, store, report and monitor together, like ``api``, but
without the simulator (the simulated source, one simulated day per cycle, is ``simstudy.SimulatedSource``).
Moved here from ``cli/run.py`` so that the command line calls only the API (STYLE.md, "library first").
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
from cronsim import CronSim, CronSimError

from llmcensus.datalock import writer_lock
from llmcensus.enrich.run import enrich
from llmcensus.errors import UsageError
from llmcensus.inert import inert_json, terminal
from llmcensus.monitor.check import check
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.sweep import ScanRequest, scan
from llmcensus.report.build import build_report
from llmcensus.store.derive import ViewParams
from llmcensus.store.layout import Layout
from llmcensus.store.relations import hand_on, update

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """'90', '90s', '15m', '6h', '1d' -> seconds."""
    m = _DURATION.match(text)
    if m is None:
        raise UsageError(f"--every takes a duration such as 30s, 15m, 6h or 1d, not {text!r}")
    return float(m.group(1)) * _UNIT[m.group(2)]


class Schedule:
    """When the next cycle starts: every ``every`` seconds after the previous start, or at the next time of a cron
    expression (UTC), or at once (``every`` = 0)."""

    def __init__(self, every: float = 0.0, cron: str | None = None) -> None:
        self.every = every
        self.cron = cron
        if cron is not None:
            try:
                CronSim(cron, datetime.now(UTC))
            except CronSimError as exc:
                raise UsageError(f"--cron: not a cron expression ({exc}): {cron!r}") from None

    def next_start(self, last_start: datetime) -> datetime:
        if self.cron is not None:
            return next(CronSim(self.cron, datetime.now(UTC)))
        return last_start + timedelta(seconds=self.every)


@dataclass
class RunState:
    """What survives a crash between cycles: ``<data>/run/state.json`` (written atomically)."""

    cycles: int = 0  # cycles completed
    current: str | None = None  # sweep id of the cycle in progress
    next_day: int = 0  # --simulate: the next simulated day

    @classmethod
    def read(cls, path: Path) -> RunState:
        if not path.exists():
            return cls()
        raw = orjson.loads(path.read_bytes())
        return cls(int(raw.get("cycles", 0)), raw.get("current"), int(raw.get("next_day", 0)))

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(orjson.dumps({"cycles": self.cycles, "current": self.current, "next_day": self.next_day}))
        os.replace(tmp, path)


@dataclass
class CycleSummary:
    cycle: int
    sweep_id: str
    targets: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    files: int = 0
    visits: int = 0
    events: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"cycle": self.cycle, "sweep_id": self.sweep_id, "targets": self.targets, "statuses": self.statuses,
                "files": self.files, "visits": self.visits, "events": dict(self.events), "alerts": self.alerts,
                "seconds": round(self.seconds, 3), "interrupted": self.interrupted}

    def line(self) -> str:
        ok = self.statuses.get("success", 0)
        kinds = ", ".join(f"{k} {n}" for k, n in self.events.most_common())
        return (f"cycle {self.cycle} {self.sweep_id}: {self.targets:,} targets, {ok:,} fingerprinted; store +"
                f"{self.files} files, {self.visits:,} visits; {sum(self.events.values())} new events"
                f"{' (' + kinds + ')' if kinds else ''}; {self.alerts} new alerts; {self.seconds:.1f} s")


class Source:
    """Where a cycle's targets come from; ``prepare`` returns the scan request of the cycle's sweep."""

    def sweep_id(self, state: RunState) -> str:
        raise NotImplementedError

    def prepare(self, req: ScanRequest, state: RunState) -> Callable[[], datetime] | None:
        raise NotImplementedError

    def after(self, state: RunState) -> None:
        """Called after the cycle's sweep."""

    def exhausted(self, state: RunState) -> bool:
        return False

    def close(self) -> None:
        """Release what the source holds."""


class TargetSource(Source):
    def __init__(self, targets: str | None, candidates: Path | None) -> None:
        if (targets is None) == (candidates is None):
            raise UsageError("give exactly one of --targets, --candidates or --simulate")
        self.targets = targets
        self.candidates = candidates

    def sweep_id(self, state: RunState) -> str:
        return "run-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def prepare(self, req: ScanRequest, state: RunState) -> Callable[[], datetime] | None:
        req.targets_file = self.targets
        req.candidates = self.candidates
        return None


def _stop_on_sigterm() -> None:
    """SIGTERM stops like Ctrl+C: the probe's SIGINT handler ends a sweep cleanly, elsewhere KeyboardInterrupt."""

    def handler(signum: int, frame: FrameType | None) -> None:
        os.kill(os.getpid(), signal.SIGINT)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def run_loop(data: Path, source: Source, *, schedule: Schedule, cycles: int | None, settings: ProbeSettings,
             host_key: str = "ip", write_report: bool = True, echo: Callable[[str], Any] = print,
             events_out: Path | None = None,
             on_cycle: Callable[[CycleSummary], Any] | None = None,
             monitoring: Monitoring | None = None) -> list[CycleSummary]:
    """Run cycles until ``cycles`` are done, the source is exhausted, or the process is interrupted.

    Each finished cycle goes to ``on_cycle`` (default: its line to ``echo``); notes between cycles go to ``echo``."""
    layout = Layout(data)
    state_path = layout.run_dir / "state.json"
    events_path = events_out or layout.run_dir / "events.jsonl"
    done: list[CycleSummary] = []
    _stop_on_sigterm()
    with writer_lock(data, "llmcensus run"):
        state = RunState.read(state_path)
        try:
            while (cycles is None or len(done) < cycles) and not source.exhausted(state):
                start = datetime.now(UTC)
                summary = _cycle(layout, source, state, state_path, events_path, settings, host_key, write_report,
                                 monitoring or Monitoring())
                done.append(summary)
                if on_cycle is not None:
                    on_cycle(summary)
                else:
                    echo(terminal(summary.line()))
                if summary.interrupted:
                    echo("llmcensus: stopped during the sweep; run again to resume it")
                    raise SystemExit(130)
                if (cycles is not None and len(done) >= cycles) or source.exhausted(state):
                    break
                wait = (schedule.next_start(start) - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    echo(f"next cycle at {(datetime.now(UTC) + timedelta(seconds=wait)).isoformat(timespec='seconds')}")
                    time.sleep(wait)
        except KeyboardInterrupt:
            echo("llmcensus: stopped; run again to continue")
            raise SystemExit(130) from None
        finally:
            source.close()
    return done


@dataclass(frozen=True)
class Monitoring:
    """Lineage alerts after each store update: the watchlist (default ``<data>/watchlist.toml``; none = no
    alerts) and an optional webhook the alerts are POSTed to (``llmcensus/monitor/check.py``)."""

    watchlist: Path | None = None
    webhook: str | None = None


def _cycle(layout: Layout, source: Source, state: RunState, state_path: Path, events_path: Path,
           settings: ProbeSettings, host_key: str, write_report: bool, monitoring: Monitoring) -> CycleSummary:
    t0 = time.perf_counter()
    resume = state.current is not None and layout.manifest(state.current).exists()
    sweep_id = state.current if resume and state.current else source.sweep_id(state)
    state.current = sweep_id
    state.write(state_path)
    summary = CycleSummary(state.cycles + 1, sweep_id)
    req = ScanRequest(data_dir=layout.root, sweep_id=sweep_id, resume=resume, settings=settings)
    clock = source.prepare(req, state)
    sweep = scan(req, clock=clock)
    summary.targets, summary.statuses = sweep.targets, dict(sweep.counts)
    if sweep.interrupted:
        summary.interrupted = True
        return summary
    source.after(state)
    enrich(layout.root)
    upd = update(layout.root, host_key)  # the run holds the writer lock already
    summary.files, summary.visits = upd.files, upd.visits
    if write_report:
        build_report(layout.root, layout.report, view_params=ViewParams(host_key=host_key))

    def consume(events: list[dict[str, object]]) -> None:
        events_path.parent.mkdir(parents=True, exist_ok=True)
        with events_path.open("ab") as handle:
            for e in events:
                handle.write(orjson.dumps(inert_json(e), default=str) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        summary.events.update(str(e["kind"]) for e in events)

    hand_on(layout.root, consume, host_key)
    if (monitoring.watchlist or layout.watchlist).exists():
        summary.alerts = len(check(layout.root, watchlist=monitoring.watchlist, webhook=monitoring.webhook).new)
    state.cycles += 1
    state.current = None
    state.write(state_path)
    summary.seconds = time.perf_counter() - t0
    return summary
