"""Hostile replies over real HTTP (garbage JSON, wrong types, huge bodies): always a status, never a crash."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from probe_support import JSON, TEXT, Persona, fleet

from llmcensus.observations.reader import read_observations
from llmcensus.observations.schema import Status
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import run_sweep
from llmcensus.probe.settings import ProbeSettings
from llmcensus.targets.parse import Target

SETTINGS = ProbeSettings(connect_timeout=1.0, read_timeout=1.0, per_ip_rate=0, loopback_only=True, concurrency=4,
                         max_response_bytes=4096)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["models", "name", "digest", "size", "details", "family", "version", "modified_at",
                         "families", "capabilities", "model_info", "template", "expires_at"]), inner, max_size=5),
    max_leaves=20,
)
BODIES = st.one_of(
    st.binary(max_size=200),
    VALUES.map(lambda v: json.dumps(v).encode()),
    VALUES.map(lambda v: json.dumps({"models": [v, {"name": "x", "digest": "a" * 64, "details": v}]}).encode()),
    st.integers(min_value=4000, max_value=20000).map(lambda n: b'{"models":[' + b" " * n + b"]}"),
)
STATUSES = st.sampled_from([200, 200, 200, 204, 301, 400, 401, 403, 404, 405, 418, 500, 503])


@settings(max_examples=25, deadline=None)
@given(root=BODIES, version=BODIES, tags=BODIES, ps=BODIES, show=BODIES, code=STATUSES,
       ctype=st.sampled_from([JSON, TEXT, {"Content-Type": "application/octet-stream"}]))
def test_hostile_host_yields_one_record_with_a_status(
    root: bytes, version: bytes, tags: bytes, ps: bytes, show: bytes, code: int,
    ctype: dict[str, str],
) -> None:
    data = Path(tempfile.mkdtemp(prefix="hostile-"))
    persona = Persona({("GET", "/"): (200, TEXT, root), ("GET", "/api/version"): (200, ctype, version),
                       ("GET", "/api/tags"): (code, ctype, tags), ("GET", "/api/ps"): (200, JSON, ps)},
                      show=lambda _: (200, JSON, show))

    async def main() -> None:
        async with fleet() as f:
            await f.add(("192.0.2.1", 11434), persona)
            w = ObservationWriter(data, "h")
            summary = await run_sweep([Target("192.0.2.1", 11434)], SETTINGS, w, dial_map=f.dial_map)
            w.close(complete=True)
            assert summary.written == 1

    try:
        asyncio.run(main())
        (row,) = read_observations(data).to_pylist()
    finally:
        shutil.rmtree(data, ignore_errors=True)
    assert row["status"] in {s.value for s in Status} and row["status"] != "unknown_error", row["error"]
    assert row["requests"] <= SETTINGS.request_budget
    if row["status"] == "success":
        assert row["runtime"] not in (None, "unknown")
    if row["models"] is not None:
        assert row["model_count"] == len(row["models"])
