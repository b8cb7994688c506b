"""SGLang end to end: the real dispatch and ``sglang.scan`` against loopback servers replaying the fixture bodies
(``tests/fixtures/runtimes/sglang/``), open and key-protected, on SGLang's port and on Ollama's."""

from __future__ import annotations

import json
from pathlib import Path

from probe_support import Persona
from runtime_support import sweep

from llmcensus.observations.bodies import resolve_exchanges
from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import ALLOWLIST, MODULES, sglang

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes" / "sglang"
UVICORN = {"Content-Type": "application/json", "Server": "uvicorn"}
NOT_FOUND = (404, UVICORN, b'{"detail":"Not Found"}')
MODEL = "qwen/qwen2.5-0.5b-instruct"
SERVER_INFO = (FIXTURES / "get_server_info.json").read_bytes()


def persona(server_info: bytes = SERVER_INFO) -> Persona:
    return Persona({
        ("GET", "/get_model_info"): (200, UVICORN, (FIXTURES / "get_model_info.json").read_bytes()),
        ("GET", "/v1/models"): (200, UVICORN, (FIXTURES / "v1_models.json").read_bytes()),
        ("GET", "/get_server_info"): (200, UVICORN, server_info),
        ("GET", "/health"): (200, {"Server": "uvicorn"}, b""),
    }, default=NOT_FOUND)


OPEN = persona()
# --api-key: every path but /health and /metrics answers vLLM's bare refusal (add_api_key_middleware)
KEYED = Persona({("GET", "/health"): (200, {"Server": "uvicorn"}, b"")},
                default=(401, UVICORN, b'{"error":"Unauthorized"}'))


def test_sglang_open_and_key_protected_on_its_port_and_on_ollamas(tmp_path: Path) -> None:
    servers = {("192.0.2.1", 30000): OPEN, ("192.0.2.2", 30000): KEYED,
               ("192.0.2.1", 11434): OPEN, ("192.0.2.2", 11434): KEYED}
    rows, log = sweep(servers, tmp_path)
    assert all((method, path) in ALLOWLIST for _, method, path in log)
    assert not any(path == "/health" for _, _, path in log)  # SGLang's /health generates a token
    for port in (30000, 11434):
        open_, keyed = rows["192.0.2.1", port], rows["192.0.2.2", port]
        assert (open_["runtime"], open_["status"], open_["auth"]) == ("sglang", "success", "open"), open_["error"]
        assert open_["version"] == "0.0.0.dev1+g753da2753"
        (m,) = open_["models"]
        # the /v1/models card, completed by the model info (architecture, type); "auto" is no dtype
        assert (m["name"], m["context_length"], m["arch"], m["family"], m["quantization_level"]) == (
            MODEL, 32768, "Qwen2ForCausalLM", "qwen2", None)
        data = json.loads(open_["runtime_data"])["sglang"]
        assert data["server"]["tp_size"] == 1 and data["server"]["api_key"] is None
        assert data["models"][MODEL]["extra"]["is_generation"] is True
        assert (keyed["runtime"], keyed["status"], keyed["auth"]) == ("sglang", "auth_required", "auth_required")
        assert keyed["version"] is None and keyed["models"] is None
    # on its own port: /get_model_info identifies it, then /v1/models and /get_server_info
    assert [ex["path"] for ex in rows["192.0.2.1", 30000]["exchanges"]] == ["/get_model_info", "/v1/models",
                                                                            "/get_server_info"]
    # refused on a path outside /v1 and on /v1/models: a key on every path, SGLang's middleware
    assert [ex["path"] for ex in rows["192.0.2.2", 30000]["exchanges"]] == ["/get_model_info", "/v1/models"]


def test_a_launch_key_is_never_recorded(tmp_path: Path) -> None:
    """An ``admin_api_key`` alone leaves the normal endpoints open, /get_server_info included: its value is
    redacted in the extras and in the kept raw body."""
    leaky = SERVER_INFO.replace(b'"admin_api_key":null', b'"admin_api_key":"s3cret-admin"')
    assert leaky.count(b"s3cret-admin") == 2  # the top level and internal_states
    rows, _ = sweep({("192.0.2.3", 30000): persona(leaky)}, tmp_path)
    r = rows["192.0.2.3", 30000]
    assert r["status"] == "success" and json.loads(r["runtime_data"])["sglang"]["server"]["admin_api_key"] == \
        "<redacted>"
    (exchanges,) = resolve_exchanges(tmp_path, [r])
    (info,) = [ex for ex in exchanges or () if ex["path"] == "/get_server_info"]
    kept = info["body"]
    assert b"s3cret" not in kept and kept.count(b'"admin_api_key":"<redacted>"') == 2


def test_sglangs_ollama_emulation_is_sglang() -> None:
    """/api/tags of SGLang's Ollama emulation (protocols.md §2): ``sha256:sglang`` digests, format ``sglang``."""
    body = json.dumps({"models": [{"name": MODEL, "model": MODEL, "modified_at": "2026-03-03T23:23:16.000Z",
                                   "size": 0, "digest": "sha256:sglang" + "0" * 58,
                                   "details": {"format": "sglang", "parameter_size": "unknown"}}]}).encode()
    replies = {("GET", "/api/tags"): Exchange("GET", "/api/tags", status=200, body=body, nbytes=len(body))}
    strengths = {m.NAME: m.claims(m.identify(replies)) for m in MODULES}
    assert strengths["sglang"] == 3 and {"digest_prefix:sha256:sglang", "format:sglang"} <= set(
        sglang.identify(replies))
    assert all(s <= 3 for s in strengths.values())


# --- hostile replies: every parser and the claim never break, whatever the body ----------------------------------
