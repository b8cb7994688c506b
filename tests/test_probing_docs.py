"""docs/probing.md's runtime table is generated from the runtime modules and kept current."""

from __future__ import annotations

from pathlib import Path

from llmcensus.probe.runtimes import render_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "probing.md"
BEGIN, END = "<!-- runtimes:begin -->\n", "<!-- runtimes:end -->"


def test_the_runtime_table_is_current() -> None:
    text = DOC.read_text()
    table = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert table == render_markdown(), (
        "docs/probing.md is stale: paste llmcensus.probe.runtimes.render_markdown() between the runtimes markers")
