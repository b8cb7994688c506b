"""Lenient readers for hostile JSON: a wrong type becomes ``None`` (unknown), never an exception.

Runtime parsers read replies from strangers. A field of the wrong type is recorded as unknown and the
fact is left to the evidence list; only a body that is not JSON at all, or not an object where one
is required, is a parse error (``protocol_error``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson


class ParseError(ValueError):
    """A reply that breaks the runtime's schema (not JSON, not an object, models not a list)."""


def json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {str(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise ParseError(f"expected a JSON object, got {type(value).__name__}")
    return value


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: object) -> int | None:
    # bool is an int in Python; a JSON true is not a size. Clamp to int64 so Arrow can store it.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            return None
        value = int(value)
    return value if -(2**63) <= value < 2**63 else None


def as_str_list(value: object) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [v for v in value if isinstance(v, str)]


def as_dict(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


_TS = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|z|[+-]\d\d:\d\d)$")


def parse_timestamp(text: str | None) -> datetime | None:
    """RFC3339 with 0-9 fraction digits and any zone -> aware UTC datetime (microseconds); bad -> None."""
    if not text:
        return None
    m = _TS.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    try:
        micro = int((frac or "0").ljust(6, "0")[:6])
        dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC)
    except ValueError:
        return None
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        try:
            dt = dt - sign * offset
        except OverflowError:
            return None
    return dt


def fraction_digits(text: str | None) -> int | None:
    """Digits after the seconds' dot (9 on real Ollama unless trailing zeros were trimmed; 3 on SGLang)."""
    if not text:
        return None
    m = _TS.match(text)
    if m is None:
        return None
    return len(m.group(7) or "")
