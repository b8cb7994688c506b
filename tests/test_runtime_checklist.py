"""Adding a runtime is one module + one simulator persona + one fixture folder (docs/probing.md): each of the
three exists for every runtime, and none exists without the others."""

from __future__ import annotations

from pathlib import Path

from llmcensus.observations.schema import Runtime
from llmcensus.probe.runtimes import MODULES
from llmcensus.simulate.views import Behaviour

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "runtimes"
# Ollama's real replies live in tests/fixtures/captures/ (captured from exposed hosts), not in a runtime folder.
OLLAMA_FIXTURES = ROOT / "tests" / "fixtures" / "captures"


def test_every_module_has_its_persona_and_fixture_folder() -> None:
    modules = {m.NAME for m in MODULES}
    personas = {b.value for b in Behaviour}
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()} | ({"ollama"} if OLLAMA_FIXTURES.is_dir() else set())
    assert modules - personas == set(), f"modules without a simulator persona: {modules - personas}"
    assert modules - folders == set(), f"modules without a fixture folder: {modules - folders}"
    assert folders - modules == set(), f"fixture folders without a module: {folders - modules}"
    for name in modules - {"ollama"}:
        folder = FIXTURES / name
        assert (folder / "SOURCES.md").is_file() and (folder / "expected.json").is_file(), name


def test_every_runtime_persona_has_its_module_and_every_runtime_value_a_module() -> None:
    modules = {m.NAME for m in MODULES}
    runtimes = {r.value for r in Runtime} - {"unknown"}
    personas = {b.value for b in Behaviour}
    assert runtimes == modules, f"Runtime values and modules differ: {runtimes ^ modules}"
    assert (personas & runtimes) == modules, f"runtime personas without a module: {(personas & runtimes) - modules}"


def test_the_docs_say_what_adding_a_runtime_takes() -> None:
    text = (ROOT / "docs" / "probing.md").read_text()
    section = text.split("## Adding a runtime", 1)[1]
    for needle in ("llmcensus/probe/runtimes/", "MODULES", "persona", "tests/fixtures/runtimes/", "expected.json"):
        assert needle in section, needle
