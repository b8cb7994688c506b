"""Sharded sweeps (``llmcensus scan --shard i/n``): which targets belong to shard ``i`` of ``n``.

A target is in shard ``i`` (1-based) when ``int(blake2b-64(address text)) mod n == i - 1``. The key is the
normalised address alone, never the port: every port of one address lands in the same shard, so one machine sees
all of an address's visits and the per-address request budget (``probe/budget.py``, seeded from the folder's
recent observations) means the same as in an unsharded sweep. The hash is fixed (BLAKE2b, standard library), not
Python's ``hash()``, which is salted per process: every machine, every run, splits the same way.

Shards of one sweep share its ``sweep_id`` (observation ids are ``sha1(sweep|ip|port)``, so a row is the same
whichever machine wrote it) and put ``~s<i>of<n>`` in their part names (``store/layout.py``, ``PART``), so the
parts of n machines never collide when they are merged (``observations/merge.py``); each shard writes its own
manifest (``sweeps/<sweep>/manifest-shard-<i>-of-<n>.json``), and ``Manifest.read`` folds them into one sweep.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from llmcensus.errors import ConfigError

# A bound, not a need: 4096 machines is beyond any plan, and it keeps shard names short (``~s4096of4096``).
MAX_SHARDS = 4096
_SPEC = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{1,6})\s*$")


class _HasIp(Protocol):
    @property
    def ip(self) -> str: ...


T = TypeVar("T", bound=_HasIp)

def shard_index(ip: str, count: int) -> int:
    """The 0-based shard of address ``ip`` (normalised text, as ``targets/parse.py`` yields it) among ``count``."""
    digest = hashlib.blake2b(ip.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not (1 <= self.count <= MAX_SHARDS and 1 <= self.index <= self.count):
            raise ConfigError(f"bad shard {self.index}/{self.count}: want i/n with 1 <= i <= n <= {MAX_SHARDS}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def contains(self, ip: str) -> bool:
        return shard_index(ip, self.count) == self.index - 1

    def as_dict(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    def select(self, targets: Iterable[T]) -> Iterator[T]:
        """The targets of this shard, in their order. Consecutive targets often share an address (a bare address
        or a CIDR is expanded over every port), so the last answer is reused rather than hashed again."""
        last_ip, last_in = None, False
        for target in targets:
            if target.ip != last_ip:
                last_ip, last_in = target.ip, self.contains(target.ip)
            if last_in:
                yield target


def parse_shard(text: str | Shard | None) -> Shard | None:
    """``"i/n"`` -> ``Shard``; None -> None (an unsharded sweep); anything else is a ``ConfigError``."""
    if text is None or isinstance(text, Shard):
        return text
    m = _SPEC.match(str(text))
    if m is None:
        raise ConfigError(f"bad --shard {str(text)[:40]!r}: want i/n, e.g. 2/3 (1 <= i <= n <= {MAX_SHARDS})")
    return Shard(int(m.group(1)), int(m.group(2)))
