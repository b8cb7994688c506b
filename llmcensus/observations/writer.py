"""The single observation writer: buffered, atomic, append-only Parquet parts partitioned by day.

Invariants it protects:
* a part is written to a hidden temp name in its final directory, fsynced, then renamed: a reader
  (or a crash) never sees half a part; a part is never rewritten or deleted;
* one observation per ``observation_id`` per sweep: ids already committed (``--resume``) or already
  buffered are dropped and counted, never written twice;
* after a ``kill -9``, everything in committed parts survives; ``resume=True`` continues with the
  next part number, removes the dead run's temp files and recounts from the parts.

* a raw body is committed to the body store (``bodies.py``) before the observation part that refers to it:
  rows come in with the body as read (``exchange["body"]``, capped) and leave with its ``body_hash``.

Layout (``store.layout.Layout``): ``<data>/observations/YYYY-MM-DD/part-<sweep_id>-<seq:06d>.parquet``,
``<data>/bodies/part-<sweep_id>-<seq:06d>.parquet`` and ``<data>/sweeps/<sweep_id>/manifest.json``
(see ``manifest.py``). The writer of shard i of n of a sweep (``shard.py``) names its parts
``part-<sweep_id>~s<i>of<n>-<seq:06d>.parquet`` and writes ``sweeps/<sweep_id>/manifest-shard-<i>-of-<n>.json``;
it sees, resumes and counts its own shard only.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.errors import ConfigError, DataError
from llmcensus.observations.bodies import BodyStore
from llmcensus.observations.inventories import InventoryStore
from llmcensus.observations.manifest import Manifest, check_sweep_id, manifest_path, shard_manifests
from llmcensus.observations.reader import committed_state
from llmcensus.observations.schema import OBSERVATION_SCHEMA, SCHEMA_VERSION
from llmcensus.observations.shard import Shard
from llmcensus.store.layout import Layout, part_token

_META = {b"llmcensus.schema_version": str(SCHEMA_VERSION).encode()}


def observation_id(sweep_id: str, ip: str, port: int) -> str:
    return hashlib.sha1(f"{sweep_id}|{ip}|{port}".encode()).hexdigest()[:24]


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# Rows per Parquet row group. A bound keeps a file's layout the same whatever its size: one row group of a day's
# 450,000 visits (ten times the seed scale) overflowed the 1 MB dictionary page of ``models.digest``, which then
# fell back to plain encoding (79x larger uncompressed, and slower to read back as a dictionary).
ROW_GROUP_ROWS = 65_536

# Estimated bytes buffered before a flush, whatever ``flush_records`` says: a row costs ~600 bytes as Python
# objects, a model ~1.5 KB, plus the raw bodies it added to the body store's queue (``write``). Hosts with
# large inventories (up to ``max_models`` each) or many /api/show replies (a host's first visit) cannot grow
# the buffer past this; typical daily sweeps (3-4 models and 3 small bodies a host) reach ``flush_records`` long before.
MAX_BUFFER_BYTES = 96 * 1024 * 1024


def _row_bytes(row: Mapping[str, Any]) -> int:
    """The row's own estimate; bodies queued in the body store are added by ``write``. Inline ``body_zstd``
    (rows built by older code or tests) count here."""
    size = 600 + 1500 * len(row.get("models") or ())
    for ex in row.get("exchanges") or ():
        body = ex.get("body_zstd")
        if body is not None:
            size += len(body)
    return size


def _row_order(row: Mapping[str, Any]) -> tuple[str, str, str, int]:
    return (row["status"], row.get("runtime") or "", row.get("version") or "", row.get("model_count") or 0)


def round_ms(ms: float | None) -> float | None:
    """A duration as stored: 0.1 ms resolution. Finer digits are timer noise, and random float32 mantissas
    cost about 12 bytes per observation after compression (measured on the demo study); 0.1 ms values repeat
    and dictionary-encode."""
    return None if ms is None else round(float(ms), 1)


def leaf_paths(schema: pa.Schema) -> list[str]:
    """The Parquet column paths of ``schema``'s leaves (``exchanges.list.element.body_hash``), as pyarrow's
    writer options name them."""
    out: list[str] = []

    def walk(prefix: str, kind: pa.DataType) -> None:
        if pa.types.is_struct(kind):
            for i in range(kind.num_fields):
                walk(f"{prefix}.{kind.field(i).name}", kind.field(i).type)
        elif pa.types.is_list(kind):
            walk(f"{prefix}.list.element", kind.value_type)
        else:
            out.append(prefix)

    for f in schema:
        walk(f.name, f.type)
    return out


# zstd level of observation parts: 15 took the demo's observations from 114.7 to 107.6 bytes a row against
# pyarrow's default (1), for about 40 us of CPU a row (bench/storage.py, bench/RESULTS.md).
OBSERVATION_ZSTD_LEVEL = 15
# Nearly unique per row in a part: a dictionary page beside them costs more than it saves (bench/storage.py).
_PLAIN = frozenset({"observation_id", "inventory_hash", "ip", "dial_ip", "observed_at", "elapsed_ms",
                    "exchanges.list.element.ms", "exchanges.list.element.bytes"})
OBSERVATION_DICTIONARY = [c for c in leaf_paths(OBSERVATION_SCHEMA) if c not in _PLAIN]


def write_parquet_atomic(
    table: pa.Table, path: Path, *, compression_level: int | None = None, use_dictionary: bool | list[str] = True,
    data_page_size: int | None = None,
) -> None:
    """Write ``table`` to ``path`` so that the file appears complete or not at all; never overwrite.

    Row groups hold at most ``ROW_GROUP_ROWS`` rows; zstd at ``compression_level`` (pyarrow's default when None).
    The footer is kept small, since a part of a few rows is mostly footer: statistics for top-level columns only
    (what readers filter on: ``day``, ``observed_at``, ``ip``), and no copy of the Arrow schema (the Parquet schema
    gives back every type, the ``llmcensus.schema_version`` key-value metadata stays)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise DataError(f"refusing to overwrite existing part {path}")
    tmp = path.with_name(f".{path.name}.tmp")
    flat = [f.name for f in table.schema if not pa.types.is_nested(f.type)]
    try:
        with pq.ParquetWriter(tmp, table.schema, compression="zstd", compression_level=compression_level,
                              use_dictionary=use_dictionary, write_statistics=flat,  # type: ignore[arg-type]
                              data_page_size=data_page_size, store_schema=False) as out:
            out.write_table(table, row_group_size=ROW_GROUP_ROWS)
            if table.schema.metadata:  # without the stored Arrow schema, the schema's metadata is added by hand
                out.add_key_value_metadata({k.decode(): v.decode() for k, v in table.schema.metadata.items()})
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"cannot write {path}: {exc}") from None
    _fsync_dir(path.parent)


