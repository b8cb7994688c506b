"""Capability labels per model instance: a DuckDB view over observations.

The SQL lives in ``sql/model_capabilities.sql`` (its header documents every column); this module
fills in the architecture lists from ``reference/data/families.csv`` and creates the view.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from llmcensus.reference.catalog import families

LABELS = ("reported", "inferred", "unknown")


def _sql_list(items: list[str]) -> str:
    quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in sorted(items))
    return quoted or "NULL"


@lru_cache(maxsize=4)
def capabilities_sql(source: str = "observations") -> str:
    """The rendered ``CREATE VIEW model_capabilities`` statement over the relation ``source`` (any relation shaped
    like ``observations``: the store passes one row per capability class)."""
    if not source.isidentifier():
        raise ValueError(f"not a relation name: {source!r}")
    text = resources.files("llmcensus.enrich").joinpath("sql/model_capabilities.sql").read_text(encoding="utf-8")
    fams = families()
    subs = {
        "{catalogued_families}": _sql_list(list(fams)),
        "{embedding_families}": _sql_list([f for f, x in fams.items() if x.embedding]),
        "{vision_families}": _sql_list([f for f, x in fams.items() if x.vision == "yes"]),
        "{vision_size_families}": _sql_list([f for f, x in fams.items() if x.vision == "size"]),
        "{source}": source,
    }
    for key, value in subs.items():
        text = text.replace(key, value)
    return text


def create_capabilities_view(con: Any) -> None:
    """Create ``model_capabilities`` on a DuckDB connection that already has ``observations``."""
    con.execute(capabilities_sql())
