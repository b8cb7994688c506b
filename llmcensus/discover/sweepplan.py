"""What a connect sweep will touch: settings, address ranges, visiting order, and the dry-run plan.

Everything here is pure computation (no sockets), so ``--dry-run`` can print exactly what a sweep
would touch without touching anything.
"""

from __future__ import annotations

import bisect
import ipaddress
import math
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields

from llmcensus.errors import ConfigError, UsageError
from llmcensus.targets.blocklist import Blocklist, Network
from llmcensus.targets.parse import excerpt

# Ports LLM runtimes listen on by default or are commonly mapped to: Ollama 11434, reverse proxies
# 80/443, 8080/8000 (vLLM, LocalAI, generic), LM Studio 1234, KoboldCpp 5001, Open WebUI 3000,
# LiteLLM 4000, SGLang 30000, Gradio 7860, Flask-style 5000, Jupyter-style 8888.
DEFAULT_PORTS: tuple[int, ...] = (11434, 80, 443, 8080, 8000, 1234, 5001, 3000, 4000, 30000, 7860, 5000, 8888)


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, slots=True)
class SweepSettings:
    """Every sweep setting once, with its default and help (``settings_table()`` lists them)."""

    ports: tuple[int, ...] = field(default=DEFAULT_PORTS, metadata=_help("TCP ports tried on every address"))
    rate: float = field(
        default=1000.0,
        metadata=_help("connection attempts per second, all addresses together (0 = unlimited)"),
    )
    per_host_rate: float = field(
        default=2.0, metadata=_help("attempts per second to any one address (ZGrab2 allows 20 connections/s per IP)")
    )
    per_host_budget: int = field(
        default=16, metadata=_help("most connection attempts to one address in one sweep (ports beyond it are refused)")
    )
    concurrency: int = field(default=256, metadata=_help("connection attempts in flight at once"))
    connect_timeout: float = field(default=3.0, metadata=_help("seconds to wait for a TCP handshake"))
    max_addresses: int = field(default=1 << 24, metadata=_help("largest address count one sweep may cover (a /8)"))
    seed: int = field(default=1, metadata=_help("seed of the visiting order (same seed, same order)"))

    def __post_init__(self) -> None:
        """Every value is checked when the settings are made (CLI options, a library call): a NaN timeout or a
        negative rate is a ``ConfigError`` naming the setting, never a sweep that misbehaves."""
        if not isinstance(self.ports, tuple) or not self.ports:
            raise ConfigError("sweep setting ports: no ports to sweep")
        bad = [p for p in self.ports if not _is_int(p) or not 0 < p < 65536]
        if bad:
            raise ConfigError(f"sweep setting ports: ports out of range: {excerpt(bad)}")
        for name, integer, low, low_ok, high in _RANGES:
            value = getattr(self, name)
            valid = _is_int(value) or (not integer and isinstance(value, float) and math.isfinite(value))
            if valid and (value > low or (low_ok and value == low)) and (high is None or value <= high):
                continue
            want = "an integer" if integer else "a finite number"
            if math.isfinite(low):
                want += f" >= {low:g}" if low_ok else f" > {low:g}"
            if high is not None:
                want += f" and <= {high:,}"
            raise ConfigError(f"sweep setting {name} must be {want}, not {excerpt(value)}")

    def check(self) -> None:
        """The checks across settings (each value alone was checked when the settings were made)."""
        if len(set(self.ports)) > self.per_host_budget:
            raise ConfigError(
                f"{len(set(self.ports))} ports exceed the per-host budget of {self.per_host_budget} attempts per sweep"
            )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# (setting, integer only, lowest, lowest allowed, highest) for the numeric settings. Concurrency counts sockets and
# tasks held at once: past 65,536 it is a typo, not a plan. Rates and timeouts need only be positive and finite.
_RANGES: tuple[tuple[str, bool, float, bool, int | None], ...] = (
    ("rate", False, 0.0, True, None),  # 0 = unlimited
    ("per_host_rate", False, 0.0, False, None),
    ("per_host_budget", True, 1, True, None),
    ("concurrency", True, 1, True, 65_536),
    ("connect_timeout", False, 0.0, False, None),
    ("max_addresses", True, 1, True, None),
    ("seed", True, -math.inf, False, None),
)


def settings_table() -> list[tuple[str, object, str]]:
    """(name, default, help) for every setting: the CLI help and the docs are generated from it."""
    defaults = SweepSettings()
    return [(f.name, getattr(defaults, f.name), f.metadata["help"]) for f in fields(SweepSettings)]


def parse_ranges(texts: Iterable[str]) -> list[Network]:
    """Networks from CIDR or address text, merged so an address is never visited twice."""
    nets: list[Network] = []
    for text in texts:
        try:
            nets.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise UsageError(f"not an IP address or CIDR: {excerpt(text)}") from None
    v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in nets if isinstance(n, ipaddress.IPv6Network)]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


