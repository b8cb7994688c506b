"""Where ``SimulatedSource`` (``llmcensus run --simulate``: one simulated day per cycle) used to live; it is
``llmcensus.simstudy.SimulatedSource`` now, and this name resolves to it through the API, on first use."""

from __future__ import annotations

from typing import Any

from llmcensus import api


def __getattr__(name: str) -> Any:
    if name == "SimulatedSource":
        return api.SimulatedSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
