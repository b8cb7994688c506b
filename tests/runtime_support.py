"""Shared by the runtime tests: fast settings and sweeps of loopback personas through the real engine."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from probe_support import JSON, Persona, fleet, ollama_persona

from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import run_sweep
from llmcensus.probe.runtimes import ALLOWLIST
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.showcache import ShowCache
from llmcensus.store.layout import Layout
from llmcensus.targets.parse import Target

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes"
FAST = ProbeSettings(connect_timeout=1.0, read_timeout=0.6, total_timeout=5.0, per_ip_rate=0, loopback_only=True,
                     concurrency=20)
UVICORN_404 = (404, {"Server": "uvicorn", **JSON}, b'{"detail":"Not Found"}')  # FastAPI's unknown path
Log = list[tuple[str, str, str]]  # (Host header, method, path) as the servers saw them


def _sweep(personas: dict[tuple[str, int], Persona], data: Path, settings: ProbeSettings) -> Log:
    async def main() -> Log:
        async with fleet() as f:
            for public, persona in personas.items():
                await f.add(public, persona)
            writer = ObservationWriter(data, "s1")
            summary = await run_sweep([Target(ip, port) for ip, port in personas], settings, writer,
                                      dial_map=f.dial_map)
            writer.close(complete=not summary.interrupted)
            return list(f.log)

    return asyncio.run(main())


def ollama_sweeps(data: Path, hosts: dict[tuple[str, int], bytes], sweeps: list[str], show: bytes,
                  settings: ProbeSettings = FAST) -> None:
    """One sweep per id in ``sweeps`` of Ollama hosts (``/api/tags`` body per (ip, port); every ``/api/show``
    answers ``show``), each with its show cache sharing the writer's body store, as ``scan()`` wires them."""

    async def go() -> None:
        async with fleet() as f:
            for public, tags in hosts.items():
                await f.add(public, ollama_persona(tags, version="0.12.6", show=lambda _: (200, JSON, show)))
            for sweep_id in sweeps:
                w = ObservationWriter(data, sweep_id)
                cache = ShowCache(Layout(data).show, raw_body_cap=settings.raw_body_cap, bodies=w.bodies)
                await run_sweep([Target(*h) for h in hosts], settings, w, dial_map=f.dial_map, show_cache=cache,
                                clock=lambda: datetime(2026, 3, 1, 12, tzinfo=UTC))
                w.close(complete=True)

    asyncio.run(go())


def sweep(servers: dict[tuple[str, int], Persona], data: Path,
          settings: ProbeSettings = FAST) -> tuple[dict[tuple[str, int], dict[str, Any]], Log]:
    """Sweep the personas through real HTTP: (observation per (ip, port), request log)."""
    log = _sweep(servers, data, settings)
    return {(r["ip"], r["port"]): r for r in read_observations(data).to_pylist()}, log


def scan_fleet(personas: dict[tuple[str, int], Persona], data: Path,
               settings: ProbeSettings = FAST) -> tuple[dict[str, dict[str, Any]], Log]:
    """Sweep the personas (one port each) through real HTTP: (observation per ip, request log).

    Every request the servers saw must be on the allowlist and within the per-host budget."""
    log = _sweep(personas, data, settings)
    rows: dict[str, dict[str, Any]] = {}
    for r in read_observations(data).to_pylist():
        assert r["ip"] not in rows, "two observations for one target"
        rows[r["ip"]] = r
    assert len(rows) == len(personas)
    for host, method, path in log:
        assert (method, path) in ALLOWLIST, (host, method, path)
    for host in {h for h, _, _ in log}:
        assert sum(h == host for h, _, _ in log) <= settings.request_budget, host
    return rows, log


def fixture(runtime: str, name: str) -> bytes:
    """A fixture body exactly as stored (``tests/fixtures/runtimes/<runtime>/<name>``)."""
    return (FIXTURES / runtime / name).read_bytes()


def model_ids(row: dict[str, Any]) -> list[str] | None:
    return [m["name"] for m in row["models"]] if row["models"] is not None else None


def runtime_data(row: dict[str, Any]) -> dict[str, Any]:
    text = row["runtime_data"]
    return json.loads(text)[row["runtime"]] if text else {}
