"""llama.cpp ``llama-server`` end to end: the real dispatch and ``llama_cpp.scan`` against loopback servers
replaying the fixture bodies (``tests/fixtures/runtimes/llama_cpp/``), open and key-protected, on llama.cpp's
port and on Ollama's (where many hosts put it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from probe_support import Persona, compact
from runtime_support import sweep

from llmcensus.probe.runtimes import ALLOWLIST

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes" / "llama_cpp"
HEADERS = {"Content-Type": "application/json; charset=utf-8", "Server": "llama.cpp"}  # on every reply
MODEL = "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"
BUILD = "b4283-a7e2bd4"  # the documented b<build>-<sha> form, in place of the docs' placeholder
LISTING = compact(FIXTURES / "v1_models__models_and_data.json")
PROPS = json.dumps({**json.loads((FIXTURES / "props.json").read_text()), "build_info": BUILD}).encode()
REFUSED = (401, HEADERS, compact(FIXTURES / "v1_models__api_key_401.json"))
NOT_FOUND = (404, HEADERS, b'{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}')
WEB_UI = (200, {"Content-Type": "text/html", "Server": "llama.cpp"}, b"<!doctype html><html><head><title>llama.cpp")
HEALTH = (200, HEADERS, (FIXTURES / "health.json").read_bytes())

OPEN = Persona({("GET", "/v1/models"): (200, HEADERS, LISTING), ("GET", "/api/tags"): (200, HEADERS, LISTING),
                ("GET", "/props"): (200, HEADERS, PROPS), ("GET", "/health"): HEALTH, ("GET", "/"): WEB_UI},
               default=NOT_FOUND)
# --api-key as the README's example shows it: everything refused but /health and the web UI
KEYED = Persona({("GET", "/health"): HEALTH, ("GET", "/"): WEB_UI}, default=REFUSED)
# --api-key on 2025 builds: /v1/models, /models, /api/tags stay public (public_endpoints), /props is refused
KEYED_2025 = Persona({("GET", "/v1/models"): (200, HEADERS, LISTING), ("GET", "/api/tags"): (200, HEADERS, LISTING),
                      ("GET", "/health"): HEALTH, ("GET", "/"): WEB_UI}, default=REFUSED)


def test_llama_cpp_on_its_port_open_and_key_protected(tmp_path: Path) -> None:
    rows, log = sweep({("192.0.2.1", 8080): OPEN, ("192.0.2.2", 8080): KEYED, ("192.0.2.3", 8080): KEYED_2025},
                      tmp_path)
    assert all((method, path) in ALLOWLIST for _, method, path in log)
    open_, keyed, keyed_2025 = rows["192.0.2.1", 8080], rows["192.0.2.2", 8080], rows["192.0.2.3", 8080]
    assert (open_["runtime"], open_["status"], open_["auth"], open_["version"]) == ("llama_cpp", "success", "open",
                                                                                    BUILD), open_["error"]
    (m,) = open_["models"]
    # one model: the /v1/models card completed by /props (per-slot n_ctx; n_ctx_train is the training context)
    assert (m["name"], m["context_length"], m["train_context_length"]) == (MODEL, 1024, 131072)
    assert (m["size"], m["parameter_count"]) == (4912898304, 8030261312)
    assert "server_header:llama.cpp" in open_["runtime_evidence"]
    assert json.loads(open_["runtime_data"])["llama_cpp"]["build_info"] == BUILD
    assert [ex["path"] for ex in open_["exchanges"]] == ["/props", "/v1/models"]  # /props identified it
    # refused everywhere but /health: recognised by its Server header, the refusal is the status
    assert (keyed["runtime"], keyed["status"], keyed["auth"]) == ("llama_cpp", "auth_required", "auth_required")
    assert keyed["version"] is None and keyed["models"] is None
    assert json.loads(keyed["runtime_data"])["llama_cpp"]["health"] == "ok"
    # a 2025 build lists its model without the key: fingerprinted, with the key recorded as the posture
    assert (keyed_2025["runtime"], keyed_2025["status"], keyed_2025["auth"]) == ("llama_cpp", "success",
                                                                                 "auth_required")
    assert [m["name"] for m in keyed_2025["models"]] == [MODEL] and keyed_2025["version"] is None


def test_llama_cpp_on_ollamas_port(tmp_path: Path) -> None:
    """On 11434 Ollama's own visit recognises llama.cpp (its Server header, its hybrid /api/tags) and ends the
    visit: the verdict, the status, the auth posture and the models come from there."""
    rows, log = sweep({("192.0.2.1", 11434): OPEN, ("192.0.2.2", 11434): KEYED}, tmp_path)
    assert all((method, path) in ALLOWLIST for _, method, path in log)
    open_, keyed = rows["192.0.2.1", 11434], rows["192.0.2.2", 11434]
    assert (open_["runtime"], open_["status"], open_["auth"]) == ("llama_cpp", "success", "open"), open_["error"]
    assert [m["name"] for m in open_["models"]] == [MODEL]
    assert (keyed["runtime"], keyed["status"], keyed["auth"]) == ("llama_cpp", "auth_required", "auth_required")
    assert keyed["models"] is None


@pytest.mark.xfail(reason="dispatch: on 11434 Ollama's visit ends a look-alike's visit, so llama_cpp.scan never "
                          "asks /props (no version, no context) — reported to the lead", strict=False)
def test_llama_cpp_on_ollamas_port_tells_its_build(tmp_path: Path) -> None:
    rows, _ = sweep({("192.0.2.1", 11434): OPEN}, tmp_path)
    r = rows["192.0.2.1", 11434]
    assert r["version"] == BUILD and r["models"][0]["context_length"] == 1024


# --- hostile replies: every parser and the claim never break, whatever the body ----------------------------------
