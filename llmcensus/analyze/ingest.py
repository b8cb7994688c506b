"""Read the observation Parquet files once, file by file, into narrow DuckDB tables.

Why file by file: decoding the nested ``models`` column is by far the dominant cost of the whole study (DuckDB
does not push a projection into a list of structs, so every one of ~30 model fields would be decoded on every
scan). Here pyarrow decodes only the leaves the metrics need, each file exactly once, and every table below is
filled from that one in-memory batch by set-based SQL. What remains per model instance is five integers.

Tables filled (``host`` = hash of ip or ip:port, ``obs_key`` = hash of observation_id, ``model_key`` = hash of
every model field the metrics read, ``cap_key`` = hash of version + model_key; hashes are grouped and joined, never
shown):

* ``sweep_days``       day, visits (all statuses)
* ``ollama_obs``       one row per successful Ollama observation (see ``views.py``), with ``inventory_sig``
* ``endpoints``        distinct (ip, port, host)
* ``model_instances``  obs_key, host, day, model_key, cap_key
* ``family_days``      host, day, local family: observations listing it, instances (cloud stubs left out)
* ``model_catalog_raw`` one row per distinct model_key with the model's fields
* ``capability_input`` one row per distinct cap_key, shaped like ``observations`` for enrichment's capability SQL
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llmcensus.errors import DataError
from llmcensus.observations.schema import MODEL, OBSERVATION_SCHEMA

OBS_LEAVES = ("observation_id", "ip", "port", "day", "status", "runtime", "version", "model_count", "running_count")
MODEL_LEAVES = ("name", "digest", "modified_at", "family", "families", "parameter_size", "quantization_level",
                "remote_host", "capabilities", "tags_capabilities", "template_flags", "has_projector", "system",
                "show_status")  # fmt: skip
# What enrichment's capability SQL reads from a model (equal values and version give equal labels).
CAP_FIELDS = ("name", "digest", "family", "families", "capabilities", "tags_capabilities", "template_flags",
              "has_projector", "parameter_size")  # fmt: skip
_MODEL_TYPE = pa.list_(pa.struct([MODEL.field(n) for n in MODEL_LEAVES]))
_RUNNING_TYPE = pa.list_(pa.struct([pa.field("name", pa.string())]))
_OLLAMA = "status = 'success' AND runtime = 'ollama'"
# Every field the metrics read joins name and digest in the key: what /api/show gave depends on the visit
# (fetched, skipped, failed), and what /api/tags says of one digest depends on the host's version (no
# details before v0.1.15; hf.co pulls report quantization "unknown" before v0.30). A narrower key let
# the catalogue keep whichever variant it met first, so metrics depended on file order.
_MODEL_KEY = ("hash(name, digest, show_status, capabilities, system, template_flags, family, families, "
              "parameter_size, quantization_level, remote_host)")
_CAP_STRUCT = ", ".join(f"{f} := {f}" for f in CAP_FIELDS)

_CREATE = """
CREATE OR REPLACE TABLE sweep_days_acc (day DATE, visits BIGINT);
CREATE OR REPLACE TABLE ollama_obs (obs_key UBIGINT, host UBIGINT, port INTEGER, day DATE, month DATE, version VARCHAR,
  model_count INTEGER, running_count INTEGER, inventory_sig UBIGINT, local_models INTEGER,
  local_without_capabilities INTEGER);
CREATE OR REPLACE TABLE endpoints_acc (ip VARCHAR, port INTEGER, host UBIGINT);
CREATE OR REPLACE TABLE model_instances (obs_key UBIGINT, host UBIGINT, day DATE, model_key UBIGINT, cap_key UBIGINT);
CREATE OR REPLACE TABLE family_days (host UBIGINT, day DATE, family VARCHAR, observations BIGINT, instances BIGINT);
CREATE OR REPLACE TABLE model_catalog_acc AS
  SELECT 0::UBIGINT AS model_key, * EXCLUDE (rid, parent) FROM _empty_models;
CREATE OR REPLACE TABLE capability_input_acc AS
  SELECT 0::UBIGINT AS cap_key, NULL::VARCHAR AS version, struct_pack({cap_struct}) AS mp FROM _empty_models;
"""

# Per batch: ``obs_all`` (every visit of the file), ``obs`` (its successful Ollama observations) and ``inst`` (their
# models, flattened by pyarrow: a row id ``rid`` and ``parent``, the row of its observation). Hashes are computed
# once into the narrow ``bo`` and ``b``; catalogue and capability rows are fetched only for keys not seen before.
_PER_BATCH = """
INSERT INTO sweep_days_acc SELECT day, count(*) FROM obs_all GROUP BY day;
CREATE OR REPLACE TEMP TABLE bo AS
  SELECT hash(observation_id) AS obs_key, {host_expr} AS host, * FROM obs;
