"""Every relation and metric of a data folder computed on Spark, from the same Parquet files and the same SQL.

``run_study`` mirrors ``analyze.run.run_study`` and returns its ``StudyResults`` (Arrow tables), so the report
writer is shared. The relations are computed in full from every observation file (no incremental store on Spark):

1. Spark reads the observation files (schemas merged: a field an older file lacks is NULL, as ``store/ingest.py``'s
   ``_conform`` makes it) into ``obs`` (one row per visit, ``parent`` its id) and ``inst`` (one row per listed
   model, ``rid`` its id, ``parent`` its visit's): the two relations the ingest's per-batch SQL reads.
2. The ingest's SQL runs once, as one batch: ``_CREATE``, ``_PER_BATCH``, the choice of each model's and capability
   class's row (``_PICK`` below, what ``ingest._Worker.run`` does with pyarrow), ``_FOLD`` and ``_FINISH``. The
   ingest is written so that no relation depends on how files are batched (``tests/test_store_incremental.py``).
3. The store's derived relations (``relations.DERIVED``) and ``events`` (``events.events_sql``) over everything: the
   store's ``s.`` (persisted) and ``main.`` (delta) schemas are the same views here.
4. ``store/derive.py``'s analysis relations: ``derive.create_analysis_relations``, the steps ``derive.attach`` runs,
   on ``engine.SparkSQL`` (``tests/test_spark_engine.py`` checks that every relation ``attach`` makes exists here
   too; the ad-hoc ``observations`` view over raw Parquet is left out: no metric reads it).
5. Every query of the registry, with its parameters bound as literals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_type

from llmcensus.analyze.registry import ParamValue
from llmcensus.analyze.run import MetricResult, StudyResults, select_queries
from llmcensus.enrich.schema import GEO_SCHEMA, MODELS_SCHEMA, PROMPTS_SCHEMA
from llmcensus.errors import DataError
from llmcensus.observations.contentstore import part_files
from llmcensus.observations.schema import MODEL, OBSERVATION_SCHEMA
from llmcensus.spark import dialect
from llmcensus.spark.engine import SparkSQL
from llmcensus.store import decode, derive, events, ingest
from llmcensus.store.derive import ViewParams
from llmcensus.store.layout import Layout
from llmcensus.store.relations import DERIVED, HOST_KEYS, MERGES

# What ``ingest._Worker.run`` picks with pyarrow: the first row (lowest ``rid``) of each model and capability class.
# (A row is a function of its key, so which row does not matter; the lowest keeps it deterministic.)
_PICK = f"""
CREATE OR REPLACE TABLE model_catalog_acc AS
  SELECT k.model_key, i.ord, {", ".join(f"i.{c}" for c in ingest.CATALOG_FIELDS)}
  FROM (SELECT model_key, min(rid) AS rid FROM bi GROUP BY model_key) k JOIN inst i ON i.rid = k.rid;
CREATE OR REPLACE TABLE capability_input_acc AS
  SELECT k.cap_key, i.ord, o.version, struct_pack({", ".join(f"{c} := i.{c}" for c in ingest.CAP_FIELDS)}) AS mp
  FROM (SELECT cap_key, min(rid) AS rid FROM bi GROUP BY cap_key) k JOIN inst i ON i.rid = k.rid
  JOIN bo o ON o.parent = i.parent;
