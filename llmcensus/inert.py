"""Host-supplied text made inert for every output: HTML, Markdown, CSV, JSON and the terminal.

A probed host chooses every string we record (model names, versions, headers, prompts, templates,
error texts). Recorded data keeps the exact text; *outputs* pass it through this module at one
boundary per format (``docs/outputs.md``):

* ``inert`` replaces every character that can act on a terminal or spoof a display with a visible
  Python-style escape (``\\x1b``, ``\\u202e``, ``\\U000e0041``), so an analyst still sees what the
  host sent: C0 controls (TAB, CR and LF included), DEL, C1 controls, lone surrogates, line and
  paragraph separators, every format character (Unicode category Cf: bidi embeddings, overrides and
  isolates, zero-width characters, BOM, tag characters) and the invisible Hangul fillers. A backslash
  is *not* escaped (plain text stays unchanged), so a host sending the six characters ``\\x1b`` shows
  the same as one sending ESC: the Parquet data keeps the difference.
* ``limit`` cuts long text for display with a visible marker, ``…[+N chars]`` (N original characters
  left out); the result, marker included, is never longer than ``limit``.
* ``csv_cell`` also prefixes ``'`` to a cell a spreadsheet would read as a formula (OWASP CSV
  injection guidance); ``csv_table`` does it to every string column of an Arrow table.
* ``inert_json`` walks JSON-like values (``json``/``orjson`` escape C0 but pass C1 and bidi raw).
* ``terminal`` is one capped line for stderr/stdout.

Every function is idempotent: its output contains none of the characters it replaces, so a second
pass changes nothing. This is a foundation module, like ``llmcensus.errors``: it imports only the
standard library (pyarrow inside the table helpers alone), so every stage may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pyarrow only inside the table helpers: the text functions need the standard library alone
    import pyarrow as pa

# Display caps (characters, marker included). CSV and JSON keep the whole recorded value, which the
# probe already caps when it records it; only what a person reads in a table or a terminal is cut.
DISPLAY_LIMIT = 200  # one HTML/Markdown table cell, one chart tooltip
TERMINAL_LIMIT = 500  # one line the CLI prints

# Code points replaced by an escape: every Cc, Cf, Cs, Zl and Zp code point of Unicode 14 (Python 3.11's
# database) plus the Egyptian format controls Unicode 15 added, and a few invisible Lo/Mn characters.
# tests/test_inert.py fails when the running Python knows a code point of those categories missing here.
# Hard-coded because deriving it from unicodedata (1.1 M code points) costs 0.2 s on every CLI start.
FORBIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),  # C0 controls (NUL, BEL, BS, TAB, LF, CR, ESC, ...)
    (0x007F, 0x009F),  # DEL and the C1 controls (0x9B is a one-byte CSI on some terminals)
    (0x00AD, 0x00AD),  # soft hyphen (Cf): invisible unless the line breaks there
    (0x034F, 0x034F),  # combining grapheme joiner (Mn, invisible)
    (0x0600, 0x0605),  # Arabic number signs (Cf)
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),  # Hangul choseong/jungseong fillers (Lo, render blank)
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero-width space/non-joiner/joiner, LRM, RLM
    (0x2028, 0x202E),  # line and paragraph separators; LRE, RLE, PDF, LRO, RLO
    (0x2060, 0x206F),  # word joiner, invisible operators; LRI, RLI, FSI, PDI; deprecated format chars
    (0x3164, 0x3164),  # Hangul filler
    (0xD800, 0xDFFF),  # lone surrogates (a str can hold them; UTF-8 cannot)
    (0xFEFF, 0xFEFF),  # zero-width no-break space / BOM
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF9, 0xFFFB),  # interlinear annotation controls
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tag characters (invisible ASCII look-alikes: "ASCII smuggling")
)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


_FORBIDDEN = re.compile(f"[{_class(FORBIDDEN_RANGES)}]")

# A spreadsheet reads a cell as a formula when it starts with one of these (OWASP: = + - @ TAB CR LF).
# The full-width forms are included because some spreadsheets in CJK locales normalise them, and
# leading spaces are skipped because importers can trim them (LibreOffice's "trim spaces" option).
FORMULA_PREFIXES = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_CSV_RISK = re.compile(f"[ \u00a0\u3000]*[{re.escape(''.join(sorted(FORMULA_PREFIXES)))}]")


def _escape(ch: str) -> str:
    cp = ord(ch)
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _sub(match: re.Match[str]) -> str:
    return _escape(match.group())


def _marker(dropped: int) -> str:
    return f"…[+{dropped} chars]"


def _cut(text: str, limit: int) -> str:
    """``text`` escaped and cut to at most ``limit`` characters, marker included, never inside an escape."""
    if limit <= 0:
        return ""
    room = limit - len(_marker(len(text)))
    short = room < 1  # no room for the count: a bare ellipsis still shows the cut
    if short:
        room = limit - 1
    parts: list[str] = []
    used = pos = 0  # characters written so far; original characters consumed so far
    for m in _FORBIDDEN.finditer(text, 0, room):
        plain = min(m.start() - pos, room - used)
        parts.append(text[pos : pos + plain])
        used, pos = used + plain, pos + plain
        if pos < m.start():
            break
        esc = _escape(m.group())
        if used + len(esc) > room:
            break
        parts.append(esc)
        used, pos = used + len(esc), pos + 1
    else:
        # no forbidden character before ``room``: the tail is plain (used >= pos, so it ends before room)
        parts.append(text[pos : pos + room - used])
        pos += room - used
    return "".join(parts) + ("…" if short else _marker(len(text) - pos))


def inert(text: str, *, limit: int | None = None) -> str:
    """``text`` with every control, bidi and invisible format character shown as an escape; cut to ``limit``.

    Printable text (any script, emoji, punctuation, backslashes) is returned unchanged.
    """
    if limit is not None and len(text) > limit:
        return _cut(text, limit)
    if (text.isascii() and text.isprintable()) or _FORBIDDEN.search(text) is None:  # the first test is 7x faster
        return text
    out = _FORBIDDEN.sub(_sub, text)
    return out if limit is None or len(out) <= limit else _cut(text, limit)


def csv_cell(value: Any) -> Any:
    """A CSV cell value: strings made inert and, if a spreadsheet would read a formula, quoted with ``'``.

    Anything else (numbers, dates, None) is returned as is: a negative *number* is data, not a formula.
    """
    if not isinstance(value, str):
        return value
    text = inert(value)
    return "'" + text if _CSV_RISK.match(text) else text


def csv_risky(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (what ``csv_cell`` quotes)."""
    return _CSV_RISK.match(text) is not None