class ObservationWriter:
    def __init__(
        self, data_dir: str | Path, sweep_id: str, *, settings: Mapping[str, Any] | None = None,
        resume: bool = False, flush_records: int = 5000, flush_seconds: float = 30.0, source: str = "probe",
        clock: Callable[[], datetime] | None = None, targets_total: int | None = None, shard: Shard | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.layout = Layout(self.data_dir)
        self.sweep_id = check_sweep_id(sweep_id)
        self.shard = shard
        key = (shard.index, shard.count) if shard is not None else None
        # what this writer's part names carry (observations, bodies, show): the sweep id, and its shard
        self.part_token = part_token(self.sweep_id, key)
        self.flush_records = flush_records
        self.flush_seconds = flush_seconds
        self.clock = clock or (lambda: datetime.now(UTC))
        self._buffer: list[dict[str, Any]] = []
        self._buffered_ids: set[str] = set()
        self._weight = 0  # estimated bytes buffered (``_row_bytes``): what the buffer's memory follows
        # Called at the start of every flush, before any part is committed: a companion dataset (the show
        # data) whose rows these observations refer to is made durable first, so a crash between the two
        # leaves an unreferenced companion row (harmless; resume re-uses it), never a dangling reference.
        self.before_commit: list[Callable[[], object]] = []
        # Raw bodies by content hash, shared with the show cache of the same sweep (``probe/sweep.py``).
        self.bodies = BodyStore(self.layout.bodies)
        # Model lists by content hash (schema v3): stored once, committed with the bodies before the rows.
        self.inventories = InventoryStore(self.layout.inventories)
        self._last_flush = time.monotonic()
        self.duplicates_dropped = 0
        self._check_split()
        path = self.layout.shard_manifest(sweep_id, key) if key is not None else manifest_path(self.data_dir, sweep_id)
        exists = path.exists()
        if exists and not resume:
            what = f"shard {shard} of sweep {sweep_id!r}" if shard is not None else f"sweep {sweep_id!r}"
            raise ConfigError(f"{what} already exists in {self.data_dir}: pass --resume or a new --sweep-id")
        if resume:
            self._remove_temp_files()
            self.committed, counts, last_seq = committed_state(self.data_dir, sweep_id, self.part_token)
            self._seq = last_seq + 1
            if not exists:
                self.manifest = Manifest(sweep_id, source=source)
            elif key is not None:
                self.manifest = Manifest.read_shard(self.data_dir, sweep_id, key)
            else:
                self.manifest = Manifest.read(self.data_dir, sweep_id)
            self.manifest.runs += 1 if exists else 0
            self.manifest.counts = dict(counts)
            self.manifest.observations = sum(counts.values())
            self.manifest.parts = [str(p.relative_to(self.data_dir)) for p in self._parts()]
            self.manifest.complete = False
            self.manifest.finished_at = None
        else:
            self.committed = set()
            self._seq = 0
            self.manifest = Manifest(sweep_id, source=source, started_at=self.clock().isoformat())
        self.manifest.shard = shard.as_dict() if shard is not None else None
        if settings is not None:
            self.manifest.settings = dict(settings)
        if targets_total is not None:
            self.manifest.targets_total = targets_total
        self.manifest.write(self.data_dir)

    def _check_split(self) -> None:
        """A sweep is either unsharded or split one way (n shards) in a folder: its manifests must agree."""
        shards = shard_manifests(self.data_dir, self.sweep_id)
        if self.shard is None and shards:
            raise ConfigError(f"sweep {self.sweep_id!r} in {self.data_dir} is sharded (shards "
                              + ", ".join(f"{i}/{n}" for i, n in shards) + "): pass its --shard i/n")
        if self.shard is not None:
            if manifest_path(self.data_dir, self.sweep_id).exists():
                raise ConfigError(f"sweep {self.sweep_id!r} already exists unsharded in {self.data_dir}: "
                                  "use a new --sweep-id for a sharded sweep")
            other = sorted({n for _, n in shards} - {self.shard.count})
            if other:
                raise ConfigError(f"sweep {self.sweep_id!r} in {self.data_dir} is split into {other[0]} shards, "
                                  f"not {self.shard.count}: every shard of a sweep uses the same n")

    def _parts(self) -> list[Path]:
        from llmcensus.observations.reader import sweep_parts

        return sweep_parts(self.data_dir, self.sweep_id, self.part_token)

    def _remove_temp_files(self) -> None:
        # A killed run may leave its part-in-progress behind; it was never visible and is not data.
        for tmp in self.layout.temp_parts(self.part_token):
            tmp.unlink(missing_ok=True)
        self.bodies.remove_temp_files(self.part_token)
        self.inventories.remove_temp_files(self.part_token)

    def __contains__(self, obs_id: object) -> bool:
        return obs_id in self.committed or obs_id in self._buffered_ids

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def write(self, row: dict[str, Any]) -> bool:
        """Buffer one observation; False (and counted) when its id was already written."""
        obs_id = row["observation_id"]
        if obs_id in self.committed or obs_id in self._buffered_ids:
            self.duplicates_dropped += 1
            return False
        held = 0
        for ex in row.get("exchanges") or ():
            if "body" in ex:  # the body as read (capped): stored once by hash, before this row is committed
                body = ex.pop("body")
                if body is not None:
                    ex["body_hash"], added = self.bodies.add(body)
                    held += added
        models = row.get("models")
        if models is not None:  # the list is stored once, by hash; the visit keeps each model's show_status
            digest, statuses, added = self.inventories.add(models)
            row = {**row, "models": None, "inventory_hash": digest, "model_show_status": statuses}  # caller's stays
            held += added
        self._buffer.append(row)
        self._buffered_ids.add(obs_id)
        self._weight += _row_bytes(row) + held
        if len(self._buffer) >= self.flush_records or self._weight >= MAX_BUFFER_BYTES:
            self.flush()
        return True

    def maybe_flush(self) -> None:
        if self._buffer and time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Commit the buffer: one part per UTC day present in it, then the manifest."""
        self._last_flush = time.monotonic()
        for hook in self.before_commit:
            hook()
        self.bodies.flush(self.part_token)  # every body the buffered rows refer to, before the rows
        self.inventories.flush(self.part_token)  # likewise every model list
        if not self._buffer:
            return
        by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self._buffer:
            by_day[row["day"].isoformat()].append(row)
        for day, rows in sorted(by_day.items()):
            # Visits of a kind side by side (the order of rows in a part means nothing): their exchange lists,
            # statuses and versions then compress together (-2.5 bytes a row on the demo, bench/storage.py).
            rows.sort(key=_row_order)
            try:
                table = pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA.with_metadata(_META))
            except (pa.ArrowException, TypeError, ValueError) as exc:
                raise DataError(f"observation rows do not match schema v{SCHEMA_VERSION}: {exc}") from None
            path = self.layout.part_path(day, self.part_token, self._seq)
            self._seq += 1
            write_parquet_atomic(table, path, compression_level=OBSERVATION_ZSTD_LEVEL,
                                 use_dictionary=OBSERVATION_DICTIONARY)
            ids = [r["observation_id"] for r in rows]
            self.committed.update(ids)
            self._buffered_ids.difference_update(ids)
            counts = Counter(r["status"] for r in rows)
            for status, n in counts.items():
                self.manifest.counts[status] = self.manifest.counts.get(status, 0) + n
            self.manifest.observations += len(rows)
            self.manifest.parts.append(str(path.relative_to(self.data_dir)))
        self._buffer.clear()
        self._weight = 0
        self.manifest.write(self.data_dir)

    def close(self, *, complete: bool, interrupted: bool = False, extra: Mapping[str, Any] | None = None) -> Manifest:
        self.flush()
        self.manifest.complete = complete
        self.manifest.interrupted = interrupted
        self.manifest.finished_at = self.clock().isoformat()
        if extra:
            self.manifest.extra.update(extra)
        self.manifest.extra["duplicates_dropped"] = self.manifest.extra.get("duplicates_dropped", 0) + (
            self.duplicates_dropped
        )
        self.manifest.write(self.data_dir)
        return self.manifest