CREATE OR REPLACE TEMP TABLE b AS
  SELECT i.rid, o.obs_key, o.host, o.day, i.model_key, hash(o.version, i.model_key) AS cap_key, i.inv
  FROM (SELECT rid, parent, {model_key} AS model_key,
               hash(coalesce(digest, ''), coalesce(modified_at, '')) AS inv FROM inst) i
  JOIN bo o USING (parent);
INSERT INTO model_instances SELECT obs_key, host, day, model_key, cap_key FROM b;
INSERT INTO family_days
  SELECT o.host, o.day, coalesce(nullif(i.family, ''), 'unknown'), count(DISTINCT o.obs_key), count(*)
  FROM inst i JOIN bo o USING (parent)
  WHERE NOT (coalesce(i.remote_host, '') <> '' OR i.name LIKE '%:cloud' OR i.name LIKE '%-cloud')
  GROUP BY ALL;
INSERT INTO ollama_obs
  SELECT o.obs_key, o.host, o.port, o.day, CAST(date_trunc('month', o.day) AS DATE), o.version,
         CAST(coalesce(o.model_count, o.models_len, 0) AS INTEGER),
         CAST(CASE WHEN o.running_len IS NULL THEN NULL ELSE coalesce(o.running_count, o.running_len) END AS INTEGER),
         s.sig, coalesce(c.local_models, 0), coalesce(c.without, 0)
  FROM bo o
  -- order-free inventory signature: the same (digest, modified_at) set gives the same value in any order
  LEFT JOIN (SELECT obs_key, hash(sum(inv::HUGEINT), count(*)) AS sig FROM b GROUP BY obs_key) s USING (obs_key)
  LEFT JOIN (
    SELECT parent, count(*) AS local_models, count(*) FILTER (WHERE capabilities IS NULL) AS without FROM inst
    WHERE NOT (coalesce(remote_host, '') <> '' OR name LIKE '%:cloud' OR name LIKE '%-cloud') GROUP BY parent
  ) c USING (parent);
INSERT INTO endpoints_acc SELECT DISTINCT ip, port, host FROM bo;
INSERT INTO model_catalog_acc
  SELECT k.model_key, i.* EXCLUDE (rid, parent)
  FROM (SELECT model_key, min(rid) AS rid FROM b WHERE model_key NOT IN (SELECT model_key FROM model_catalog_acc)
        GROUP BY model_key) k JOIN inst i USING (rid);
INSERT INTO capability_input_acc
  SELECT k.cap_key, k.version, struct_pack({cap_struct})
  FROM (SELECT b.cap_key, min(b.rid) AS rid, any_value(o.version) AS version FROM b JOIN bo o USING (obs_key)
        WHERE b.cap_key NOT IN (SELECT cap_key FROM capability_input_acc) GROUP BY b.cap_key) k JOIN inst i USING (rid);
"""

_FINISH = """
CREATE OR REPLACE TABLE sweep_days AS
  SELECT day, CAST(sum(visits) AS BIGINT) AS visits FROM sweep_days_acc GROUP BY day;
CREATE OR REPLACE TABLE endpoints AS SELECT DISTINCT ip, port, host FROM endpoints_acc;
CREATE OR REPLACE TABLE model_catalog_raw AS SELECT * FROM model_catalog_acc;
CREATE OR REPLACE TABLE capability_input AS
  SELECT CAST(cap_key AS VARCHAR) AS observation_id, NULL::VARCHAR AS sweep_id, NULL::VARCHAR AS ip,
         NULL::INTEGER AS port, NULL::DATE AS day, version, [mp] AS models
  FROM capability_input_acc;
DROP TABLE sweep_days_acc; DROP TABLE endpoints_acc; DROP TABLE model_catalog_acc; DROP TABLE capability_input_acc;
DROP TABLE IF EXISTS b; DROP TABLE IF EXISTS bo;
"""


def _conform(table: pa.Table, path: Path) -> pa.Table:
    """The batch with every column the SQL reads; fields a file's (older) schema lacks become nulls."""
    n = table.num_rows
    cols: dict[str, Any] = {}
    for name in OBS_LEAVES:
        field = OBSERVATION_SCHEMA.field(name)
        cols[name] = table.column(name).cast(field.type) if name in table.column_names else pa.nulls(n, field.type)
    for name, want in (("models", _MODEL_TYPE), ("running", _RUNNING_TYPE)):
        if name not in table.column_names:
            cols[name] = pa.nulls(n, want)
            continue
        col: Any = table.column(name).combine_chunks()
        if col.type == want:
            cols[name] = col
            continue
        values: Any = col.values
        have = {values.type.field(i).name for i in range(values.type.num_fields)}
        children = [
            values.field(f.name).cast(f.type) if f.name in have else pa.nulls(len(values), f.type)
            for f in want.value_type
        ]
        try:
            struct = pa.StructArray.from_arrays(children, fields=list(want.value_type), mask=values.is_null())
            cols[name] = pa.ListArray.from_arrays(col.offsets, struct, mask=col.is_null())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise DataError(f"{path}: cannot read {name}: {exc}") from exc
    return pa.table(cols)


