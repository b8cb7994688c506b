"""LM Studio end to end: the real dispatch and ``lm_studio.scan`` against loopback servers replaying the fixture
bodies (``tests/fixtures/runtimes/lm_studio/``), 0.4 and 0.3 shapes, open and token-protected, on LM Studio's
port and on Ollama's."""

from __future__ import annotations

import json
from pathlib import Path

from probe_support import Persona, compact
from runtime_support import sweep

from llmcensus.probe.runtimes import ALLOWLIST

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes" / "lm_studio"
JSON = {"Content-Type": "application/json; charset=utf-8"}
# LM Studio answers a path it does not serve with 200 and this error (quoted by its users for 0.3.x and 0.4.x)
UNEXPECTED = (200, JSON, b'{"error":"Unexpected endpoint or method. (GET /api/version)"}')
GREETING = (200, JSON, b'{"lmstudio":true}')  # what lms' checkHttpServer requires (lmstudio-ai/lms createClient.ts)
V1_MODELS = (200, JSON, compact(FIXTURES / "v1_models.json"))

V0_4 = Persona({("GET", "/lmstudio-greeting"): GREETING, ("GET", "/v1/models"): V1_MODELS,
                ("GET", "/api/v1/models"): (200, JSON, compact(FIXTURES / "api_v1_models.json")),
                ("GET", "/api/v0/models"): (200, JSON, compact(FIXTURES / "api_v0_models.json"))}, default=UNEXPECTED)
V0_3_17 = Persona({("GET", "/lmstudio-greeting"): GREETING, ("GET", "/v1/models"): V1_MODELS,
                   ("GET", "/api/v0/models"): (200, JSON, compact(FIXTURES / "api_v0_models__0_3_17.json"))},
                  default=UNEXPECTED)
# an API token gates every route; the refusal names the product ("Invalid LM Studio API token", as users quote it)
TOKEN = Persona({}, default=(401, JSON, b'{"error":{"message":"Invalid LM Studio API token"}}'))


def test_lm_studio_versions_and_token_on_its_port_and_on_ollamas(tmp_path: Path) -> None:
    servers = {(ip, port): persona for port in (1234, 11434)
               for ip, persona in (("192.0.2.1", V0_4), ("192.0.2.2", V0_3_17), ("192.0.2.3", TOKEN))}
    rows, log = sweep(servers, tmp_path)
    assert all((method, path) in ALLOWLIST for _, method, path in log)
    for port in (1234, 11434):
        new, old, token = rows["192.0.2.1", port], rows["192.0.2.2", port], rows["192.0.2.3", port]
        assert (new["runtime"], new["status"], new["auth"], new["version"]) == ("lm_studio", "success", "open",
                                                                                None), new["error"]
        # 0.4: the richest list, /api/v1/models: quantization, size, parameters, loaded context
        assert [m["name"] for m in new["models"]] == ["gemma-3-270m-it-qat",
                                                      "text-embedding-nomic-embed-text-v1.5-embedding"]
        gemma = new["models"][0]
        assert (gemma["quantization_level"], gemma["size"], gemma["parameter_size"], gemma["context_length"],
                gemma["train_context_length"], gemma["arch"]) == ("Q4_0", 241410208, "270M", 4096, 32768, "gemma3")
        data = json.loads(new["runtime_data"])["lm_studio"]
        assert data["models_from"] == "/api/v1/models" and data["models"]["gemma-3-270m-it-qat"]["extra"]["loaded"]
        # 0.3.17 has no /api/v1 (LM Studio's "unexpected endpoint"): /api/v0/models is read instead
        assert (old["runtime"], old["status"], old["auth"]) == ("lm_studio", "success", "open"), old["error"]
        assert [(m["name"], m["quantization_level"], m["context_length"]) for m in old["models"]] == [
            ("google/gemma-3-4b", "Q4_K_M", 12918)]
        assert json.loads(old["runtime_data"])["lm_studio"]["models_from"] == "/api/v0/models"
        # a token: recognised by its refusal, which is the status
        assert (token["runtime"], token["status"], token["auth"]) == ("lm_studio", "auth_required", "auth_required")
        assert token["models"] is None and "token_refusal" in token["runtime_evidence"]
    # on its own port: the greeting identifies it, then one list (0.4) or two (0.3.17)
    assert [ex["path"] for ex in rows["192.0.2.1", 1234]["exchanges"]] == ["/lmstudio-greeting", "/api/v1/models"]
    assert [ex["path"] for ex in rows["192.0.2.2", 1234]["exchanges"]] == ["/lmstudio-greeting", "/api/v1/models",
                                                                           "/api/v0/models"]


def test_lm_studio_before_its_rest_api_is_read_from_v1_models(tmp_path: Path) -> None:
    """Before 0.3.6 only the OpenAI list exists (and no greeting is assumed): ids and owned_by."""
    old = Persona({("GET", "/v1/models"): (200, JSON, compact(FIXTURES / "v1_models__2026_01.json"))},
                  default=UNEXPECTED)
    rows, _ = sweep({("192.0.2.4", 1234): old}, tmp_path)
    r = rows["192.0.2.4", 1234]
    assert (r["runtime"], r["status"], r["auth"]) == ("lm_studio", "success", "open"), r["error"]
    assert [m["name"] for m in r["models"]] == ["glm-4.7-flash", "nvidia/nemotron-3-nano", "openai/gpt-oss-20b",
                                                "text-embedding-nomic-embed-text-v1.5"]
    assert "owned_by:organization_owner" in r["runtime_evidence"]


# --- hostile replies: every parser and the claim never break, whatever the body ----------------------------------
