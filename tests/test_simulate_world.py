"""The population model: determinism, version-faithful views, the fast path's schema, ground truth files."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcensus.observations.schema import OBSERVATION_SCHEMA
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.truth import write_truth
from llmcensus.simulate.versions import parse_version
from llmcensus.simulate.views import Behaviour, Request
from llmcensus.simulate.wire import respond
from llmcensus.simulate.world import World, build_world

SMALL = Params(hosts=300, days=5, seed=11)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(SMALL)


def _replies(world: World, day: int) -> bytes:
    """Every view's answers to the probe's requests, concatenated."""
    digest = hashlib.sha256()
    now = world.epoch0_ns + day * 86_400 * 10**9
    for view in world.views(day):
        if view.behaviour in (Behaviour.REFUSED, Behaviour.SILENT, Behaviour.GARBAGE):
            digest.update(f"{view.host_id}:{view.behaviour}".encode())
            continue
        for method, path, body in (("GET", "/api/version", b""), ("GET", "/api/tags", b""), ("GET", "/api/ps", b"")):
            reply = respond(view, Request(method, path, {}, body), now)
            assert reply is not None
            digest.update(f"{reply.status}".encode() + b"".join(k.encode() + v.encode() for k, v in reply.headers))
            digest.update(reply.body)
    return digest.digest()


def test_same_seed_gives_identical_reply_bytes(world: World) -> None:
    again = build_world(SMALL)
    assert _replies(world, 2) == _replies(again, 2)


def test_another_seed_gives_another_world(world: World) -> None:
    other = build_world(Params(hosts=300, days=5, seed=12))
    assert [v.ip for v in other.views(0)] != [v.ip for v in world.views(0)]


def test_views_answer_with_the_version_of_the_day(world: World) -> None:
    for view in world.views(1):
        if view.behaviour is not Behaviour.OLLAMA:
            continue
        reply = respond(view, Request("GET", "/api/version", {}, b""), world.epoch0_ns)
        assert reply is not None
        if parse_version(view.version) >= (0, 1, 14):
            assert json.loads(reply.body) == {"version": view.version}
        else:
            assert reply.status == 404


def test_every_target_has_one_expected_record(world: World) -> None:
    for day in range(SMALL.days):
        expected = world.expected(day)
        targets = world.targets(day)
        assert expected.num_rows == len(targets) == len(set(targets))
        statuses = Counter(expected.column("status").to_pylist())
        assert statuses["success"] > 0
        # outages and refusing decoys are exactly the views that do not listen
        refused = sum(1 for v in world.views(day) if v.behaviour is Behaviour.REFUSED)
        assert statuses["connection_refused"] == refused


def test_addresses_are_public_and_unique(world: World) -> None:
    from llmcensus.targets.blocklist import Blocklist

    blocklist = Blocklist.default()
    ips = [ip for ip, _ in world.targets(0)]
    assert len(ips) == len(set(ips))
    assert not any(ip in blocklist for ip in ips)


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


def test_fast_path_is_deterministic_and_in_the_probe_schema(world: World, tmp_path: Path) -> None:
    summary = write_fastpath(world, tmp_path / "a")
    write_fastpath(build_world(SMALL), tmp_path / "b")
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    parts = sorted((tmp_path / "a" / "observations").rglob("*.parquet"))
    assert len(parts) == SMALL.days
    total = 0
    for part in parts:
        table = pq.read_table(part)
        assert table.schema.equals(OBSERVATION_SCHEMA, check_metadata=False)
        total += table.num_rows
    assert total == summary.observations == sum(world.expected(d).num_rows for d in range(SMALL.days))


def test_fast_path_rows_match_the_expected_records(world: World, tmp_path: Path) -> None:
    write_fastpath(world, tmp_path)
    day = 3
    date = SMALL.start.toordinal() + day
    from datetime import date as date_cls

    iso = date_cls.fromordinal(date).isoformat()  # whichever folder layout the store uses, the day is in the path
    part = next(p for p in (tmp_path / "observations").rglob("*.parquet") if iso in str(p.relative_to(tmp_path)))
    rows = {(r["ip"], r["port"]): r for r in pq.read_table(part).to_pylist()}
    for exp in world.expected(day).to_pylist():
        got = rows[(exp["ip"], exp["port"])]
        assert got["status"] == exp["status"]
        assert got["runtime"] == exp["runtime"]
        assert got["version"] == exp["version"]
        if exp["model_names"] is not None:
            assert sorted(m["name"] for m in got["models"]) == exp["model_names"]


def test_truth_files_are_written(world: World, tmp_path: Path) -> None:
    d = write_truth(world, tmp_path)
    hosts = pq.read_table(d / "hosts.parquet")
    assert hosts.num_rows == world.hosts.n
    metrics = json.loads((d / "metrics.json").read_text())
    assert metrics["all"]["unique_hosts"] >= metrics["unflagged"]["unique_hosts"]
    assert 0 < metrics["all"]["system_prompt_visible_share"] < 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**62), st.sampled_from([0, 480, -420, 330, 60, -180, 345])), min_size=1,
                max_size=20))
def test_vectorised_timestamps_match_go_formatting(values: list[tuple[int, int]]) -> None:
    import numpy as np

    from llmcensus.simulate.fastpath import rfc3339nano_many
    from llmcensus.simulate.wire.gojson import rfc3339nano

    ns = np.array([v for v, _ in values], dtype=np.int64)
    off = np.array([o for _, o in values], dtype=np.int64)
    assert list(rfc3339nano_many(ns, off)) == [rfc3339nano(int(v), int(o)) for v, o in values]


def test_params_round_trip_through_json_builds_the_same_world() -> None:
    """The fleet's child process rebuilds the world from JSON: it must be the very same world."""
    from llmcensus.simulate.params import params_from_json

    p = Params(hosts=120, days=3, seed=5)
    q = params_from_json(p.to_json())
    assert q == p
    a, b = build_world(p), build_world(q)
    assert a.targets(1) == b.targets(1)
    assert (a.inventory.spec == b.inventory.spec).all()
