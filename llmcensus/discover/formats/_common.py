"""What every source-format parser shares: the record types it yields and the normalisers it uses.

A parser yields ``Candidate`` for every usable (ip, port) it finds and ``ParseIssue`` for every
malformed record, then carries on: one bad line never stops an import. Records that are well formed
but not candidates (a masscan ``closed`` port, a UDP banner, a ZMap RST) are skipped silently; they
are the source's own negative answers, not errors.
"""

from __future__ import annotations

import csv
import gzip
import io
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from llmcensus.targets.parse import QUOTE_LIMIT, excerpt

# Labels keep what the source said about a candidate (product, banner, title); banners can be
# kilobytes, and the candidates dataset is a work list, not an archive of the source.
LABEL_VALUE_CAP = 200
# A record is one line of an export (a CSV row, a JSON line, a list entry, an XML host). A line past this many
# characters is read no further and reported as one issue, so a 50 MB garbage line or a binary file without
# newlines never sits in memory whole; 16 M leaves room for the largest host record a search engine exports.
MAX_LINE_CHARS = 1 << 24
# A ParseIssue's message is cut to this many characters when shown, whatever a parser put in it.
MESSAGE_LIMIT = 3 * QUOTE_LIMIT

Label = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One (ip, port) a source says is worth probing.

    ``scheme`` is a hint (``http`` | ``https`` | None = unknown); ``first_seen`` is when the source
    saw it (None = the source does not say; the importer then uses the import time).
    """

    ip: str
    port: int
    source: str
    scheme: str | None = None
    first_seen: datetime | None = None
    labels: tuple[Label, ...] = ()


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """A malformed record: where it is and what is wrong with it. Counted, reported, skipped."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        message = self.message if len(self.message) <= MESSAGE_LIMIT else f"{self.message[:MESSAGE_LIMIT]}…"
        return f"{where}: {message}"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """Settings a parser may need.

    ``ports``: ports for inputs that name only addresses (plain lists; ZMap output without a
    ``sport`` column). None = the list default (11434) and, for ZMap, an error per file.
    ``cidr_cap``: the largest CIDR a plain list may expand (addresses), so a stray ``/8`` is an
    error rather than 16 million candidates.
    """

    ports: tuple[int, ...] | None = None
    cidr_cap: int = 65536
    labels: tuple[Label, ...] = field(default=())


Item = Candidate | ParseIssue


def norm_ip(text: object) -> str:
    """Canonical text form of an address; IPv4-mapped IPv6 becomes IPv4. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"not an IP address: {excerpt(text)}")
    raw = text.strip().strip("[]")
    try:
        addr = ipaddress.ip_address(raw)
    except ValueError:
        raise ValueError(f"not an IP address: {excerpt(raw)}") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.compressed


def norm_port(value: object) -> int:
    """A TCP port 1..65535 from an int or its decimal text. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"not a port: {excerpt(value)}")
    if isinstance(value, int):
        port = value
    elif isinstance(value, float) and value.is_integer():
        port = int(value)  # spreadsheets store numbers as floats
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip()
        port = int(digits) if len(digits) <= 6 else 1 << 16  # a 5,000-digit "port" is out of range, not parsed
    else:
        raise ValueError(f"not a port: {excerpt(value)}")
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {excerpt(value)}")
    return port


def parse_time(value: object) -> datetime | None:
    """A UTC datetime from epoch seconds or ISO-8601-ish text; None for empty. Raises ValueError.

    Naive times are taken as UTC: Shodan, Censys and masscan all write UTC; FOFA's
    ``lastupdatetime`` has no zone either and is treated the same way (see docs).
    """
    if value is None or value == "":
        return None
    try:
        if isinstance(value, datetime):
            dt = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            dt = datetime.fromtimestamp(float(value), UTC)
        elif isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if text.isdigit():
                dt = datetime.fromtimestamp(int(text) if len(text) <= 20 else float("inf"), UTC)
            else:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
        else:
            raise ValueError
    except (ValueError, OverflowError, OSError):  # not a time, or out of datetime's range (1e20, inf, NaN)
        raise ValueError(f"not a timestamp: {excerpt(value)}") from None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def label(key: str, value: object) -> Label | None:
    """A (key, value) label, None when the value is empty; values are one line, capped."""
    if value is None:
        return None
    text = str(value).replace("\r", " ").replace("\n", " ").strip()
    if not text:
        return None
    return (key, text[:LABEL_VALUE_CAP])


def labels(*pairs: tuple[str, object]) -> tuple[Label, ...]:
    out = []
    for key, value in pairs:
        lab = label(key, value)
        if lab is not None:
            out.append(lab)
    return tuple(out)


def scheme_hint(*words: object) -> str | None:
    """``https`` / ``http`` from service or protocol names (HTTPS, https-simple-new, http)."""
    for word in words:
        if not isinstance(word, str):
            continue
        w = word.strip().lower()
        if w.startswith("https") or w in ("ssl/http", "tls/http"):
            return "https"
        if w.startswith("http"):
            return "http"
    return None


def open_text(path: Path) -> IO[str]:
    """Open a text export, gunzipping when the file is gzip (by magic bytes, not by name).

    Decoding errors are replaced rather than raised: a stray byte in one banner must not stop the
    file; ``utf-8-sig`` drops the BOM spreadsheet tools write in front of CSV headers.
    """
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace", newline="")
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


_TOO_LONG = "line longer than {:,} characters; skipped"


def _bounded_lines(handle: IO[str]) -> Iterator[str | None]:
    """Every line of ``handle``; None for a line longer than ``MAX_LINE_CHARS``, which is read in bounded pieces
    and dropped, so memory stays bounded whatever the file holds (a binary file, one 50 MB line)."""
    while True:
        raw = handle.readline(MAX_LINE_CHARS + 1)
        if not raw:
            return
        if len(raw) <= MAX_LINE_CHARS or raw[-1] in "\r\n":
            yield raw
            continue
        while raw and raw[-1] not in "\r\n":
            raw = handle.readline(MAX_LINE_CHARS)
        yield None


def numbered_lines(handle: IO[str], path: Path) -> Iterator[tuple[int, str] | ParseIssue]:
    """(line number, text without the newline), or a ParseIssue for a line longer than ``MAX_LINE_CHARS`` (read
    no further than that, then skipped); gzip corruption mid-file ends the stream with an OSError."""
    for lineno, raw in enumerate(_bounded_lines(handle), start=1):
        if raw is None:
            yield ParseIssue(str(path), lineno, _TOO_LONG.format(MAX_LINE_CHARS))
        else:
            yield lineno, raw.rstrip("\r\n")


def csv_rows(handle: IO[str], path: Path) -> Iterator[tuple[int, list[str]] | ParseIssue]:
    """(line number, row) of a CSV export, or a ParseIssue for a row the csv module refuses (a field past its
    131,072-character limit, a NUL byte) or a line past ``MAX_LINE_CHARS``; reading goes on with the next line."""
    overlong: set[int] = set()

    def lines() -> Iterator[str]:
        for lineno, raw in enumerate(_bounded_lines(handle), start=1):
            if raw is None:
                overlong.add(lineno)
                yield "\n"  # an empty row in its place keeps the csv module's line numbers right
            else:
                yield raw

    reader = csv.reader(lines())
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ParseIssue(str(path), reader.line_num, f"not CSV: {exc}")
            continue
        if reader.line_num in overlong:
            yield ParseIssue(str(path), reader.line_num, _TOO_LONG.format(MAX_LINE_CHARS))
            continue
        yield reader.line_num, row
