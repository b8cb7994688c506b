"""The command line calls only the API (issue #20, STYLE.md "library first"): a command parses its options, calls
``llmcensus.api`` and prints. Checked on the imports of every ``llmcensus/cli/*.py`` module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parents[1] / "llmcensus" / "cli"

# What a command may import from llmcensus: the API (``api`` and its sibling modules ``api_*``), other cli modules,
# the exception tree (to raise a usage error), the output sanitiser, the configuration loader and the version.
ALLOWED = ("llmcensus.api", "llmcensus.cli", "llmcensus.errors", "llmcensus.inert", "llmcensus.config")
ALLOWED_FROM_PACKAGE = {"api", "__version__"}
# Type-only imports (under ``if TYPE_CHECKING:``) load nothing at run time and call nothing, so they are not checked.


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING"))


def runtime_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import that runs, at module level or deferred inside a function."""
    out: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if _type_checking_block(node):
            return
        if isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return out


def _allowed(module: str, names: list[str]) -> bool:
    if not module.startswith("llmcensus"):
        return True  # third-party and standard library: typer, rich, orjson, ...
    if module == "llmcensus":
        return set(names) <= ALLOWED_FROM_PACKAGE
    if module.startswith("llmcensus.api_"):
        return True
    return any(module == a or module.startswith(a + ".") for a in ALLOWED)


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_a_command_module_imports_only_the_api(path: Path) -> None:
    bad = [f"{m} ({', '.join(n)})" if n else m for m, n in runtime_imports(path) if not _allowed(m, n)]
    assert not bad, f"llmcensus/cli/{path.name} bypasses llmcensus.api: {bad}"


def test_the_check_sees_deferred_imports_and_skips_type_only_ones(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from llmcensus.probe import x\n"
                      "def f():\n    from llmcensus.store.layout import Layout\n")
    found = runtime_imports(sample)
    assert ("llmcensus.store.layout", ["Layout"]) in found
    assert not any(m == "llmcensus.probe" for m, _ in found)
    assert not _allowed("llmcensus.store.layout", ["Layout"]) and _allowed("llmcensus.api", ["scan"])
    assert not _allowed("llmcensus", ["simstudy"]) and _allowed("llmcensus", ["api"])


def test_the_moved_names_still_resolve_from_their_old_modules() -> None:
    from llmcensus.cli import run, run_simulated, study

    assert run.run_loop.__module__ == "llmcensus.observatory" and run.RunState and run.Schedule
    assert run_simulated.SimulatedSource.__module__ == "llmcensus.simstudy"
    assert study.run_study is study.simulate_study and study.STUDY_PROBE_SETTINGS.loopback_only


def test_every_public_api_name_is_documented() -> None:
    import llmcensus.api

    doc = (CLI.parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [n for n in llmcensus.api.__all__ if n[0].islower() and n not in doc]
    assert not missing, f"docs/api.md does not mention {missing}"


def test_the_package_re_exports_every_api_name() -> None:
    import llmcensus
    import llmcensus.api

    assert set(llmcensus.__all__) - {"__version__"} == set(llmcensus.api.__all__)
    assert all(callable(getattr(llmcensus, n)) for n in llmcensus.api.__all__)
