"""`llmcensus scan`: clear one-line errors, nothing damaged, and kill -9 + --resume == uninterrupted."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from probe_support import JSON, TAGS_BODY_PATH, Persona, ThreadedFleet, compact, ollama_persona

from llmcensus.cli.main import main
from llmcensus.datalock import LOCK_NAME
from llmcensus.observations.manifest import Manifest
from llmcensus.observations.reader import read_observations
from llmcensus.probe.runtimes import DEFAULT_PORTS as RUNTIME_PORTS
from llmcensus.targets.dialmap import write_dial_map

ROOT = Path(__file__).resolve().parents[1]


def snapshot(d: Path) -> dict[str, str]:
    """Every stored file's hash; the writer lock's note (who holds it) is not data and is left out."""
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file() and p.name != LOCK_NAME}


@pytest.fixture
def data_with_sweep(tmp_path: Path) -> Path:
    (tmp_path / "t.txt").write_text("10.0.0.1\n10.0.0.2:8080\n")
    assert main(["scan", str(tmp_path / "t.txt"), "--data", str(tmp_path / "d"), "--sweep-id", "s0",
                 "--no-progress", "--set", "loopback_only=true"]) == 0
    return tmp_path


@pytest.mark.parametrize(("args", "needle", "code"), [
    (["bad.txt"], "bad.txt:2: not an IP address", 1),
    (["missing.txt"], "cannot read target file", 1),
    (["t.txt", "--concurrency", "0"], "concurrency must be >= 1", 1),
    (["t.txt", "--ports", "0"], "bad port in --ports", 2),
    (["t.txt", "--set", "read_timeout=fast"], "--set read_timeout: expected float", 2),
    (["t.txt", "--dial-map", "map.csv"], "dial map header", 1),
    (["t.txt", "--optout", "nope.txt"], "opt-out file not found", 1),
    (["t.txt", "--sweep-id", "s0"], "already exists", 1),
    (["t.txt", "--sweep-id", "a/b"], "bad sweep id", 1),
    (["t.txt", "--bogus"], "No such option", 2),
    ([], "exactly one of TARGETS_FILE", 2),
])
def test_bad_input_is_one_clear_line_and_damages_nothing(
    data_with_sweep: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str, code: int,
) -> None:
    base = data_with_sweep
    (base / "bad.txt").write_text("203.0.113.1\nnot-a-host\n")
    (base / "map.csv").write_text("ip,port\n")
    before = snapshot(base / "d")
    os.chdir(base)
    capsys.readouterr()
    rc = main(["scan", *args, "--data", str(base / "d"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == code, err
    assert needle in err and len(err.splitlines()) == 1 and err.startswith("llmcensus: error: ")
    assert snapshot(base / "d") == before


def test_scan_summary_and_manifest(data_with_sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = Manifest.read(data_with_sweep / "d", "s0")
    # a bare address is visited on every runtime module's default port; 10.0.0.2:8080 once
    ports = len(RUNTIME_PORTS)
    assert m.complete and m.counts == {"blocked": ports + 1} and m.targets_total == ports + 1
    assert m.settings["user_agent"].startswith("llmcensus/")


@pytest.fixture
def sim() -> Iterator[tuple[ThreadedFleet, list[str]]]:
    """300 public identities over a few real listeners: Ollama (slowish), silent, refused."""
    tf = ThreadedFleet()
    show = compact(Path(__file__).parent / "fixtures" / "captures" / "api_show" / "d540ababb6e4.json")
    persona = ollama_persona(compact(TAGS_BODY_PATH), show=lambda _: (200, JSON, show))
    slow = Persona(persona.routes, delay=0.02, show=persona.show)
    tf.run(tf.fleet.add(("203.0.113.250", 11434), slow))
    tf.run(tf.fleet.add_raw(("203.0.113.251", 11434), "silent"))
    tf.fleet.add_refused(("203.0.113.252", 11434))
    listeners = list(tf.fleet.dial_map.values())
    ips = [f"100.{64 + i // 250}.{i % 250}.1" for i in range(200)]
    for i, ip in enumerate(ips):
        tf.fleet.dial_map[(ip, 11434)] = listeners[0 if i % 10 < 8 else (1 if i % 10 == 8 else 2)]
    try:
        yield tf, ips
    finally:
        tf.close()


def _scan_args(tmp: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "llmcensus.cli.main", "scan", str(tmp / "targets.txt"), "--data", str(data),
            "--dial-map", str(tmp / "map.csv"), "--sweep-id", "k", "--no-progress", "--concurrency", "10",
            "--set", "flush_records=10", "--set", "read_timeout=0.3", "--set", "per_ip_rate=0",
            "--set", "loopback_only=true"]


def _rows(data: Path) -> list[tuple[object, ...]]:
    t = read_observations(data, sweep_id="k", columns=["observation_id", "ip", "port", "status", "runtime",
                                                           "version", "model_count", "auth"])
    return sorted(tuple(r.values()) for r in t.to_pylist())


@pytest.mark.slow
def test_kill_9_then_resume_equals_uninterrupted(tmp_path: Path, sim: tuple[ThreadedFleet, list[str]]) -> None:
    tf, ips = sim
    write_dial_map(tmp_path / "map.csv", tf.fleet.dial_map)
    (tmp_path / "targets.txt").write_text("".join(f"{ip}:11434\n" for ip in ips))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_scan_args(tmp_path, killed), env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(killed.glob("observations/*/part-k-*.parquet"))) < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    partial = _rows(killed)
    assert 0 < len(partial) < len(ips), "the kill must land mid-sweep"
    assert not Manifest.read(killed, "k").complete
    resumed = subprocess.run([*_scan_args(tmp_path, killed), "--resume"], env=env, cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"skipped {len(partial)} already done" in resumed.stdout
    whole = subprocess.run(_scan_args(tmp_path, tmp_path / "whole"), env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert whole.returncode == 0, whole.stderr
    after, reference = _rows(killed), _rows(tmp_path / "whole")
    assert len(after) == len(ips) == len({r[0] for r in after})
    assert after == reference
    m = Manifest.read(killed, "k")
    assert m.complete and m.runs == 2 and m.observations == len(ips)
    assert {r[3] for r in after} == {"success", "read_timeout", "connection_refused"}


@pytest.mark.slow
def test_ctrl_c_stops_cleanly(tmp_path: Path, sim: tuple[ThreadedFleet, list[str]]) -> None:
    tf, ips = sim
    write_dial_map(tmp_path / "map.csv", tf.fleet.dial_map)
    (tmp_path / "targets.txt").write_text("".join(f"{ip}:11434\n" for ip in ips))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    data = tmp_path / "d"
    proc = subprocess.Popen(_scan_args(tmp_path, data), env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(data.glob("observations/*/part-k-*.parquet")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "--resume --sweep-id k" in err and "Traceback" not in err
    m = Manifest.read(data, "k")
    assert m.interrupted and not m.complete
    assert 0 < m.observations < len(ips) and m.observations == len(_rows(data))
