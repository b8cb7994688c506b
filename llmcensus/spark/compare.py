"""Compare two engines' metric tables: the cross-engine test and ``bench/study.py --engine spark`` use it.

Values are compared after one normalisation (``plain``): decimals (DuckDB's HUGEINT sums) as int or float, floats
equal within 1e-9 (relative or absolute), NaN as NULL. Rows are compared as sorted multisets, and in order too when
the query ends in ORDER BY (rows tied on every ORDER BY key may come in either order: only the keys' order is
compared then).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pyarrow as pa

TOLERANCE = 1e-9


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (a == b and type(a) is type(b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # a sort key that tolerates NULLs and float noise below the tolerance
    return tuple((v is None, round(v, 6) if isinstance(v, float) else repr(v)) for v in row)


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(plain(v) for v in r.values()) for r in table.to_pylist()]


def differences(expected: pa.Table, actual: pa.Table, *, ordered: bool = False, limit: int = 3) -> list[str]:
    """What differs between two results of one metric (empty: equal)."""
    out: list[str] = []
    if expected.column_names != actual.column_names:
        return [f"columns {expected.column_names} != {actual.column_names}"]
    a, b = rows(expected), rows(actual)
    if len(a) != len(b):
        out.append(f"{len(a)} rows != {len(b)} rows")
    pairs = list(zip(a, b, strict=False)) if ordered else list(zip(sorted(a, key=_key), sorted(b, key=_key),
                                                                  strict=False))
    for x, y in pairs:
        if len(x) != len(y) or not all(_equal(p, q) for p, q in zip(x, y, strict=True)):
            out.append(f"{x} != {y}")
            if len(out) >= limit:
                break
    return out
