"""The public API: importing llmcensus stays cheap, and every API name is reachable from the package."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from analyze_data import write_tiny

import llmcensus
from llmcensus.errors import DataError, UsageError


def test_import_llmcensus_loads_no_stage_and_no_heavy_library() -> None:
    code = ("import sys, llmcensus; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('duckdb', 'pyarrow', 'numpy', 'typer', 'aiohttp') or m.startswith('llmcensus.')]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    # the two stage packages that double as API functions are imported (a docstring each), nothing else
    assert out == "['llmcensus.enrich', 'llmcensus.report']"


def test_every_api_name_is_reachable_and_enrich_report_stay_modules_too() -> None:
    for name in ("scan", "enrich", "report", "study", "store_update", "events", "open_store", "metrics"):
        assert callable(getattr(llmcensus, name)), name
    importlib.import_module("llmcensus.enrich.run")
    importlib.import_module("llmcensus.report.build")
    assert callable(llmcensus.enrich) and callable(llmcensus.report)  # still callable after the submodule import
    assert llmcensus.enrich.run.enrich is not None and llmcensus.report.build.build_report is not None
    with pytest.raises(AttributeError):
        _ = llmcensus.no_such_function  # type: ignore[attr-defined]


def test_store_relations_and_metrics_as_arrow(tmp_path: Path) -> None:
    data = write_tiny(tmp_path)
    con = llmcensus.open_store(data)
    try:
        (hosts,) = con.execute("SELECT count(*) FROM host_stats").fetchall()[0]
    finally:
        con.close()
    tables = llmcensus.metrics(data, ["headline"])
    assert list(tables) == ["headline"]
    headline = {(r["figure"], r["scope"]): r["value"] for r in tables["headline"].to_pylist()}
    assert headline[("unique_hosts", "all")] == hosts == 7  # hosts A-G of tests/analyze_data.py
    assert llmcensus.events(data, limit=3) and len(llmcensus.events(data, limit=3)) == 3


def test_api_errors_are_the_llmcensus_tree(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        llmcensus.store_update(tmp_path / "missing")
    with pytest.raises(DataError):
        llmcensus.open_store(tmp_path)
    with pytest.raises(UsageError):
        llmcensus.events(write_tiny(tmp_path / "t"), since="yesterday")