class AddressSpace:
    """The merged ranges as one index space 0..size-1, so an index permutation orders the sweep."""

    def __init__(self, ranges: Sequence[Network]) -> None:
        self.ranges = list(ranges)
        self._offsets: list[int] = []
        total = 0
        for net in self.ranges:
            self._offsets.append(total)
            total += net.num_addresses
        self.size = total

    def address(self, index: int) -> tuple[int, int]:
        """(integer address, IP version) of the index-th address."""
        i = bisect.bisect_right(self._offsets, index) - 1
        net = self.ranges[i]
        return int(net.network_address) + index - self._offsets[i], net.version


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    f = 3
    while f * f <= n:
        if n % f == 0:
            return False
        f += 2
    return True


def permutation(size: int, seed: int) -> Iterator[int]:
    """Every index in 0..size-1 once, in a scattered order: ``k -> (a*k + b) mod p`` over a prime
    ``p >= size``, skipping results >= size. Like ZMap's cyclic-group walk (in spirit, not
    strength), it spreads consecutive attempts across networks instead of hammering one /24."""
    if size <= 0:
        return
    p = size
    while not _is_prime(p):
        p += 1
    if p == 2 or size == 1:
        yield from range(size)
        return
    rng = random.Random(seed)
    a = rng.randrange(1, p)
    b = rng.randrange(0, p)
    x = b
    for _ in range(p):
        if x < size:
            yield x
        x += a
        if x >= p:
            x -= p


def _intervals(nets: Iterable[Network], version: int) -> list[tuple[int, int]]:
    spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in nets if n.version == version)
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def blocked_count(ranges: Sequence[Network], blocklist: Blocklist) -> int:
    """How many addresses of ``ranges`` the blocklist covers (interval overlap, no enumeration)."""
    total = 0
    for version in (4, 6):
        blocked = _intervals(blocklist.networks, version)
        for s, e in _intervals(ranges, version):
            for bs, be in blocked:
                lo, hi = max(s, bs), min(e, be)
                if lo <= hi:
                    total += hi - lo + 1
    return total


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """What a sweep would touch; ``--dry-run`` prints it and stops."""

    ranges: tuple[str, ...]
    ports: tuple[int, ...]
    addresses: int
    blocked_addresses: int
    targets: int  # (address, port) pairs that would be attempted (blocked ones excluded)
    mode: str  # "dial_map" (simulation: only mapped pairs get a packet, to loopback) | "live"
    mapped_targets: int | None  # dial-map mode: targets with an entry (the only ones connected to)
    rate: float
    est_seconds: float | None

    @property
    def blocked_share(self) -> float:
        return self.blocked_addresses / self.addresses if self.addresses else 0.0

    def lines(self) -> list[str]:
        out = [
            f"mode: {self.mode}",
            f"ranges: {len(self.ranges)} ({', '.join(self.ranges[:5])}{' …' if len(self.ranges) > 5 else ''})",
            f"addresses: {self.addresses}",
            f"blocked addresses: {self.blocked_addresses} ({self.blocked_share:.1%}) — never contacted",
            f"ports: {len(self.ports)} ({','.join(map(str, self.ports))})",
            f"targets (address × port, not blocked): {self.targets}",
        ]
        if self.mapped_targets is not None:
            out.append(f"targets with a dial-map entry (connected to on loopback): {self.mapped_targets}")
        rate = f"{self.rate:g}/s" if self.rate else "unlimited"
        est = f", about {self.est_seconds:.0f} s" if self.est_seconds is not None else ""
        out.append(f"rate: {rate}{est}")
        return out


def plan_sweep(
    ranges: Sequence[Network],
    settings: SweepSettings,
    blocklist: Blocklist,
    dial_map: Mapping[tuple[str, int], tuple[str, int]] | None = None,
) -> SweepPlan:
    settings.check()
    space = AddressSpace(ranges)
    if space.size > settings.max_addresses:
        raise ConfigError(f"{space.size} addresses exceed the sweep cap of {settings.max_addresses} (max_addresses)")
    blocked = blocked_count(ranges, blocklist)
    ports = tuple(dict.fromkeys(settings.ports))
    targets = (space.size - blocked) * len(ports)
    mapped = None
    if dial_map is not None:
        port_set = set(ports)
        mapped = 0
        for ip, port in dial_map:
            if port not in port_set or ip in blocklist:
                continue
            addr = ipaddress.ip_address(ip)
            if any(addr.version == n.version and addr in n for n in ranges):
                mapped += 1
    return SweepPlan(
        ranges=tuple(str(n) for n in ranges),
        ports=ports,
        addresses=space.size,
        blocked_addresses=blocked,
        targets=targets,
        mode="dial_map" if dial_map is not None else "live",
        mapped_targets=mapped,
        rate=settings.rate,
        est_seconds=targets / settings.rate if settings.rate else None,
    )
