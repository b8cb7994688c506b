"""Targets: what a sweep visits, read from a text file, stdin, or a candidates Parquet dataset.

Text format, one target per line (blank lines and ``#`` comments ignored):

    203.0.113.7              ip: visited on every port of ``ports`` (the probe passes every runtime's default
                             ports; this module alone falls back to Ollama's 11434)
    203.0.113.7:8080         ip:port
    [2001:db8::1]:11434      IPv6 with a port (a bare IPv6 address is also accepted)
    198.51.100.0/24          CIDR: expanded lazily, every address x every port; refused above a size cap

Addresses are normalised (``ipaddress`` text form) so that the same host written two ways gets the
same observation id. Expansion is streamed: a /16 is never materialised as a list.

The candidates dataset (from discovery) is Parquet with columns ``ip`` (string), ``port`` (int32)
and ``scheme`` (string, nullable); only those columns are read.

A target without a scheme is visited over TLS on the ports that conventionally carry it (443,
8443) and over plain HTTP elsewhere, as scanners' port-based defaults do: a reverse proxy on 443
closes a plain-HTTP connection without an HTTP reply.
"""

from __future__ import annotations

import ipaddress
import reprlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from llmcensus.errors import InputError, TargetParseError, UsageError

DEFAULT_PORTS: tuple[int, ...] = (11434,)
DEFAULT_MAX_CIDR = 65536  # a /16: larger blocks belong to discovery, not to a probe target list
SCHEMES = ("http", "https")
TLS_PORTS = frozenset({443, 8443})
# Error messages quote user input cut to this many characters: a 50 MB garbage line must cost one short line on
# stderr, not 50 MB of it.
QUOTE_LIMIT = 120
# A target line is at most ~60 characters; a longer line is garbage and is refused after reading this much of it,
# so a file that is one 50 MB line never sits in memory whole.
MAX_LINE_CHARS = 65_536

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, QUOTE_LIMIT, QUOTE_LIMIT, 40


