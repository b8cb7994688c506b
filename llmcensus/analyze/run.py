"""Run every named metric query over one data folder and collect the result tables.

``run_study`` attaches the store and its derived relations (``store/derive.py``), then runs each query of the
registry (``registry.py``) with its
parameters bound by name; ``headline`` pulls the figures people quote out of the results, each with and without
flagged hosts. All of it is set-based SQL in DuckDB: no per-row Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from llmcensus.analyze.registry import ParamValue, Query, load_registry
from llmcensus.errors import ConfigError
from llmcensus.store import db
from llmcensus.store.derive import ViewParams, attach


@dataclass(frozen=True)
class MetricResult:
    query: Query
    table: pa.Table
    params: dict[str, ParamValue]
    seconds: float

    def rows(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()


@dataclass
class StudyResults:
    data_dir: Path
    view_params: ViewParams
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    setup_seconds: float = 0.0

    def __getitem__(self, name: str) -> MetricResult:
        return self.metrics[name]


def run_study(
    data_dir: str | Path,
    *,
    view_params: ViewParams | None = None,
    params: dict[str, ParamValue] | None = None,
    names: list[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    refresh: bool = True,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> StudyResults:
    """Run the registry's queries (all, or ``names``) over the store of ``data_dir``.

    With ``refresh`` (the default) the store first folds in observation files it has not seen (``store.update``).
    ``params`` overrides query parameters by name (a name no query declares is a ``ConfigError``, so typos fail).
    ``progress("metrics", done, total)`` is called after each query.
    """
    registry = select_queries(params, names)
    vp = view_params or ViewParams()
    own = con is None
    con = con or db.connect()
    try:
        t0 = time.perf_counter()
        attach(con, data_dir, vp, refresh=refresh)
        results = StudyResults(Path(data_dir), vp, setup_seconds=time.perf_counter() - t0)
        for done, q in enumerate(registry.values(), 1):
            results.metrics[q.name] = run_query(con, q, params)
            if progress is not None:
                progress("metrics", done, len(registry))
        return results
    finally:
        if own:
            con.close()


def select_queries(params: Mapping[str, ParamValue] | None = None,
                   names: Sequence[str] | None = None) -> dict[str, Query]:
    """The registry's queries (all, or ``names`` in that order), after checking that every name in ``params`` is a
    parameter some query declares and every name in ``names`` a metric: a typo is a ``ConfigError``, whatever the
    engine that runs them."""
    registry = load_registry()
    known = {k for q in registry.values() for k in q.params}
    unknown = set(params or {}) - known
    if unknown:
        raise ConfigError(f"unknown query parameters: {', '.join(sorted(unknown))}")
    if names is not None:
        missing = [n for n in names if n not in registry]
        if missing:
            raise ConfigError(f"unknown metrics: {', '.join(missing)}")
        registry = {n: registry[n] for n in names}
    return registry


def run_query(
    con: duckdb.DuckDBPyConnection, query: Query, overrides: dict[str, ParamValue] | None = None
) -> MetricResult:
    bound = query.bind(overrides)
    used = {k: v for k, v in bound.items() if k in query.used_params()}
    t0 = time.perf_counter()
    with db.errors(f"metric {query.name}"):
        table = con.sql(query.sql, params=used or None).to_arrow_table()
    return MetricResult(query, table, bound, time.perf_counter() - t0)


def headline(results: StudyResults) -> dict[str, dict[str, Any]]:
    """The headline figures: ``{figure: {"all": value, "unflagged": value}}`` from the ``headline`` query."""
    if "headline" not in results.metrics:
        raise ConfigError("the headline metric was not run")
    out: dict[str, dict[str, Any]] = {}
    for row in results["headline"].rows():
        out.setdefault(row["figure"], {})[row["scope"]] = row["value"]
    return out
