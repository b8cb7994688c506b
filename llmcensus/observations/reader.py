"""Reading the observations dataset (``<data>/observations/day=YYYY-MM-DD/part-*.parquet``).

Only committed parts are ever seen: parts in progress are hidden temp files (``.part-....tmp``),
which pyarrow's dataset discovery ignores. Every read checks ``schema_version`` so a newer dataset
is refused with ``SchemaVersionError`` instead of being misread.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from llmcensus.errors import DataError, SchemaVersionError
from llmcensus.observations.schema import OBSERVATION_SCHEMA, SCHEMA_VERSION

PART = re.compile(r"^part-(?P<sweep>[A-Za-z0-9][A-Za-z0-9_.-]*)-(?P<seq>\d{6})\.parquet$")


def observations_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "observations"


def sweep_parts(data_dir: str | Path, sweep_id: str) -> list[Path]:
    """Committed part files of one sweep, in sequence order."""
    root = observations_dir(data_dir)
    found: list[tuple[int, Path]] = []
    for p in root.glob("day=*/part-*.parquet"):
        m = PART.match(p.name)
        if m is not None and m.group("sweep") == sweep_id:
            found.append((int(m.group("seq")), p))
    return [p for _, p in sorted(found)]


def check_schema_version(table: pa.Table) -> None:
    if "schema_version" not in table.column_names or table.num_rows == 0:
        return
    newest = pc.max(table.column("schema_version")).as_py()
    if newest is not None and newest > SCHEMA_VERSION:
        raise SchemaVersionError(f"observations written with schema v{newest}; this llmcensus reads v{SCHEMA_VERSION}")


def read_observations(
    data_dir: str | Path, *, sweep_id: str | None = None, columns: list[str] | None = None,
) -> pa.Table:
    """All committed observations (optionally one sweep's) as one Arrow table with the v1 schema."""
    root = observations_dir(data_dir)
    if not root.exists():
        return OBSERVATION_SCHEMA.empty_table().select(columns) if columns else OBSERVATION_SCHEMA.empty_table()
    cols = columns
    if cols is not None and "schema_version" not in cols:
        cols = [*cols, "schema_version"]
    try:
        if sweep_id is not None:
            files = [str(p) for p in sweep_parts(data_dir, sweep_id)]
            dataset = ds.dataset(files, format="parquet", schema=OBSERVATION_SCHEMA)
        else:
            dataset = ds.dataset(str(root), format="parquet", schema=OBSERVATION_SCHEMA)
        table = dataset.to_table(columns=cols)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read observations in {root}: {exc}") from None
    check_schema_version(table)
    if columns is not None and "schema_version" not in columns:
        table = table.drop_columns(["schema_version"])
    return table


def committed_state(data_dir: str | Path, sweep_id: str) -> tuple[set[str], Counter[str], int]:
    """(observation ids, counts by status, highest part sequence) of a sweep's committed parts."""
    ids: set[str] = set()
    counts: Counter[str] = Counter()
    last_seq = -1
    for path in sweep_parts(data_dir, sweep_id):
        m = PART.match(path.name)
        assert m is not None
        last_seq = max(last_seq, int(m.group("seq")))
        try:
            t = pq.read_table(path, columns=["schema_version", "observation_id", "status"])
        except (OSError, pa.ArrowException) as exc:
            raise DataError(f"unreadable committed part {path}: {exc}") from None
        check_schema_version(t)
        ids.update(str(v) for v in t.column("observation_id").to_pylist())
        counts.update(str(v) for v in t.column("status").to_pylist())
    return ids, counts, last_seq
