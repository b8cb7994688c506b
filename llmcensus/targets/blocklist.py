"""The blocklist every stage checks before it opens a connection.

A ``Blocklist`` is the bundled IANA special-purpose ranges plus any opt-out files. Lookups are a
bisect over sorted, merged integer intervals, so checking millions of targets costs little.
Opt-out files use the same format as the bundled list: one CIDR (or address) per line, ``#``
comments. The default opt-out file lives in the data directory (``llmcensus optout add``).
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from llmcensus.errors import InputError
from llmcensus.targets.parse import excerpt

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network_lines(lines: Iterable[str], path: str = "<text>") -> list[Network]:
    """Parse blocklist lines; a bad line raises ``InputError`` naming path and line."""
    nets: list[Network] = []
    for lineno, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            nets.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise InputError(f"not an IP address or CIDR: {excerpt(text)}", path, lineno) from None
    return nets


def bundled_networks() -> list[Network]:
    text = resources.files("llmcensus.targets").joinpath("data/iana-special-purpose.txt").read_text()
    return parse_network_lines(text.splitlines(), "iana-special-purpose.txt")


class Blocklist:
    """Sorted disjoint intervals per address family; ``in`` answers for str, int-free addresses."""

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self._starts: dict[int, list[int]] = {4: [], 6: []}
        self._ends: dict[int, list[int]] = {4: [], 6: []}
        self.networks: list[Network] = []
        self.add(networks)

    @classmethod
    def default(cls, optout_files: Iterable[str | Path] = ()) -> Blocklist:
        bl = cls(bundled_networks())
        for f in optout_files:
            bl.add_file(f)
        return bl

    def add_file(self, path: str | Path) -> None:
        p = Path(path)
        if not p.exists():
            return
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read opt-out file: {exc.strerror}", p) from None
        except UnicodeDecodeError as exc:
            raise InputError(f"opt-out file is not UTF-8 text (byte {exc.start})", p) from None
        self.add(parse_network_lines(text.splitlines(), str(p)))

    def add(self, networks: Iterable[Network]) -> None:
        self.networks.extend(networks)
        for version in (4, 6):
            spans = sorted(
                (int(n.network_address), int(n.broadcast_address))
                for n in self.networks
                if n.version == version
            )
            merged: list[list[int]] = []
            for start, end in spans:
                if merged and start <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._starts[version] = [s for s, _ in merged]
            self._ends[version] = [e for _, e in merged]

    def contains_int(self, value: int, version: int = 4) -> bool:
        starts = self._starts[version]
        i = bisect.bisect_right(starts, value) - 1
        return i >= 0 and value <= self._ends[version][i]

    def __contains__(self, address: object) -> bool:
        if isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
            addr = address
        else:
            try:
                addr = ipaddress.ip_address(str(address))
            except ValueError:
                return False
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return self.contains_int(int(addr), addr.version)

    def reason(self, address: str) -> str | None:
        """The first listed network containing ``address`` (for the observation's error text)."""
        try:
            addr = ipaddress.ip_address(address)
        except ValueError:
            return None
        for n in self.networks:
            if addr.version == n.version and addr in n:
                return str(n)
        return None