def excerpt(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to about ``limit`` characters, with the full length of long text.

    ``excerpt("x" * 50_000_000)`` is ``'xxx…x'… (50,000,000 chars)``. Shared by every parser of user files
    (targets, discovery imports) so that no message echoes its input whole.
    """
    if isinstance(value, str):
        return repr(value) if len(value) <= limit else f"{value[:limit]!r}… ({len(value):,} chars)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"<an integer of {value.bit_length():,} bits>"
    try:
        text = _REPR.repr(value)
    except ValueError:  # an int too long for str() nested in a container
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[:limit]}…"


def default_scheme(port: int) -> str:
    return "https" if port in TLS_PORTS else "http"


@dataclass(frozen=True, slots=True)
class Target:
    """One (host, port) to visit. ``ip`` is the public identity recorded in the observation."""

    ip: str
    port: int
    scheme: str = "http"


def _is_port_text(text: str) -> bool:
    """ASCII digits that may be a port: ``isdigit`` alone admits "²", and int() of 50,000 digits raises."""
    return text.isascii() and text.isdigit() and len(text) <= 5 and 0 < int(text) < 65536


def _port(text: str, path: str, line: int) -> int:
    if not (text.isascii() and text.isdigit()):
        raise TargetParseError(f"port is not a number: {excerpt(text)}", path, line)
    if not _is_port_text(text):
        raise TargetParseError(f"port out of range: {excerpt(text)}", path, line)
    return int(text)


def parse_ports(text: str | Sequence[int] | None) -> tuple[int, ...]:
    """``"11434,8080"`` or a sequence of ints -> validated ports; None -> the default ports."""
    if text is None:
        return DEFAULT_PORTS
    items = [p.strip() for p in text.split(",")] if isinstance(text, str) else [str(p) for p in text]
    ports: list[int] = []
    for item in items:
        if not item:
            continue
        if not _is_port_text(item):
            raise UsageError(f"bad port in --ports: {excerpt(item)}")
        if int(item) not in ports:
            ports.append(int(item))
    if not ports:
        raise UsageError("--ports is empty")
    return tuple(ports)


def _split_line(text: str, path: str, line: int) -> tuple[str, int | None]:
    """Split ``host[:port]`` into (address text, port or None)."""
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise TargetParseError(f"unclosed '[' in {excerpt(text)}", path, line)
        host, rest = text[1:close], text[close + 1 :]
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise TargetParseError(f"expected ':port' after ']' in {excerpt(text)}", path, line)
        return host, _port(rest[1:], path, line)
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, _port(port, path, line)
    return text, None  # IPv4 without a port, or a bare IPv6 address


def parse_line(
    raw: str, *, ports: Sequence[int] = DEFAULT_PORTS, path: str = "<text>", line: int = 0,
    max_cidr: int = DEFAULT_MAX_CIDR,
) -> tuple[Iterable[str], int, tuple[int, ...]] | None:
    """Validate one line: (addresses, how many, ports) without expanding; None for blank/comment lines."""
    text = raw.split("#", 1)[0].strip()
    if not text:
        return None
    if " " in text or "\t" in text:
        raise TargetParseError(f"one target per line, got {excerpt(text)}", path, line)
    if "/" in text:
        host_part, _, prefix = text.partition("/")
        host, port = _split_line(host_part, path, line)
        try:
            net = ipaddress.ip_network(f"{host}/{prefix}", strict=False)
        except ValueError:
            raise TargetParseError(f"not a CIDR block: {excerpt(text)}", path, line) from None
        if net.num_addresses > max_cidr:
            raise TargetParseError(
                f"CIDR {net} has {net.num_addresses} addresses, above the cap of {max_cidr}", path, line
            )
        return _net_addresses(net), net.num_addresses, (port,) if port is not None else tuple(ports)
    host, port = _split_line(text, path, line)
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise TargetParseError(f"not an IP address, ip:port or CIDR: {excerpt(text)}", path, line) from None
    return (str(addr),), 1, (port,) if port is not None else tuple(ports)


def _net_addresses(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Iterator[str]:
    # Every address, network and broadcast included: a /24 of hosts is what the user asked for.
    first = int(net.network_address)
    make = ipaddress.IPv4Address if net.version == 4 else ipaddress.IPv6Address
    for value in range(first, first + net.num_addresses):
        yield str(make(value))


def iter_targets(
    lines: Iterable[str], *, ports: Sequence[int] = DEFAULT_PORTS, path: str = "<text>",
    max_cidr: int = DEFAULT_MAX_CIDR, scheme: str | None = None,
) -> Iterator[Target]:
    """Stream targets from text lines; a malformed line raises ``TargetParseError(path, line)``."""
    for lineno, raw in enumerate(lines, start=1):
        parsed = parse_line(raw, ports=ports, path=path, line=lineno, max_cidr=max_cidr)
        if parsed is None:
            continue
        addresses, _, line_ports = parsed
        for ip in addresses:
            for port in line_ports:
                yield Target(ip, port, scheme or default_scheme(port))


def count_targets(
    lines: Iterable[str], *, ports: Sequence[int] = DEFAULT_PORTS, path: str = "<text>",
    max_cidr: int = DEFAULT_MAX_CIDR,
) -> int:
    """Validate every line and count targets without expanding CIDRs (run before a sweep starts)."""
    total = 0
    for lineno, raw in enumerate(lines, start=1):
        parsed = parse_line(raw, ports=ports, path=path, line=lineno, max_cidr=max_cidr)
        if parsed is None:
            continue
        _, n, line_ports = parsed
        total += n * len(line_ports)
    return total


def bounded_lines(handle: IO[str], path: str, max_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The lines of ``handle``; a line longer than ``max_chars`` raises ``TargetParseError`` once that much of it
    has been read (so memory stays bounded whatever the file holds)."""
    lineno = 0
    while True:
        raw = handle.readline(max_chars + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > max_chars and not raw.endswith("\n"):
            raise TargetParseError(
                f"line longer than {max_chars:,} characters, starting {excerpt(raw[:QUOTE_LIMIT])}…", path, lineno
            )
        yield raw


class TargetSource:
    """A validated target file (or stdin, buffered) that can be counted and then streamed."""

    def __init__(
        self, source: str | Path, *, ports: Sequence[int] = DEFAULT_PORTS, max_cidr: int = DEFAULT_MAX_CIDR
    ) -> None:
        self.ports = tuple(ports)
        self.max_cidr = max_cidr
        self._lines: list[str] | None = None
        if str(source) == "-":
            self.path = "<stdin>"
            self._lines = list(bounded_lines(sys.stdin, self.path))
        else:
            p = Path(source)
            self.path = str(p)
            try:
                with p.open(encoding="utf-8") as handle:
                    handle.read(1)
            except UnicodeDecodeError:
                raise InputError("target file is not UTF-8 text", p) from None
            except OSError as exc:
                raise InputError(f"cannot read target file: {exc.strerror or exc}", p) from None
        self.total = count_targets(self._iter_lines(), ports=self.ports, path=self.path, max_cidr=max_cidr)

    def _iter_lines(self) -> Iterator[str]:
        if self._lines is not None:
            yield from self._lines
            return
        try:
            with open(self.path, encoding="utf-8") as handle:
                yield from bounded_lines(handle, self.path)
        except UnicodeDecodeError:
            raise InputError("target file is not UTF-8 text", self.path) from None
        except OSError as exc:
            raise InputError(f"cannot read target file: {exc.strerror or exc}", self.path) from None

    def __iter__(self) -> Iterator[Target]:
        return iter_targets(self._iter_lines(), ports=self.ports, path=self.path, max_cidr=self.max_cidr)


def read_candidates(path: str | Path, *, batch_size: int = 65536) -> tuple[int, Iterator[Target]]:
    """Open a candidates Parquet dataset: (row count, streamed targets). Bad rows raise ``InputError``."""
    import pyarrow.dataset as ds

    p = Path(path)
    if not p.exists():
        raise InputError("candidates dataset not found", p)
    try:
        dataset = ds.dataset(str(p), format="parquet")
        missing = {"ip", "port"} - set(dataset.schema.names)
        if missing:
            raise InputError(f"candidates dataset lacks column(s): {', '.join(sorted(missing))}", p)
        columns = ["ip", "port"] + (["scheme"] if "scheme" in dataset.schema.names else [])
        total = dataset.count_rows()
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises many types for a broken file
        raise InputError(f"cannot read candidates dataset: {exc}", p) from None

    def gen() -> Iterator[Target]:
        row = 0
        for batch in dataset.to_batches(columns=columns, batch_size=batch_size):
            data = batch.to_pydict()
            schemes = data.get("scheme") or [None] * batch.num_rows
            for ip, port, scheme in zip(data["ip"], data["port"], schemes, strict=True):
                row += 1
                try:
                    addr = str(ipaddress.ip_address(str(ip)))
                except ValueError:
                    raise InputError(f"row {row}: not an IP address: {excerpt(ip)}", p) from None
                if not isinstance(port, int) or not 0 < port < 65536:
                    raise InputError(f"row {row}: bad port: {excerpt(port)}", p)
                sch = scheme or default_scheme(int(port))
                if sch not in SCHEMES:
                    raise InputError(f"row {row}: bad scheme: {excerpt(sch)}", p)
                yield Target(addr, port, sch)

    return total, gen()
