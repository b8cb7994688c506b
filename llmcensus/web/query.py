"""Request values -> typed query parameters, row filters and a page: every value is parsed here and then *bound*
(DuckDB parameters) or compared in pyarrow; nothing a client sends is ever pasted into SQL text.

A bad value is a ``RequestError`` (HTTP 400 with a JSON ``error``), naming the parameter, never echoing a long or
hostile value in full (``inert``, cut to 80 characters).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from llmcensus.analyze.registry import ParamValue, Query
from llmcensus.inert import inert

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_OFFSET = 10**9
MAX_TEXT = 200  # a text parameter or filter value longer than this is refused
# Filters by name -> the result columns they compare (the first column the metric has is used). ``since`` and
# ``until`` are inclusive UTC days compared with a day, a month (its first day) or a first-seen day.
EQUAL_FILTERS = {"country": ("country",), "tier": ("tier",), "runtime": ("runtime",), "lineage": ("lineage",)}
DAY_FILTERS = {"since": ("day", "month", "first_seen"), "until": ("day", "month", "first_seen")}
FILTERS = (*EQUAL_FILTERS, *DAY_FILTERS)
PAGING = ("limit", "offset")
_INT = re.compile(r"^[+-]?\d{1,18}$", re.ASCII)
_FLOAT = re.compile(r"^[+-]?(\d{1,15}(\.\d{0,15})?|\.\d{1,15})([eE][+-]?\d{1,3})?$", re.ASCII)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


class RequestError(ValueError):
    """A request value the server refuses: HTTP ``status`` (400 unless stated) with ``message``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def shown(value: str) -> str:
    """A client's value as it may appear in an error message: inert and short."""
    return repr(inert(value, limit=80))


def _text(name: str, raw: str) -> str:
    if len(raw) > MAX_TEXT:
        raise RequestError(f"{name}: at most {MAX_TEXT} characters")
    if "\x00" in raw:
        raise RequestError(f"{name}: a NUL character is not a value")
    return raw


def parse_int(name: str, raw: str, *, lo: int, hi: int) -> int:
    if not _INT.match(raw.strip()):
        raise RequestError(f"{name} takes a whole number, not {shown(raw)}")
    value = int(raw)
    if not lo <= value <= hi:
        raise RequestError(f"{name} must be between {lo} and {hi}")
    return value


def parse_param(query: Query, name: str, raw: str) -> ParamValue:
    """One declared parameter of ``query`` from its text, typed like its default (``registry.py``)."""
    default = query.params[name]
    if isinstance(default, bool):  # not produced by the registry today; refuse rather than guess
        raise RequestError(f"{name}: boolean parameters are not served")
    if isinstance(default, int):
        return parse_int(name, raw, lo=-(2**62), hi=2**62)
    if isinstance(default, float):
        text = raw.strip()
        if not _FLOAT.match(text) or not math.isfinite(float(text)):
            raise RequestError(f"{name} takes a decimal number, not {shown(raw)}")
        return float(text)
    return _text(name, raw)


def parse_day(name: str, raw: str) -> date:
    if not _DAY.match(raw.strip()):
        raise RequestError(f"{name} takes a day YYYY-MM-DD, not {shown(raw)}")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise RequestError(f"{name} takes a real day YYYY-MM-DD, not {shown(raw)}") from None


@dataclass(frozen=True)
class MetricRequest:
    """One metric request, parsed: parameter overrides, filters (name -> value) and the page."""

    params: dict[str, ParamValue]
    filters: dict[str, str | date]
    limit: int
    offset: int

    def cache_key(self) -> tuple[tuple[str, ParamValue], ...]:
        return tuple(sorted(self.params.items()))


def parse_request(query: Query, values: Mapping[str, list[str]], *, default_limit: int = DEFAULT_LIMIT
                  ) -> MetricRequest:
    """Parse the query string of a metric request. ``values`` maps each name to every value sent for it (a name
    sent twice is refused: which one would count?). Unknown names are refused, with the ones this metric takes."""
    params: dict[str, ParamValue] = {}
    filters: dict[str, str | date] = {}
    limit, offset = default_limit, 0
    for name, sent in values.items():
        if len(sent) != 1:
            raise RequestError(f"{shown(name)} given {len(sent)} times; give it once")
        raw = sent[0]
        if name in query.params:
            params[name] = parse_param(query, name, raw)
        elif name in EQUAL_FILTERS:
            filters[name] = _text(name, raw)
        elif name in DAY_FILTERS:
            filters[name] = parse_day(name, raw)
        elif name == "limit":
            limit = parse_int("limit", raw, lo=1, hi=MAX_LIMIT)
        elif name == "offset":
            offset = parse_int("offset", raw, lo=0, hi=MAX_OFFSET)
        else:
            known = ", ".join([*query.params, *FILTERS, *PAGING])
            raise RequestError(f"unknown parameter {shown(name)} for metric {query.name} (it takes: {known})")
    return MetricRequest(params, filters, limit, offset)


def filter_column(table: pa.Table, name: str) -> str | None:
    """The result column filter ``name`` compares, or None when the metric has none."""
    candidates = EQUAL_FILTERS.get(name) or DAY_FILTERS.get(name) or ()
    return next((c for c in candidates if c in table.column_names), None)


def supported_filters(table: pa.Table) -> list[str]:
    return [f for f in FILTERS if filter_column(table, f) is not None]


def apply_filters(table: pa.Table, filters: Mapping[str, str | date]) -> pa.Table:
    """``table`` with the rows every filter keeps (pyarrow compute, values bound as scalars). A filter the metric
    has no column for is a ``RequestError`` listing the ones it has: silently ignoring it would show wrong rows."""
    mask: Any = None
    for name, value in filters.items():
        column = filter_column(table, name)
        if column is None:
            have = ", ".join(supported_filters(table)) or "none"
            raise RequestError(f"this metric has no column for the filter {name} (filters it takes: {have})")
        col: Any = table[column]
        cond: Any
        if name in EQUAL_FILTERS:
            if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
                col = pc.cast(col, pa.string())
            cond = pc.equal(col, pa.scalar(str(value), pa.string()))
        else:
            if not pa.types.is_date32(col.type):
                col = pc.cast(col, pa.date32())
            scalar = pa.scalar(value, pa.date32())
            cond = pc.greater_equal(col, scalar) if name == "since" else pc.less_equal(col, scalar)
        cond = pc.fill_null(cond, pa.scalar(False))
        mask = cond if mask is None else pc.and_(mask, cond)
    return table if mask is None else table.filter(mask)
