"""The store is the one door: no module outside ``llmcensus/store/`` opens DuckDB itself or spells a folder of the
data folder (``store/layout.py`` knows the layout; ``store/db.py`` opens every connection)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "llmcensus"
# Every folder and file name at the top of a data folder (store/layout.py), and the legacy partition prefix.
DATA_NAMES = {"observations", "sweeps", "show", "bodies", "enrich", "candidates", "store", "report", "sim", "truth",
              "optout.txt", ".llmcensus.lock", "run"}  # fmt: skip
FILES = sorted(p for p in PKG.rglob("*.py") if p.relative_to(PKG).parts[0] != "store")


def _violations(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect":
            base = node.func.value
            if isinstance(base, ast.Name) and base.id == "duckdb":
                out.append(f"line {node.lineno}: duckdb.connect (use llmcensus.store.db.connect)")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            right = node.right
            if isinstance(right, ast.Constant) and isinstance(right.value, str) and right.value in DATA_NAMES:
                out.append(f"line {node.lineno}: / {right.value!r} (ask llmcensus.store.layout.Layout)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("day="):
            out.append(f"line {node.lineno}: {node.value!r} (ask llmcensus.store.layout.Layout)")
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_only_the_store_opens_duckdb_or_spells_the_data_folder(path: Path) -> None:
    assert _violations(path) == []


def test_the_check_sees_what_it_forbids(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('import duckdb\ncon = duckdb.connect()\np = root / "observations" / f"day={d}"\nq = "day=2026"\n')
    assert len(_violations(bad)) == 4  # connect, / "observations", and "day=" twice
