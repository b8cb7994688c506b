"""``llmcensus run``: the observatory's loop, one cycle per interval or cron time, until stopped.

A cycle: targets -> scan -> enrich (new keys) -> store update (only new files) -> report -> hand new events on.
The whole run holds the data folder's writer lock, so a second ``run``, ``scan`` or store update on the same folder
is refused; a ``report`` elsewhere reads the store as of its last update. Ctrl+C or SIGTERM stops cleanly: a sweep
in progress commits what it has and the run exits 130. ``kill -9`` anywhere, then ``run`` again: the cycle that
was cut short resumes its sweep (same sweep id, nothing visited twice), and the store folds each file once.

With ``--simulate`` each cycle is one day of the simulated internet (served on loopback by a child process, with
ground truth under ``truth/``), so the whole loop can be watched in minutes. Lives in ``cli`` because it wires
every stage together (and only ``cli`` may import the simulator).
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
from typing import Annotated, Any

import orjson
import typer
from cronsim import CronSim, CronSimError

from llmcensus import api
from llmcensus.cli.options import config, emit_json, pick, section
from llmcensus.config import probe_settings
from llmcensus.datalock import writer_lock
from llmcensus.errors import UsageError
from llmcensus.inert import inert_json, terminal
from llmcensus.monitor.check import check
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.sweep import ScanRequest, parse_setting_overrides, scan
from llmcensus.store.layout import Layout
from llmcensus.store.relations import hand_on, update

app = typer.Typer(no_args_is_help=True)

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
    api.enrich(layout.root)
    upd = update(layout.root, host_key)  # the run holds the writer lock already (api.store_update would take it)
    summary.files, summary.visits = upd.files, upd.visits
    if write_report:
        api.report(layout.root, layout.report, host_key=host_key)

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
    if every is not None and cron is not None:
        raise UsageError("give --every or --cron, not both")
    if cycles is not None and cycles < 1:
        raise UsageError("--cycles must be at least 1")
    source: Source
    if simulate:
        if targets is not None or candidates is not None:
            raise UsageError("--simulate brings its own targets: drop --targets/--candidates")
        from llmcensus.cli.run_simulated import SimulatedSource

        source = SimulatedSource(Layout(data), hosts=hosts, days=days, seed=seed, param=param or [])
        base = source.settings  # the simulator's loopback settings; [scan] is for real sweeps
    else:
        source = TargetSource(targets, candidates)
        base = probe_settings(config())
    schedule = Schedule(parse_every(every if every is not None else ("0" if simulate else "1d")), cron)
    settings = parse_setting_overrides(set_ or [], base)
    run_loop(data, source, schedule=schedule, cycles=cycles, settings=settings,
             host_key=pick(host_key, "run", "host_key", "ip"), write_report=pick(report, "run", "report", True),
             echo=(lambda line: typer.echo(line, err=True)) if json_ else typer.echo, events_out=events,
             on_cycle=(lambda c: emit_json(c.as_dict())) if json_ else None,
             monitoring=Monitoring(watchlist, webhook))
