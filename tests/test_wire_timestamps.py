"""Wire shape: the fraction digits of simulated ``modified_at`` stamps follow the real captures (issue 17).

Real ``/api/tags`` replies (``fixtures/captures/api_tags``, a copy of ``shared/data/captures``, each reply
weighted by ``MULTIPLICITY.csv``) carry 9 fraction digits on about two thirds of their stamps, 7 on about a
quarter (Windows hosts: NTFS keeps 100 ns ticks) and 8 or 6 on a few (Go trims trailing zeros). The simulator
draws Windows hosts with ``Params.windows_share``; every other host stamps nanoseconds.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from llmcensus.simulate.params import Params
from llmcensus.simulate.wire.gojson import rfc3339nano
from llmcensus.simulate.world import build_world

TAGS = Path(__file__).parent / "fixtures" / "captures" / "api_tags"
_FRACTION = re.compile(r"T\d\d:\d\d:\d\d(?:\.(\d+))?(?:Z|[+-]\d\d:\d\d)$")
DIGITS = (6, 7, 8, 9)
TOLERANCE = 0.05  # ±5 pp


def _digits(stamp: str) -> int:
    m = _FRACTION.search(stamp)
    assert m, stamp
    return len(m.group(1) or "")


def _shares(counts: Counter[int]) -> dict[int, float]:
    total = sum(counts.values())
    return {d: counts[d] / total for d in DIGITS}


@pytest.fixture(scope="module")
def captured() -> dict[int, float]:
    weights = {row[0]: int(row[1]) for row in csv.reader((TAGS / "MULTIPLICITY.csv").read_text().splitlines())}
    counts: Counter[int] = Counter()
    for name, weight in weights.items():
        for entry in json.loads((TAGS / name).read_text())["models"]:
            counts[_digits(entry["modified_at"])] += weight
    assert sum(counts.values()) > 150  # every capture read
    return _shares(counts)


@pytest.fixture(scope="module")
def simulated() -> dict[int, float]:
    world = build_world(Params(hosts=3_000, days=30))
    inv, h = world.inventory, world.hosts
    # one stamp per listed model, rendered as the host's zone renders it (what a tags reply carries)
    ollama = np.isin(h.behaviour[inv.host], ["ollama", "honeypot"])
    listed = zip(inv.modified_ns[ollama], inv.host[ollama], strict=True)
    stamps = (rfc3339nano(int(ns), int(h.tz_offset[hh])) for ns, hh in listed)
    return _shares(Counter(_digits(s) for s in stamps))


def test_captures_are_mostly_nanosecond_with_a_windows_quarter(captured: dict[int, float]) -> None:
    assert captured[9] > 0.55 and 0.2 < captured[7] < 0.35
    assert captured[6] > 0 and captured[8] > 0


@pytest.mark.parametrize("digits", DIGITS)
def test_fraction_digit_shares_follow_the_captures(
    digits: int, captured: dict[int, float], simulated: dict[int, float]
) -> None:
    assert abs(simulated[digits] - captured[digits]) <= TOLERANCE, (digits, simulated, captured)


def test_windows_share_drives_seven_digit_stamps() -> None:
    world = build_world(Params(hosts=800, days=10, windows_share=0.0))
    ns = world.inventory.modified_ns
    farm = world.hosts.farm[world.inventory.host] >= 0
    # without Windows hosts only Go's trimming shortens a nanosecond stamp: 7 digits stay rare
    seven = np.mean([(int(x) % 100 == 0) for x in ns[~farm]])
    assert seven < 0.03
