"""The opt-out file: networks whose operators asked not to be scanned.

``<data>/optout.txt`` has the bundled blocklist's format (one CIDR or address per line, ``#``
comments), so ``Blocklist.default([optout_path(data)])`` enforces it in every stage: sweep, probe,
re-visits. Entries are kept as written by ``add`` (canonical CIDR plus an optional comment with the
date and reason), one per line; the file is rewritten atomically (temp file + rename) so a
concurrent sweep reading it never sees half a file.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from llmcensus.datalock import writer_lock
from llmcensus.errors import InputError, UsageError
from llmcensus.store.layout import Layout
from llmcensus.targets.blocklist import Network, parse_network_lines
from llmcensus.targets.parse import excerpt

HEADER = (
    "# llmcensus opt-out list: networks never contacted by any stage (same format as the bundled blocklist).\n"
    "# Add with `llmcensus optout add CIDR --reason TEXT`; see docs/scanning-policy.md.\n"
)


@dataclass(frozen=True, slots=True)
class OptOutEntry:
    network: Network
    comment: str  # "" when none

    def line(self) -> str:
        return f"{self.network}  # {self.comment}" if self.comment else str(self.network)


def optout_path(data_dir: str | Path) -> Path:
    return Layout(data_dir).optout


def parse_cidr(text: str) -> Network:
    """A network from user input; host bits must be zero (``192.0.2.1/24`` is almost always a typo)."""
    raw = text.strip()
    if not raw:
        raise UsageError("empty network")
    try:
        return ipaddress.ip_network(raw, strict=True)
    except ValueError:  # ipaddress's messages quote the input whole
        try:
            loose = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            raise UsageError(f"not an IP address or CIDR: {excerpt(raw)}") from None
        raise UsageError(f"{excerpt(raw)} has host bits set; did you mean {loose}?") from None


def list_entries(data_dir: str | Path) -> list[OptOutEntry]:
    """Entries of the opt-out file in file order; a malformed line is an ``InputError`` (path, line)."""
    path = optout_path(data_dir)
    if not path.exists():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError("opt-out file is not UTF-8 text", path) from None
    except OSError as exc:
        raise InputError(f"cannot read opt-out file: {exc.strerror}", path) from None
    out: list[OptOutEntry] = []
    for lineno, raw in enumerate(lines, start=1):
        body, _, comment = raw.partition("#")
        if not body.strip():
            continue
        try:
            (net,) = parse_network_lines([body], str(path))
        except InputError:
            raise InputError(f"not an IP address or CIDR: {excerpt(body.strip())}", path, lineno) from None
        out.append(OptOutEntry(net, comment.strip()))
    return out


def _write(data_dir: str | Path, entries: list[OptOutEntry]) -> None:
    path = optout_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    text = HEADER + "".join(e.line() + "\n" for e in entries)
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write opt-out file: {exc.strerror}", path) from None


def add(data_dir: str | Path, cidr: str, reason: str = "", *, now: datetime | None = None) -> tuple[OptOutEntry, bool]:
    """Add a network; returns (entry, added). Already covered by an existing entry → not added."""
    net = parse_cidr(cidr)
    if "\n" in reason or "\r" in reason:
        raise UsageError("the reason must be one line")
    with writer_lock(data_dir, "llmcensus optout add"):  # read and write under the lock: no lost update
        entries = list_entries(data_dir)
        for e in entries:
            if e.network.version == net.version and net.subnet_of(e.network):  # type: ignore[arg-type]
                return e, False
        day = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
        entry = OptOutEntry(net, f"added {day}" + (f": {reason.strip()}" if reason.strip() else ""))
        _write(data_dir, [*entries, entry])
    return entry, True


def remove(data_dir: str | Path, cidr: str) -> bool:
    """Remove exactly this network (not its subnets or supernets); False when it was not listed."""
    net = parse_cidr(cidr)
    with writer_lock(data_dir, "llmcensus optout remove", create=False):
        entries = list_entries(data_dir)
        kept = [e for e in entries if e.network != net]
        if len(kept) == len(entries):
            return False
        _write(data_dir, kept)
    return True
