"""Model inventories, stored once by content hash (``<data>/inventories/part-<sweep>-<seq>.parquet``, schema v3).

A host's model list is mostly the same day after day: kept inline, it was half of every observation row's bytes
(``bench/storage.py``). Since schema v3 the writer stores each distinct list once, here, and the observation keeps

* ``inventory_hash``: the content hash of the list (``models`` is then null in the row), and
* ``model_show_status``: each model's ``show_status``, in list order. Where a model's ``/api/show`` fields came
  from (fetched on this visit, or cached from an earlier one) is the one model field that changes between a
  host's first visit and the next ones while the list stays the same, so it stays with the visit and the stored
  list leaves it null.

Whoever reads observations gets them back as if inline: ``Inventories.resolve`` (Arrow), ``resolved_sql``
(DuckDB) and the Spark engine's reader put the stored list, with each model's ``show_status``, in ``models``.
A row whose ``inventory_hash`` is null keeps its inline ``models`` (v1 and v2 rows, the simulator's fast path and
exports write them inline), and a null ``models`` still means "not read".

The store follows the body store's rules (``contentstore.py``): append-only, committed before the observations
that refer to it (the writer's flush), one row per hash whoever sent the list. Hash: BLAKE2b-128 (as bodies) of the
list's canonical JSON (every ``MODEL`` field but ``show_status``, keys sorted), so a list is shared by hosts only
when every stored field is equal: one host never changes what is recorded about another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from llmcensus.errors import DataError
from llmcensus.observations.contentstore import ContentStore, part_files
from llmcensus.observations.schema import MODEL
from llmcensus.store.db import quote

INVENTORY_ZSTD_LEVEL = 15  # lists are written once each: the level costs little (bench/storage.py)
STATUS = "show_status"
_STORED = tuple(f.name for f in MODEL if f.name != STATUS)
INVENTORY_SCHEMA = pa.schema([
    pa.field("hash", pa.string(), nullable=False),  # blake2b-128 of the list's canonical JSON, 32 hex characters
    pa.field("models", pa.list_(MODEL)),  # the list as the host sent it, show_status null (it stays with the visit)
])
# Dictionary-encoded: the model fields that repeat across lists. A hash is unique in its part, and a model's
# modification time nearly so: plain.
_DICTIONARY = [f"models.list.element.{n}" for n in _STORED if n not in ("modified_at", "modified_at_utc")]
_MODEL_BYTES = 1500  # a model's estimated size as Python objects (the observation writer's buffer budget)


def split(models: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, Any]], list[str | None]]:
    """(hash, the list as stored, each model's show_status) of one visit's model list."""
    stored = [{name: m.get(name) for name in _STORED} for m in models]
    blob = orjson.dumps(stored, option=orjson.OPT_SORT_KEYS, default=str)
    digest = hashlib.blake2b(blob, digest_size=16).hexdigest()
    return digest, stored, [m.get(STATUS) for m in models]


class InventoryStore(ContentStore[list[dict[str, Any]]]):
    """The writing side of one data folder's inventory store (one per writer; see module docstring)."""

    what = "inventory"

    def add(self, models: Sequence[Mapping[str, Any]]) -> tuple[str, list[str | None], int]:
        """(hash, show statuses, estimated bytes newly held): the list is queued unless stored or queued."""
        digest, stored, statuses = split(models)
        held = _MODEL_BYTES * len(stored) if self._queue(digest, stored) else 0
        return digest, statuses, held

    def _table(self, items: Sequence[tuple[str, list[dict[str, Any]]]]) -> pa.Table:
        return pa.Table.from_pylist([{"hash": h, "models": m} for h, m in items], schema=INVENTORY_SCHEMA)

    def _write(self, table: pa.Table, path: Path) -> None:
        from llmcensus.observations.writer import write_parquet_atomic

        write_parquet_atomic(table, path, compression_level=INVENTORY_ZSTD_LEVEL, use_dictionary=_DICTIONARY)


class Inventories:
    """The reading side: every stored list of a data folder's inventory store, loaded on first use (a few hundred
    bytes a distinct list), and ``resolve`` to put them back into observation tables."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._models: Any = None
        self._index: dict[str, int] = {}

    def load(self) -> Inventories:
        if self._models is None:
            files = part_files(self.directory)
            try:
                table = (ds.dataset([str(p) for p in files], format="parquet", schema=INVENTORY_SCHEMA).to_table()
                         if files else INVENTORY_SCHEMA.empty_table())
            except (OSError, pa.ArrowException) as exc:
                raise DataError(f"cannot read the inventories in {self.directory}: {exc}") from None
            hashes = table.column("hash").to_pylist()
            self._index = {str(h): i for i, h in enumerate(hashes)}
            self._models = table.column("models").combine_chunks()
        return self

    def __len__(self) -> int:
        return len(self.load()._index)

    def models(self, hashes: Any, statuses: Any) -> Any:
        """The model lists named by ``hashes`` (null where a hash is null), each model's ``show_status`` from
        ``statuses`` (a list per row, aligned with its model list). A hash that is not stored is a ``DataError``
        (the writer never commits such a row)."""
        self.load()
        assert self._models is not None
        if isinstance(hashes, pa.ChunkedArray):
            hashes = hashes.combine_chunks()
        wanted = hashes.to_pylist()
        rows = [None if h is None else self._index.get(h, -1) for h in wanted]
        if -1 in rows:
            missing = next(h for h, r in zip(wanted, rows, strict=True) if r == -1)
            raise DataError(f"inventory {missing} is not in the store {self.directory}")
        taken: Any = self._models.take(pa.array(rows, pa.int64()))
        lengths = pc.fill_null(pc.list_value_length(taken), 0)
        flat: Any = pc.list_flatten(taken)
        status: Any
        if statuses is None:
            status = pa.nulls(len(flat), pa.string())
        else:
            status_lists: Any = statuses.combine_chunks() if isinstance(statuses, pa.ChunkedArray) else statuses
            given = pc.fill_null(pc.list_value_length(status_lists), 0)
            have = pc.is_valid(hashes)
            if not pc.all(pc.or_(pc.invert(have), pc.equal(given, lengths))).as_py():
                raise DataError("model_show_status does not match the stored model list of its inventory")
            status = pc.list_flatten(pc.if_else(have, status_lists, pa.nulls(len(status_lists), status_lists.type)))
        children = [status.cast(pa.string()) if f.name == STATUS else flat.field(f.name) for f in MODEL]
        struct = pa.StructArray.from_arrays(children, fields=list(MODEL))
        offsets: Any = pa.array(np.concatenate([[0], np.cumsum(lengths.to_numpy(zero_copy_only=False))]), pa.int32())
        return pa.ListArray.from_arrays(offsets, struct, mask=pc.is_null(hashes))

    def resolve(self, table: pa.Table) -> pa.Table:
        """``table`` (observation rows, any schema version) with every stored model list put back in ``models``;
        ``inventory_hash`` and ``model_show_status`` are kept as they are."""
        if "inventory_hash" not in table.column_names:
            return table
        hashes = table.column("inventory_hash")
        if hashes.null_count == len(hashes):
            return table
        statuses = table.column("model_show_status") if "model_show_status" in table.column_names else None
        stored = self.models(hashes, statuses)
        have = pc.is_valid(hashes.combine_chunks())
        if "models" not in table.column_names:
            return table.append_column("models", stored)
        inline: Any = table.column("models").combine_chunks()
        if inline.null_count < len(inline):  # inline lists beside stored ones (v3 allows both in one file)
            stored = pc.if_else(have, stored, conform_list(inline, stored.type))
        return table.set_column(table.column_names.index("models"), "models", stored)


def conform_list(col: Any, want: Any) -> Any:
    """A list<struct> array in the list<struct> type ``want``: each field of ``want`` taken by name and cast, a field
    the array lacks (an older schema's) null, fields ``want`` does not name dropped."""
    values = col.values
    have = {values.type.field(i).name for i in range(values.type.num_fields)}
    children = [values.field(f.name).cast(f.type) if f.name in have else pa.nulls(len(values), f.type)
                for f in want.value_type]
    struct = pa.StructArray.from_arrays(children, fields=list(want.value_type), mask=values.is_null())
    return pa.ListArray.from_arrays(col.offsets, struct, mask=col.is_null())


def resolved_sql(source: str, columns: Collection[str], inventory_files: Sequence[Path]) -> str:
    """A DuckDB ``SELECT`` of every column of ``source`` (a relation, e.g. ``read_parquet(...)``, whose column names
    are ``columns``), with ``models`` resolved from the inventory store as ``Inventories.resolve`` does."""
    if "inventory_hash" not in columns or not inventory_files:
        return f"SELECT * FROM {source}"
    files = "[" + ", ".join(quote(p) for p in inventory_files) + "]"
    status = "o.model_show_status[k]" if "model_show_status" in columns else "NULL::VARCHAR"
    fields = ", ".join(f"{f.name} := {status if f.name == STATUS else 'm.' + f.name}" for f in MODEL)
    stored = f"list_transform(i.models, lambda m, k: struct_pack({fields}))"
    models = f"CASE WHEN o.inventory_hash IS NULL THEN o.models ELSE {stored} END" if "models" in columns else stored
    select = f"o.* REPLACE ({models} AS models)" if "models" in columns else f"o.*, {models} AS models"
    # a list stored twice (two shards of a sweep, merged) must not double its visits
    stored_lists = f"(SELECT DISTINCT ON (hash) hash, models FROM read_parquet({files}, union_by_name = true))"
    return f"SELECT {select} FROM {source} o LEFT JOIN {stored_lists} i ON i.hash = o.inventory_hash"


def create_view(con: Any, name: str, source: str, inventory_dir: Path) -> None:
    """``CREATE OR REPLACE VIEW name`` over ``source`` (observation rows) on the DuckDB connection ``con``, with
    ``models`` resolved from the inventory store in ``inventory_dir`` (``resolved_sql``)."""
    columns = con.sql(f"SELECT * FROM {source} LIMIT 0").columns
    con.execute(f"CREATE OR REPLACE VIEW {name} AS {resolved_sql(source, columns, part_files(inventory_dir))}")
