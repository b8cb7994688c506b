"""Sharded sweeps (issue #22): ``scan --shard i/n`` splits the targets by address, and n shards, swept into one folder
or into n folders then ``merge``d, are one sweep: the same observations (as a set) and the same metrics as the
unsharded sweep, on the simulated internet (loopback servers only)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from probe_support import JSON, TAGS_BODY_PATH, TEXT, Persona, ThreadedFleet, compact, ollama_persona

from llmcensus import api
from llmcensus.cli.main import main
from llmcensus.datalock import LOCK_NAME
from llmcensus.errors import ConfigError, DataError, InputError
from llmcensus.observations.manifest import Manifest, list_sweeps
from llmcensus.observations.reader import read_observations
from llmcensus.observations.shard import MAX_SHARDS, Shard, parse_shard, shard_index
from llmcensus.store.layout import PART
from llmcensus.targets.dialmap import write_dial_map
from llmcensus.targets.parse import Target

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = Path(__file__).parent / "fixtures" / "captures"
# One clock for every sweep: ``observed_at`` (and ``day``) are then equal across the runs compared, so the only
# columns left out of the comparison are the measured durations (``TIMING``).
AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SETTINGS = {"read_timeout": 0.3, "per_ip_rate": 0, "loopback_only": True, "flush_records": 7, "concurrency": 8}
PORTS = "11434,8080"
# Wall-clock durations of this run, not properties of the host: ``elapsed_ms`` of the visit and ``ms`` of each
# exchange. Everything else (status, error text, runtime, inventory, show data, body hashes, requests sent,
# observed_at under the fixed clock, observation ids) must be identical.
TIMING = ("elapsed_ms",)
EXCHANGE_TIMING = ("ms",)


@dataclass
class World:
    tmp: Path
    targets: Path
    dial_map: Path
    ips: list[str]

    def scan(self, data: Path, shard: str | None = None, **kw: Any) -> Any:
        return api.scan(self.targets, data_dir=data, sweep_id="s", dial_map=self.dial_map, ports=PORTS,
                        settings=SETTINGS, clock=lambda: AT, shard=shard, **kw)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """64 addresses (48 listed one by one, 16 as a CIDR) x 2 ports, over Ollama (two versions), 401, a web page,
    silent and refused listeners; half the 8080 ports unmapped (blocked: never contacted), a TEST-NET address
    (blocked) and one duplicate line."""
    tmp = tmp_path_factory.mktemp("shard")
    tf = ThreadedFleet()
    show = compact(CAPTURES / "api_show" / "d540ababb6e4.json")
    personas = [
        ollama_persona(compact(TAGS_BODY_PATH), show=lambda _: (200, JSON, show)),
        ollama_persona(compact(CAPTURES / "api_tags" / "14742721f15b.json"), version="0.6.0",
                       show=lambda _: (200, JSON, show)),
        Persona({}, default=(401, TEXT, b"unauthorized")),
        Persona({("GET", "/"): (200, {"Content-Type": "text/html"}, b"<html><title>hi</title></html>")}),
    ]
    for i, persona in enumerate(personas):
        tf.run(tf.fleet.add((f"203.0.113.{240 + i}", 11434), persona))
    tf.run(tf.fleet.add_raw(("203.0.113.250", 11434), "silent"))
    tf.fleet.add_refused(("203.0.113.251", 11434))
    listeners = list(tf.fleet.dial_map.values())
    ips = [f"100.64.1.{i}" for i in range(48)] + [f"100.65.0.{i}" for i in range(16)]
    for i, ip in enumerate(ips):
        tf.fleet.dial_map[(ip, 11434)] = listeners[(0, 0, 1, 2, 3, 0, 1, 5, 0, 2, 4, 5)[i % 12]]
        if i % 2 == 0:
            tf.fleet.dial_map[(ip, 8080)] = listeners[i % 4]
    write_dial_map(tmp / "map.csv", tf.fleet.dial_map)
    targets = tmp / "targets.txt"
    targets.write_text("".join(f"{ip}\n" for ip in ips[:48]) + "100.65.0.0/28\n192.0.2.7:11434\n100.64.1.3:11434\n")
    try:
        yield World(tmp, targets, tmp / "map.csv", ips)
    finally:
        tf.close()


@pytest.fixture(scope="module")
def whole(world: World) -> Path:
    data = world.tmp / "whole"
    world.scan(data)
    return data


@pytest.fixture(scope="module")
def one_folder(world: World) -> Path:
    """The three shards swept one after another into one folder (one writer at a time: the data lock)."""
    data = world.tmp / "one"
    for i in (1, 2, 3):
        world.scan(data, shard=f"{i}/3")
    return data


@pytest.fixture(scope="module")
def three_folders(world: World) -> list[Path]:
    """The three shards swept into three folders, as three machines would."""
    folders = [world.tmp / f"machine{i}" for i in (1, 2, 3)]
    for i, data in enumerate(folders, start=1):
        world.scan(data, shard=f"{i}/3")
    return folders


def rows(data: Path) -> Counter[str]:
    """The observations as a multiset of rows (JSON text), minus the timing columns."""
    table = read_observations(data, sweep_id="s").drop_columns(list(TIMING))
    out: Counter[str] = Counter()
    for row in table.to_pylist():
        for ex in row["exchanges"] or ():
            for name in EXCHANGE_TIMING:
                ex.pop(name)
        out[json.dumps(row, sort_keys=True, default=str)] += 1
    return out


def metrics(data: Path) -> dict[str, Counter[str]]:
    return {name: Counter(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())
            for name, table in api.metrics(data).items()}


# --- the split ---------------------------------------------------------------------------------------------------

ADDRESSES = [f"10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(0, 6000 * 37, 37)] + [
    f"2001:db8::{i:x}" for i in range(1500)]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64])
def test_the_split_is_a_balanced_partition(n: int) -> None:
    members = [[ip for ip in ADDRESSES if Shard(i, n).contains(ip)] for i in range(1, n + 1)]
    assert sorted(ip for shard in members for ip in shard) == sorted(ADDRESSES)  # union = all, no address twice
    expected = len(ADDRESSES) / n
    sigma = (len(ADDRESSES) * (1 / n) * (1 - 1 / n)) ** 0.5
    assert all(abs(len(m) - expected) <= 5 * sigma + 1 for m in members), [len(m) for m in members]


def test_the_split_is_the_documented_hash_and_the_same_in_every_process() -> None:
    """BLAKE2b-64 of the address text, mod n: what docs/sharding.md tells another implementation to compute; and
    not Python's hash(), which a new process salts differently (PYTHONHASHSEED)."""
    for ip in ADDRESSES[:500]:
        assert shard_index(ip, 5) == int.from_bytes(hashlib.blake2b(ip.encode(), digest_size=8).digest(), "big") % 5
    code = ("import sys; from llmcensus.observations.shard import shard_index; "
            "print(','.join(str(shard_index(ip, 7)) for ip in sys.stdin.read().split()))")
    here = ",".join(str(shard_index(ip, 7)) for ip in ADDRESSES)
    for seed in ("1", "2"):
        other = subprocess.run([sys.executable, "-c", code], input=" ".join(ADDRESSES), capture_output=True,
                               text=True, check=True, cwd=ROOT,
                               env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)})
        assert other.stdout.strip() == here


