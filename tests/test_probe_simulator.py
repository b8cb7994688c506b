"""End to end against the simulated internet: real FleetServer + wire layer, hand-built HostViews.

Covers every ``Behaviour`` and Ollama versions straddling each field boundary (protocols.md §1.13):
exactly one observation per target; runtime, version, inventory and status as the views say; the
server's request log shows only allowlisted requests, within budget, and nothing for blocked targets.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("llmcensus.simulate.wire")

from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import SweepSummary, run_sweep
from llmcensus.probe.runtimes import ALLOWLIST
from llmcensus.probe.settings import ProbeSettings
from llmcensus.simulate.serve import FleetServer
from llmcensus.simulate.views import Behaviour, HostView, ModelView, RunningView
from llmcensus.simulate.wire import build_show, respond
from llmcensus.targets.parse import Target

NOW_NS = time.time_ns()
SETTINGS = ProbeSettings(connect_timeout=1.0, read_timeout=0.8, total_timeout=10.0, per_ip_rate=0,
                         loopback_only=True, concurrency=64)
VERSIONS = ["0.1.10", "0.1.20", "0.1.32", "0.1.45", "0.3.0", "0.5.7", "0.6.4", "0.7.0", "0.9.6", "0.10.0",
            "0.12.6", "0.24.0", "0.30.0", "0.33.0", "0.0.0"]


def vt(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def model(i: int, family: str = "llama", caps: tuple[str, ...] = ("completion", "tools")) -> ModelView:
    name = f"lib{i}:latest"
    digest = f"{i + 1:064x}"
    show = build_show(name, family, (family,), "8.0B", "Q4_K_M", caps, digest=digest)
    return ModelView(name=name, digest=digest, size=4_000_000_000 + i, modified_at_ns=NOW_NS - i * 86_400 * 10**9,
                     format="gguf", family=family, families=(family,), parameter_size="8.0B",
                     quantization_level="Q4_K_M", context_length=131072, embedding_length=4096, capabilities=caps,
                     show=show)


def views() -> list[HostView]:
    out: list[HostView] = []
    hid = 0

    def add(behaviour: Behaviour, version: str = "0.12.6", **kw: Any) -> None:
        nonlocal hid
        hid += 1
        out.append(HostView(host_id=hid, ip=f"100.64.{hid // 200}.{hid % 200 + 1}", port=11434, scheme="http",
                            behaviour=behaviour, version=version, tz_offset_min=120, **kw))

    shared = (model(1), model(2))
    for v in VERSIONS:
        models = (*shared, model(10 + hid))
        add(Behaviour.OLLAMA, v, models=models,
            running=(RunningView(models[0], 5_000_000_000, 5_000_000_000, NOW_NS + 300 * 10**9, 4096),))
    add(Behaviour.OLLAMA, "0.12.6", models=())
    add(Behaviour.OLLAMA, "0.5.7", models=shared, proxy="nginx")
    add(Behaviour.HONEYPOT, "0.9.0", models=shared)
    add(Behaviour.LOCALAI, "0.9.0", models=(model(3),))
    add(Behaviour.LLAMA_CPP, models=(model(4),))
    add(Behaviour.SGLANG, models=(model(5),))
    add(Behaviour.OPEN_WEBUI)
    add(Behaviour.KOBOLDCPP, models=(model(6),))
    add(Behaviour.AUTH_401)
    add(Behaviour.AUTH_403)
    add(Behaviour.SILENT)
    add(Behaviour.REFUSED)
    add(Behaviour.GARBAGE)
    return out


EXPECTED: dict[Behaviour, tuple[str, str | None]] = {
    Behaviour.OLLAMA: ("success", "ollama"),
    Behaviour.HONEYPOT: ("success", "ollama"),  # the probe records; analysis across hosts calls it a honeypot
    Behaviour.LOCALAI: ("success", "localai"),
    Behaviour.LLAMA_CPP: ("success", "llama_cpp"),
    Behaviour.SGLANG: ("success", "sglang"),
    Behaviour.OPEN_WEBUI: ("success", "open_webui"),
    Behaviour.KOBOLDCPP: ("success", "koboldcpp"),
    Behaviour.AUTH_401: ("auth_required", "unknown"),
    Behaviour.AUTH_403: ("auth_required", "unknown"),
    Behaviour.SILENT: ("read_timeout", None),
    Behaviour.REFUSED: ("connection_refused", None),
    Behaviour.GARBAGE: ("protocol_error", None),
}


def test_simulated_fleet_matches_views(tmp_path: Path) -> None:
    fleet_views = views()

    async def main() -> tuple[SweepSummary, Any, dict[tuple[str, int], tuple[str, int]]]:
        server = FleetServer(respond)
        await server.start(fleet_views)
        try:
            targets = [Target(v.ip, v.port) for v in fleet_views] + [Target("127.0.0.1", 11434)]
            w = ObservationWriter(tmp_path, "sim")
            summary = await run_sweep(targets, SETTINGS, w, dial_map=server.dial_map)
            w.close(complete=True)
            return summary, server.request_log, server.dial_map
        finally:
            await server.stop()

    summary, log, dial_map = asyncio.run(main())
    got = {r["ip"]: r for r in read_observations(tmp_path).to_pylist()}
    assert len(got) == len(fleet_views) + 1 == summary.written
    assert got["127.0.0.1"]["status"] == "blocked"
    by_ip = {v.ip: v for v in fleet_views}
    for ip, v in by_ip.items():
        r = got[ip]
        status, runtime = EXPECTED[v.behaviour]
        assert (r["status"], r["runtime"]) == (status, runtime), (v.behaviour, v.version, r["error"],
                                                                  r["runtime_evidence"])
        if v.behaviour is Behaviour.OLLAMA:
            if vt(v.version) >= (0, 1, 14) or v.version == "0.0.0":
                assert r["version"] == v.version
            assert [m["name"] for m in r["models"]] == [m.name for m in v.models]
            for m, mv in zip(r["models"], v.models, strict=True):
                assert (m["digest"], m["size"]) == (mv.digest, mv.size)
                assert m["show_status"] in ("fetched", "cached")
                if vt(v.version) >= (0, 1, 15) or v.version == "0.0.0":
                    assert (m["family"], m["parameter_size"], m["quantization_level"]) == (
                        mv.family, mv.parameter_size, mv.quantization_level)
                else:
                    assert m["family"] is None  # no details before v0.1.15: unknown, not empty
            assert (r["proxied"] is True) == (v.proxy == "nginx")
            if r["running"] is not None:
                assert [x["name"] for x in r["running"]] == [x.model.name for x in v.running]
    # the request log proves politeness
    per_host: dict[str, int] = {}
    for entry in log:
        assert (entry.method, entry.path) in ALLOWLIST, entry
        per_host[entry.public_ip] = per_host.get(entry.public_ip, 0) + 1
    assert max(per_host.values()) <= SETTINGS.request_budget
    assert "127.0.0.1" not in per_host
    assert {(v.ip, v.port) for v in fleet_views} <= set(dial_map)
