"""Release dates in the lineage catalog: every lineage has a dated source or says why not.

``lineages.csv`` carries ``released`` (first public weights release, ISO date), ``release_source``
(one URL backing it) and ``release_note``. docs/lineage.md ("Adding a lineage") says how to fill them.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from importlib import resources

import pytest

from llmcensus.errors import DataError
from llmcensus.reference import catalog
from llmcensus.reference.catalog import lineages

# The share of lineages that must carry a date (issue #18). Measured 2026-12-07: 169 of 241 (70 %);
# the rest are mostly 2023 community fine-tunes whose first upload no source dates to the day,
# and 2026 releases the sources searched did not date. Kept at 90 % on purpose (see the xfail).
MIN_DATED_SHARE = 0.90

# Derivatives dated before their upstream, each with the reason it is right: LLaMA-1-era fine-tunes
# whose catalogued upstream is the Llama 2 the library describes (vicuna, wizardlm, nous-hermes… are
# still undated). Add "lineage": "why" here rather than bending a date.
RELEASED_BEFORE_UPSTREAM: dict[str, str] = {
    "wizard-vicuna": "WizardVicuna 13B (2023-05-04) was trained from LLaMA 13B; the llama2 upstream follows the "
    "library's description ('based on Llama 2')",
}


def test_every_lineage_has_a_dated_source_or_a_note() -> None:
    missing = [
        name
        for name, lin in lineages().items()
        if not (lin.released and lin.release_source.startswith(("https://", "http://"))) and not lin.release_note
    ]
    assert not missing, f"lineages with neither a dated source nor a release_note: {missing}"


def test_dates_parse_and_are_not_in_the_future() -> None:
    raw = resources.files("llmcensus.reference").joinpath("data/lineages.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(raw)):
        if row["released"]:
            day = date.fromisoformat(row["released"])  # raises on anything but YYYY-MM-DD
            assert day <= date.today(), row["lineage"]
            assert lineages()[row["lineage"]].released == day


def test_a_derivative_is_not_released_before_its_upstream() -> None:
    cat = lineages()
    early = []
    for name, lin in cat.items():
        for up in lin.upstream:
            base = cat[up].released
            if lin.released and base and lin.released < base and name not in RELEASED_BEFORE_UPSTREAM:
                early.append(f"{name} {lin.released} < {up} {base}")
    assert not early, f"derivatives dated before their upstream (fix the date or explain it): {early}"


@pytest.mark.xfail(
    strict=True,
    reason="issue #18 asks for >= 90 % dated lineages; 70 % so far. Remove this mark once the bar is met.",
)
def test_most_lineages_are_dated() -> None:
    cat = lineages()
    dated = sum(1 for lin in cat.values() if lin.released)
    share = dated / len(cat)
    assert share >= MIN_DATED_SHARE, (
        f"{dated} of {len(cat)} lineages dated ({share:.1%}), below {MIN_DATED_SHARE:.0%}; "
        f"undated: {sorted(n for n, lin in cat.items() if not lin.released)}"
    )


def _load(monkeypatch: pytest.MonkeyPatch, extra: dict[str, str]) -> None:
    """Load the catalog with the first lineage's release columns replaced by ``extra``."""
    original = catalog._rows

    def rows(name: str) -> list[dict[str, str]]:
        out = original(name)
        if name == "lineages.csv":
            out = [dict(r) for r in out]
            out[0].update(extra)
        return out

    monkeypatch.setattr(catalog, "_rows", rows)
    catalog.lineages.cache_clear()
    try:
        catalog.lineages()
    finally:
        catalog.lineages.cache_clear()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"released": "2024-13-01"}, "not an ISO date"),
        ({"released": "2024-1-5"}, "not an ISO date"),
        ({"released": "2999-01-01"}, "in the future"),
        ({"released": "2024-01-05", "release_source": "model card"}, r"needs one http\(s\) URL"),
        ({"released": "", "release_note": ""}, "no release_note"),
    ],
)
def test_loader_names_the_bad_row(monkeypatch: pytest.MonkeyPatch, extra: dict[str, str], message: str) -> None:
    first = next(iter(lineages()))
    with pytest.raises(DataError, match=message) as err:
        _load(monkeypatch, extra)
    assert "line 2" in str(err.value) and repr(first) in str(err.value)
