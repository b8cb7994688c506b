"""llama.cpp ``llama-server`` fingerprint (cpp-httplib, default port 8080; protocols.md §4).

Requests, in order of use (read-only metadata GETs; never a completion, tokenize, slot or any write):

    GET /props      ``default_generation_settings`` (``n_ctx`` = the per-slot context), ``total_slots``,
                    ``model_path`` (a file-system path), ``modalities``, ``build_info`` = ``b<build>-<sha>`` since
                    2025 (``tests/fixtures/runtimes/llama_cpp/props.json``: the docs' example, whose
                    ``build_info`` is a placeholder that must not read as a version)
    GET /v1/models  one card with ``owned_by: "llamacpp"`` and ``meta{vocab_type, n_vocab, n_ctx_train, n_embd,
                    n_params, size}`` (``v1_models.json``); 2025 builds also put Ollama's ``models[]`` in the
                    same body (``v1_models__models_and_data.json``; the same handler answers ``/api/tags``)
    GET /health     ``{"status": "ok"}`` (``health.json``), 503 ``Loading model`` while loading
                    (``health__loading_503.json``); asked only when /v1/models and /props were both refused

``/props`` is the identification request, not ``/health``: every reply of llama-server carries ``Server:
llama.cpp`` (refusals and 404s too), so any request identifies it, and /props is asked by the visit anyway.
``/health`` is kept off the identification plan because other runtimes run work on it (SGLang's /health
generates one token). With ``--api-key``, ``/health``, ``/models``, ``/v1/models``, ``/api/tags`` and ``/``
stay public in 2025 builds (``public_endpoints`` in ``server.cpp``); /props and inference are gated with 401
``{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}``
(``v1_models__api_key_401.json``: the README's example, from a build that still gated /v1/models).

Evidence markers (``runtime_evidence``):

    server_header:llama.cpp           ``Server: llama.cpp`` on a reply (``svr->set_default_headers``): every
                                      reply of every build, the strongest single marker (peers §3.3)
    owned_by:llamacpp                 a /v1/models card says ``owned_by: "llamacpp"`` (``v1_models*.json``)
    models_meta                       a card carries ``meta`` with ``n_ctx_train``/``n_vocab`` (``v1_models*.json``)
    tags_hybrid_object_list           one body holds Ollama's ``models[]`` and OpenAI's ``"object": "list",
                                      "data": [...]`` (``v1_models__models_and_data.json``; Ollama's module names
                                      the same marker on /api/tags)
    props_default_generation_settings /props has ``default_generation_settings`` and ``total_slots`` or
                                      ``model_path`` (``props.json``)
    build_info                        /props ``build_info`` reads ``b<digits>-<hex>`` (the version recorded)
    invalid_api_key                   a 401 whose error message is ``Invalid API Key`` (``v1_models__api_key_401.json``)
    health_loading_model              /health answered 503 ``Loading model`` (``health__loading_503.json``)
    v1_models_entry_without_id        a card without a string ``id`` (skipped: it names no model)
    proxy:<token>, server_header:<token>
                                      any other Server header, as ``lookalikes.server_evidence`` names it

``claims``: 4 on ``server_header:llama.cpp`` (above the product-specific 3 of a look-alike body);
3 on ``owned_by:llamacpp``, ``models_meta``, ``tags_hybrid_object_list`` or
``props_default_generation_settings`` (a proxy that drops the header still leaves the body);
2 on ``health_loading_model``; 1 on ``invalid_api_key``; otherwise 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common, lookalikes
from llmcensus.probe.runtimes.base import Parsed, Visit, neutral_model
from llmcensus.probe.runtimes.fields import CAPS, ParseError, as_dict, as_int, as_str, json_object

NAME = "llama_cpp"
DEFAULT_PORTS: tuple[int, ...] = (8080,)
REQUESTS: tuple[tuple[str, str], ...] = (("GET", "/props"), ("GET", "/v1/models"), ("GET", "/health"))
IDENTIFY: tuple[tuple[str, str], ...] = (("GET", "/props"),)

_NAME_CAP = CAPS["name"]
_BUILD_INFO = re.compile(r"^b\d+-[0-9a-f]+$")  # b4283-a7e2bd4c; the docs' "b(build number)-(…)" is no version
_META_EXTRA = ("vocab_type", "n_vocab", "n_embd")


def parse_models(body: bytes) -> Parsed:
    """GET /v1/models (also /models and /api/tags on 2025 builds) -> one neutral model per ``data[]`` card.

    A body that also carries Ollama's ``models[]`` describes the same model twice; ``data[]`` is read (its
    ``meta`` has the facts, ``models[]`` only empty strings)."""
    obj = json_object(body)
    evidence: list[str] = []
    listed = common.cards(obj, evidence)  # raises here, before any marker, when there is no 'data' list
    if isinstance(obj.get("models"), list) and obj.get("object") == "list":
        evidence.append("tags_hybrid_object_list")
    models: list[dict[str, Any]] = []
    for ident, card in listed:
        owned_by = as_str(card.get("owned_by"), _NAME_CAP)
        if owned_by == "llamacpp":
            evidence.append("owned_by:llamacpp")
        meta = as_dict(card.get("meta"))
        extra: dict[str, Any] = {"created": as_int(card.get("created"))}
        status = as_dict(card.get("status"))  # router mode (--models-dir): {"value": "loaded", "args": [...]}
        if status is not None:
            extra["status"] = as_str(status.get("value"), _NAME_CAP)
        if meta is not None:
            if "n_ctx_train" in meta or "n_vocab" in meta:
                evidence.append("models_meta")
            extra.update((k, as_int(meta[k])) for k in _META_EXTRA if k in meta)
        m: dict[str, Any] = meta or {}
        models.append(neutral_model(
            ident, owned_by=owned_by, max_model_len=as_int(m.get("n_ctx")),
            context_length=as_int(m.get("n_ctx_train")), parameter_count=as_int(m.get("n_params")),
            size_bytes=as_int(m.get("size")), extra=extra,
        ))
    return Parsed(models=models, evidence=list(dict.fromkeys(evidence)))


def parse_props(body: bytes) -> Parsed:
    """GET /props -> the loaded model (``model_path``, per-slot ``n_ctx``) and ``build_info`` as the version
    when it has the ``b<build>-<sha>`` form."""
    obj = json_object(body)
    settings = as_dict(obj.get("default_generation_settings"))
    evidence: list[str] = []
    if settings is not None and ("total_slots" in obj or "model_path" in obj):
        evidence.append("props_default_generation_settings")
    build = as_str(obj.get("build_info"), CAPS["version"])
    version = build if build is not None and _BUILD_INFO.match(build) else None
    if version is not None:
        evidence.append("build_info")
    path = as_str(obj.get("model_path"), _NAME_CAP)
    models = None
    if path is not None:
        extra: dict[str, Any] = {"total_slots": as_int(obj.get("total_slots"))}
        modalities = as_dict(obj.get("modalities"))
        if modalities is not None:
            extra["modalities"] = {k[:32]: v for k, v in list(modalities.items())[:8] if isinstance(v, bool)}
        n_ctx = as_int(settings.get("n_ctx")) if settings is not None else None
        models = [neutral_model(path, max_model_len=n_ctx, extra=extra)]
    extras = {"build_info": build} if build is not None else {}
    return Parsed(version=version, models=models, evidence=evidence, extras=extras)


def parse_health(body: bytes) -> Parsed:
    """GET /health -> ``{"status": "ok"}``: liveness only (the 2024 form adds ``slots_idle``/``slots_processing``)."""
    status = as_str(json_object(body).get("status"), 32)
    return Parsed(extras={"health": status} if status is not None else {})


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    ("GET", "/props"): parse_props,
    ("GET", "/v1/models"): parse_models,
    ("GET", "/health"): parse_health,
}


def _error_message(body: bytes) -> str | None:
    try:
        err = as_dict(json_object(body).get("error"))
    except ParseError:
        return None
    return as_str(err.get("message"), 64) if err is not None else None


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    """The markers of the module docstring, read from any module's replies (bodies parsed only when they can
    hold a marker)."""
    evidence: list[str] = []
    for (method, path), ex in replies.items():
        evidence += lookalikes.server_evidence(ex.server)
        if method != "GET" or ex.truncated:
            continue
        if ex.status == 401 and b"Invalid API Key" in ex.body and _error_message(ex.body) == "Invalid API Key":
            evidence.append("invalid_api_key")
        if path == "/health" and ex.status == 503 and _error_message(ex.body) == "Loading model":
            evidence.append("health_loading_model")
        if not ex.ok:
            continue
        if path in ("/v1/models", "/api/tags") and (b"llamacpp" in ex.body or b'"data"' in ex.body):
            evidence += common.evidence_of(ex, parse_models)
        elif path == "/props" and b"default_generation_settings" in ex.body:
            evidence += common.evidence_of(ex, parse_props)
    return list(dict.fromkeys(evidence))


def claims(evidence: Collection[str]) -> int:
    ev = set(evidence)
    if "server_header:llama.cpp" in ev:
        return 4
    if ev & {"owned_by:llamacpp", "models_meta", "tags_hybrid_object_list", "props_default_generation_settings"}:
        return 3
    if "health_loading_model" in ev:
        return 2
    return 1 if "invalid_api_key" in ev else 0


async def scan(visit: Visit) -> None:
    """/v1/models and /props (/props usually asked while identifying); /health only when both were refused.
    The version is /props' ``build_info``; /props' per-slot context completes the single listed model."""
    result = visit.result
    listing = await visit.get("/v1/models")
    props_ex = await visit.get("/props", last=True)
    inventory = common.read(listing, parse_models, result)
    props = common.read(props_ex, parse_props, result)
    extras: dict[str, Any] = dict(props.extras) if props is not None else {}
    refused = (401, 403)
    if (listing is not None and listing.status in refused) and (props_ex is not None and props_ex.status in refused):
        health_ex = await visit.get("/health", last=True)
        health = common.read(health_ex, parse_health)
        if health is not None:
            extras.update(health.extras)
        elif health_ex is not None and health_ex.status is not None:
            extras["health_status"] = health_ex.status
    result.version = props.version if props is not None else None
    models = inventory.models if inventory is not None else None
    loaded = props.models if props is not None else None
    if models is not None and len(models) == 1 and loaded:
        models = [common.complete(models[0], loaded[0])]
    elif models is None and loaded and (listing is None or not listing.ok):
        models = loaded  # /v1/models refused or missing (builds before 2024): /props still names the model
    common.finish(visit, models, listing, extras)
