"""The one door to DuckDB: one configuration, one error boundary, one quoting rule.

Every DuckDB connection of llmcensus is opened by ``connect`` (a test fails on ``duckdb.connect`` anywhere else):
memory budget, spill directory, threads, time zone and insertion order are set here, so a metric cannot differ
between the stage that computes it and the one that reads it back. ``duckdb.Error`` becomes ``DataError`` (or
``ConfigError`` for a bad setting) at this boundary, like ``probe/http.py`` does for aiohttp.

This module is a foundation: any stage may import it (``tests/test_import_contract.py``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from llmcensus.errors import ConfigError, DataError

MEMORY_LIMIT_ENV = "LLMCENSUS_MEMORY_LIMIT"
_MIN_MEMORY_MB = 2560
TIMEZONE = "UTC"  # every day boundary of the study is a UTC day


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


def quote(text: str | Path) -> str:
    """``text`` as a SQL string literal (paths and names that cannot be bound as parameters, e.g. in DDL)."""
    value = text.as_posix() if isinstance(text, Path) else text
    return "'" + value.replace("'", "''") + "'"


def connect(
    database: str | Path | None = None, *, memory_limit: str | None = None, threads: int | None = None,
    read_only: bool = False,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with llmcensus's settings: in memory, or on the database file ``database``.

    ``memory_limit`` defaults to ``default_memory_limit()``; ``threads`` to DuckDB's (one per core). A database
    file that another process is writing is a ``DataError`` naming it (DuckDB allows one writing process)."""
    memory_limit = memory_limit or default_memory_limit()
    target = ":memory:" if database is None else str(database)
    if database is not None and not read_only:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as exc:
        raise DataError(f"cannot open {target}: {_first_line(exc)}") from None
    try:
        con.execute("SET memory_limit = ?", [memory_limit])
    except duckdb.Error as exc:
        con.close()
        raise ConfigError(f"memory limit {memory_limit!r}: {_first_line(exc)}") from None
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    # An in-memory database spills to ".tmp" in the working directory by default: the user's folder would
    # fill with DuckDB's scratch files. Spill under the system temp directory instead.
    spill = Path(tempfile.gettempdir()) / "llmcensus-duckdb"
    con.execute(f"SET temp_directory = {quote(spill)}")
    con.execute(f"SET TimeZone = {quote(TIMEZONE)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def errors(what: str) -> Iterator[None]:
    """Turn a ``duckdb.Error`` raised inside the block into ``DataError("<what>: <first line>")``."""
    try:
        yield
    except duckdb.Error as exc:
        raise DataError(f"{what}: {_first_line(exc)}") from exc
