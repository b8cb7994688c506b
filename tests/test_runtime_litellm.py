"""LiteLLM proxy end to end: loopback servers on its port (4000) serving its fixture bodies, open and behind a
master key."""

from __future__ import annotations

from pathlib import Path

from probe_support import Persona
from runtime_support import UVICORN_404, fixture, model_ids, runtime_data, scan_fleet

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import litellm

UVICORN = {"Server": "uvicorn", "Content-Type": "application/json"}
ALIVE = fixture("litellm", "health_liveliness.json")
READY_OLD = fixture("litellm", "health_readiness__v1_19_2.json")
READY_NEW = fixture("litellm", "health_readiness__v1_84.json")
REFUSED = fixture("litellm", "v1_models__master_key_401.json")
ALIASES = (b'{"data":[{"id":"gpt-4o","object":"model","created":1677610602,"owned_by":"openai"},'
           b'{"id":"claude-3-5-sonnet","object":"model","created":1677610602,"owned_by":"openai"}],"object":"list"}')


def persona(readiness: bytes, *, master_key: bool) -> Persona:
    models = (401, UVICORN, REFUSED) if master_key else (200, UVICORN, ALIASES)
    return Persona({("GET", "/health/liveliness"): (200, UVICORN, ALIVE),
                    ("GET", "/health/readiness"): (200, UVICORN, readiness),
                    ("GET", "/v1/models"): models}, default=UVICORN_404)


def test_litellm_open_and_behind_a_master_key(tmp_path: Path) -> None:
    personas = {
        ("192.0.2.1", 4000): persona(READY_OLD, master_key=False),
        ("192.0.2.2", 4000): persona(READY_NEW, master_key=False),  # 1.84+: no version in public readiness
        ("192.0.2.3", 4000): persona(READY_OLD, master_key=True),
        ("192.0.2.4", 4000): persona(READY_NEW, master_key=True),
    }
    rows, _ = scan_fleet(personas, tmp_path)
    expect = {
        "192.0.2.1": ("success", "open", "1.19.2", ["gpt-4o", "claude-3-5-sonnet"]),
        "192.0.2.2": ("success", "open", None, ["gpt-4o", "claude-3-5-sonnet"]),
        "192.0.2.3": ("auth_required", "auth_required", "1.19.2", None),
        "192.0.2.4": ("auth_required", "auth_required", None, None),
    }
    for ip, (status, auth, version, ids) in expect.items():
        r = rows[ip]
        assert (r["runtime"], r["status"], r["auth"], r["version"], model_ids(r)) == (
            "litellm", status, auth, version, ids), (ip, r["status"], r["error"], r["runtime_evidence"])
        assert runtime_data(r)["db"] == "connected"
    assert runtime_data(rows["192.0.2.1"])["models"]["gpt-4o"] == {"owned_by": "openai"}
    assert runtime_data(rows["192.0.2.1"])["success_callbacks"] == ["langfuse"]
    assert "litellm_auth_error" in rows["192.0.2.4"]["runtime_evidence"]
    assert rows["192.0.2.4"]["error"] == "HTTP 401 on /v1/models"


def test_the_refusal_envelope_alone_names_litellm_and_other_refusals_do_not() -> None:
    def refusal(body: bytes) -> dict[tuple[str, str], Exchange]:
        return {("GET", "/v1/models"): Exchange("GET", "/v1/models", status=401, body=body, nbytes=len(body))}

    assert litellm.claims(litellm.identify(refusal(REFUSED))) == 3
    string_code = REFUSED.replace(b'"code":401', b'"code":"401"')  # other versions write the code as a string
    assert litellm.claims(litellm.identify(refusal(string_code))) == 3
    for other in (b'{"error":"Unauthorized"}', b'{"detail":"Not authenticated"}',
                  b'{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}', b"<html>"):
        assert litellm.claims(litellm.identify(refusal(other))) == 0, other
