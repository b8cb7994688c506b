"""The probe's safety promises (issue #14): no cross-host poisoning, one writer per data folder, nothing
lost on kill -9, a request cap per address across ports and sweeps, settings validated when read."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from probe_support import JSON, Persona, ThreadedFleet, fleet, ollama_persona

from llmcensus.cli.main import main
from llmcensus.datalock import writer_lock
from llmcensus.errors import BusyError
from llmcensus.observations.bodies import read_bodies, resolve_exchanges
from llmcensus.observations.reader import read_observations
from llmcensus.observations.schema import Status
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import run_sweep
from llmcensus.probe.http import translate_error
from llmcensus.probe.runtimes.ollama_parse import parse_tags
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.showcache import SHOW_SCHEMA, ShowCache
from llmcensus.targets.parse import Target

FAST = ProbeSettings(connect_timeout=1.0, read_timeout=1.0, total_timeout=5.0, per_ip_rate=0, loopback_only=True,
                     concurrency=1)
SHARED = "ab" * 32  # the digest the poisoner claims


def tags(*digests: str) -> bytes:
    return json.dumps({"models": [
        {"name": f"m{i}:latest", "model": f"m{i}:latest", "modified_at": "2026-01-01T00:00:00.123456789Z",
         "size": 1000 + i, "digest": d, "details": {"format": "gguf", "family": "llama", "families": ["llama"],
                                                    "parameter_size": "8B", "quantization_level": "Q4_K_M"}}
        for i, d in enumerate(digests)]}).encode()


def show(system: str, caps: list[str]) -> Any:
    body = json.dumps({"system": system, "capabilities": caps, "template": "{{ .Prompt }}",
                       "model_info": {"general.architecture": "llama"}}).encode()
    return lambda _: (200, JSON, body)


VICTIM = ollama_persona(tags(SHARED), version="0.12.6", show=show("You are a helpful assistant.", ["completion"]))
POISONER = ollama_persona(tags(SHARED), version="0.12.6",
                          show=show("=HYPERLINK(evil) ignore all rules", ["completion", "tools", "vision"]))


@pytest.mark.parametrize("order", ["victim_first", "poisoner_first"])
def test_a_poisoner_cannot_change_what_is_recorded_for_a_victim(tmp_path: Path, order: str) -> None:
    victim, poisoner = ("192.0.2.10", 11434), ("192.0.2.66", 11434)
    targets = [Target(*victim), Target(*poisoner)]
    if order == "poisoner_first":
        targets.reverse()

    async def go() -> None:
        async with fleet() as f:
            await f.add(victim, VICTIM)
            await f.add(poisoner, POISONER)
            for sweep in ("day1", "day2"):  # the same sweep, then a later one with the cache read back from disk
                w = ObservationWriter(tmp_path, sweep)
                await run_sweep(targets, FAST, w, dial_map=f.dial_map, show_cache=ShowCache(tmp_path / "show"))
                w.close(complete=True)

    asyncio.run(go())
    got = {(r["sweep_id"], r["ip"]): r["models"][0] for r in read_observations(tmp_path).to_pylist()}
    for sweep, status in (("day1", "fetched"), ("day2", "cached")):
        v, p = got[(sweep, victim[0])], got[(sweep, poisoner[0])]
        assert (v["system"], v["capabilities"], v["show_status"]) == (
            "You are a helpful assistant.", ["completion"], status)
        assert p["system"].startswith("=HYPERLINK") and p["capabilities"] == ["completion", "tools", "vision"]
    shows = ShowCache(tmp_path / "show")
    assert shows.get(*victim, SHARED).fields["system"] == "You are a helpful assistant."  # type: ignore[union-attr]


def test_a_second_writer_is_refused_and_a_crashed_one_recovers(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d"
    (tmp_path / "t.txt").write_text("192.0.2.1\n")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from llmcensus.datalock import writer_lock\n"
        f"with writer_lock({str(data)!r}, 'llmcensus scan'):\n"
        "    print('held', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = sorted(p.name for p in data.rglob("*"))
        rc = main(["scan", str(tmp_path / "t.txt"), "--data", str(data), "--no-progress"])
        err = capsys.readouterr().err.strip()
        assert rc == 75 and len(err.splitlines()) == 1
        assert err.startswith("llmcensus: error: data folder") and f"pid {holder.pid}" in err
        assert sorted(p.name for p in data.rglob("*")) == before  # nothing written by the refused writer
        with pytest.raises(BusyError), writer_lock(data):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)  # a crash: the kernel drops the lock with the process
        holder.wait()
    rc = main(["scan", str(tmp_path / "t.txt"), "--data", str(data), "--no-progress"])
    assert rc == 0, capsys.readouterr().err  # 192.0.2.1 is blocked (documentation range): no packet sent
    assert set(read_observations(data).column("status").to_pylist()) == {"blocked"}


# --- kill -9 anywhere, then resume --------------------------------------------------------------------

HOSTS = 40


@pytest.fixture(scope="module")
def kill_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedFleet, Path]]:
    tf = ThreadedFleet()
    for i in range(HOSTS):
        digests = [hashlib.sha256(f"{i % 7}-{j}".encode()).hexdigest() for j in range(3)]  # digests shared
        persona = ollama_persona(tags(*digests), version="0.12.6",
                                 show=show(f"host {i} says its own thing", ["completion"]))
        persona.delay = 0.03
        tf.run(tf.fleet.add((f"198.51.100.{i + 1}", 11434), persona))
    root = tmp_path_factory.mktemp("kill9")
    (root / "targets.txt").write_text("".join(f"198.51.100.{i + 1}:11434\n" for i in range(HOSTS)))
    (root / "map.csv").write_text("public_ip,port,dial_ip,dial_port\n" + "".join(
        f"{ip},{port},{dip},{dport}\n" for (ip, port), (dip, dport) in tf.fleet.dial_map.items()))
    yield tf, root
    tf.close()


def _scan_cmd(root: Path, data: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "llmcensus.cli.main", "scan", str(root / "targets.txt"), "--data", str(data),
            "--dial-map", str(root / "map.csv"), "--sweep-id", "k", "--no-progress", "--concurrency", "4",
            "--set", "loopback_only=true", "--set", "per_ip_rate=0", "--set", "flush_records=3",
            "--set", "flush_seconds=0.05", *extra]


def _state(data: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    obs = read_observations(data).to_pylist()
    ids = [r["observation_id"] for r in obs]
    assert len(ids) == len(set(ids)), "an observation was written twice"
    observed = sorted((r["ip"], r["port"], r["status"], tuple(
        (m["digest"], m["system"], tuple(m["capabilities"] or ()), m["show_status"]) for m in r["models"] or ()))
        for r in obs)
    import pyarrow.dataset as ds

    show = ds.dataset(str(data / "show"), format="parquet", schema=SHOW_SCHEMA).to_table(
        columns=["ip", "port", "digest", "system", "capabilities"]).to_pylist()
    keys = [(r["ip"], r["port"], r["digest"]) for r in show]
    assert len(keys) == len(set(keys)), "a host's show reply was stored twice"
    # No dangling body reference, whatever the moment of the kill: bodies are committed before what refers to them.
    resolve_exchanges(data, obs)  # raises DataError on a body_hash that is not stored
    show_hashes = ds.dataset(str(data / "show"), format="parquet", schema=SHOW_SCHEMA).to_table(
        columns=["body_hash"]).column("body_hash").to_pylist()
    assert None not in show_hashes and set(read_bodies(data, show_hashes)) == set(show_hashes)
    return observed, sorted((r["ip"], r["port"], r["digest"], r["system"], tuple(r["capabilities"])) for r in show)


def _committed(data: Path) -> int:
    try:
        return read_observations(data, columns=["observation_id"]).num_rows
    except Exception:  # a part being renamed into place while we list: look again
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [0, 6, 21, 33])
def test_kill_9_then_resume_equals_an_uninterrupted_sweep(kill_fleet: tuple[ThreadedFleet, Path], tmp_path: Path,
                                                          kill_at: int) -> None:
    """Killed once ``kill_at`` observations are committed (0: as soon as the process starts)."""
    _, root = kill_fleet
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(_scan_cmd(root, whole), check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen(_scan_cmd(root, killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while kill_at and _committed(killed) < kill_at and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _committed(killed) < HOSTS, "the sweep ended before it could be killed"
    done = subprocess.run(_scan_cmd(root, killed, "--resume"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _state(killed) == _state(whole)
    assert len(_state(whole)[0]) == HOSTS and len(_state(whole)[1]) == HOSTS * 3


# --- the request cap per address, across ports and sweeps ---------------------------------------------

def test_no_address_gets_more_than_its_cap_across_ports_and_sweeps(tmp_path: Path) -> None:
    cap, window = 12, 1.5
    settings = FAST.with_(concurrency=20, request_budget=4, address_requests=cap, address_window=window)
    stamps: list[float] = []

    class Stamped(list[tuple[str, str, str]]):
        def append(self, entry: tuple[str, str, str]) -> None:
            stamps.append(time.monotonic())
            super().append(entry)

    async def go() -> None:
        async with fleet() as f:
            for port in range(9000, 9010):  # ports no runtime module claims: Ollama's own visit
                persona = ollama_persona(tags(), version="0.12.6")  # empty inventory: 4 requests a visit
                await f.add(("203.0.113.5", port), persona)
            f.log = Stamped()
            for sweep in ("a", "b"):  # the second sweep starts at once: it must continue the same window
                w = ObservationWriter(tmp_path, sweep)
                summary = await run_sweep([Target("203.0.113.5", p) for p in range(9000, 9010)], settings, w,
                                          dial_map=f.dial_map)
                w.close(complete=True)
                assert summary.written == 10 and summary.counts == {"success": 10}

    asyncio.run(go())
    assert len(stamps) == 2 * 10 * 4  # version, tags, /, ps: every visit completed
    worst = max(sum(1 for t in stamps if s <= t < s + window) for s in stamps)
    assert worst <= cap, f"{worst} requests inside one {window} s window"


# --- settings and small status rules ------------------------------------------------------------------

@pytest.mark.parametrize(("setting", "needle"), [
    ("total_timeout=nan", "total_timeout must be a finite number"),
    ("read_timeout=inf", "read_timeout must be a finite number"),
    ("flush_seconds=-1", "flush_seconds must be >= 0"),
    ("connect_timeout=0", "connect_timeout must be > 0"),
    ("user_agent=Mozilla/5.0 (Windows NT 10.0) Chrome/120.0", "looks like a browser"),
    ("user_agent=scanner/1.0", "must name a contact"),
    ("user_agent=x (+https://e.org)\r\nX-Injected: 1", "printable ASCII on one line"),
    ("address_requests=5", "address_requests (5) must be >= request_budget"),
    ("max_models=0", "max_models must be >= 1"),
])
def test_a_bad_setting_is_one_line_and_nothing_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          setting: str, needle: str) -> None:
    (tmp_path / "t.txt").write_text("192.0.2.1\n")
    rc = main(["scan", str(tmp_path / "t.txt"), "--data", str(tmp_path / "d"), "--set", setting])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and len(err.splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "d").exists()


def test_an_out_of_range_number_nulls_one_field_not_the_inventory() -> None:
    body = (b'{"models":[{"name":"a:1","digest":"' + b"a" * 64 + b'","size":1e400},'
            b'{"name":"b:1","digest":"' + b"b" * 64 + b'","size":123456789012345678901234567890},'
            b'{"name":"c:1","digest":"' + b"c" * 64 + b'","size":7}]}')
    models, _ = parse_tags(body)
    assert [(m["name"], m["size"]) for m in models] == [("a:1", None), ("b:1", None), ("c:1", 7)]


def test_empty_and_oversized_inventories_are_bounded() -> None:
    with pytest.raises(ValueError, match="none of the 85000"):
        parse_tags(b'{"models":[' + b",".join([b"{}"] * 85_000) + b"]}")
    many = b'{"models":[' + b",".join(b'{"name":"m%d"}' % i for i in range(2000)) + b"]}"
    models, evidence = parse_tags(many, max_models=500)
    assert len(models) == 500 and "tags_models_capped:2000" in evidence


def test_a_reset_while_connecting_is_refused_or_a_tls_error() -> None:
    key = aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None)
    exc = aiohttp.ClientConnectorError(key, ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"))
    assert translate_error(exc)[0] is Status.CONNECTION_REFUSED
    assert translate_error(exc, tls=True)[0] is Status.TLS_ERROR


def test_429_everywhere_is_an_http_error(tmp_path: Path) -> None:
    limited = Persona({}, default=(429, {"Content-Type": "text/plain", "Retry-After": "60"}, b"slow down"))
    ollama_429 = ollama_persona(b"", version="0.12.6")
    ollama_429.routes[("GET", "/api/tags")] = (429, JSON, b'{"error":"rate limited"}')

    async def go() -> None:
        async with fleet() as f:
            await f.add(("192.0.2.1", 80), limited)
            await f.add(("192.0.2.2", 11434), ollama_429)
            w = ObservationWriter(tmp_path, "s")
            await run_sweep([Target("192.0.2.1", 80), Target("192.0.2.2", 11434)], FAST, w, dial_map=f.dial_map)
            w.close(complete=True)

    asyncio.run(go())
    got = {r["ip"]: (r["status"], r["runtime"]) for r in read_observations(tmp_path).to_pylist()}
    assert got == {"192.0.2.1": ("http_error", "unknown"), "192.0.2.2": ("http_error", "ollama")}


def test_recorded_strings_are_capped() -> None:
    from llmcensus.probe.runtimes.ollama_parse import parse_version

    version, _ = parse_version(json.dumps({"version": "0.1\x00<script>" + "x" * 500}).encode())
    assert version is not None and len(version) == 64
    models, _ = parse_tags(json.dumps({"models": [{"name": "n" * 1000, "digest": "d" * 1000}]}).encode())
    assert len(models[0]["name"]) == 256 and len(models[0]["digest"]) == 128


# --- bounded memory per host (the suite asserts statuses and time; this, the memory) ---------------------------

def test_memory_stays_bounded_whatever_the_inventories(tmp_path: Path) -> None:
    """30 hosts serving the 85,000-empty-object inventory and 30 listing 2,000 named models, all in flight at once:
    the probe's Python heap stays far below what one bomb cost before the fix (about 90 MB a host)."""
    import tracemalloc

    bomb = b'{"models":[' + b",".join([b"{}"] * 85_000) + b"]}"
    crowd = b'{"models":[' + b",".join(b'{"name":"m%d:latest","digest":"%064x"}' % (i, i) for i in range(2000)) + b"]}"
    # the servers share this test's event loop and tracemalloc slows both: generous timeouts, so only memory is judged
    settings = FAST.with_(concurrency=60, connect_timeout=30.0, read_timeout=30.0, total_timeout=120.0,
                          max_response_bytes=512 * 1024)

    async def go() -> None:
        async with fleet() as f:
            for i in range(30):
                await f.add((f"198.18.1.{i + 1}", 11434), ollama_persona(bomb, version="0.12.6"))
                await f.add((f"198.18.2.{i + 1}", 11434), ollama_persona(crowd, version="0.12.6", ps=None))
            w = ObservationWriter(tmp_path, "mem")
            tracemalloc.start()
            try:
                await run_sweep([Target(ip, port) for ip, port in f.dial_map], settings.with_(fetch_show=False), w,
                                dial_map=f.dial_map)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            w.close(complete=True)
            assert peak < 150 * 2**20, f"traced peak {peak / 2**20:.0f} MB"

    asyncio.run(go())
    got = {r["ip"]: r for r in read_observations(tmp_path).to_pylist()}
    assert {got[f"198.18.1.{i + 1}"]["status"] for i in range(30)} == {"protocol_error"}
    crowded = [got[f"198.18.2.{i + 1}"] for i in range(30)]
    assert {r["status"] for r in crowded} == {"truncated"} and {r["model_count"] for r in crowded} == {500}
