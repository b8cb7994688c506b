"""The observation writer: atomic day-partitioned parts, never rewritten, resumable, manifest counts."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llmcensus.errors import ConfigError, DataError, SchemaVersionError
from llmcensus.observations.manifest import Manifest, list_sweeps
from llmcensus.observations.reader import committed_state, read_observations, sweep_parts
from llmcensus.observations.schema import OBSERVATION_SCHEMA, SCHEMA_VERSION
from llmcensus.observations.writer import ObservationWriter, observation_id, write_parquet_atomic
from llmcensus.probe.record import blocked_row
from llmcensus.targets.parse import Target

T0 = datetime(2026, 3, 1, 23, 59, 0, tzinfo=UTC)


def row(sweep: str, i: int, when: datetime = T0) -> dict[str, Any]:
    return blocked_row(sweep_id=sweep, target=Target(f"198.51.100.{i % 250}", 11434 + i // 250), observed_at=when,
                       reason="test")


def test_observation_id_is_stable() -> None:
    assert observation_id("s", "1.2.3.4", 11434) == observation_id("s", "1.2.3.4", 11434)
    assert len(observation_id("s", "1.2.3.4", 11434)) == 24
    assert observation_id("s", "1.2.3.4", 11434) != observation_id("t", "1.2.3.4", 11434)


def test_parts_are_partitioned_by_day_and_counted(tmp_path: Path) -> None:
    w = ObservationWriter(tmp_path, "s1", flush_records=7, settings={"concurrency": 3})
    for i in range(20):
        w.write(row("s1", i, T0 + timedelta(seconds=30 * i)))  # crosses midnight
    m = w.close(complete=True)
    days = sorted(p.name for p in (tmp_path / "observations").iterdir())
    assert days == ["2026-03-01", "2026-03-02"]
    t = read_observations(tmp_path)
    assert t.num_rows == 20 and len(set(t.column("observation_id").to_pylist())) == 20
    for r in t.to_pylist():
        assert r["day"] == r["observed_at"].date()
    assert m.counts == {"blocked": 20} and m.observations == 20 and m.complete
    assert m.parts == [str(p.relative_to(tmp_path)) for p in sweep_parts(tmp_path, "s1")]
    on_disk = Manifest.read(tmp_path, "s1")
    assert on_disk.settings == {"concurrency": 3} and on_disk.schema_version == SCHEMA_VERSION
    assert list_sweeps(tmp_path) == ["s1"]
    assert pq.read_schema(tmp_path / m.parts[0]).metadata[b"llmcensus.schema_version"] == str(SCHEMA_VERSION).encode()


def test_duplicates_are_dropped(tmp_path: Path) -> None:
    w = ObservationWriter(tmp_path, "s1", flush_records=3)
    assert w.write(row("s1", 1)) and not w.write(row("s1", 1))
    w.flush()
    assert not w.write(row("s1", 1))
    w.close(complete=True)
    assert read_observations(tmp_path).num_rows == 1


def test_existing_sweep_needs_resume_and_resume_skips_committed(tmp_path: Path) -> None:
    w = ObservationWriter(tmp_path, "s1", flush_records=5)
    for i in range(12):
        w.write(row("s1", i))
    w.flush()  # 12 committed
    w.write(row("s1", 12))  # buffered only: lost by a "crash"
    # simulate kill -9: no close(); also leave a half-written temp part behind
    day_dir = tmp_path / "observations" / "2026-03-01"
    (day_dir / ".part-s1-000099.parquet.tmp").write_bytes(b"PAR1 half")
    with pytest.raises(ConfigError):
        ObservationWriter(tmp_path, "s1")
    r = ObservationWriter(tmp_path, "s1", resume=True, flush_records=5)
    assert len(r.committed) == 12 and r.manifest.counts == {"blocked": 12} and r.manifest.runs == 2
    assert not (day_dir / ".part-s1-000099.parquet.tmp").exists()
    written = [r.write(row("s1", i)) for i in range(20)]
    assert written.count(True) == 8
    r.close(complete=True)
    t = read_observations(tmp_path, sweep_id="s1")
    assert t.num_rows == 20 and len(set(t.column("observation_id").to_pylist())) == 20
    assert Manifest.read(tmp_path, "s1").observations == 20


def test_parts_are_never_overwritten(tmp_path: Path) -> None:
    table = pa.Table.from_pylist([row("s1", 1)], schema=OBSERVATION_SCHEMA)
    path = tmp_path / "x" / "part-s1-000000.parquet"
    write_parquet_atomic(table, path)
    before = path.stat().st_mtime_ns
    with pytest.raises(DataError):
        write_parquet_atomic(table, path)
    assert path.stat().st_mtime_ns == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_row_groups_are_bounded_so_the_layout_does_not_depend_on_file_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("llmcensus.observations.writer.ROW_GROUP_ROWS", 4)
    table = pa.Table.from_pylist([row("s1", i) for i in range(10)], schema=OBSERVATION_SCHEMA)
    path = tmp_path / "part-s1-000000.parquet"
    write_parquet_atomic(table, path)
    meta = pq.read_metadata(path)
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 4, 2]
    assert pq.read_table(path).equals(table)


def test_sweeps_do_not_mix(tmp_path: Path) -> None:
    for sweep in ("s1", "s1-b"):  # a prefix of another sweep id must not capture its parts
        w = ObservationWriter(tmp_path, sweep)
        for i in range(3 if sweep == "s1" else 5):
            w.write(row(sweep, i))
        w.close(complete=True)
    assert read_observations(tmp_path, sweep_id="s1").num_rows == 3
    assert read_observations(tmp_path, sweep_id="s1-b").num_rows == 5
    assert read_observations(tmp_path).num_rows == 8
    ids, counts, seq = committed_state(tmp_path, "s1")
    assert len(ids) == 3 and counts["blocked"] == 3 and seq == 0


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    r = row("s1", 1)
    r["schema_version"] = SCHEMA_VERSION + 1
    w = ObservationWriter(tmp_path, "s1")
    w.write(r)
    w.close(complete=True)
    with pytest.raises(SchemaVersionError):
        read_observations(tmp_path)
    m = json.loads((tmp_path / "sweeps" / "s1" / "manifest.json").read_text())
    m["schema_version"] = SCHEMA_VERSION + 1
    (tmp_path / "sweeps" / "s1" / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(SchemaVersionError):
        Manifest.read(tmp_path, "s1")


def test_bad_sweep_id_and_empty_dataset(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        ObservationWriter(tmp_path, "../evil")
    assert read_observations(tmp_path / "nothing").num_rows == 0


def test_time_based_flush(tmp_path: Path) -> None:
    w = ObservationWriter(tmp_path, "s1", flush_records=10_000, flush_seconds=0.0)
    w.write(row("s1", 1))
    w.maybe_flush()
    assert read_observations(tmp_path).num_rows == 1 and w.buffered == 0
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "observations").rglob("*"))
    assert date(2026, 3, 1).isoformat() in os.listdir(tmp_path / "observations")[0]
    w.close(complete=True)
