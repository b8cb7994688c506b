"""Lenient readers for hostile JSON: a wrong type becomes ``None`` (unknown), never an exception.

Runtime parsers read replies from strangers. A field of the wrong type is recorded as unknown and the
fact is left to the evidence list; only a body that is not JSON at all, or not an object where one
is required, is a parse error (``protocol_error``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

# Longest text kept per recorded field, in characters (docs/schema.md "Length caps" lists them; a test
# keeps the two equal). A longer value is cut, not rejected: the raw body keeps what was sent (up to
# ``raw_body_cap``). Real values are far shorter: versions ~10, names ~40, system prompts a few KiB.
CAPS: dict[str, int] = {
    "version": 64,
    "server_header": 256,
    "name": 256,
    "model": 256,
    "digest": 128,
    "modified_at": 64,
    "parent_model": 256,
    "format": 32,
    "family": 64,
    "families": 64,
    "parameter_size": 32,
    "quantization_level": 32,
    "remote_model": 256,
    "remote_host": 256,
    "capabilities": 32,
    "system": 16384,
    "parameters": 4096,
    "license_head": 200,
    "modelfile_from": 512,
    "arch": 64,
    "show_keys": 64,
    "template": 65536,
    "expires_at": 64,
}
MAX_LIST_ITEMS = 64  # items kept in a recorded list of strings (families, capabilities, show_keys)


class ParseError(ValueError):
    """A reply that breaks the runtime's schema (not JSON, not an object, models not a list)."""


def _lenient(body: bytes) -> Any:
    """Python's parser for what orjson refuses only because of a number (1e400, NaN, Infinity): that one
    value becomes unknown instead of the whole reply being thrown away. orjson has already checked the
    nesting depth (<= 1024) before it reached the number, so the recursion here is bounded."""
    try:
        return json.loads(body, parse_constant=lambda _: None)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"invalid JSON: {str(exc)[:120]}") from None


def json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        text = str(exc)
        # Python's json.dumps writes NaN and Infinity by default, so Python servers send them
        near = body[max(exc.pos - 1, 0): exc.pos + 8]
        if not (text.startswith("number") or b"NaN" in near or b"Infinity" in near):
            raise ParseError(f"invalid JSON: {text[:120]}") from None
        value = _lenient(body)
    if not isinstance(value, dict):
        raise ParseError(f"expected a JSON object, got {type(value).__name__}")
    return value


def as_str(value: object, cap: int | None = None) -> str | None:
    if not isinstance(value, str):
        return None
    return value if cap is None else value[:cap]


def as_int(value: object) -> int | None:
    # bool is an int in Python; a JSON true is not a size. Clamp to int64 so Arrow can store it.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            return None
        value = int(value)
    return value if -(2**63) <= value < 2**63 else None


def as_str_list(value: object, cap: int | None = None) -> list[str] | None:
    if not isinstance(value, list):
        return None
    items = [v for v in value[:MAX_LIST_ITEMS] if isinstance(v, str)]
    return items if cap is None else [v[:cap] for v in items]


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
