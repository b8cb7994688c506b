"""The Ollama library scrape bundled with llmcensus (names, tags, sizes, digests, badges).

Source: ``shared/data/ollama-library.json`` (registry scrape of 2026-08-21), copied gzip-compressed
into the package so that a fresh install needs nothing outside it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class LibraryTag:
    model: str  # library model name, e.g. "llama3.1"
    tag: str  # e.g. "8b-instruct-q4_K_M"
    size_text: str  # as scraped: "4.9GB"
    context_window: str | None
    model_hash: str  # first 12 hex of the manifest digest
    input_kinds: tuple[str, ...]  # scrape's per-tag "capabilities" (Text, Image, ...)


@dataclass(frozen=True, slots=True)
class LibraryModel:
    name: str
    description: str
    badges: tuple[str, ...]  # tools, thinking, vision, embedding, audio, cloud
    pull_count: float  # pulls, parsed from "118.7M"
    tags: tuple[LibraryTag, ...]


def _pulls(text: str | None) -> float:
    if not text:
        return 0.0
    mult = {"K": 1e3, "M": 1e6, "B": 1e9}
    t = text.strip()
    if t and t[-1].upper() in mult:
        return float(t[:-1]) * mult[t[-1].upper()]
    try:
        return float(t)
    except ValueError:
        return 0.0


@lru_cache(maxsize=1)
def raw_library() -> dict[str, Any]:
    blob = resources.files("llmcensus.reference").joinpath("data/ollama-library.json.gz").read_bytes()
    data: dict[str, Any] = json.loads(gzip.decompress(blob))
    return data


@lru_cache(maxsize=1)
def library() -> dict[str, LibraryModel]:
    """Every library model by name."""
    out: dict[str, LibraryModel] = {}
    for name, m in raw_library()["models"].items():
        tags = tuple(
            LibraryTag(
                model=name,
                tag=tag,
                size_text=str(t.get("size") or ""),
                context_window=t.get("contextWindow"),
                model_hash=str(t.get("modelHash") or ""),
                input_kinds=tuple(t.get("capabilities") or ()),
            )
            for tag, t in (m.get("tags") or {}).items()
        )
        out[name] = LibraryModel(
            name=name,
            description=str(m.get("description") or ""),
            badges=tuple(m.get("categories") or ()),
            pull_count=_pulls(m.get("pullCount")),
            tags=tags,
        )
    return out


def parse_size_text(text: str) -> int | None:
    """"4.9GB" -> bytes (decimal units, as ollama.com prints them)."""
    t = text.strip().upper()
    for unit, mult in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3), ("B", 1)):
        if t.endswith(unit):
            try:
                return int(float(t[: -len(unit)]) * mult)
            except ValueError:
                return None
    return None
