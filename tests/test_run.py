"""``llmcensus run --simulate``: each cycle's events against the simulator's ground truth, kill -9 during a
cycle then run again, and one writer per data folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from compare import same

from llmcensus.analyze.run import run_study
from llmcensus.cli.run import RunState, Schedule, run_loop
from llmcensus.cli.run_simulated import SimulatedSource
from llmcensus.simulate.params import Params
from llmcensus.simulate.world import build_world
from llmcensus.store import db
from llmcensus.store.layout import Layout
from llmcensus.store.relations import DERIVED, FAILPOINT_ENV, MERGES, read_events, store_path

HOSTS, DAYS, SEED = 90, 5, 5
SETTINGS = SimulatedSource.settings.with_(connect_timeout=2.0, read_timeout=2.0, total_timeout=10.0)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.lstrip("v").split("."))


def truth_events(params: Params) -> Counter[tuple[Any, ...]]:
    """What changed from one day an endpoint answered to the next, from the world's ground truth alone."""
    world = build_world(params)
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    out: Counter[tuple[Any, ...]] = Counter()
    for day in range(params.days):
        when = params.start + timedelta(days=day)
        for row in world.expected(day).to_pylist():
            if row["status"] not in ("success", "auth_required"):
                continue
            key = (row["ip"], row["port"])
            prev = seen.get(key)
            seen[key] = row
            if prev is None:
                out[(*key, when, "first_seen", None)] += 1
                continue
            if row["runtime"] != prev["runtime"]:
                out[(*key, when, "runtime_changed", row["runtime"])] += 1
            elif row["version"] and prev["version"] and row["version"] != prev["version"]:
                a, b = _version(row["version"]), _version(prev["version"])
                out[(*key, when, "version_upgrade" if a > b else "version_downgrade", row["version"])] += 1
            if row["status"] == prev["status"] == "success":
                now, was = set(row["model_names"] or ()), set(prev["model_names"] or ())
                out.update((*key, when, "model_added", n) for n in now - was)
                out.update((*key, when, "model_removed", n) for n in was - now)
    return out


def store_events(data: Path) -> Counter[tuple[Any, ...]]:
    rows = read_events(data, limit=1_000_000)
    return Counter((r["ip"], r["port"], r["day"], r["kind"], r["subject"]) for r in rows
                   if r["kind"] not in ("model_updated", "auth_changed"))  # fmt: skip


def _run(data: Path, cycles: int | None = None) -> list[Any]:
    source = SimulatedSource(Layout(data), hosts=HOSTS, days=DAYS, seed=SEED, param=[])
    return run_loop(data, source, schedule=Schedule(0), cycles=cycles, settings=SETTINGS, echo=lambda _: None)


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("whole")
    done = _run(data)
    assert [c.cycle for c in done] == list(range(1, DAYS + 1))
    return data


def test_each_cycle_hands_on_the_events_the_world_planted(whole: Path) -> None:
    truth = truth_events(Params(hosts=HOSTS, days=DAYS, seed=SEED))
    got = store_events(whole)
    assert sum(1 for k in truth if k[3] == "model_added") > 10  # the window plants enough to test
    assert got == truth
    # every event was handed on once, in the events file, and the report of the last cycle exists
    handed = (whole / "run" / "events.jsonl").read_text().splitlines()
    assert len(handed) == len(read_events(whole, limit=1_000_000))
    assert (Layout(whole).report / "report.html").exists()
    assert RunState.read(whole / "run" / "state.json") == RunState(cycles=DAYS, current=None, next_day=DAYS)


def test_a_finished_window_runs_no_more_cycles(whole: Path) -> None:
    assert _run(whole) == []


def _relations(data: Path) -> dict[str, list[str]]:
    """The store's relations without what depends on the moment of a visit (its clock time and id)."""
    con = db.connect(store_path(data), read_only=True)
    try:
        out = {}
        for name in [*MERGES, *DERIVED, "events"]:
            table = con.sql(f"SELECT * EXCLUDE (observed_at, visit) FROM {name}" if name == "endpoint_days"
                            else f"SELECT * FROM {name}").to_arrow_table()  # fmt: skip
            out[name] = sorted(repr(r) for r in table.to_pylist())
        return out
    finally:
        con.close()


def _cmd(data: Path) -> list[str]:
    return [sys.executable, "-m", "llmcensus.cli.main", "run", "--simulate", "--data", str(data), "--hosts",
            str(HOSTS), "--days", str(DAYS), "--seed", str(SEED), "--no-report",
            "--set", "connect_timeout=2", "--set", "read_timeout=2", "--set", "total_timeout=10"]  # fmt: skip


@pytest.mark.parametrize("where", ["scan", "store.before_commit"])
def test_kill_9_during_a_cycle_then_run_again_equals_an_uninterrupted_run(whole: Path, tmp_path: Path,
                                                                          where: str) -> None:
    data = tmp_path / "killed"
    env = dict(os.environ)
    if where == "scan":  # killed once the third day's sweep has committed a part
        proc = subprocess.Popen(_cmd(data), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        day3 = (Params().start + timedelta(days=2)).isoformat()
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and not list(
                Layout(data).observations.glob(f"*/part-run-sim-{day3}-*.parquet")):  # fmt: skip
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    else:  # killed inside the first store update, just before it commits
        env[FAILPOINT_ENV] = where
        proc = subprocess.run(_cmd(data), env=env, capture_output=True, timeout=300)
        assert proc.returncode == -signal.SIGKILL
    assert proc.returncode == -signal.SIGKILL
    state = RunState.read(data / "run" / "state.json")
    assert state.current is not None and state.cycles < DAYS  # the cycle was cut short
    again = subprocess.run(_cmd(data), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert _relations(data) == _relations(whole)
    assert RunState.read(data / "run" / "state.json").cycles == DAYS
    a, b = run_study(data, refresh=False).metrics, run_study(whole, refresh=False).metrics
    # value for value, floats to 1e-9: DuckDB's parallel sums may add in another order
    assert same({k: v.rows() for k, v in a.items()}, {k: v.rows() for k, v in b.items()})


def test_a_second_writer_is_refused_while_a_run_holds_the_folder(tmp_path: Path) -> None:
    data = tmp_path / "busy"
    proc = subprocess.Popen([*_cmd(data), "--every", "1h"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (data / ".llmcensus.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        second = subprocess.run([sys.executable, "-m", "llmcensus.cli.main", "store", "update", "--data", str(data)],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert second.returncode == 75, second.stderr
        assert "in use by another llmcensus command" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err  # SIGTERM stops the run like Ctrl+C
    assert "stopped" in out
    state = RunState.read(data / "run" / "state.json")
    assert state.cycles <= 1 and state.next_day == state.cycles
