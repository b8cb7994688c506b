"""Raw bodies stored once by content hash (issue #15): nothing lost, nothing stored twice, v1 still re-parseable."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import zstandard
from runtime_support import FAST, ollama_sweeps

from llmcensus.observations.bodies import BODY_SCHEMA, BodyStore, body_files, body_hash, read_bodies, resolve_exchanges
from llmcensus.observations.reader import read_observations
from llmcensus.probe.showcache import SHOW_SCHEMA
from llmcensus.store.layout import Layout

FIXTURE = Path(__file__).parent / "fixtures" / "v1_study"
JSON = {"Content-Type": "application/json; charset=utf-8"}


def _tags(digest: str) -> bytes:
    return json.dumps({"models": [{"name": "m:latest", "model": "m:latest", "size": 1000, "digest": digest,
                                   "modified_at": "2026-01-01T00:00:00.123456789Z",
                                   "details": {"format": "gguf", "family": "llama", "parameter_size": "8B",
                                               "quantization_level": "Q4_K_M"}}]}).encode()


SHOW = json.dumps({"system": "be brief", "capabilities": ["completion"], "template": "{{ .Prompt }}",
                   "license": "MIT " * 200, "model_info": {"general.architecture": "llama"}}).encode()
# Two hosts with byte-identical replies, one with its own inventory.
SAME_TAGS, OWN_TAGS = _tags("ab" * 32), _tags("cd" * 32)
HOSTS = {("192.0.2.1", 11434): SAME_TAGS, ("192.0.2.2", 11434): SAME_TAGS, ("192.0.2.3", 11434): OWN_TAGS}
EXPECTED = {"/api/version": b'{"version": "0.12.6"}', "/api/ps": b'{"models":[]}',
            "/api/show": SHOW}


def _sweeps(data: Path, sweeps: list[str], raw_body_cap: int = FAST.raw_body_cap) -> None:
    ollama_sweeps(data, HOSTS, sweeps, SHOW, FAST.with_(raw_body_cap=raw_body_cap))


def _stored(data: Path) -> list[str]:
    files = body_files(Layout(data).bodies)
    return [h for p in files for h in pq.read_table(p, schema=BODY_SCHEMA).column("hash").to_pylist()]


def test_identical_bodies_are_stored_once_and_every_exchange_resolves_to_its_bytes(tmp_path: Path) -> None:
    _sweeps(tmp_path, ["a", "b"])
    obs = read_observations(tmp_path).to_pylist()
    assert len(obs) == 2 * len(HOSTS) and {o["status"] for o in obs} == {"success"}
    stored = _stored(tmp_path)
    assert len(stored) == len(set(stored)), "a body was stored twice"
    # One of each distinct body: version, ps, the show reply, and the two tags lists, whatever the hosts
    # or sweeps that sent them.
    assert sorted(stored) == sorted({body_hash(b) for b in [*EXPECTED.values(), SAME_TAGS, OWN_TAGS]})
    for o, exchanges in zip(obs, resolve_exchanges(tmp_path, obs), strict=True):
        paths = {"/api/version", "/api/tags", "/api/ps"} | ({"/api/show"} if o["sweep_id"] == "a" else set())
        assert exchanges is not None and {ex["path"] for ex in exchanges} == paths  # "b": show data cached
        for ex in exchanges:
            want = HOSTS[(o["ip"], o["port"])] if ex["path"] == "/api/tags" else EXPECTED[ex["path"]]
            assert ex["body"] == want and ex["body_hash"] == body_hash(want) and ex["body_zstd"] is None
    # The show dataset refers to the same store; its body is the /api/show exchange's.
    show = ds.dataset(str(Layout(tmp_path).show), format="parquet", schema=SHOW_SCHEMA).to_table().to_pylist()
    assert len(show) == len(HOSTS) and {r["body_hash"] for r in show} == {body_hash(SHOW)}
    assert {r["body_zstd"] for r in show} == {None}
    assert read_bodies(tmp_path, [body_hash(SHOW)]) == {body_hash(SHOW): SHOW}


def test_the_raw_body_cap_applies_before_hashing(tmp_path: Path) -> None:
    _sweeps(tmp_path, ["a"], raw_body_cap=10)
    obs = read_observations(tmp_path).to_pylist()
    for o, exchanges in zip(obs, resolve_exchanges(tmp_path, obs), strict=True):
        for ex in exchanges or ():
            want = HOSTS[(o["ip"], o["port"])] if ex["path"] == "/api/tags" else EXPECTED[ex["path"]]
            assert ex["body"] == want[:10] and ex["body_hash"] == body_hash(want[:10])
            assert ex["bytes"] == len(want)  # ``bytes`` is still what the host sent
    show = ds.dataset(str(Layout(tmp_path).show), format="parquet", schema=SHOW_SCHEMA).to_table().to_pylist()
    assert {r["body_hash"] for r in show} == {body_hash(SHOW[:10])}


def test_a_reopened_store_knows_what_is_stored(tmp_path: Path) -> None:
    store = BodyStore(tmp_path / "bodies")
    assert store.add(b"x") == (body_hash(b"x"), 1) and store.add(b"x") == (body_hash(b"x"), 0)
    assert store.flush("s") == 1 and store.flush("s") == 0
    again = BodyStore(tmp_path / "bodies")
    assert body_hash(b"x") in again and again.add(b"x")[1] == 0 and again.flush("s") == 0
    again.add(b"y")
    assert again.flush("s") == 1  # a new part next to the first, never over it
    assert sorted(_stored(tmp_path)) == sorted([body_hash(b"x"), body_hash(b"y")])
    assert sorted(read_bodies(tmp_path, [body_hash(b"x"), body_hash(b"y"), "0" * 32]).values()) == [b"x", b"y"]


def test_v1_rows_still_resolve_their_inline_bodies() -> None:
    obs = read_observations(FIXTURE).to_pylist()
    packed = [ex["body_zstd"] for o in obs for ex in o["exchanges"] or ()]
    assert packed and any(p is not None for p in packed)
    unpack = zstandard.ZstdDecompressor()
    for o, exchanges in zip(obs, resolve_exchanges(FIXTURE, obs), strict=True):
        if o["exchanges"] is None:
            assert exchanges is None
            continue
        assert exchanges is not None
        for raw, ex in zip(o["exchanges"], exchanges, strict=True):
            assert raw["body_hash"] is None  # v1: no reference, the body is inline
            want = None if raw["body_zstd"] is None else unpack.decompress(raw["body_zstd"])
            assert ex["body"] == want
