"""llmcensus.inert: host text shown as visible escapes, cut with a marker, never a formula in a CSV cell."""

from __future__ import annotations

import ast
import re
import sys
import unicodedata
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcensus.inert import (
    FORBIDDEN_RANGES,
    FORMULA_PREFIXES,
    TERMINAL_LIMIT,
    csv_cell,
    csv_risky,
    csv_table,
    inert,
    inert_json,
    inert_table,
    terminal,
)

MODULE = Path(__file__).resolve().parents[1] / "llmcensus" / "inert.py"
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
EXTRA = {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0}  # invisible letters/marks outside those categories
MARKER = re.compile(r"…\[\+(\d+) chars\]\Z")

# Text that is dense in what matters: every kind of forbidden character, the CSV triggers, the escape's
# own characters (a host can send a literal "\x1b"), markup, and anything else Unicode holds.
HOSTILE_CHARS = list("\x00\x07\x08\t\n\r\x1b\x7f\x85\x9b\xad\u061c\u200b\u200d\u200e\u202e\u2028\u2029\u2066"
                     "\u2069\ufeff\ud800\udfff\U000e0041=+-@ \\x1bu<>&\"'|\u3164\uff1d")  # fmt: skip
ANY_TEXT = st.text(st.sampled_from(HOSTILE_CHARS) | st.characters(codec=None, exclude_categories=()), max_size=80)


def _forbidden(ch: str) -> bool:
    return unicodedata.category(ch) in FORBIDDEN_CATEGORIES or ord(ch) in EXTRA


def _covered(cp: int) -> bool:
    return any(a <= cp <= b for a, b in FORBIDDEN_RANGES)


def test_the_table_covers_every_control_format_and_separator_character_of_this_python() -> None:
    missing = [f"U+{cp:04X}" for cp in range(sys.maxunicode + 1) if _forbidden(chr(cp)) and not _covered(cp)]
    assert missing == [], f"add to FORBIDDEN_RANGES (Unicode {unicodedata.unidata_version}): {missing[:20]}"


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # OSC: retitles the terminal
    ("\x1b[2J", "\\x1b[2J"),  # CSI: clears the screen
    ("a\x00b", "a\\x00b"),
    ("tab\there\r\nnext", "tab\\x09here\\x0d\\x0anext"),
    ("del\x7f c1\x9b[31m", "del\\x7f c1\\x9b[31m"),
    ("\u202eevil", "\\u202eevil"),  # right-to-left override
    ("\u2066x\u2069\u061c\u200e\u200f", "\\u2066x\\u2069\\u061c\\u200e\\u200f"),
    ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
    ("line\u2028para\u2029", "line\\u2028para\\u2029"),
    ("tag\U000e0041\U000e007f", "tag\\U000e0041\\U000e007f"),
    ("lone\ud800", "lone\\ud800"),
    ("soft\xadhyphen", "soft\\xadhyphen"),
    ("\u3164", "\\u3164"),
])  # fmt: skip
def test_controls_bidi_and_invisibles_become_visible_escapes(raw: str, shown: str) -> None:
    assert inert(raw) == shown
    assert inert(shown) == shown


@pytest.mark.parametrize("text", [
    "llama3.1:8b-instruct-q4_K_M", "hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M", "0.12.3", "C:\\models\\x1b",
    "Ωμέγα", "通义千问", "🦙 local", "naïve café", "=1+1", "<script>alert(1)</script>", "",
])  # fmt: skip
def test_printable_text_is_unchanged(text: str) -> None:
    assert inert(text) == text


def test_long_text_is_cut_with_a_marker_counting_what_was_left_out() -> None:
    out = inert("x" * 500, limit=200)
    assert len(out) == 200 and out == "x" * 187 + "…[+313 chars]"
    assert inert("x" * 200, limit=200) == "x" * 200


def test_a_cut_never_splits_an_escape() -> None:
    text = "ab" + "\x1b" * 100
    for limit in range(14, 60):
        out = inert(text, limit=limit)
        m = MARKER.search(out)
        assert m is not None and len(out) <= limit
        kept = out[: m.start()]
        assert kept == inert(text[: len(text) - int(m.group(1))])


def test_limits_too_small_for_the_marker_still_show_the_cut() -> None:
    assert inert("abcdef", limit=3) == "ab…"
    assert inert("abcdef", limit=1) == "…"
    assert inert("abcdef", limit=0) == ""


@pytest.mark.parametrize(("value", "cell"), [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(1)", "'@SUM(1)"),
    ("  =1+1", "'  =1+1"),  # importers can trim leading spaces
    ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
    ("\t=1", "\\x09=1"),  # the TAB is shown as an escape, which no spreadsheet evaluates
    ("llama3:8b", "llama3:8b"),
    ("a=b", "a=b"),
    ("'quoted", "'quoted"),
    ("", ""),
])  # fmt: skip
def test_csv_cell_quotes_what_a_spreadsheet_would_evaluate(value: str, cell: str) -> None:
    assert csv_cell(value) == cell
    assert csv_cell(cell) == cell  # idempotent


