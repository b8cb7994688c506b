"""docs/api.md: every ```python block runs, in order, on a tiny data folder (the API's documentation is a test)."""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path

import pytest
from analyze_data import write_tiny

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[str]:
    return BLOCK.findall((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))


def test_the_api_doc_has_examples_for_every_function() -> None:
    code = "\n".join(blocks())
    for name in ("study", "scan", "enrich", "store_update", "report", "metrics", "open_store", "events"):
        assert f"llmcensus.{name}(" in code, name


@pytest.mark.slow
def test_every_example_of_the_api_doc_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_tiny(tmp_path / "tiny")
    namespace: dict[str, object] = {"data": data, "tmp": tmp_path}
    for i, code in enumerate(blocks()):
        exec(compile(code, f"docs/api.md block {i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "targets on day 1" in out and "blocked" in out
    assert (tmp_path / "report" / "report.html").is_file()
    shutil.rmtree(tmp_path / "study", ignore_errors=True)


def test_the_explore_example_loads_a_study_and_draws_one_figure(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "tiny")
    explore = runpy.run_path(str(ROOT / "docs" / "examples" / "explore.py"))
    path = explore["main"](data, tmp_path / "out")
    assert path.is_file() and path.stat().st_size > 0
    if path.suffix == ".csv":  # matplotlib not installed: the figure's data
        lines = path.read_text().splitlines()
        assert lines[0] == '"country","hosts","mean_days_seen"' and '"CN",2' in lines[1]
