"""Reading the observations dataset (``<data>/observations/YYYY-MM-DD/part-*.parquet``, and the ``day=YYYY-MM-DD``
folders written before 0.8: ``store.layout.Layout`` lists both).

Only committed parts are ever seen: parts in progress are hidden temp files (``.part-....tmp``),
which pyarrow's dataset discovery ignores. Every read checks ``schema_version`` so a newer dataset
is refused with ``SchemaVersionError`` instead of being misread.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from llmcensus.errors import DataError, SchemaVersionError
from llmcensus.observations.schema import OBSERVATION_SCHEMA, SCHEMA_VERSION
from llmcensus.store.layout import PART, Layout, token_of

__all__ = ["PART", "check_parts", "committed_state", "observation_files", "observations_dir", "read_observations",
           "recent_visits", "sweep_parts"]


def observations_dir(data_dir: str | Path) -> Path:
    return Layout(data_dir).observations


def observation_files(data_dir: str | Path) -> list[Path]:
    """Every committed part file of the dataset (both layouts), in (day, name) order."""
    return Layout(data_dir).observation_files()


def sweep_parts(data_dir: str | Path, sweep_id: str, token: str | None = None) -> list[Path]:
    """Committed part files of one sweep (every shard of a sharded one), in sequence order; with ``token``
    (``store.layout.part_token``), only the parts of that one shard."""
    found: list[tuple[int, Path]] = []
    for p in Layout(data_dir).observation_files():
        m = PART.match(p.name)
        if m is not None and m.group("sweep") == sweep_id and (token is None or token_of(m) == token):
            found.append((int(m.group("seq")), p))
    return [p for _, p in sorted(found)]


PARQUET_MAGIC = b"PAR1"
SCHEMA_VERSION_KEY = b"llmcensus.schema_version"  # file metadata the writer sets (writer.py ``_META``)


def check_parts(files: Iterable[Path]) -> None:
    """Refuse, before anything is read or written, observation files this code cannot read.

    Each file is checked from its footer only, so the check costs the same whatever the file holds: the leading
    and trailing ``PAR1`` magic (a truncated or overwritten file), the footer, and the newest schema version in
    it, from the ``llmcensus.schema_version`` file metadata when set and from the row-group statistics of the
    ``schema_version`` column (its maximum). Only a file written without statistics has that column read. A file
    without the column predates versioning and reads as v1. Raises ``DataError`` naming the file, or
    ``SchemaVersionError`` when it was written by a newer schema than ``SCHEMA_VERSION``.

    Cost: about 1.3 ms a file for a day at ten times the seed scale (450,000 rows, 7 row groups, 74 leaf
    columns), so 0.5 s for a year of such days, against about 390 s for the report over them.
    """
    for path in files:
        newest = _newest_version(path)
        if newest is not None and newest > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{path}: observations written with schema v{newest}; this llmcensus reads v{SCHEMA_VERSION}"
            )


def _newest_version(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(PARQUET_MAGIC))
        if head != PARQUET_MAGIC:
            raise DataError(f"{path}: not a Parquet file (it does not start with {PARQUET_MAGIC!r})")
        meta = pq.read_metadata(path)
        versions: list[int] = []
        raw = (meta.metadata or {}).get(SCHEMA_VERSION_KEY)
        if raw is not None:
            try:
                versions.append(int(raw))
            except ValueError:
                raise DataError(f"{path}: file metadata {SCHEMA_VERSION_KEY.decode()} is not a number") from None
        names = [meta.schema.column(i).path for i in range(meta.num_columns)]
        if "schema_version" in names:
            col = names.index("schema_version")
            stats = [meta.row_group(i).column(col).statistics for i in range(meta.num_row_groups)]
            if all(s is not None and s.has_min_max for s in stats):
                versions += [int(s.max) for s in stats if s is not None and s.max is not None]
            else:  # no statistics: read the one small column
                newest = pc.max(pq.read_table(path, columns=["schema_version"]).column(0)).as_py()
                versions += [int(newest)] if newest is not None else []
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: unreadable observation file: {exc}") from None
    return max(versions, default=None)


def check_schema_version(table: pa.Table) -> None:
    if "schema_version" not in table.column_names or table.num_rows == 0:
        return
    newest = pc.max(table.column("schema_version")).as_py()
    if newest is not None and newest > SCHEMA_VERSION:
        raise SchemaVersionError(f"observations written with schema v{newest}; this llmcensus reads v{SCHEMA_VERSION}")


def read_observations(
    data_dir: str | Path, *, sweep_id: str | None = None, columns: list[str] | None = None,
) -> pa.Table:
    """All committed observations (optionally one sweep's) as one Arrow table in the current schema, every model
    list in ``models`` whether the row holds it inline or by ``inventory_hash`` (schema v3)."""
    root = observations_dir(data_dir)
    if not root.exists():
        return OBSERVATION_SCHEMA.empty_table().select(columns) if columns else OBSERVATION_SCHEMA.empty_table()
    cols = columns
    if cols is not None and "schema_version" not in cols:
        cols = [*cols, "schema_version"]
    stored = ["inventory_hash", "model_show_status"]  # a v3 row's model list is in the inventory store
    if cols is not None and "models" in cols:
        cols = [*cols, *(c for c in stored if c not in cols)]
    parts = sweep_parts(data_dir, sweep_id) if sweep_id is not None else observation_files(data_dir)
    check_parts(parts)
    try:
        dataset = ds.dataset([str(p) for p in parts], format="parquet", schema=OBSERVATION_SCHEMA)
        table = dataset.to_table(columns=cols)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read observations in {root}: {exc}") from None
    check_schema_version(table)
    if columns is None or "models" in columns:
        from llmcensus.observations.inventories import Inventories  # it imports this module

        table = Inventories(Layout(data_dir).inventories).resolve(table)
    if columns is not None:
        table = table.select(columns)
    return table


def recent_visits(data_dir: str | Path, since: datetime, until: datetime) -> pa.Table:
    """``ip``, ``observed_at`` and ``requests`` of the committed observations from ``since`` on, read from the day
    partitions of ``since`` to ``until`` (the sweep's clock, simulated time in a simulated study): the requests
    an address already received, for the probe's per-address cap."""
    root = observations_dir(data_dir)
    files = Layout(data_dir).files_of_days(since.date(), until.date())
    empty = pa.table({"ip": pa.array([], pa.string()), "observed_at": pa.array([], pa.timestamp("us", tz="UTC")),
                      "requests": pa.array([], pa.int16())})
    if not files:
        return empty
    try:
        return ds.dataset([str(p) for p in files], format="parquet").to_table(
            columns=["ip", "observed_at", "requests"], filter=pc.field("observed_at") >= pa.scalar(since))
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read recent observations in {root}: {exc}") from None


def committed_state(data_dir: str | Path, sweep_id: str, token: str | None = None,
                    ) -> tuple[set[str], Counter[str], int]:
    """(observation ids, counts by status, highest part sequence) of a sweep's committed parts (``token``: of one
    shard only, as ``sweep_parts``)."""
    ids: set[str] = set()
    counts: Counter[str] = Counter()
    last_seq = -1
    parts = sweep_parts(data_dir, sweep_id, token)
    check_parts(parts)
    for path in parts:
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
