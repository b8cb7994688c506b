"""Ollama's release calendar, as the simulator uses it.

Dates are approximate release dates (month precision is what matters: a host installed on a given
day runs a version released before it). Versions come from the boundaries that change what a host
exposes (protocols.md §1.13) plus the releases between them, so every version class appears.
Note the numbering jump: there are no v0.25-v0.29 releases.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date

RELEASES: tuple[tuple[str, date], ...] = (
    ("0.1.14", date(2023, 12, 13)),
    ("0.1.20", date(2024, 1, 12)),
    ("0.1.22", date(2024, 1, 26)),
    ("0.1.29", date(2024, 3, 13)),
    ("0.1.32", date(2024, 4, 15)),
    ("0.1.38", date(2024, 5, 14)),
    ("0.1.41", date(2024, 6, 4)),
    ("0.1.45", date(2024, 6, 20)),
    ("0.2.1", date(2024, 7, 8)),
    ("0.2.8", date(2024, 7, 22)),
    ("0.3.6", date(2024, 8, 20)),
    ("0.3.12", date(2024, 9, 24)),
    ("0.3.14", date(2024, 10, 20)),
    ("0.4.2", date(2024, 11, 18)),
    ("0.4.7", date(2024, 12, 2)),
    ("0.5.4", date(2024, 12, 18)),
    ("0.5.7", date(2025, 1, 16)),
    ("0.5.12", date(2025, 2, 21)),
    ("0.6.0", date(2025, 3, 11)),
    ("0.6.2", date(2025, 3, 19)),
    ("0.6.5", date(2025, 4, 6)),
    ("0.6.8", date(2025, 5, 3)),
    ("0.7.1", date(2025, 5, 20)),
    ("0.9.0", date(2025, 5, 29)),
    ("0.9.6", date(2025, 7, 8)),
    ("0.10.1", date(2025, 7, 30)),
    ("0.11.4", date(2025, 8, 11)),
    ("0.11.10", date(2025, 9, 5)),
    ("0.12.3", date(2025, 10, 2)),
    ("0.12.6", date(2025, 10, 18)),
    ("0.13.0", date(2025, 11, 13)),
    ("0.13.5", date(2025, 12, 5)),
    ("0.14.1", date(2025, 12, 20)),
    ("0.14.3", date(2026, 1, 10)),
    ("0.15.2", date(2026, 1, 30)),
    ("0.16.2", date(2026, 2, 18)),
    ("0.17.6", date(2026, 3, 10)),
    ("0.18.3", date(2026, 3, 30)),
    ("0.20.1", date(2026, 4, 22)),
    ("0.22.1", date(2026, 5, 12)),
    ("0.24.0", date(2026, 5, 30)),
    ("0.30.0", date(2026, 6, 24)),
    ("0.30.4", date(2026, 7, 15)),
    ("0.31.1", date(2026, 8, 5)),
    ("0.32.0", date(2026, 8, 28)),
    ("0.33.0", date(2026, 9, 24)),
    ("0.33.2", date(2026, 10, 21)),
)

VERSIONS: tuple[str, ...] = tuple(v for v, _ in RELEASES)
_ORDINALS: tuple[int, ...] = tuple(d.toordinal() for _, d in RELEASES)


def parse_version(text: str) -> tuple[int, int, int]:
    """'0.6.9-rc0' -> (0, 6, 9). Unparseable parts count as 0; '0.0.0' (source build) stays (0, 0, 0)."""
    core = text.split("-", 1)[0]
    parts = (core.split(".") + ["0", "0", "0"])[:3]
    out = []
    for part in parts:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return out[0], out[1], out[2]


def release_index_at(ordinal: int) -> int:
    """Index of the newest release on or before the given day (0 if none yet)."""
    return max(0, bisect_right(_ORDINALS, ordinal) - 1)


def release_ordinals() -> tuple[int, ...]:
    return _ORDINALS


# The oldest Ollama that can load each architecture family (approximate; a host on an older version
# cannot carry a model of that family).
FAMILY_MIN_VERSION: dict[str, str] = {
    "gemma2": "0.1.47",
    "mllama": "0.4.0",
    "gemma3": "0.6.0",
    "qwen3": "0.6.6",
    "qwen3moe": "0.6.6",
    "qwen25vl": "0.7.0",
    "gemma3n": "0.9.3",
    "gptoss": "0.11.0",
    "glm4moelite": "0.14.3",
    "qwen35": "0.17.6",
    "gemma4": "0.20.1",
}
