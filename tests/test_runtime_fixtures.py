"""Every runtime module against real replies (issue #16, acceptance 3).

``tests/fixtures/runtimes/<runtime>/`` holds reply bodies as their projects published them (or as their
users pasted them), and ``expected.json`` says what a parser must read *as written*. Each fixture is parsed
by the module of its folder: the version and every model (all ``MODEL_KEYS``) must come out exactly; a body
said to identify its runtime alone must make that module claim it, and no other module claim it more
strongly.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes.base import MODEL_KEYS, Parsed

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes"
FOLDERS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
_ENDPOINT = re.compile(r"^(GET|POST|HEAD) (/\S*)")


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"llmcensus.probe.runtimes.{name}")


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for folder in FOLDERS:
        expected = json.loads((FIXTURES / folder / "expected.json").read_text())
        assert tuple(expected["model_keys"]) == MODEL_KEYS, folder
        out.extend((folder, name, spec) for name, spec in sorted(expected["fixtures"].items()))
    return out


CASES = _cases()


def _exchange(folder: str, name: str, spec: dict[str, Any]) -> Exchange:
    m = _ENDPOINT.match(spec["endpoint"])
    assert m is not None, spec["endpoint"]
    body = (FIXTURES / folder / name).read_bytes()
    ctype = "application/json" if name.endswith(".json") else "text/plain; charset=utf-8"
    return Exchange(m.group(1), m.group(2), status=spec["http_status"], content_type=ctype,
                    server=spec.get("server"), body=body, nbytes=len(body))


@pytest.mark.parametrize(("folder", "name", "spec"), CASES, ids=[f"{f}/{n}" for f, n, _ in CASES])
def test_fixture_parses_as_written(folder: str, name: str, spec: dict[str, Any]) -> None:
    module = _module(folder)
    ex = _exchange(folder, name, spec)
    if not 200 <= spec["http_status"] < 300:
        return  # a refusal: nothing to parse (its identification is tested below)
    parser = module.PARSERS.get((ex.method, ex.path))
    assert parser is not None, f"{folder} has no parser for {ex.method} {ex.path}"
    parsed = parser(ex.body)
    assert isinstance(parsed, Parsed)
    assert parsed.version == spec["version"]
    if spec["models"] is None:
        assert parsed.models is None or parsed.models == []
    else:
        assert parsed.models is not None
        assert [{k: m[k] for k in MODEL_KEYS} for m in parsed.models] == spec["models"]


IDENTIFYING = [c for c in CASES if c[2]["identifies_runtime_alone"]]


@pytest.mark.parametrize(("folder", "name", "spec"), IDENTIFYING, ids=[f"{f}/{n}" for f, n, _ in IDENTIFYING])
def test_an_identifying_reply_makes_its_module_win(folder: str, name: str, spec: dict[str, Any]) -> None:
    from llmcensus.probe.runtimes import MODULES

    ex = _exchange(folder, name, spec)
    replies = {(ex.method, ex.path): ex}
    strengths = {mod.NAME: mod.claims(mod.identify(replies)) for mod in MODULES}
    assert strengths[folder] > 0, f"{folder} does not claim its own {name}"
    stronger = {n: s for n, s in strengths.items() if n != folder and s >= strengths[folder]}
    assert not stronger, f"{name} is claimed at least as strongly by {stronger}"


def test_every_module_has_its_fixture_folder_and_the_module_shape() -> None:
    from llmcensus.probe.runtimes import MODULES

    names = {m.NAME for m in MODULES}
    assert names - {"ollama"} <= set(FOLDERS) | {"ollama"}
    assert set(FOLDERS) <= names, f"fixture folders without a module: {set(FOLDERS) - names}"
    for mod in MODULES:
        for attr in ("NAME", "DEFAULT_PORTS", "REQUESTS", "IDENTIFY", "PARSERS", "identify", "claims", "scan"):
            assert hasattr(mod, attr), f"{mod.__name__} lacks {attr}"
        assert set(mod.IDENTIFY) <= set(mod.REQUESTS)
        assert set(mod.PARSERS) <= set(mod.REQUESTS)
        for method, path in mod.REQUESTS:
            assert method in ("GET", "POST") and path.startswith("/")
