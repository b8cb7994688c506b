"""The metric registry: every query file carries a complete header, and every metric is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcensus.analyze.registry import HEADER_FIELDS, QUERIES_DIR, load_registry, parse_query, render_docs
from llmcensus.errors import DataError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
GOOD = """-- name: {name}
-- definition: One paragraph
--   that continues here.
-- denominator: all unique hosts
-- window: the whole study window
-- params: min_obs = 100, share = 0.8, label = 'x'
SELECT $min_obs AS a, $share AS b, $label AS c
"""


def test_registry_loads_every_query_file() -> None:
    reg = load_registry()
    assert len(reg) == len(list(QUERIES_DIR.glob("*.sql"))) >= 40
    for q in reg.values():
        assert q.definition and q.denominator and q.window
        assert q.used_params() == set(q.params), q.name  # no declared parameter is unused


def test_header_is_parsed_with_continuations_and_typed_params(tmp_path: Path) -> None:
    path = tmp_path / "sample_metric.sql"
    path.write_text(GOOD.format(name="sample_metric"))
    q = parse_query(path)
    assert q.definition == "One paragraph that continues here."
    assert q.params == {"min_obs": 100, "share": 0.8, "label": "x"}
    assert q.bind({"min_obs": "7", "other": 1}) == {"min_obs": 7, "share": 0.8, "label": "x"}
    assert q.sql.startswith("SELECT")


@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_a_query_without_a_header_field_fails(tmp_path: Path, field: str) -> None:
    path = tmp_path / "sample_metric.sql"
    text = "\n".join(line for line in GOOD.format(name="sample_metric").splitlines()
                     if not line.startswith(f"-- {field}:"))  # fmt: skip
    path.write_text(text)
    with pytest.raises(DataError, match=field):
        parse_query(path)


def test_name_must_match_file_and_params_must_be_declared(tmp_path: Path) -> None:
    path = tmp_path / "other.sql"
    path.write_text(GOOD.format(name="sample_metric"))
    with pytest.raises(DataError, match="file name"):
        parse_query(path)
    path = tmp_path / "sample_metric.sql"
    path.write_text(GOOD.format(name="sample_metric").replace("$label", "$undeclared"))
    with pytest.raises(DataError, match="undeclared"):
        parse_query(path)


def test_the_metric_catalogue_in_the_docs_is_generated_and_current() -> None:
    # regenerate with: python -m llmcensus.analyze.registry docs/metrics.md
    text = DOCS.read_text()
    assert text == render_docs(text), "docs/metrics.md is out of date: run python -m llmcensus.analyze.registry"


def test_every_metric_is_documented_with_its_header() -> None:
    text = DOCS.read_text()
    for q in load_registry().values():
        assert f"### `{q.name}`" in text, f"{q.name} missing from docs/metrics.md"
        section = text.split(f"### `{q.name}`", 1)[1].split("\n### ", 1)[0]
        assert q.denominator in section and q.window in section, q.name


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_hostile_header_text_fails_cleanly_or_parses(tmp_path_factory: pytest.TempPathFactory, body: str) -> None:
    path = tmp_path_factory.mktemp("h") / "sample_metric.sql"
    path.write_text(body, encoding="utf-8")
    try:
        q = parse_query(path)
    except DataError:
        return
    assert re.fullmatch(r"[a-z][a-z0-9_]*", q.name)
