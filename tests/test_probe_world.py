"""Issue #3 acceptance 1 and 2: sweep the 2,000-host simulated world and compare with its ground truth.

One observation per target; status, runtime, version and inventory equal ``world.expected(day)``
(honeypots, look-alikes, auth-protected, silent and refusing hosts included); the server's request log
shows only allowlisted (method, path), never more than the budget per host, and nothing sent to
blocked targets.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

world_mod = pytest.importorskip("llmcensus.simulate.world")

from llmcensus.observations.reader import read_observations  # noqa: E402
from llmcensus.observations.writer import ObservationWriter  # noqa: E402
from llmcensus.probe.engine import SweepSummary, run_sweep  # noqa: E402
from llmcensus.probe.runtimes import ALLOWLIST  # noqa: E402
from llmcensus.probe.settings import ProbeSettings  # noqa: E402
from llmcensus.simulate.params import Params  # noqa: E402
from llmcensus.simulate.serve import FleetServer  # noqa: E402
from llmcensus.simulate.wire import respond  # noqa: E402
from llmcensus.targets.parse import Target  # noqa: E402

SETTINGS = ProbeSettings(concurrency=400, connect_timeout=2.0, read_timeout=1.5, loopback_only=True)
BLOCKED = [Target("127.0.0.1", 11434), Target("10.1.2.3", 11434), Target("192.168.1.1", 80)]


@pytest.mark.slow
def test_world_sweep_matches_ground_truth(tmp_path: Path) -> None:
    world = world_mod.build_world(Params(hosts=2000, days=14, seed=7))
    day = 0
    views = world.views(day)
    expected = {(r["ip"], r["port"]): r for r in world.expected(day).to_pylist()}

    async def main() -> tuple[SweepSummary, Any]:
        server = FleetServer(respond)
        await server.start(views)
        try:
            targets = [Target(v.ip, v.port, v.scheme) for v in views] + BLOCKED
            w = ObservationWriter(tmp_path, "day0")
            summary = await run_sweep(targets, SETTINGS, w, dial_map=server.dial_map)
            w.close(complete=True)
            return summary, server.request_log
        finally:
            await server.stop()

    summary, log = asyncio.run(main())
    rows = read_observations(tmp_path).to_pylist()
    got = {(r["ip"], r["port"]): r for r in rows}
    assert len(rows) == len(got) == len(views) + len(BLOCKED) == summary.written
    mismatches: list[str] = []
    for key, exp in expected.items():
        r = got[key]
        names = sorted(m["name"] for m in r["models"]) if r["models"] is not None else None
        want = (exp["status"], exp["runtime"], exp["version"])
        have = (r["status"], r["runtime"] if exp["runtime"] is not None else None,
                r["version"] if exp["version"] is not None else None)
        if want != have or (exp["model_names"] is not None and names != exp["model_names"]):
            mismatches.append(f"{exp['behaviour']} {key}: want {want} {exp['model_names']}, got {have} {names} "
                              f"({r['error']}; {r['runtime_evidence']})")
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:20])
    for t in BLOCKED:
        assert got[(t.ip, t.port)]["status"] == "blocked"
    per_host: Counter[tuple[str, int]] = Counter()
    for entry in log:
        assert (entry.method, entry.path) in ALLOWLIST, entry
        per_host[(entry.public_ip, entry.public_port)] += 1
    assert max(per_host.values()) <= SETTINGS.request_budget
    assert not {(t.ip, t.port) for t in BLOCKED} & set(per_host)
    statuses = Counter(r["status"] for r in rows)
    assert statuses["success"] > 0.8 * len(views)