def terminal(text: str, *, limit: int = TERMINAL_LIMIT) -> str:
    """One line for stderr/stdout: inert (a newline shows as ``\\n``), cut to ``limit`` characters."""
    return inert(text, limit=limit)


def inert_json(value: Any) -> Any:
    """JSON-like ``value`` with every string (dictionary keys included) made inert, whole (no limit)."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, Mapping):
        return {inert_json(k): inert_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [inert_json(v) for v in value]
    if isinstance(value, tuple):  # Arrow map entries arrive as (key, value) tuples
        return tuple(inert_json(v) for v in value)
    return value


def _has_strings(t: pa.DataType) -> bool:
    import pyarrow as pa

    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return True
    if isinstance(t, pa.DictionaryType):
        return _has_strings(t.value_type)
    return any(_has_strings(t.field(i).type) for i in range(t.num_fields))


def inert_table(table: pa.Table, *, cell: Callable[[str], str] = inert) -> pa.Table:
    """``table`` with ``cell`` applied to every string of a string column (and to column names), and
    ``inert`` to strings nested in lists, structs, maps and dictionaries. Columns that need no change
    are kept as they are (no copy)."""
    import pyarrow as pa

    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if not _has_strings(field.type):
            columns.append(column)
            continue
        values = column.to_pylist()
        flat = pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
        new = [cell(v) if flat and v is not None else inert_json(v) for v in values]
        columns.append(column if new == values else pa.chunked_array([pa.array(new, type=field.type)]))
    metadata: dict[bytes | str, bytes | str] = {k: v for k, v in (table.schema.metadata or {}).items()}
    schema = pa.schema([f.with_name(cell(f.name)) for f in table.schema], metadata=metadata or None)
    return pa.Table.from_arrays(columns, schema=schema)


def csv_table(table: pa.Table) -> pa.Table:
    """``table`` ready for a CSV file: every string cell through ``csv_cell``, column names included."""
    return inert_table(table, cell=csv_cell)
