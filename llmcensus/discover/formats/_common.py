"""What every source-format parser shares: the record types it yields and the normalisers it uses.

A parser yields ``Candidate`` for every usable (ip, port) it finds and ``ParseIssue`` for every
malformed record, then carries on: one bad line never stops an import. Records that are well formed
but not candidates (a masscan ``closed`` port, a UDP banner, a ZMap RST) are skipped silently; they
are the source's own negative answers, not errors.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

# Labels keep what the source said about a candidate (product, banner, title); banners can be
# kilobytes, and the candidates dataset is a work list, not an archive of the source.
LABEL_VALUE_CAP = 200

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
        return f"{where}: {self.message}"


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
        raise ValueError(f"not an IP address: {text!r}")
    raw = text.strip().strip("[]")
    try:
        addr = ipaddress.ip_address(raw)
    except ValueError:
        raise ValueError(f"not an IP address: {raw[:60]!r}") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.compressed


def norm_port(value: object) -> int:
    """A TCP port 1..65535 from an int or its decimal text. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"not a port: {value!r}")
    if isinstance(value, int):
        port = value
    elif isinstance(value, float) and value.is_integer():
        port = int(value)  # spreadsheets store numbers as floats
    elif isinstance(value, str) and value.strip().isdigit():
        port = int(value.strip())
    else:
        raise ValueError(f"not a port: {value!r}")
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {port}")
    return port


def parse_time(value: object) -> datetime | None:
    """A UTC datetime from epoch seconds or ISO-8601-ish text; None for empty. Raises ValueError.

    Naive times are taken as UTC: Shodan, Censys and masscan all write UTC; FOFA's
    ``lastupdatetime`` has no zone either and is treated the same way (see docs).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        dt = datetime.fromtimestamp(float(value), UTC)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.isdigit():
            dt = datetime.fromtimestamp(int(text), UTC)
        else:
            try:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
            except ValueError:
                raise ValueError(f"not a timestamp: {text[:40]!r}") from None
    else:
        raise ValueError(f"not a timestamp: {value!r}")
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


def numbered_lines(handle: IO[str]) -> Iterator[tuple[int, str]]:
    """(line number, text without the newline); gzip corruption mid-file ends the stream with an OSError."""
    for lineno, raw in enumerate(handle, start=1):
        yield lineno, raw.rstrip("\r\n")
