"""Go encoding/json, RFC3339Nano and strconv.Quote compatibility of the wire encoder."""

from __future__ import annotations

import datetime as dt
import json
import re

from hypothesis import given
from hypothesis import strategies as st

from llmcensus.simulate.wire.gojson import (
    dumps,
    go_float,
    go_quote,
    go_sharp_v,
    go_unquote,
    rfc3339nano,
)

# Outputs of Go's encoding/json for float64 values (Go's documented 'f'/'e' switch at 1e-6 and 1e21).
GO_FLOATS = {1e-12: "1e-12", 0.00001: "0.00001", 1e-6: "0.000001", 1.5e-7: "1.5e-7", 1e21: "1e+21",
             1e20: "100000000000000000000", 500000.0: "500000", 0.1: "0.1", -2.5: "-2.5", 1000.0: "1000",
             0.800000011920929: "0.800000011920929", 123456789.125: "123456789.125", 0.0: "0"}


def test_known_go_floats() -> None:
    for value, text in GO_FLOATS.items():
        assert go_float(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_round_trips_and_uses_go_notation(x: float) -> None:
    text = go_float(x)
    assert float(text) == x
    if x != 0 and (abs(x) < 1e-6 or abs(x) >= 1e21):
        mant, _, exp = text.partition("e")
        assert exp and not exp.startswith("-0") and float(mant) != 0
    else:
        assert "e" not in text


def test_html_and_separator_escapes() -> None:
    assert dumps("<|eot_id|> & \u2028\u2029") == b'"\\u003c|eot_id|\\u003e \\u0026 \\u2028\\u2029"'
    assert dumps({"a": [1, None, True, 2.0], "b": {}}) == b'{"a":[1,null,true,2],"b":{}}'
    assert dumps("<x>", html_escape=False) == b'"<x>"'
    assert dumps("\x00\x1f\b\f\n\t\"\\") == b'"\\u0000\\u001f\\b\\f\\n\\t\\"\\\\"'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_dumps_is_compact_valid_json(value: object) -> None:
    out = dumps(value)
    # Go prints integral floats without a point, so compare numbers as floats on both sides.
    assert json.loads(out, parse_int=float) == json.loads(json.dumps(value), parse_int=float)
    assert not {b"<", b">", b"&"} & {bytes([c]) for c in out}


@given(st.text())
def test_quote_round_trip(s: str) -> None:
    q = go_quote(s)
    assert q.startswith('"') and q.endswith('"') and "\n" not in q
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        assert go_unquote(q) == s


def test_sharp_v_matches_fmt() -> None:
    assert go_sharp_v("<|eot_id|>") == '"<|eot_id|>"'
    assert go_sharp_v(24) == "24"
    assert go_sharp_v(0.95) == "0.95"
    assert go_sharp_v(1.0) == "1"
    assert go_sharp_v(True) == "true"
    assert f"{'stop':<30} {go_sharp_v('<|eot_id|>')}" == 'stop                           "<|eot_id|>"'


def test_rfc3339nano_examples() -> None:
    assert rfc3339nano(1_746_889_608_639_712_648, -420) == "2025-05-10T08:06:48.639712648-07:00"
    assert rfc3339nano(1_717_537_111_837_530_000, -420) == "2024-06-04T14:38:31.83753-07:00"
    assert rfc3339nano(1_739_340_454_000_000_000, 480) == "2025-02-12T14:07:34+08:00"
    assert rfc3339nano(1_769_529_585_933_695_009, 0) == "2026-01-27T15:59:45.933695009Z"
    assert rfc3339nano(0, 330) == "1970-01-01T05:30:00+05:30"


_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{0,8}[1-9]))?(Z|[+-]\d\d:\d\d)$")


@given(st.integers(0, 10_000_000_000 * 10**9), st.integers(-12 * 60, 14 * 60))
def test_rfc3339nano_parses_back(ns: int, tz: int) -> None:
    m = _STAMP.match(rfc3339nano(ns, tz))
    assert m, rfc3339nano(ns, tz)  # fraction present only when non-zero, never with trailing zeros
    zone = m.group(3)
    off = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[4:6]))
    assert (zone == "Z") == (tz == 0) and off == tz
    local = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    secs = int(local.timestamp()) - off * 60
    assert secs * 10**9 + int((m.group(2) or "0").ljust(9, "0")) == ns
