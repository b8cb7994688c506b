"""LM Studio end to end: the real dispatch and ``lm_studio.scan`` against loopback servers replaying the fixture
bodies (``tests/fixtures/runtimes/lm_studio/``), 0.4 and 0.3 shapes, open and token-protected, on LM Studio's
port and on Ollama's."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from probe_support import Persona, compact, fleet

from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import run_sweep
from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import ALLOWLIST, lm_studio
from llmcensus.probe.runtimes.base import MODEL_KEYS, Parsed
from llmcensus.probe.runtimes.fields import ParseError
from llmcensus.probe.settings import ProbeSettings
from llmcensus.targets.parse import Target

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes" / "lm_studio"
FAST = ProbeSettings(connect_timeout=1.0, read_timeout=0.6, total_timeout=5.0, per_ip_rate=0, loopback_only=True,
                     concurrency=20)
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


def sweep(servers: dict[tuple[str, int], Persona], data: Path) -> tuple[dict[tuple[str, int], dict[str, Any]],
                                                                         list[tuple[str, str, str]]]:
    async def main() -> list[tuple[str, str, str]]:
        async with fleet() as f:
            for public, persona in servers.items():
                await f.add(public, persona)
            writer = ObservationWriter(data, "s1")
            await run_sweep([Target(ip, port) for ip, port in servers], FAST, writer, dial_map=f.dial_map)
            writer.close(complete=True)
            return list(f.log)

    log = asyncio.run(main())
    return {(r["ip"], r["port"]): r for r in read_observations(data).to_pylist()}, log


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

_KEYS = [
    "id", "object", "data", "models", "owned_by", "key", "type", "publisher", "arch", "architecture",
    "compatibility_type", "quantization", "name", "bits_per_weight", "state", "max_context_length",
    "loaded_context_length", "loaded_instances", "config", "context_length", "capabilities", "vision",
    "params_string", "size_bytes", "lmstudio", "error", "message",
]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["organization_owner", "Unexpected endpoint or method. (GET /x)", "Invalid LM Studio API token",
                       "llm"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), inner,
                                                                max_size=6),
    max_leaves=24)
_bodies = st.one_of(_json.map(lambda v: json.dumps(v).encode()), st.binary(max_size=48),
                    st.sampled_from([b"", b"{", b"NaN", b'{"data": [1e400]}', b'"\\ud800"', b"\xff\xfe"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies, status=st.sampled_from([200, 401, 403, 404, 503]))
def test_hostile_bodies_never_break_a_parser_or_a_claim(body: bytes, status: int) -> None:
    for parser in lm_studio.PARSERS.values():
        try:
            parsed = parser(body)
        except ParseError:
            continue
        assert isinstance(parsed, Parsed)
        for m in parsed.models or ():
            assert tuple(m) == MODEL_KEYS and isinstance(m["id"], str) and isinstance(m["extra"], dict)
    paths = [*lm_studio.REQUESTS, ("GET", "/api/tags")]
    replies = {req: Exchange(req[0], req[1], status=status, body=body, nbytes=len(body)) for req in paths}
    assert lm_studio.claims(lm_studio.identify(replies)) in (0, 1, 2, 3, 4)
