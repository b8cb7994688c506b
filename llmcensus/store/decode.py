"""Decode observation files for the store's ingest (``ingest.py``): each file once, only the leaves the metrics
read, model lists put back from the inventory store (schema v3), and older schemas conformed to the newest.

``batch`` then turns a batch of decoded files into two Arrow tables the ingest's SQL reads: ``obs`` (one row per
visit) and ``inst`` (the flattened models of every visit, with the row of its visit and its ``ord``: file number,
then position in the file's flattened models).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llmcensus.errors import DataError
from llmcensus.observations.inventories import Inventories, conform_list
from llmcensus.observations.schema import MODEL, OBSERVATION_SCHEMA

OBS_LEAVES = ("observed_at", "ip", "port", "day", "status", "runtime", "auth", "version",
              "model_count", "running_count", "runtime_evidence", "server_header", "proxied")  # fmt: skip
MODEL_LEAVES = ("name", "digest", "modified_at", "family", "families", "parameter_size", "quantization_level",
                "remote_host", "capabilities", "tags_capabilities", "template_flags", "has_projector", "system",
                "show_status")  # fmt: skip
# Strings with few distinct values per file are read as dictionaries: cheaper to decode and to hand to DuckDB
# (which sees plain VARCHAR, hashes included). ``modified_at`` and ``ip`` are nearly unique per row: plain. Lists
# of strings stay plain: DuckDB 2.0 refuses an Arrow batch whose list<dictionary> column holds only empty lists.
DICTIONARY_LEAVES = ("status", "runtime", "auth", "version", "name", "digest", "family", "parameter_size",
                     "quantization_level", "remote_host", "system", "show_status")  # fmt: skip
_DICT = pa.dictionary(pa.int32(), pa.string())


def read_type(field: pa.Field[Any]) -> pa.Field[Any]:
    """``field`` as read: a string in ``DICTIONARY_LEAVES`` becomes a dictionary."""
    return field.with_type(_DICT) if field.name in DICTIONARY_LEAVES and field.type == pa.string() else field


OBS_TYPES = {n: read_type(OBSERVATION_SCHEMA.field(n)).type for n in OBS_LEAVES}
MODEL_TYPE = pa.list_(pa.struct([read_type(MODEL.field(n)) for n in MODEL_LEAVES]))
RUNNING_TYPE = pa.list_(pa.struct([pa.field("name", pa.string())]))

ORD_SHIFT = 32  # ord = file number << 32 | position of the model in the file's flattened models


def conform(table: pa.Table, path: Path) -> pa.Table:
    """The batch with every column the SQL reads; fields a file's (older) schema lacks become nulls."""
    n = table.num_rows
    cols: dict[str, Any] = {}
    for name, want in OBS_TYPES.items():
        cols[name] = table.column(name).cast(want) if name in table.column_names else pa.nulls(n, want)
    for name, want in (("models", MODEL_TYPE), ("running", RUNNING_TYPE)):
        if name not in table.column_names:
            cols[name] = pa.nulls(n, want)
            continue
        col: Any = table.column(name).combine_chunks()
        if col.type == want:
            cols[name] = col
            continue
        try:
            cols[name] = conform_list(col, want)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise DataError(f"{path}: cannot read {name}: {exc}") from exc
    return pa.table(cols)


def read_file(path: Path, inventories: Inventories | None = None) -> pa.Table:
    try:
        meta = pq.read_metadata(path)
        paths = {meta.schema.column(i).path for i in range(len(meta.schema))}
        want = [c for c in OBS_LEAVES if c in paths or any(p.startswith(f"{c}.") for p in paths)]  # lists too
        stored = [c for c in ("inventory_hash", "model_show_status") if c in paths or f"{c}.list.element" in paths]
        want += stored if inventories is not None else []
        # a list<struct> leaf path is models.<list>.<element>.<field>[...]; writers name the middle parts differently
        prefixes = sorted({".".join(p.split(".")[:3]) for p in paths if p.startswith("models.")})
        element = prefixes[0] if prefixes else "models.list.element"
        want += [f"{element}.{leaf}" for leaf in MODEL_LEAVES if any(p.startswith(f"{element}.{leaf}") for p in paths)]
        running = sorted(p for p in paths if p.startswith("running.") and p.count(".") == 3 and p.endswith(".name"))
        leaves = [*DICTIONARY_LEAVES, *(f"{element}.{leaf}" for leaf in DICTIONARY_LEAVES)]
        dictionary = [p for p in leaves if p in paths]
        pf = pq.ParquetFile(path, metadata=meta, read_dictionary=dictionary)
        # Row group by row group: pyarrow cannot return a dictionary nested in a list as one array spanning
        # several row groups ("Nested data conversions not implemented for chunked array outputs").
        groups = [pf.read_row_group(i, columns=want + running[:1], use_threads=False)
                  for i in range(meta.num_row_groups)] or [pf.read(columns=want + running[:1], use_threads=False)]
        parts = [conform(inventories.resolve(g) if inventories is not None else g, path) for g in groups]
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: unreadable observation file: {exc}") from exc
    return pa.concat_tables(parts) if len(parts) != 1 else parts[0]


def batch(files: list[tuple[int, pa.Table]]) -> tuple[pa.Table, pa.Table]:
    """(every visit, the flattened models of every visit) of a batch of (file number, table), in file order.

    Nothing is filtered here: the SQL keeps successful Ollama observations, and their models by joining
    ``parent``. (Filtering the nested column in pyarrow would copy every model string once more.)
    """
    table = pa.concat_tables([t for _, t in files]) if len(files) > 1 else files[0][1]
    models: Any = table.column("models")
    obs_cols: dict[str, Any] = {n: table.column(n) for n in OBS_LEAVES}
    obs_cols["parent"] = pa.array(np.arange(table.num_rows, dtype=np.int64))  # joins ``inst.parent``
    obs_cols["models_len"] = pc.list_value_length(models)
    obs_cols["running_len"] = pc.list_value_length(table.column("running"))
    inst = pa.Table.from_struct_array(pc.list_flatten(models))
    ords = [(n << ORD_SHIFT) + np.arange(pc.sum(pc.list_value_length(t.column("models"))).as_py() or 0, dtype=np.int64)
            for n, t in files]  # fmt: skip
    inst = inst.add_column(0, "parent", pc.list_parent_indices(models))  # row of its visit in ``obs``
    inst = inst.add_column(0, "ord", pa.array(np.concatenate(ords)))
    inst = inst.add_column(0, "rid", pa.array(np.arange(inst.num_rows, dtype=np.int64)))
    return pa.table(obs_cols), inst


def empty() -> pa.Table:
    cols = {n: pa.nulls(0, t) for n, t in OBS_TYPES.items()}
    cols["models"] = pa.nulls(0, MODEL_TYPE)
    cols["running"] = pa.nulls(0, RUNNING_TYPE)
    return pa.table(cols)
