"""The channel report: per discovery channel, candidates, confirmed LLM hosts, confirmation rate, overlap.

The metrics are named SQL queries in ``llmcensus/discover/sql/`` written in the analytics
convention (``-- name:``, ``-- definition:``, ``-- denominator:``, ``-- window:``, ``-- params:``)
over two views: ``candidates`` (deduplicated, ``CANDIDATES_SQL``) and ``observations`` (the probe's
Parquet, only ``ip, port, status, runtime`` are read). ``channel_report`` creates those views itself
so the table can be built from a data directory alone; the analytics runner can read the same files
once its views include ``candidates`` (``candidates_view_sql``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from llmcensus.discover.candidates import candidates_dir, candidates_view_sql
from llmcensus.store.db import connect, errors, quote
from llmcensus.store.layout import Layout

if TYPE_CHECKING:
    import duckdb

QUERY_NAMES = ("channel_summary", "channel_overlap")

_EMPTY_CANDIDATES = (
    "CREATE OR REPLACE VIEW candidates AS SELECT NULL::VARCHAR AS ip, NULL::INTEGER AS port, "
    "NULL::VARCHAR AS scheme, NULL::VARCHAR[] AS sources, NULL::TIMESTAMPTZ AS first_seen WHERE false"
)
_EMPTY_OBSERVATIONS = (
    "CREATE OR REPLACE VIEW observations AS SELECT NULL::VARCHAR AS ip, NULL::INTEGER AS port, "
    "NULL::VARCHAR AS status, NULL::VARCHAR AS runtime WHERE false"
)


def query_sql(name: str) -> str:
    return resources.files("llmcensus.discover").joinpath(f"sql/{name}.sql").read_text()


def query_header(name: str) -> dict[str, str]:
    """The ``-- key: value`` header of a channel query (continuation lines start with ``--  ``)."""
    out: dict[str, str] = {}
    key = None
    for line in query_sql(name).splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        head, sep, rest = body.partition(":")
        if sep and head in ("name", "definition", "denominator", "window", "params"):
            key = head
            out[key] = rest.strip()
        elif key is not None:
            out[key] += " " + body
    return out


def create_channel_views(con: duckdb.DuckDBPyConnection, data_dir: str | Path) -> None:
    """``candidates`` and ``observations`` views on a DuckDB connection (empty when a dataset is absent)."""
    root = Path(data_dir)
    if any(candidates_dir(root).glob("part-*.parquet")):
        con.execute(candidates_view_sql(root))
    else:
        con.execute(_EMPTY_CANDIDATES)
    layout = Layout(root)
    if layout.observation_files():  # both layouts: plain date folders and the older day= folders
        glob = quote(layout.observations / "**" / "*.parquet")
        con.execute(
            "CREATE OR REPLACE VIEW observations AS SELECT ip, port, status, runtime "
            f"FROM read_parquet({glob}, union_by_name = true, hive_partitioning = false)"
        )
    else:
        con.execute(_EMPTY_OBSERVATIONS)


def channel_report(data_dir: str | Path) -> dict[str, pa.Table]:
    """``{"channel_summary": table, "channel_overlap": table}`` for the data directory."""
    con = connect()
    try:
        with errors(f"{data_dir}: cannot build the channel report"):
            create_channel_views(con, data_dir)
            return {name: con.sql(query_sql(name)).to_arrow_table() for name in QUERY_NAMES}
    finally:
        con.close()
