"""LiteLLM proxy fingerprint (BerriAI/litellm, FastAPI + uvicorn, default port 4000).

Evidence markers (source fixtures in ``tests/fixtures/runtimes/litellm/``):

    litellm_alive       /health/liveliness is the JSON string ``"I'm alive!"`` (health_liveliness.json; docs)
    litellm_readiness   /health/readiness is an object with a string ``status`` and a ``db`` key
                        (health_readiness__v1_84.json: since v1.84 nothing else is public there)
    litellm_version     ... with ``litellm_version`` (health_readiness__v1_19_2.json; until v1.83)
    litellm_auth_error  a refusal in LiteLLM's envelope: ``{"error": {"type": "auth_error", "param": "None", ...}}``
                        (``param`` is Python's None stringified; message "Authentication Error, ...") on any path
                        (v1_models__master_key_401.json)

``claims``: 3 on ``litellm_version``, on ``litellm_auth_error``, or on both health paths answering as LiteLLM
(``litellm_alive`` + ``litellm_readiness``); 2 on one health path alone.

Version: readiness ``litellm_version`` (until 1.83; from 1.84 only ``/public/model_hub/info`` and
``/openapi.json`` carry it, not asked here). Models: /v1/models, the configured model aliases, readable only without a
master key; with one it is 401 and the status ``auth_required`` (the health paths stay open, so the runtime and,
before 1.84, the version are still known).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import orjson

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common
from llmcensus.probe.runtimes.base import Parsed, Visit
from llmcensus.probe.runtimes.fields import CAPS, ParseError, as_dict, as_str, as_str_list, json_object

NAME = "litellm"
DEFAULT_PORTS: tuple[int, ...] = (4000,)
LIVELINESS = ("GET", "/health/liveliness")
READINESS = ("GET", "/health/readiness")
V1_MODELS = ("GET", "/v1/models")
REQUESTS: tuple[tuple[str, str], ...] = (LIVELINESS, READINESS, V1_MODELS)
IDENTIFY: tuple[tuple[str, str], ...] = (LIVELINESS, READINESS)

ALIVE = "I'm alive!"
MAX_ERROR_BODY = 4096  # an auth refusal is ~110 bytes; a longer body is not read for it


def parse_liveliness(body: bytes) -> Parsed:
    """/health/liveliness: a JSON string (not an object)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {str(exc)[:120]}") from None
    return Parsed(evidence=["litellm_alive"] if value == ALIVE else [])


def parse_readiness(body: bytes) -> Parsed:
    """/health/readiness -> ``litellm_version`` (until 1.83) and the proxy's state (``db``, ``cache``, callbacks)."""
    obj = json_object(body)
    version = as_str(obj.get("litellm_version"), CAPS["version"])
    evidence: list[str] = []
    if isinstance(obj.get("status"), str) and "db" in obj:
        evidence.append("litellm_readiness")
    if version is not None:
        evidence.append("litellm_version")
    extras: dict[str, Any] = {}
    for key in ("status", "db", "cache"):
        value = as_str(obj.get(key), 64)
        if value is not None:
            extras[key] = value
    callbacks = as_str_list(obj.get("success_callbacks"), 64)  # objects in 1.19 (#2557 made them strings)
    if callbacks:
        extras["success_callbacks"] = callbacks
    return Parsed(version=version, evidence=evidence, extras=extras)


def parse_v1_models(body: bytes) -> Parsed:
    """/v1/models: the configured aliases (``owned_by`` the provider); ``created`` is a constant, not kept."""
    return common.models_of(body, ())


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    LIVELINESS: parse_liveliness,
    READINESS: parse_readiness,
    V1_MODELS: parse_v1_models,
}


def auth_error(ex: Exchange) -> bool:
    """A LiteLLM refusal: ``{"error": {"type": "auth_error", "param": "None", "message": "Authentication Error…"}}``
    (either of the last two suffices)."""
    if ex.status not in (400, 401, 403) or ex.truncated or len(ex.body) > MAX_ERROR_BODY:
        return False
    if not ex.body.lstrip().startswith(b"{"):
        return False
    try:
        error = as_dict(json_object(ex.body).get("error"))
    except ParseError:
        return False
    if error is None or error.get("type") != "auth_error":
        return False
    message = as_str(error.get("message")) or ""
    return error.get("param") == "None" or message.startswith("Authentication Error")


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    evidence: list[str] = []
    evidence += common.evidence_of(replies.get(LIVELINESS), parse_liveliness)
    evidence += common.evidence_of(replies.get(READINESS), parse_readiness)
    if any(auth_error(ex) for ex in replies.values()):
        evidence.append("litellm_auth_error")
    return evidence


def claims(evidence: Collection[str]) -> int:
    ev = set(evidence)
    if ev & {"litellm_version", "litellm_auth_error"} or {"litellm_alive", "litellm_readiness"} <= ev:
        return 3
    return 2 if ev & {"litellm_alive", "litellm_readiness"} else 0


async def scan(visit: Visit) -> None:
    """Readiness (version, state), then /v1/models (the inventory; 401 behind a master key)."""
    result = visit.result
    extras: dict[str, Any] = {}
    ready = common.read(await visit.get(READINESS[1]), parse_readiness, result)
    if ready is not None:
        result.version = ready.version
        extras.update(ready.extras)
    models, inventory = await common.first_list(visit, [(V1_MODELS[1], parse_v1_models)])
    result.note(*identify(visit.replies))
    common.finish(visit, models, inventory, extras)
