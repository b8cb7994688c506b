"""Dial maps: connect to one address while recording another (like curl's ``--connect-to``).

The simulated internet serves each host on a loopback address but gives it a real public identity;
probes target the public identity and dial through the map. A dial map is a CSV file with the
header ``public_ip,port,dial_ip,dial_port``. Without a map, loopback and private targets are
blocked like any other special-purpose address.
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from llmcensus.errors import InputError
from llmcensus.targets.parse import excerpt

HEADER = ("public_ip", "port", "dial_ip", "dial_port")
DialMap = dict[tuple[str, int], tuple[str, int]]


def _port(text: str, path: str, line: int) -> int:
    try:
        port = int(text)
    except ValueError:
        raise InputError(f"port is not a number: {excerpt(text)}", path, line) from None
    if not 0 < port < 65536:
        raise InputError(f"port out of range: {port}", path, line)
    return port


def read_dial_map(path: str | Path) -> DialMap:
    p = Path(path)
    try:
        handle = p.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read dial map: {exc.strerror}", p) from None
    try:
        with handle:
            return _read_rows(csv.reader(handle), p)
    except UnicodeDecodeError as exc:
        raise InputError(f"dial map is not UTF-8 text (byte {exc.start})", p) from None
    except csv.Error as exc:
        raise InputError(f"dial map is not valid CSV: {exc}", p) from None


def _read_rows(reader: Iterator[list[str]], p: Path) -> DialMap:
    out: DialMap = {}
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        raise InputError(f"dial map header must be {','.join(HEADER)}", p, 1)
    for lineno, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != 4:
            raise InputError(f"expected 4 columns, got {len(row)}", p, lineno)
        public_ip, port, dial_ip, dial_port = (c.strip() for c in row)
        try:
            ipaddress.ip_address(public_ip)
        except ValueError:
            raise InputError(f"not an IP address: {excerpt(public_ip)}", p, lineno) from None
        try:
            dial = ipaddress.ip_address(dial_ip)
        except ValueError:
            raise InputError(f"not an IP address: {excerpt(dial_ip)}", p, lineno) from None
        if not dial.is_loopback:
            # The dial map exists for the simulated internet and local test hosts only.
            raise InputError(f"dial address must be loopback: {excerpt(dial_ip)}", p, lineno)
        out[(public_ip, _port(port, str(p), lineno))] = (dial_ip, _port(dial_port, str(p), lineno))
    return out


def write_dial_map(
    path: str | Path,
    entries: Mapping[tuple[str, int], tuple[str, int]] | Iterable[tuple[tuple[str, int], tuple[str, int]]],
) -> None:
    """Write atomically (temp file + rename) so a reader never sees half a map."""
    p = Path(path)
    items = entries.items() if isinstance(entries, Mapping) else entries
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(HEADER)
        for (ip, port), (dial_ip, dial_port) in items:
            w.writerow((ip, port, dial_ip, dial_port))
    tmp.replace(p)
