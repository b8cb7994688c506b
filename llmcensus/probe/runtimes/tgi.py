"""Hugging Face text-generation-inference (TGI) fingerprint (axum router; protocols.md §7).

Requests, in order of use (read-only metadata GETs; never a generation, tokenize or any write):

    GET /info       one object that names the served model and its limits: ``model_id``, ``model_sha``,
                    ``max_total_tokens``, ``max_best_of``, ``validation_workers``, ``version``, ``sha``,
                    ``docker_label``; ``"router": "text-generation-router"`` only in newer releases, and 0.8-2.0
                    also ``model_dtype``, ``model_device_type``, ``max_batch_total_tokens``, ``max_input_length``
                    (``tests/fixtures/runtimes/tgi/info__v0_8_2.json``, ``info__openapi_example.json``)
    GET /v1/models  ``{"data": [{"id": <model_id>, "object": "model", "created": 0, "owned_by": <model_id>}]}``
                    (``openai_get_model_info`` in ``router/src/server.rs``); read only when /info tells nothing

``/health`` is not asked: TGI's health check may run a one-token prefill on the shards (``health.rs``). With
``--api-key`` the key guards generation only: /info, /v1/models, /health and /metrics are merged outside the
auth layer (``info_routes`` in ``server.rs``), so a key-protected TGI still lists its model.

Default port: 8080. The launcher listens on 3000 by default, but TGI ships as a container image whose
``PORT`` is 80 and whose documentation runs it as ``docker run -p 8080:80``, so exposed hosts answer on 8080
(and 80). Port 80 is not claimed: every web server answers there, and claiming it would send TGI's request to
all of them first (and lift the dispatcher's cap on identification requests for that port).

Evidence markers (``runtime_evidence``):

    tgi_info_router                  /info says ``"router": "text-generation-router"`` (newer releases; nuclei's
                                     tgi-detect, peers §3.6)
    tgi_info_shape                   /info has ``model_id``, ``model_sha``, ``max_total_tokens``, ``max_best_of``
                                     and ``validation_workers`` (every release, 0.8.2 included, which has no
                                     ``router``; TEI's /info has none of the last three)
    v1_models_owned_by_model_created_0
                                     a /v1/models card whose ``owned_by`` is its own ``id`` and ``created`` is 0
    v1_models_entry_without_id       a card without a string ``id`` (skipped: it names no model)
    server_header:<token>, proxy:<token>
                                     the Server header, as ``lookalikes.server_evidence`` names it

``claims``: 3 on ``tgi_info_router`` or ``tgi_info_shape``; 2 on ``v1_models_owned_by_model_created_0`` (a TGI
quirk, but a card shape anyone could write); otherwise 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common, lookalikes
from llmcensus.probe.runtimes.base import Parsed, Visit, neutral_model
from llmcensus.probe.runtimes.fields import CAPS, as_int, as_str, json_object

NAME = "tgi"
DEFAULT_PORTS: tuple[int, ...] = (8080,)  # the documented docker mapping 8080:80 (see the module docstring)
REQUESTS: tuple[tuple[str, str], ...] = (("GET", "/info"), ("GET", "/v1/models"))
IDENTIFY: tuple[tuple[str, str], ...] = (("GET", "/info"),)

_NAME_CAP = CAPS["name"]
_SHORT = 64
_CREATED_0 = re.compile(rb'"created"\s*:\s*0\s*[,}]')
_ROUTER = "text-generation-router"
_SHAPE = ("model_sha", "max_total_tokens", "max_best_of", "validation_workers")
# per-model facts of /info kept as written when the release sends them (names changed across releases:
# max_input_length until 2.0, max_input_tokens after)
_EXTRA_STR = ("model_pipeline_tag", "model_device_type")
_EXTRA_INT = ("max_input_length", "max_input_tokens", "max_batch_total_tokens", "max_client_batch_size")


def parse_info(body: bytes) -> Parsed:
    """GET /info -> the one served model (``max_model_len`` = ``max_total_tokens``, ``revision`` = ``model_sha``,
    ``dtype`` = ``model_dtype``) and TGI's version; the build ``sha``/``docker_label`` go to extras."""
    obj = json_object(body)
    evidence: list[str] = []
    ident = as_str(obj.get("model_id"), _NAME_CAP)
    if obj.get("router") == _ROUTER:
        evidence.append("tgi_info_router")
    if ident is not None and all(k in obj for k in _SHAPE):
        evidence.append("tgi_info_shape")
    models = None
    if ident is not None:
        extra: dict[str, Any] = {k: as_str(obj[k], _SHORT) for k in _EXTRA_STR if k in obj}
        extra.update((k, as_int(obj[k])) for k in _EXTRA_INT if k in obj)
        models = [neutral_model(
            ident, max_model_len=as_int(obj.get("max_total_tokens")), dtype=as_str(obj.get("model_dtype"), _SHORT),
            revision=as_str(obj.get("model_sha"), CAPS["digest"]), extra=extra,
        )]
    extras: dict[str, Any] = {k: as_str(obj.get(k), _SHORT) for k in ("sha", "docker_label", "router") if k in obj}
    return Parsed(version=as_str(obj.get("version"), CAPS["version"]), models=models, evidence=evidence,
                  extras=extras)


