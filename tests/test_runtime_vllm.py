"""vLLM end to end: the real dispatch and ``vllm.scan`` against loopback servers replaying the fixture bodies
(``tests/fixtures/runtimes/vllm/``), open and key-protected, on vLLM's port and on Ollama's."""

from __future__ import annotations

import json
from pathlib import Path

from probe_support import Persona, compact
from runtime_support import sweep

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import ALLOWLIST, MODULES, vllm

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes" / "vllm"
# FastAPI + uvicorn: every reply says ``server: uvicorn``; an unknown path is FastAPI's 404
UVICORN = {"Content-Type": "application/json", "Server": "uvicorn"}
NOT_FOUND = (404, UVICORN, b'{"detail":"Not Found"}')
MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct"


def _routes(models: tuple[int, bytes]) -> Persona:
    return Persona({
        ("GET", "/v1/models"): (models[0], UVICORN, models[1]),
        ("GET", "/version"): (200, UVICORN, (FIXTURES / "version.json").read_bytes()),
        ("GET", "/health"): (200, {"Server": "uvicorn"}, b""),
    }, default=NOT_FOUND)


OPEN = _routes((200, (FIXTURES / "v1_models.json").read_bytes()))
# the server writes the refusal compactly (the fixture is Swagger UI's pretty print)
KEYED = _routes((401, compact(FIXTURES / "v1_models__api_key_401.json")))


def test_vllm_open_and_key_protected_on_its_port_and_on_ollamas(tmp_path: Path) -> None:
    servers = {("192.0.2.1", 8000): OPEN, ("192.0.2.2", 8000): KEYED,
               ("192.0.2.1", 11434): OPEN, ("192.0.2.2", 11434): KEYED}
    rows, log = sweep(servers, tmp_path)
    assert all((method, path) in ALLOWLIST for _, method, path in log)
    for port in (8000, 11434):
        open_, keyed = rows["192.0.2.1", port], rows["192.0.2.2", port]
        assert (open_["runtime"], open_["status"], open_["auth"]) == ("vllm", "success", "open"), open_["error"]
        assert open_["version"] == "0.10.1.1"
        assert [m["name"] for m in open_["models"]] == [MODEL]
        assert open_["models"][0]["context_length"] == 8096  # max_model_len: what the server accepts
        assert "owned_by:vllm" in open_["runtime_evidence"]
        data = json.loads(open_["runtime_data"])["vllm"]["models"][MODEL]
        assert data["owned_by"] == "vllm" and data["extra"]["root"] == MODEL
        # --api-key guards /v1 only: the version stays readable, and the refusal is the status
        assert (keyed["runtime"], keyed["status"], keyed["auth"]) == ("vllm", "auth_required", "auth_required")
        assert keyed["version"] == "0.10.1.1" and keyed["models"] is None
        assert {"unauthorized_bare_v1", "version_path_json"} <= set(keyed["runtime_evidence"])
    # on its own port vLLM costs two requests, open or not: /v1/models and /version
    assert rows["192.0.2.1", 8000]["requests"] == 2 and rows["192.0.2.2", 8000]["requests"] == 2


def test_old_vllm_without_max_model_len_or_version_route(tmp_path: Path) -> None:
    """A vLLM of early 2024: no ``max_model_len`` on the card, and no /version route yet (404)."""
    old = Persona({("GET", "/v1/models"): (200, UVICORN, (FIXTURES / "v1_models__no_max_model_len.json").read_bytes())},
                  default=NOT_FOUND)
    rows, _ = sweep({("192.0.2.3", 8000): old}, tmp_path)
    r = rows["192.0.2.3", 8000]
    assert (r["runtime"], r["status"], r["version"]) == ("vllm", "success", None)
    assert [m["name"] for m in r["models"]] == ["meta-llama/Llama-2-7b-chat-hf"]
    assert r["models"][0]["context_length"] is None


def _ex(path: str, status: int, body: bytes) -> Exchange:
    return Exchange("GET", path, status=status, content_type="application/json", body=body, nbytes=len(body))


def test_the_bare_refusal_is_vllm_only_when_the_key_guards_v1_alone() -> None:
    """SGLang's key middleware writes vLLM's refusal on every path; vLLM's guards only /v1."""
    refusal = b'{"error":"Unauthorized"}'
    vllm_like = {("GET", "/v1/models"): _ex("/v1/models", 401, refusal),
                 ("GET", "/version"): _ex("/version", 200, b'{"version":"0.6.3.post1"}')}
    sglang_like = {("GET", "/v1/models"): _ex("/v1/models", 401, refusal),
                   ("GET", "/get_model_info"): _ex("/get_model_info", 401, refusal)}
    strengths = {m.NAME: m.claims(m.identify(vllm_like)) for m in MODULES}
    assert strengths["vllm"] == 3 and max(s for n, s in strengths.items() if n != "vllm") < 3
    assert vllm.claims(vllm.identify(sglang_like)) == 0
    # a generic OpenAI list (no owned_by: "vllm") is not vLLM
    generic = {("GET", "/v1/models"): _ex("/v1/models", 200, b'{"object":"list","data":[{"id":"m","object":"model"}]}')}
    assert vllm.claims(vllm.identify(generic)) == 0


# --- hostile replies: every parser and the claim never break, whatever the body ----------------------------------
