"""Byte-compatible re-implementations of the Go formatting the simulated servers rely on.

``dumps`` reproduces Go ``encoding/json`` compact output: dict keys in insertion order (callers build
dicts in Go struct declaration order, and sort map-typed fields such as ``model_info`` themselves),
``<``, ``>``, ``&``, U+2028 and U+2029 escaped as ``\\u003c`` … (Go's HTML-safe default, visible in
every Ollama template), floats in Go's shortest form, ``None`` as ``null``. Control characters follow
Go >= 1.22 (``\\b`` and ``\\f`` short forms). ``html_escape=False`` gives the output of JSON libraries
that do not escape (nlohmann, Python ``json``), used by look-alike personae.

``rfc3339nano`` formats a Unix-nanosecond instant the way Go's ``time.RFC3339Nano`` does in a fixed
zone: fraction trimmed of trailing zeros (and dropped when zero), ``Z`` for a zero offset.

``go_quote`` is ``strconv.Quote`` (what ``%#v`` prints for a string) and ``go_unquote`` its inverse.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

# C-accelerated JSON string escaper with ensure_ascii=False semantics; Go escapes the same set of
# control characters, so only the HTML-unsafe characters need a second pass.
_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
_HTML_UNSAFE = re.compile("[<>&\u2028\u2029]")
_HTML_MAP = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SURROGATE = re.compile("[\ud800-\udfff]")


class RawJSON:
    """Pre-encoded JSON text embedded verbatim by ``dumps`` (used to splice cached fragments)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def go_float(value: float) -> str:
    """Go ``encoding/json`` float64: shortest digits, 'f' form unless |v| < 1e-6 or >= 1e21."""
    if value != value or value in (float("inf"), float("-inf")):
        # Go refuses to encode these (UnsupportedValueError); we never produce them, but a simulator
        # must not crash on them either, so emit what a lenient encoder would.
        return "null"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    sign, digits, exp = Decimal(repr(value)).as_tuple()
    assert isinstance(exp, int)
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    # Decimal exponent of the first significant digit.
    point = len(digits) + exp  # position of the decimal point relative to the digit string start
    absval = abs(value)
    prefix = "-" if sign else ""
    if absval < 1e-6 or absval >= 1e21:
        e = point - 1
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        es = f"{'-' if e < 0 else '+'}{abs(e):02d}"
        if es.startswith("-0") and len(es) == 3:
            es = "-" + es[2]  # Go trims e-07 to e-7 (but keeps e+21)
        return f"{prefix}{mant}e{es}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{ds}"
    if point >= len(ds):
        return f"{prefix}{ds}{'0' * (point - len(ds))}"
    return f"{prefix}{ds[:point]}.{ds[point:]}"


def _str(s: str, html_escape: bool) -> str:
    out: str = _encode_str(s)
    if html_escape and _HTML_UNSAFE.search(out):
        out = _HTML_UNSAFE.sub(lambda m: _HTML_MAP[m.group(0)], out)
    if _SURROGATE.search(out):
        # Go replaces invalid UTF-8 with U+FFFD; a lone surrogate is Python's equivalent.
        out = _SURROGATE.sub("\ufffd", out)
    return out


def _enc(obj: object, parts: list[str], html_escape: bool) -> None:
    if obj is None:
        parts.append("null")
    elif obj is True:
        parts.append("true")
    elif obj is False:
        parts.append("false")
    elif isinstance(obj, str):
        parts.append(_str(obj, html_escape))
    elif isinstance(obj, int):
        parts.append(str(obj))
    elif isinstance(obj, float):
        parts.append(go_float(obj))
    elif isinstance(obj, RawJSON):
        parts.append(obj.text)
    elif isinstance(obj, Mapping):
        parts.append("{")
        first = True
        for k, v in obj.items():
            if not first:
                parts.append(",")
            first = False
            parts.append(_str(str(k), html_escape))
            parts.append(":")
            _enc(v, parts, html_escape)
        parts.append("}")
    elif isinstance(obj, Sequence) and not isinstance(obj, (bytes, bytearray)):
        parts.append("[")
        for i, v in enumerate(obj):
            if i:
                parts.append(",")
            _enc(v, parts, html_escape)
        parts.append("]")
    else:
        raise TypeError(f"gojson cannot encode {type(obj).__name__}")


def dumps_str(obj: object, html_escape: bool = True) -> str:
    parts: list[str] = []
    _enc(obj, parts, html_escape)
    return "".join(parts)


def dumps(obj: object, html_escape: bool = True) -> bytes:
    """Compact Go-style JSON as UTF-8 bytes (no trailing newline, like gin's ``c.JSON``)."""
    return dumps_str(obj, html_escape).encode("utf-8")


_EPOCH = _dt.datetime(1970, 1, 1)
_MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59: beyond it Go would print a 5-digit year; we clamp


def rfc3339nano(unix_ns: int, tz_offset_min: int = 0) -> str:
    """Go ``t.In(zone).Format(time.RFC3339Nano)`` for a fixed-offset zone."""
    secs, frac = divmod(int(unix_ns), 1_000_000_000)
    local = secs + tz_offset_min * 60
    local = max(-62135596800, min(local, _MAX_SECONDS))  # Go's zero time .. year 9999
    stamp = (_EPOCH + _dt.timedelta(seconds=local)).strftime("%Y-%m-%dT%H:%M:%S")
    if stamp[0] != "0" and len(stamp.split("-")[0]) < 4:  # strftime does not pad years < 1000 everywhere
        stamp = stamp.zfill(19)
    if frac:
        stamp += "." + f"{frac:09d}".rstrip("0")
    if tz_offset_min == 0:
        return stamp + "Z"
    sign = "+" if tz_offset_min > 0 else "-"
    h, m = divmod(abs(tz_offset_min), 60)
    return f"{stamp}{sign}{h:02d}:{m:02d}"


ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's time.Time{} as JSON: never omitted, even with omitempty


def go_quote(s: str) -> str:
    """``strconv.Quote``: printable Unicode kept, ``\\a\\b\\f\\n\\r\\t\\v`` short escapes, others \\x/\\u/\\U."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in _SHORT:
            out.append(_SHORT[ch])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\\ufffd")
        elif o >= 0x80 and not ch.isprintable() and ch != " ":
            out.append(f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_SHORT = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
_UNSHORT = {v[1]: k for k, v in _SHORT.items()} | {'"': '"', "\\": "\\", "'": "'"}


def go_unquote(s: str) -> str:
    """Inverse of ``go_quote`` for the strings it produces (lenient: returns ``s`` when not quoted)."""
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        return s
    body, out, i = s[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 >= len(body):
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        width = {"x": 2, "u": 4, "U": 8}.get(nxt)
        if width is not None:
            try:
                out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
            except ValueError:
                pass
        out.append(_UNSHORT.get(nxt, nxt))
        i += 2
    return "".join(out)


def go_sprint(value: object) -> str:
    """``fmt.Sprintf("%v")`` for the scalar types Modelfile parameters hold."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return go_g(value)
    return str(value)


def go_g(value: float) -> str:
    """``%v``/``%#v`` of a float64: shortest repr, exponent form when exp < -4 or >= 21."""
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    r = repr(value)
    if "e" in r:
        mant, _, exp = r.partition("e")
        e = int(exp)
        if -4 <= e < 21:
            return go_float(value)
        return f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
    return r


def go_sharp_v(value: object) -> str:
    """``fmt.Sprintf("%#v")`` for parameter values: strings Go-quoted, numbers and bools bare."""
    if isinstance(value, str):
        return go_quote(value)
    return go_sprint(value)