def parse_models(body: bytes) -> Parsed:
    """GET /v1/models -> the served model's id (TGI writes ``owned_by`` = the id and ``created`` = 0)."""
    models: list[dict[str, Any]] = []
    evidence: list[str] = []
    for ident, card in common.cards(json_object(body), evidence):
        owned_by = as_str(card.get("owned_by"), _NAME_CAP)
        created = as_int(card.get("created"))
        if owned_by == ident and created == 0:
            evidence.append("v1_models_owned_by_model_created_0")
        models.append(neutral_model(ident, owned_by=owned_by, extra={"created": created}))
    return Parsed(models=models, evidence=list(dict.fromkeys(evidence)))


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    ("GET", "/info"): parse_info,
    ("GET", "/v1/models"): parse_models,
}


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    """The markers of the module docstring, read from any module's replies (bodies parsed only when they can
    hold a marker)."""
    evidence: list[str] = []
    for (method, path), ex in replies.items():
        evidence += lookalikes.server_evidence(ex.server)
        if method != "GET" or not ex.ok or ex.truncated:
            continue
        if path == "/info" and b"model_id" in ex.body:
            evidence += common.evidence_of(ex, parse_info)
        elif path == "/v1/models" and _CREATED_0.search(ex.body) is not None:
            evidence += common.evidence_of(ex, parse_models)
    return list(dict.fromkeys(evidence))


def claims(evidence: Collection[str]) -> int:
    ev = set(evidence)
    if "tgi_info_router" in ev or "tgi_info_shape" in ev:
        return 3
    return 2 if "v1_models_owned_by_model_created_0" in ev else 0


async def scan(visit: Visit) -> None:
    """/info (usually asked while identifying) gives the model, its limits and the version; /v1/models is
    asked only when /info did not name a model."""
    result = visit.result
    info_ex = await visit.get("/info", last=True)
    info = common.read(info_ex, parse_info)
    inventory, models = info_ex, info.models if info is not None else None
    if models is None and (info_ex is None or info_ex.status not in (401, 403)):
        listing = await visit.get("/v1/models", last=True)
        listed = common.read(listing, parse_models)
        if listed is not None or info_ex is None or not info_ex.ok:
            inventory, models = listing, listed.models if listed is not None else None
            if listed is not None:
                result.note(*listed.evidence)
    extras: dict[str, Any] = {}
    if info is not None:
        result.note(*info.evidence)
        result.version = info.version
        extras.update(info.extras)
    common.finish(visit, models, inventory, extras)
