"""Data flows one way: a stage never imports a later stage (STYLE.md, habit 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "llmcensus"

# Position in the pipeline; a module may import stages at its own position or earlier.
ORDER = {
    "errors": 0,
    "inert": 0,  # the sanitising boundary every output uses
    "pseudonym": 0,  # address pseudonyms (reads only the layout): every output may use it
    "datalock": 0,  # one writer per data folder: every writing stage takes it
    "reference": 0,
    "targets": 1,
    "discover": 1,
    "probe": 2,
    "observations": 2,
    "enrich": 4,
    "store": 5,
    "analyze": 6,
    "monitor": 6.5,  # lineage alerts: reads the store and the named metrics, writes only monitor/
    "spark": 6.6,  # the study on Apache Spark: runs the store's and analysis' SQL, returns analyze's results
    "report": 7,
    "web": 8,  # the dashboard and HTTP API: reads analyze, monitor and report; nothing imports it
}
# simulate is the world we probe: it may use reference data and the observation schema (its fast
# path writes observations), never the probe, enrichment or analytics that are checked against it.
SIMULATE_MAY_IMPORT = {"errors", "reference", "observations", "simulate", "targets"}
# The store's two foundation modules: the data folder's layout and the one DuckDB door. Every stage asks them for
# paths and connections, so they import nothing but ``errors``; the rest of ``store`` is the stage after enrich.
FOUNDATION = {"llmcensus.store.layout", "llmcensus.store.db"}
# The library's wiring layer: the public API (``api``) and the simulated study loop it runs (``simstudy``). Like
# ``cli`` they wire the stages together, so they may import every stage and the simulator: the study loop was moved
# out of ``cli`` so that the CLI calls only the API (STYLE.md, "library first"), and keeping it in ``cli`` would
# make the library import the CLI instead. Nothing else may import them: a stage never depends on the wiring.
WIRING = {"api", "api_more", "api_dossier", "api_serve", "simstudy"}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "llmcensus" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


FILES = sorted(p for p in PKG.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_stage_imports_flow_one_way(path: Path) -> None:
    rel = path.relative_to(PKG)
    own = rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem
    if own in ("cli", "__init__", "__main__"):
        return
    for mod in _imports(path):
        other = _stage(mod)
        if other is None or other == own or mod in FOUNDATION:
            continue
        if own == "simulate":
            assert other in SIMULATE_MAY_IMPORT, f"{rel} (simulate) imports {mod}"
            continue
        if own not in WIRING:
            assert other != "simulate", f"{rel} imports the simulator ({mod}); only cli, the wiring and tests may"
            assert other not in WIRING, f"{rel} imports the wiring layer ({mod}); only cli may"
        assert other != "cli", f"{rel} imports the cli ({mod})"
        if own in ORDER and other in ORDER:
            assert ORDER[other] <= ORDER[own], f"{rel} ({own}) imports a later stage: {mod}"


@pytest.mark.parametrize("module", sorted(FOUNDATION))
def test_foundation_modules_import_only_errors(module: str) -> None:
    path = PKG.joinpath(*module.split(".")[1:]).with_suffix(".py")
    ours = {m for m in _imports(path) if m.startswith("llmcensus")}
    assert ours <= {"llmcensus.errors"}, f"{module} imports {ours}"
