"""Source formats: one module per source, the same shape every time, listed in one table.

Each module exposes ``NAME`` (the channel name, stored in the candidates' ``sources``), ``KINDS``
(the file kinds it reads, for help text) and ``parse(path, options) -> Iterator[Candidate |
ParseIssue]``, a streaming parser that never raises on a malformed record (it yields a
``ParseIssue`` with file and line instead). Adding a source = a module here + a line in ``FORMATS``
+ a sample under ``tests/fixtures/discovery/<name>/`` + a line in ``docs/scanning-policy.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

from llmcensus.discover.formats import censys, fofa, masscan, plain, shodan, zmap
from llmcensus.discover.formats._common import Candidate, ImportOptions, Item, ParseIssue
from llmcensus.errors import UsageError
from llmcensus.targets.parse import excerpt

Parser = Callable[[Path, ImportOptions], Iterator[Item]]

FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (censys, shodan, fofa, masscan, zmap, plain)}

# Channel names a candidate's ``sources`` may hold: every format plus our own connect sweep.
CHANNELS: tuple[str, ...] = (*FORMATS, "sweep")


def get_format(name: str) -> ModuleType:
    """The format module for ``name``; an unknown name is a UsageError listing the known ones."""
    try:
        return FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown format {excerpt(name)}; known formats: {', '.join(sorted(FORMATS))}") from None


__all__ = ["CHANNELS", "FORMATS", "Candidate", "ImportOptions", "Item", "ParseIssue", "Parser", "get_format"]