def _read(path: Path) -> pa.Table:
    try:
        pf = pq.ParquetFile(path)
        paths = {pf.schema.column(i).path for i in range(len(pf.schema))}
        want = [c for c in OBS_LEAVES if c in paths]
        # a list<struct> leaf path is models.<list>.<element>.<field>[...]; writers name the middle parts differently
        prefixes = sorted({".".join(p.split(".")[:3]) for p in paths if p.startswith("models.")})
        element = prefixes[0] if prefixes else "models.list.element"
        want += [f"{element}.{leaf}" for leaf in MODEL_LEAVES if any(p.startswith(f"{element}.{leaf}") for p in paths)]
        running = sorted(p for p in paths if p.startswith("running.") and p.count(".") == 3 and p.endswith(".name"))
        table = pf.read(columns=want + running[:1], use_threads=False)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path}: unreadable observation file: {exc}") from exc
    return _conform(table, path)


def _batch(table: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(every visit, successful Ollama observations, their flattened models) of one file, all columnar."""
    ok: Any = pc.and_(
        pc.equal(table.column("status"), pa.scalar("success")), pc.equal(table.column("runtime"), pa.scalar("ollama"))
    )
    obs = table.filter(ok)
    models: Any = obs.column("models").combine_chunks()
    running: Any = obs.column("running").combine_chunks()
    obs_cols: dict[str, Any] = {n: obs.column(n) for n in ("observation_id", "ip", "port", "day", "version",
                                                           "model_count", "running_count")}  # fmt: skip
    obs_cols["parent"] = pa.array(np.arange(obs.num_rows, dtype=np.int32))  # joins ``inst.parent``
    obs_cols["models_len"] = pc.list_value_length(models)
    obs_cols["running_len"] = pc.list_value_length(running)
    flat: Any = pc.list_flatten(models)
    inst_cols: dict[str, Any] = {
        "rid": pa.array(np.arange(len(flat), dtype=np.int64)),
        "parent": pc.list_parent_indices(models),  # row of its observation in ``obs``
    }
    for i, f in enumerate(flat.type):
        inst_cols[f.name] = flat.field(i)
    return table.select(["day"]), pa.table(obs_cols), pa.table(inst_cols)


def ingest(
    con: duckdb.DuckDBPyConnection, files: list[Path], host_expr: str, prefetch: int = 3, batch_rows: int = 100_000
) -> None:
    """Decode each file once (reads run ahead on threads, SQL runs in order) and fill the tables above.

    Small files are gathered until ``batch_rows`` visits, so that the fixed cost of the per-batch statements is paid
    per hundred thousand visits rather than per file.
    """
    con.register("_empty_models", _batch(_empty())[2])
    con.execute(_CREATE.format(cap_struct=_CAP_STRUCT))
    con.unregister("_empty_models")
    per_batch = _PER_BATCH.format(host_expr=host_expr, model_key=_MODEL_KEY, cap_struct=_CAP_STRUCT)

    def run(tables: list[pa.Table]) -> None:
        obs_all, obs, inst = _batch(pa.concat_tables(tables) if len(tables) > 1 else tables[0])
        con.register("obs_all", obs_all)
        con.register("obs", obs)
        con.register("inst", inst)
        con.execute(per_batch)
        for name in ("obs_all", "obs", "inst"):
            con.unregister(name)

    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: deque[Future[pa.Table]] = deque(pool.submit(_read, p) for p in files[:prefetch])
        queue = iter(files[prefetch:])
        gathered: list[pa.Table] = []
        rows = 0
        while pending:
            table = pending.popleft().result()
            nxt = next(queue, None)
            if nxt is not None:
                pending.append(pool.submit(_read, nxt))
            gathered.append(table)
            rows += table.num_rows
            if rows >= batch_rows:
                run(gathered)
                gathered, rows = [], 0
        if gathered:
            run(gathered)
    con.execute(_FINISH)


def _empty() -> pa.Table:
    cols = {n: pa.nulls(0, OBSERVATION_SCHEMA.field(n).type) for n in OBS_LEAVES}
    cols["models"] = pa.nulls(0, _MODEL_TYPE)
    cols["running"] = pa.nulls(0, _RUNNING_TYPE)
    return pa.table(cols)