def test_every_port_of_an_address_is_in_the_same_shard() -> None:
    targets = [Target(ip, port) for ip in ADDRESSES[:300] for port in (80, 443, 8080, 11434)]
    shards = [list(Shard(i, 3).select(targets)) for i in (1, 2, 3)]
    assert sum(len(s) for s in shards) == len(targets)
    for s in shards:
        assert len({t.ip for t in s}) * 4 == len(s)
    assert [t for s in shards for t in s if t.ip == ADDRESSES[7]] == [t for t in targets if t.ip == ADDRESSES[7]]


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", f"1/{MAX_SHARDS + 1}", "-1/3", "1/3/5", ""])
def test_a_bad_shard_is_one_clear_line_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          text: str) -> None:
    (tmp_path / "t.txt").write_text("10.0.0.1:11434\n")
    with pytest.raises(ConfigError):
        parse_shard(text)
    capsys.readouterr()
    rc = main(["scan", str(tmp_path / "t.txt"), "--data", str(tmp_path / "d"), "--sweep-id", "s", "--shard", text,
               "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and len(err.splitlines()) == 1 and err.startswith("llmcensus: error: bad ")
    assert "shard" in err
    assert not (tmp_path / "d" / "observations").exists() and not (tmp_path / "d" / "sweeps").exists()


def test_a_shard_needs_an_explicit_sweep_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.txt").write_text("10.0.0.1:11434\n")
    capsys.readouterr()
    rc = main(["scan", str(tmp_path / "t.txt"), "--data", str(tmp_path / "d"), "--shard", "1/2", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and "needs --sweep-id" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "d" / "sweeps").exists()


def test_part_names_carry_the_shard_and_parse_one_way() -> None:
    m = PART.match("part-2026.03-02_a~s12of400-000123.parquet")
    assert m is not None and (m["sweep"], m["shard"], m["shards"], m["seq"]) == ("2026.03-02_a", "12", "400", "000123")
    m = PART.match("part-2026.03-02_a-000123.parquet")
    assert m is not None and m["sweep"] == "2026.03-02_a" and m["shard"] is None
    assert PART.match("part-s~s0of3-000000.parquet") is None  # shards count from 1


# --- one sweep, however it was swept ------------------------------------------------------------------------------

def test_three_shards_into_one_folder_are_the_unsharded_sweep(world: World, whole: Path, one_folder: Path) -> None:
    reference = rows(whole)
    assert sum(reference.values()) == len(world.ips) * 2 + 1  # x 2 ports, + TEST-NET; the duplicate line is dropped
    assert rows(one_folder) == reference
    w, m = Manifest.read(whole, "s"), Manifest.read(one_folder, "s")
    assert m.complete and m.shards == {"count": 3, "present": [1, 2, 3], "missing": [], "complete": [1, 2, 3]}
    assert (m.observations, m.counts, m.targets_total) == (w.observations, w.counts, w.targets_total)
    runs = [e["last_run"] for e in m.extra["by_shard"].values()]
    for counter in ("targets", "requests", "show_fetched", "skipped_resume"):  # the same work, split three ways
        assert sum(r[counter] for r in runs) == w.extra["last_run"][counter], counter
    assert list_sweeps(one_folder) == ["s"]
    shards = [Manifest.read_shard(one_folder, "s", (i, 3)) for i in (1, 2, 3)]
    assert all(s.targets_total for s in shards)  # each shard counted its own targets, not the file's
    assert sum(s.targets_total or 0 for s in shards) == w.targets_total
    names = {p.rsplit("/", 1)[1] for p in m.parts}
    assert all("~s" in n and PART.match(n) for n in names) and len(names) == len(m.parts)
    assert metrics(one_folder) == metrics(whole)


def test_three_folders_merged_are_the_unsharded_sweep(world: World, whole: Path, three_folders: list[Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    dest = world.tmp / "merged"
    sources = [str(three_folders[0]), three_folders[1].as_uri(), str(three_folders[2])]  # file:// through pyarrow
    capsys.readouterr()
    assert main(["merge", *sources, "--data", str(dest), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["copied"] > 0 and done["skipped"] == 0 and done["sweeps"] == ["s"] and not done["ignored"]
    assert rows(dest) == rows(whole)
    assert Manifest.read(dest, "s").complete
    assert metrics(dest) == metrics(whole)
    # and the store and the report work on it as on an unsharded folder
    assert api.store_update(dest).as_dict()["visits"] == api.store_update(whole).as_dict()["visits"]
    assert (api.report(dest).out_dir / "report.html").exists()


def test_merge_is_idempotent_and_refuses_a_conflicting_file(world: World, three_folders: list[Path]) -> None:
    dest = world.tmp / "again"
    first = api.merge(three_folders, dest)
    again = api.merge(three_folders, dest)
    assert again.copied == 0 and again.skipped == first.copied + first.skipped
    clash = world.tmp / "clash"
    api.merge([three_folders[0]], clash)
    victim = next((clash / "observations").glob("*/part-*.parquet"))
    victim.write_bytes(victim.read_bytes()[:-1] + b"!")
    before = sorted(p.name for p in clash.rglob("*"))
    with pytest.raises(DataError, match=victim.name):
        api.merge(three_folders, clash)
    assert sorted(p.name for p in clash.rglob("*")) == before  # refused before anything was copied


def test_the_merged_view_is_incomplete_while_a_shard_is_missing(world: World, three_folders: list[Path]) -> None:
    dest = world.tmp / "partial"
    api.merge([three_folders[0], three_folders[2]], dest)
    m = Manifest.read(dest, "s")
    assert not m.complete and m.finished_at is None
    assert m.shards == {"count": 3, "present": [1, 3], "missing": [2], "complete": [1, 3]}
    parts = [Manifest.read(f, "s") for f in (three_folders[0], three_folders[2])]
    assert m.observations == sum(p.observations for p in parts) == len(read_observations(dest, sweep_id="s"))
    assert m.started_at == min(p.started_at or "" for p in parts)
    api.merge([three_folders[1]], dest)
    done = Manifest.read(dest, "s")
    assert done.complete and done.shards is not None and done.shards["missing"] == []
    ends = [Manifest.read_shard(f, "s", (i, 3)).finished_at for i, f in enumerate(three_folders, start=1)]
    assert done.finished_at == max(e or "" for e in ends) and all(ends)


def test_merge_refuses_a_sweep_split_two_ways_and_an_unknown_layout(world: World, whole: Path,
                                                                     three_folders: list[Path]) -> None:
    with pytest.raises(DataError, match="split two ways"):  # 's' unsharded in one, 3 shards in the others
        api.merge([whole, three_folders[0]], world.tmp / "mixed")
    odd = world.tmp / "odd"
    api.merge([three_folders[0]], odd)
    (odd / "sweeps" / "s" / "notes.txt").write_text("?")
    with pytest.raises(DataError, match="unknown sweep layout"):
        api.merge([odd], world.tmp / "odd-dest")
    newer = world.tmp / "newer"
    api.merge([three_folders[0]], newer)
    path = newer / "sweeps" / "s" / "manifest-shard-1-of-3.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "schema_version": 99}))
    with pytest.raises(DataError, match="schema v99"):
        api.merge([newer], world.tmp / "newer-dest")
    (world.tmp / "empty").mkdir()
    with pytest.raises(InputError, match="not a data folder"):
        api.merge([world.tmp / "empty"], world.tmp / "empty-dest")
    with pytest.raises(InputError, match="not a folder"):
        api.merge([world.tmp / "no-such-folder"], world.tmp / "empty-dest")
    assert {p.name for p in (world.tmp / "empty-dest").iterdir()} <= {LOCK_NAME}  # nothing was copied


def test_resume_is_per_shard_and_a_sweep_is_split_one_way(world: World, tmp_path: Path) -> None:
    data = tmp_path / "d"
    first = world.scan(data, shard="2/3")
    again = world.scan(data, shard="2/3", resume=True)
    assert again.skipped_resume == first.written + first.skipped_resume and again.written == 0
    m = Manifest.read_shard(data, "s", (2, 3))
    assert m.runs == 2 and m.complete and m.observations == first.written
    view = Manifest.read(data, "s")
    assert not view.complete and view.shards is not None and view.shards["missing"] == [1, 3]
    with pytest.raises(ConfigError, match="already exists"):
        world.scan(data, shard="2/3")
    with pytest.raises(ConfigError, match="split into 3 shards"):
        world.scan(data, shard="1/2")
    with pytest.raises(ConfigError, match="is sharded"):
        world.scan(data)
    third = world.scan(data, shard="3/3", resume=True)  # --resume of a shard never started: starts it
    assert third.written > 0 and Manifest.read_shard(data, "s", (3, 3)).observations == third.written


def test_a_crashed_shard_resumes_alone_in_a_shared_folder(world: World, one_folder: Path, tmp_path: Path) -> None:
    """Shard 2 loses its last parts (as if killed before writing them) in a folder that holds all three shards:
    ``--resume`` of shard 2 rewrites just those rows, and the other shards' files are not touched."""
    data = tmp_path / "d"
    shutil.copytree(one_folder, data)
    ours = sorted(data.glob("observations/*/part-s~s2of3-*.parquet"))
    assert len(ours) >= 3
    for p in ours[-2:]:
        p.unlink()
    (ours[0].parent / f".{ours[-1].name}.tmp").write_bytes(b"half a part")  # left by the kill
    others = {p: p.read_bytes() for p in data.rglob("part-*") if "~s2of3" not in p.name}
    lost = len(rows(one_folder)) - len(rows(data))
    assert lost > 0
    again = world.scan(data, shard="2/3", resume=True)
    assert again.written == lost
    assert rows(data) == rows(one_folder)
    assert {p: p.read_bytes() for p in data.rglob("part-*") if "~s2of3" not in p.name} == others
    assert not list(data.glob("observations/*/.part-*.tmp"))
    assert Manifest.read(data, "s").complete and Manifest.read_shard(data, "s", (2, 3)).runs == 2


def test_a_merged_view_is_never_written(tmp_path: Path) -> None:
    for i in (1, 2):
        Manifest("s", shard={"index": i, "count": 2}, observations=i, parts=[f"p{i}"]).write(tmp_path)
    view = Manifest.read(tmp_path, "s")
    assert view.observations == 3 and view.parts == ["p1", "p2"]
    with pytest.raises(DataError, match="not a manifest to write"):
        view.write(tmp_path)
    assert sorted(p.name for p in (tmp_path / "sweeps" / "s").iterdir()) == [
        "manifest-shard-1-of-2.json", "manifest-shard-2-of-2.json"]


def test_the_observations_dataset_reads_as_one_table(world: World, one_folder: Path) -> None:
    """pyarrow reads the folder as-is, shard parts included (the names are plain file names)."""
    import pyarrow.dataset as ds

    table = ds.dataset(str(one_folder / "observations"), format="parquet").to_table(columns=["observation_id"])
    assert isinstance(table, pa.Table) and table.num_rows == len(set(table.column(0).to_pylist()))
    assert table.num_rows == len(world.ips) * 2 + 1