"""
_EVENTS = f"CREATE OR REPLACE TABLE events AS {events.events_sql(rebuild=True)}"
_STORE_RELATIONS = (*MERGES, *DERIVED, "events")


def _spark_type(arrow: pa.DataType) -> str:
    return str(from_arrow_type(arrow).simpleString())


def _resolved(spark: SparkSession, raw: DataFrame, inventory_files: list[Path]) -> DataFrame:
    """``raw`` with every model list stored in the inventory store (schema v3) put back in ``models``, each model's
    ``show_status`` from ``model_show_status`` (as ``observations.inventories.Inventories.resolve``)."""
    if "inventory_hash" not in raw.columns or not inventory_files:
        return raw
    stored = spark.read.option("mergeSchema", "true").parquet(*[f.as_posix() for f in inventory_files])
    stored = stored.dropDuplicates(["hash"]).withColumnRenamed("models", "_stored")  # a list stored by two shards
    status = "model_show_status[k]" if "model_show_status" in raw.columns else "CAST(NULL AS STRING)"
    fields = ", ".join(f"'{f.name}', " + (status if f.name == "show_status" else f"m.{f.name}") for f in MODEL)
    put_back = F.expr(f"transform(_stored, (m, k) -> named_struct({fields}))")
    joined = raw.join(stored, raw["inventory_hash"] == stored["hash"], "left")
    if "models" in raw.columns:
        put_back = F.when(F.col("inventory_hash").isNull(), F.col("models")).otherwise(put_back)
    return joined.withColumn("models", put_back).drop("_stored", "hash")


def _observations(spark: SparkSession, files: list[Path], inventory_files: list[Path],
                  ) -> tuple[DataFrame, DataFrame]:
    """``obs`` and ``inst`` (see the module docstring) from ``files``."""
    raw = spark.read.option("mergeSchema", "true").parquet(*[f.as_posix() for f in files])
    raw = _resolved(spark, raw, inventory_files)
    have = set(raw.columns)
    cols = []
    for name in decode.OBS_LEAVES:
        kind = _spark_type(OBSERVATION_SCHEMA.field(name).type)
        cols.append((F.col(name) if name in have else F.lit(None)).cast(kind).alias(name))
    fields: set[str] = set()
    if "models" in have:
        fields = set(raw.schema["models"].dataType.elementType.fieldNames())  # type: ignore[attr-defined]
    model_cols = []
    for name in decode.MODEL_LEAVES:
        kind = _spark_type(MODEL.field(name).type)
        model_cols.append(f"'{name}', " + (f"CAST(m.{name} AS {kind})" if name in fields else f"CAST(NULL AS {kind})"))
    models = (F.expr(f"transform(models, m -> named_struct({', '.join(model_cols)}))") if "models" in have
              else F.lit(None).cast(f"array<struct<{', '.join(f'{n}: string' for n in decode.MODEL_LEAVES)}>>"))
    running = F.size("running") if "running" in have else F.lit(None).cast("int")
    obs = raw.select(*cols, models.alias("models"), running.alias("running_len"))
    obs = obs.withColumn("models_len", F.size("models")).withColumn("parent", F.monotonically_increasing_id())
    obs = obs.localCheckpoint(eager=True)
    inst = obs.selectExpr("parent", "posexplode(models) AS (pos, m)").selectExpr("parent", "m.*")
    inst = inst.withColumn("rid", F.monotonically_increasing_id()).withColumn("ord", F.col("rid"))
    return obs.drop("models"), inst.localCheckpoint(eager=True)


def _enrichment(sql: SparkSQL, name: str, folder: Path, schema: pa.Schema, key: str) -> None:
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if files:
        df = sql.spark.read.option("mergeSchema", "true").parquet(*[f.as_posix() for f in files])
        sql.materialise(df.dropDuplicates([k.strip() for k in key.split(",")]), name)
    else:
        sql.register(name, schema.empty_table())


def build_relations(spark: SparkSession, data_dir: str | Path, params: ViewParams | None = None) -> SparkSQL:
    """Every relation the metric queries read, as temporary views of ``spark`` (see the module docstring)."""
    p = params or ViewParams()
    layout = Layout(data_dir)
    files = layout.observation_files()
    if not files:
        raise DataError(f"{layout.observations}: no observation Parquet files (YYYY-MM-DD/part-*.parquet)")
    host_expr = HOST_KEYS[p.host_key]
    # a session that built another folder's relations still has them: CREATE TABLE IF NOT EXISTS would keep them
    for table in spark.catalog.listTables():
        if table.isTemporary:
            spark.catalog.dropTempView(table.name)
    sql = SparkSQL(spark, {"s": "", "main": ""})
    obs, inst = _observations(spark, files, part_files(layout.inventories))
    obs.createOrReplaceTempView("obs")
    inst.createOrReplaceTempView("inst")
    spark.sql("SELECT * FROM inst WHERE false").createOrReplaceTempView("_empty_models")
    sql.execute(ingest._CREATE.format(cap_struct=ingest._CAP_STRUCT, catalog_fields=", ".join(ingest.CATALOG_FIELDS)))
    sql.execute(ingest._WORKER_TABLES)
    sql.execute(ingest._PER_BATCH.format(host_expr=host_expr, model_key=ingest._MODEL_KEY, cap_key=ingest._CAP_KEY,
                                         day_bit=ingest.DAY_BIT, stamp_re=ingest.STAMP_RE))  # fmt: skip
    sql.execute(_PICK)
    sql.execute(ingest._FOLD)
    sql.execute(ingest._FINISH)
    for statements in DERIVED.values():
        for statement in statements:
            sql.execute(statement)
    sql.execute(_EVENTS)
    # the analysis phase reads the store's relations as s.<name>
    for name in _STORE_RELATIONS:
        spark.table(name).createOrReplaceTempView(f"s_{name}")
    sql.schemas = {"s": "s_"}
    sql.execute(derive._STORE_VIEWS)
    _enrichment(sql, "geo", layout.enrich_geo, GEO_SCHEMA, "ip")
    _enrichment(sql, "models_enriched", layout.enrich_models, MODELS_SCHEMA, "name, digest")
    _enrichment(sql, "prompts", layout.enrich_prompts, PROMPTS_SCHEMA, "prompt_sha")
    derive.create_analysis_relations(sql, p)  # the store's helpers take a DuckDB connection; SparkSQL offers it
    return sql


def run_study(spark: SparkSession, data_dir: str | Path, *, view_params: ViewParams | None = None,
              params: Mapping[str, ParamValue] | None = None, names: list[str] | None = None,
              progress: Callable[[str, int, int | None], None] | None = None) -> StudyResults:
    """``analyze.run.run_study`` on Spark: the registry's queries (all, or ``names``) over ``data_dir``."""
    registry = select_queries(params, names)
    vp = view_params or ViewParams()
    t0 = time.perf_counter()
    sql = build_relations(spark, data_dir, vp)
    results = StudyResults(Path(data_dir), vp, setup_seconds=time.perf_counter() - t0)
    for done, q in enumerate(registry.values(), 1):
        bound = q.bind(dict(params or {}))
        used = {k: v for k, v in bound.items() if k in q.used_params()}
        t1 = time.perf_counter()
        (tree,) = dialect.parse(q.sql)
        table = sql.query(tree, used).toArrow()
        results.metrics[q.name] = MetricResult(q, table, bound, time.perf_counter() - t1)
        if progress is not None:
            progress("metrics", done, len(registry))
    return results



def study_results(data_dir: str | Path, *, view_params: ViewParams | None = None,
                  params: Mapping[str, ParamValue] | None = None, master: str | None = None,
                  conf: Sequence[str] | Mapping[str, str] | None = None,
                  progress: Callable[[str, int, int | None], None] | None = None) -> StudyResults:
    """``run_study`` in a Spark session of its own (``master``, default ``local[*]``; ``conf``: Spark settings as
    ``key=value`` strings or a mapping), stopped afterwards unless it was already running."""
    from llmcensus.spark.session import DEFAULT_MASTER, make_session, parse_conf

    settings = parse_conf(conf)
    running = SparkSession.getActiveSession()
    spark = make_session(master or DEFAULT_MASTER, settings)
    try:
        return run_study(spark, data_dir, view_params=view_params, params=params, progress=progress)
    finally:
        if running is None:
            spark.stop()
