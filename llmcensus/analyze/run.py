"""Run every named metric query over one data folder and collect the result tables.

``run_study`` creates the views (``views.py``), then runs each query of the registry (``registry.py``) with its
parameters bound by name; ``headline`` pulls the figures people quote out of the results, each with and without
flagged hosts. All of it is set-based SQL in DuckDB: no per-row Python.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from llmcensus.analyze.registry import ParamValue, Query, load_registry
from llmcensus.analyze.views import ViewParams, create_views
from llmcensus.errors import ConfigError, DataError
from llmcensus.observations.reader import check_parts, observation_files


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


MEMORY_LIMIT_ENV = "LLMCENSUS_MEMORY_LIMIT"
_MIN_MEMORY_MB = 2560


def default_memory_limit() -> str:
    """DuckDB's budget: ``$LLMCENSUS_MEMORY_LIMIT`` if set, else two thirds of physical memory (at least 2560 MB).

    The rest is left to Python, pyarrow batches and the system. At seed scale the study needs about 1.5 GB whatever
    the budget; ten times the data needs about 14 GB in memory, and a fixed 2.5 GB budget made it spill most of its
    tables to disk, which cost a third of the run (bench/RESULTS.md). Past the budget DuckDB spills to its temp
    directory rather than failing.
    """
    env = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if env:
        return env
    try:
        total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        return f"{_MIN_MEMORY_MB}MB"
    return f"{max(_MIN_MEMORY_MB, total_mb * 2 // 3)}MB"


def connect(memory_limit: str | None = None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the study's settings; ``memory_limit`` defaults to
    ``default_memory_limit()``."""
    memory_limit = memory_limit or default_memory_limit()
    con = duckdb.connect()
    try:
        con.execute("SET memory_limit = ?", [memory_limit])
    except duckdb.Error as exc:
        raise ConfigError(f"memory limit {memory_limit!r}: {exc}") from None
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    # An in-memory database spills to ".tmp" in the working directory by default: the user's folder would
    # fill with DuckDB's scratch files. Spill under the system temp directory instead.
    spill = Path(tempfile.gettempdir()) / "llmcensus-duckdb"
    quoted = str(spill).replace("'", "''")
    con.execute(f"SET temp_directory = '{quoted}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def run_study(
    data_dir: str | Path,
    *,
    view_params: ViewParams | None = None,
    params: dict[str, ParamValue] | None = None,
    names: list[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> StudyResults:
    """Run the registry's queries (all, or ``names``) over ``data_dir``.

    ``params`` overrides query parameters by name (a name no query declares is a ``ConfigError``, so typos fail).
    """
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
    vp = view_params or ViewParams()
    check_parts(observation_files(data_dir))  # a newer or broken file stops the study before any work
    own = con is None
    con = con or connect()
    try:
        t0 = time.perf_counter()
        create_views(con, data_dir, vp)
        results = StudyResults(Path(data_dir), vp, setup_seconds=time.perf_counter() - t0)
        for q in registry.values():
            results.metrics[q.name] = run_query(con, q, params)
        return results
    finally:
        if own:
            con.close()


def run_query(
    con: duckdb.DuckDBPyConnection, query: Query, overrides: dict[str, ParamValue] | None = None
) -> MetricResult:
    bound = query.bind(overrides)
    used = {k: v for k, v in bound.items() if k in query.used_params()}
    t0 = time.perf_counter()
    try:
        table = con.sql(query.sql, params=used or None).to_arrow_table()
    except duckdb.Error as exc:
        raise DataError(f"metric {query.name}: {exc}") from exc
    return MetricResult(query, table, bound, time.perf_counter() - t0)


def headline(results: StudyResults) -> dict[str, dict[str, Any]]:
    """The headline figures: ``{figure: {"all": value, "unflagged": value}}`` from the ``headline`` query."""
    if "headline" not in results.metrics:
        raise ConfigError("the headline metric was not run")
    out: dict[str, dict[str, Any]] = {}
    for row in results["headline"].rows():
        out.setdefault(row["figure"], {})[row["scope"]] = row["value"]
    return out
