"""docs/simulation.md documents every simulation parameter with its current default."""

from __future__ import annotations

from pathlib import Path

from llmcensus.simulate.params import param_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "simulation.md"


def test_every_parameter_is_documented_with_its_default() -> None:
    text = DOC.read_text()
    table = text.split("<!-- params:begin -->", 1)[1].split("<!-- params:end -->", 1)[0]
    for name, default, _help, _source in param_table():
        row = next((line for line in table.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"parameter {name} is missing from docs/simulation.md"
        shown = default.replace("|", "\\|")
        assert shown[:40] in row, f"docs/simulation.md shows a stale default for {name}"


def test_every_parameter_names_its_source() -> None:
    for name, _default, help_text, source in param_table():
        assert help_text.strip(), f"{name} has no help text"
        assert source.strip(), f"{name} has no source"
