"""llama_cpp fingerprint (being written: this module claims nothing yet, so the engine never chooses it)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes.base import Parsed, Visit

NAME = "llama_cpp"
DEFAULT_PORTS: tuple[int, ...] = ()
REQUESTS: tuple[tuple[str, str], ...] = ()
IDENTIFY: tuple[tuple[str, str], ...] = ()
PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {}


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    return []


def claims(evidence: Collection[str]) -> int:
    return 0


async def scan(visit: Visit) -> None:
    raise NotImplementedError(NAME)
