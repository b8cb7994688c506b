"""vLLM fingerprint: ``vllm serve`` (FastAPI + uvicorn, default port 8000; protocols.md §3).

Requests, in order of use (read-only metadata GETs; never a completion, tokenize or any write):

    GET /v1/models  the model cards: ``owned_by: "vllm"``, ``root``, ``parent``, ``max_model_len`` (added
                    mid-2024 by PR #4643; absent before), ``permission[0].id = "modelperm-…"``
                    (``tests/fixtures/runtimes/vllm/v1_models.json``, ``v1_models__no_max_model_len.json``)
    GET /version    ``{"version": "0.10.1.1"}`` (route since PR #3161, 2024-03; ``version.json``)
    GET /health     200 with an empty body while the engine lives, 503 when it is dead (``health.txt``); asked
                    only when neither request above answered, to record that something still lives there

``--api-key`` guards only paths under ``/v1``: they answer 401 ``{"error":"Unauthorized"}``, a bare string
rather than OpenAI's error object (``v1_models__api_key_401.json``, from ``AuthenticationMiddleware`` in
``vllm/entrypoints/openai/api_server.py``), while ``/version`` and ``/health`` stay open (vllm#18893). So a
key-protected vLLM is still recognised, and still tells its version.

Evidence markers (``runtime_evidence``):

    owned_by:vllm                  a /v1/models card says ``owned_by: "vllm"``, the constant of vLLM's
                                   ``ModelCard`` (``v1_models*.json``)
    permission_modelperm           a card's ``permission[0].id`` starts ``modelperm-`` (vLLM's ``ModelPermission``;
                                   FastChat-lineage servers share it, so it is recorded, not claimed)
    max_model_len                  a card states ``max_model_len`` (vLLM >= mid-2024; SGLang's cards too)
    version_path_json              GET /version answered 200 ``{"version": "<string>"}`` (``version.json``); the
                                   path, not the body, is the tell, and many APIs answer it: never claimed alone
    unauthorized_bare_v1           GET /v1/models answered 401 ``{"error": "Unauthorized"}``
                                   (``v1_models__api_key_401.json``; SGLang's key middleware writes the same body)
    unauthorized_bare_outside_v1   that refusal on a path outside ``/v1``: SGLang gates every path, vLLM only
                                   ``/v1`` (``sglang/srt/utils.py`` ``add_api_key_middleware``), so it vetoes the
                                   protected-vLLM claim
    v1_models_entry_without_id     a card without a string ``id`` (skipped: it names no model)
    server_header:<token>, proxy:<token>
                                   the Server header (``uvicorn`` on vLLM), as ``lookalikes.server_evidence`` names it

``claims``: 3 on ``owned_by:vllm``; 3 on ``unauthorized_bare_v1`` + ``version_path_json`` (the key guards
``/v1`` and nothing else: vLLM's signature); 1 on ``unauthorized_bare_v1`` alone (vLLM or SGLang, and vLLM is
the one seen by the thousands); otherwise 0 — a generic OpenAI list is not vLLM.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common, lookalikes
from llmcensus.probe.runtimes.base import Parsed, Visit, neutral_model
from llmcensus.probe.runtimes.fields import CAPS, as_dict, as_int, as_str, json_object

NAME = "vllm"
DEFAULT_PORTS: tuple[int, ...] = (8000,)
REQUESTS: tuple[tuple[str, str], ...] = (("GET", "/v1/models"), ("GET", "/version"), ("GET", "/health"))
# /v1/models names vLLM when it is open; /version then tells a key-protected one (it is not gated)
IDENTIFY: tuple[tuple[str, str], ...] = (("GET", "/v1/models"), ("GET", "/version"))

_NAME_CAP = CAPS["name"]


def parse_models(body: bytes) -> Parsed:
    """GET /v1/models -> one neutral model per card (a LoRA adapter is a card whose ``parent`` is its base)."""
    models: list[dict[str, Any]] = []
    evidence: list[str] = []
    for ident, card in common.cards(json_object(body), evidence):
        owned_by = as_str(card.get("owned_by"), _NAME_CAP)
        perms = card.get("permission")
        first = as_dict(perms[0]) if isinstance(perms, list) and perms else None
        perm_id = as_str(first.get("id"), _NAME_CAP) if first is not None else None
        if owned_by == "vllm":
            evidence.append("owned_by:vllm")
        if perm_id is not None and perm_id.startswith("modelperm-"):
            evidence.append("permission_modelperm")
        if "max_model_len" in card:
            evidence.append("max_model_len")
        models.append(neutral_model(
            ident, owned_by=owned_by, max_model_len=as_int(card.get("max_model_len")),
            extra={"root": as_str(card.get("root"), _NAME_CAP), "parent": as_str(card.get("parent"), _NAME_CAP),
                   "created": as_int(card.get("created")), "permission_id": perm_id},
        ))
    return Parsed(models=models, evidence=list(dict.fromkeys(evidence)))


def parse_version(body: bytes) -> Parsed:
    """GET /version -> ``vllm.version.__version__`` as written (``0.6.3.post1``, ``0.15.2rc1.dev2+g…``)."""
    version = as_str(json_object(body).get("version"), CAPS["version"])
    return Parsed(version=version, evidence=["version_path_json"] if version is not None else [])


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    ("GET", "/v1/models"): parse_models,
    ("GET", "/version"): parse_version,
    ("GET", "/health"): common.liveness,  # an empty body: ``Response(status_code=200)``
}


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    """The markers of the module docstring, read from any module's replies (bodies parsed only when they can
    hold a marker: this runs after every reply of an identification)."""
    evidence: list[str] = []
    for (method, path), ex in replies.items():
        evidence += lookalikes.server_evidence(ex.server)
        if method != "GET":
            continue
        evidence += common.bare_unauthorized(path, ex)
        if path == "/v1/models" and (b"vllm" in ex.body or b"modelperm-" in ex.body):
            evidence += common.evidence_of(ex, parse_models)
        elif path == "/version":
            evidence += common.evidence_of(ex, parse_version)
    return list(dict.fromkeys(evidence))


def claims(evidence: Collection[str]) -> int:
    ev = set(evidence)
    if "owned_by:vllm" in ev:
        return 3
    if "unauthorized_bare_v1" in ev and "unauthorized_bare_outside_v1" not in ev:
        return 3 if "version_path_json" in ev else 1
    return 0


async def scan(visit: Visit) -> None:
    """/v1/models and /version (both usually asked already while identifying), /health only when neither
    answered 2xx; then the models, the version, the auth posture and the status."""
    result = visit.result
    listing = await visit.get("/v1/models")
    version_ex = await visit.get("/version", last=True)
    inventory = common.read(listing, parse_models, result)
    version = common.read(version_ex, parse_version, result)
    extras: dict[str, Any] = {}
    if inventory is None and version is None:
        health = await visit.get("/health", last=True)
        if health is not None and health.status is not None:
            extras["health_status"] = health.status
    result.version = version.version if version is not None else None
    common.finish(visit, inventory.models if inventory is not None else None, listing, extras)
