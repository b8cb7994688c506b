"""Run DuckDB scripts on Spark: each statement translated (``dialect.py``) and executed as temporary views.

``SparkSQL`` stands in for the DuckDB connection the store's SQL was written against: ``CREATE TABLE ... AS``
becomes a DataFrame materialised with ``localCheckpoint`` (so that a long chain of relations does not make Spark
re-plan its whole lineage), ``INSERT INTO`` a union (the ingest's accumulating tables, read once when folded),
``CREATE VIEW`` a temporary view, ``DROP`` a dropped view. It also offers the few
methods of a DuckDB connection that the store's helpers call (``execute``, ``fetchall``, ``register``), so
``store/derive.py``'s advisory and capability steps and ``store/lineage.py`` run unchanged on Spark.

Spark temporary views have no schemas: the store's ``s.<name>`` (the persisted relations) and ``main.<name>`` (the
delta of an update) are mapped by ``schemas``, a prefix per schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from sqlglot import exp

from llmcensus.errors import DataError
from llmcensus.spark import dialect


class _Result:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class SparkSQL:
    """DuckDB SQL on a Spark session; ``schemas`` maps a schema name to the prefix of its views."""

    def __init__(self, spark: SparkSession, schemas: Mapping[str, str] | None = None) -> None:
        self.spark = spark
        self.schemas: dict[str, str] = dict(schemas or {})

    # -- the DuckDB-connection surface the store's helpers use ---------------------------------------------------
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> _Result:
        """Run a script; the last statement's rows when it is a query (``DESCRIBE x`` gives x's columns)."""
        described = re.fullmatch(r"\s*DESCRIBE\s+(\w+)\s*", sql, flags=re.IGNORECASE)
        if described:
            df = self.spark.table(described.group(1))
            return _Result([(f.name, f.dataType.simpleString()) for f in df.schema.fields])
        last: DataFrame | None = None
        for tree in dialect.parse(sql):
            last = self.statement(tree, params)
        return _Result([tuple(r) for r in last.collect()] if last is not None else [])

    def register(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    # -- statements -----------------------------------------------------------------------------------------------
    def table_name(self, table: exp.Table) -> str:
        prefix = self.schemas.get(table.db, "") if table.db else ""
        return prefix + table.name

    def _tables(self, node: exp.Table) -> exp.Table | None:
        if not node.db or node.db not in self.schemas or not node.name:
            return None
        out = node.copy()
        out.set("db", None)
        out.set("this", exp.to_identifier(self.table_name(node)))
        return out

    def to_spark(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> str:
        tree = dialect.rewrite(tree, params, self._tables)
        tree = dialect.expand_unpivot(tree, self._columns)
        return dialect.to_spark(tree)

    def _columns(self, select: exp.Expression) -> list[str]:
        return list(self.spark.sql(dialect.to_spark(select)).columns)

    def query(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> DataFrame:
        text = self.to_spark(tree, params)
        try:
            return self.spark.sql(text)
        except AnalysisException as exc:
            first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            raise DataError(f"Spark refused the translated SQL: {first}\n{text}") from exc

    def exists(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def statement(self, tree: exp.Expression, params: Mapping[str, Any] | None = None) -> DataFrame | None:
        if isinstance(tree, exp.Create):
            self._create(tree, params)
            return None
        if isinstance(tree, exp.Insert):
            target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            name = self.table_name(target)
            old = self.spark.table(name)
            new = self.query(tree.expression, params)
            # INSERT INTO t SELECT is positional, and the table keeps its column types
            new = new.toDF(*old.columns)
            new = new.select(*[new[c].cast(f.dataType).alias(c) for c, f in zip(old.columns, old.schema.fields,
                                                                                strict=True)])
            # kept lazy: the accumulating tables of the ingest are read once, by the statement that folds them
            old.unionByName(new).createOrReplaceTempView(name)
            return None
        if isinstance(tree, exp.Drop):
            for table in tree.args.get("tables") or [tree.this]:
                self.spark.catalog.dropTempView(self.table_name(table))
            return None
        if isinstance(tree, exp.Delete):
            # the store deletes the rows an update recomputes; Spark computes every relation in full, once, so
            # there is never anything to delete (docs/spark.md)
            return None
        return self.query(tree, params)

    def _create(self, tree: exp.Create, params: Mapping[str, Any] | None) -> None:
        target = tree.this
        if isinstance(target, exp.Schema):  # CREATE TABLE t (column type, ...): an empty table of that schema
            name = self.table_name(target.this)
            if tree.args.get("exists") and self.exists(name):
                return None
            cols = []
            for col in target.expressions:
                kind = dialect.rewrite(col.args["kind"].copy())
                cols.append(f"CAST(NULL AS {dialect.to_spark(kind)}) AS `{col.name}`")
            self.spark.sql(f"SELECT {', '.join(cols)} WHERE false").createOrReplaceTempView(name)
            return None
        name = self.table_name(target)
        if tree.args.get("exists") and self.exists(name):
            return None
        df = self.query(tree.expression, params)
        if str(tree.args.get("kind", "")).upper() == "VIEW":
            df.createOrReplaceTempView(name)
        else:
            self.materialise(df, name)
        return None

    def materialise(self, df: DataFrame, name: str) -> None:
        """``df`` computed now and kept as the view ``name``: a table, as DuckDB's CREATE TABLE makes one (a
        checkpoint cuts the plan: a relation read by many later ones is neither recomputed nor re-planned)."""
        df.localCheckpoint(eager=True).createOrReplaceTempView(name)
