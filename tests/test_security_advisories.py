"""The bundled advisory table (issue #19, acceptance 1): every row parses and has a source, ranges are consistent
with the fixed version, and versions order as runtimes number them."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcensus.errors import ConfigError
from llmcensus.reference.advisories import COLUMNS, load_advisories, parse_rows
from llmcensus.reference.versions import compare, in_range, parse_range, parse_version

ORDERED = ["0.0.9", "0.1.9", "v0.1.10", "0.1.33-rc1", "0.1.33-rc7", "0.1.33", "0.1.34", "0.5.0-dev", "0.5.0-alpha1",
           "0.5.0-beta2", "0.5.0-rc1", "0.5.0-rc.2", "0.5.0", "0.6.1", "0.6.1.post1", "0.6.2", "0.10.0", "0.10.1.1",
           "0.12.10", "1.0", "b3400", "b6050-1ed4a2c0"]


def test_versions_order_as_runtimes_number_them() -> None:
    for a, b in itertools.pairwise(ORDERED):
        assert compare(a, b) < 0, (a, b)
    assert compare("0.1.9", "0.1.10") < 0 < compare("0.10.0", "0.1.10")
    assert compare("v0.5.7", "0.5.7") == 0 and compare("0.1", "0.1.0") == 0
    assert compare("0.5.0-rc1", "0.5.0") < 0 and compare("0.5.0rc1", "0.5.0-rc1") == 0


@pytest.mark.parametrize("text", ["", "0.0.0", "unknown", "latest", "0.5.x", "v", None])
def test_unreadable_versions_are_unknown(text: str | None) -> None:
    assert parse_version(text) is None
    assert in_range(text, "*") is None


def test_ranges() -> None:
    assert in_range("0.1.33", "<0.1.34") and not in_range("0.1.34", "<0.1.34")
    assert in_range("0.1.34-rc1", "<0.1.34")  # a release candidate comes before its release
    assert in_range("0.34.2", ">=0.34.2,<0.35.0") and not in_range("0.35.0", ">=0.34.2,<0.35.0")
    assert in_range("0.3.0", "<0.2.0 || >=0.3.0,<0.4") and not in_range("0.2.5", "<0.2.0 || >=0.3.0,<0.4")
    assert not in_range("0.1.0", "")
    for bad in ("0.1.3", "<<0.1", "<0.x", ">=1.0,"):
        with pytest.raises(ConfigError):
            parse_range(bad)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=4), st.lists(st.integers(0, 40), min_size=1, max_size=4))
def test_order_is_numeric_part_by_part(a: list[int], b: list[int]) -> None:
    va, vb = ".".join(map(str, a)), ".".join(map(str, b))
    if parse_version(va) is None or parse_version(vb) is None:
        return
    pad = max(len(a), len(b))
    ka, kb = a + [0] * (pad - len(a)), b + [0] * (pad - len(b))
    assert compare(va, vb) == (ka > kb) - (ka < kb)


def test_every_row_parses_has_a_source_and_a_consistent_range() -> None:
    rows = load_advisories()
    assert len(rows) >= 25
    for a in rows:
        assert a.source.startswith("https://"), a.id
        if not a.counts:
            assert a.note, f"{a.id}: say why it does not count"
            continue
        if a.fixed is not None:
            assert not in_range(a.fixed, a.affected), f"{a.id}: the fixed version is in its affected range"
            assert not a.ambiguous, f"{a.id}: with a fix, later versions are not ambiguous"
        else:
            assert a.ambiguous, f"{a.id}: no fix published: say which later versions are unknown"
            assert not any(in_range(v, a.affected) and in_range(v, a.ambiguous) for v in ORDERED), a.id
        assert a.published.year >= 2023


def test_the_table_says_what_is_not_fixed_and_what_is_not_ollamas() -> None:
    by_id = {a.id: a for a in load_advisories()}
    assert by_id["CVE-2024-37032"].fixed == "0.1.34" and by_id["CVE-2024-37032"].single_request
    assert by_id["CVE-2025-63389"].fixed is None  # missing authentication: no version fixes it
    assert by_id["CVE-2024-39719"].verdict("0.5.7") == "unknown"  # reported through 0.3.14, never fixed
    assert by_id["CVE-2024-39719"].verdict("0.3.14") == "affected"
    assert by_id["CVE-2024-45436"].verdict("0.1.47") == "fixed"
    assert by_id["CVE-2024-45436"].verdict(None) == "unknown"
    not_ollamas = {a.id for a in load_advisories() if a.status == "misattributed"}
    assert {"CVE-2024-34359", "CVE-2024-50050", "PYSEC-2025-144"} <= not_ollamas
    assert all(by_id[i].verdict("0.1.0") == "not_affected" for i in not_ollamas)
    assert {a.runtime for a in load_advisories() if a.counts} >= {"ollama", "vllm", "open_webui"}


def _row(**kw: str) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "")
    base.update(runtime="ollama", id="X-1", affected="<1.0", fixed="1.0", published="2025-01-01", severity="high",
                unauthenticated_remote="true", single_request="false", status="published",
                source="https://example.org/x")
    base.update(kw)
    return base


@pytest.mark.parametrize("change", [{"source": ""}, {"affected": "<1.0.x"}, {"fixed": ""}, {"published": "2025"},
                                    {"status": "maybe"}, {"unauthenticated_remote": "yes"}, {"fixed": "one"}])
def test_malformed_rows_are_refused(change: dict[str, str]) -> None:
    parse_rows([_row()])
    with pytest.raises(ConfigError):
        parse_rows([_row(**change)])


def test_the_csv_is_plain() -> None:
    from importlib import resources

    text = resources.files("llmcensus.reference").joinpath("data/advisories.csv").read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    assert tuple(next(reader)) == COLUMNS
    assert all(len(r) == len(COLUMNS) for r in reader)