@pytest.mark.parametrize("value", [-2, -2.5, 0, None, True])
def test_csv_cell_leaves_non_text_alone(value: object) -> None:
    assert csv_cell(value) is value


def test_csv_table_quotes_strings_and_keeps_numbers_and_types() -> None:
    table = pa.table({
        "family": ["=x", None, "llama", "a\x1bb"],
        "large": pa.array(["@y", "ok", None, "-1"], pa.large_string()),
        "n": [-1, 2, 3, 4],
        "caps": pa.array([["=a", "\u202e"], None, [], ["ok"]], pa.list_(pa.string())),
        "st": pa.array([{"k": "\x07"}, None, {"k": "v"}, {"k": None}], pa.struct([("k", pa.string())])),
        "dict": pa.array(["\x1b", "b", "\x1b", None]).dictionary_encode(),
        "m": pa.array([[("k\x00", "v")], None, [], []], pa.map_(pa.string(), pa.string())),
    })  # fmt: skip
    out = csv_table(table)
    assert out.schema.types == table.schema.types
    rows = out.to_pylist()
    assert [r["family"] for r in rows] == ["'=x", None, "llama", "a\\x1bb"]
    assert [r["large"] for r in rows] == ["'@y", "ok", None, "'-1"]
    assert [r["n"] for r in rows] == [-1, 2, 3, 4]
    assert rows[0]["caps"] == ["=a", "\\u202e"]  # nested text never starts a cell: inert only
    assert rows[0]["st"] == {"k": "\\x07"} and rows[0]["dict"] == "\\x1b" and rows[0]["m"] == [("k\\x00", "v")]
    assert out.column("n").chunk(0).buffers()[1].address == table.column("n").chunk(0).buffers()[1].address  # no copy


def test_inert_table_renames_hostile_columns_and_keeps_clean_ones() -> None:
    table = pa.table({"=a\x1b": ["x"], "b": ["y"]})
    assert csv_table(table).column_names == ["'=a\\x1b", "b"]
    same = inert_table(table)
    assert same.column_names == ["=a\\x1b", "b"] and same.column("b").equals(table.column("b"))


def test_inert_json_walks_keys_lists_and_tuples() -> None:
    doc = {"k\x1b": ["\u202e", {"x": ("\x00", 1, None, 2.5)}], "n": -3}
    assert inert_json(doc) == {"k\\x1b": ["\\u202e", {"x": ("\\x00", 1, None, 2.5)}], "n": -3}


def test_terminal_is_one_capped_line() -> None:
    line = terminal("error: " + "bad\n\x1b[2J" * 200)
    assert "\n" not in line and "\x1b" not in line and len(line) == TERMINAL_LIMIT
    assert MARKER.search(line) is not None


def test_inert_is_a_foundation_module() -> None:
    """Like errors.py, every stage may use it: standard library, llmcensus.errors and (lazily) pyarrow only."""
    tree = ast.parse(MODULE.read_text())
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or name == "llmcensus.errors" or top == "pyarrow", name
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert all(not (isinstance(n, ast.Import) and n.names[0].name == "pyarrow") for n in top_level)


# --- properties -----------------------------------------------------------------------------------


@given(ANY_TEXT)
def test_no_forbidden_character_survives(text: str) -> None:
    out = inert(text)
    assert not any(_forbidden(ch) for ch in out)
    out.encode("utf-8")  # lone surrogates are gone: every output file can be written


@given(ANY_TEXT)
def test_idempotent(text: str) -> None:
    once = inert(text)
    assert inert(once) == once
    assert csv_cell(csv_cell(text)) == csv_cell(text)


@given(ANY_TEXT)
def test_text_without_forbidden_characters_is_unchanged(text: str) -> None:
    clean = "".join(ch for ch in text if not _forbidden(ch))
    assert inert(clean) == clean


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_printable_ascii_is_unchanged(text: str) -> None:
    assert inert(text) == text


@given(ANY_TEXT, st.integers(min_value=0, max_value=120))
def test_limit_is_respected_and_the_cut_is_an_honest_prefix(text: str, limit: int) -> None:
    out = inert(text, limit=limit)
    assert len(out) <= limit
    assert inert(out, limit=limit) == out
    full = inert(text)
    if len(full) <= limit:
        assert out == full
        return
    m = MARKER.search(out)
    if m is None:  # a limit too small for the count: a bare ellipsis
        assert out.endswith("…") or out == ""
        return
    dropped = int(m.group(1))
    assert 0 < dropped <= len(text)
    assert out[: m.start()] == inert(text[: len(text) - dropped])


@given(ANY_TEXT)
def test_csv_cell_never_starts_a_formula(text: str) -> None:
    cell = csv_cell(text)
    assert not any(_forbidden(ch) for ch in cell)
    assert cell[:1] not in FORMULA_PREFIXES
    assert not csv_risky(cell)
    assert cell.lstrip(" \u00a0\u3000")[:1] not in FORMULA_PREFIXES or cell.startswith("'")
