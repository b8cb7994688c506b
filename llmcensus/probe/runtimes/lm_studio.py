"""LM Studio fingerprint (desktop app or headless ``llmster``, default port 1234; protocols.md §5).

Requests, in order of use (read-only metadata GETs; never a completion, load, download or any write):

    GET /lmstudio-greeting  ``{"lmstudio": true}``: what LM Studio's own CLI asks before it talks to a server,
                            remote ones included (``checkHttpServer`` in lmstudio-ai/lms ``src/createClient.ts``
                            @0901012c; no fixture body: the shape is the one that function requires)
    GET /v1/models          OpenAI's list with ``owned_by: "organization_owner"``, no ``created``, ``data``
                            before ``object`` (``tests/fixtures/runtimes/lm_studio/v1_models.json``,
                            ``v1_models__2026_01.json``)
    GET /api/v1/models      LM Studio >= 0.4.0, the richest: ``models[]`` with ``key``, ``display_name``,
                            ``params_string``, ``quantization{name, bits_per_weight}``, ``size_bytes``,
                            ``loaded_instances[].config.context_length``, ``max_context_length``
                            (``api_v1_models.json``)
    GET /api/v0/models      LM Studio >= 0.3.6: ``data[]`` with ``type`` (llm/vlm/embeddings), ``publisher``,
                            ``arch``, ``compatibility_type``, ``quantization``, ``state``, ``max_context_length``
                            and, when loaded, ``loaded_context_length`` (``api_v0_models.json``,
                            ``api_v0_models__0_3_17.json``)

The visit reads the richest list the version serves (/api/v1, else /api/v0, else /v1) and stops there. LM Studio
answers a path it does not serve with ``{"error": "Unexpected endpoint or method. (GET /path)"}`` — status 200
in the versions measured by its users, 404 in some — so a list endpoint that answers that is "not in this
version", not a broken reply. No endpoint states the version. An API token (>= 0.4.0) gates every route with a
Bearer token; the refusal is a 401 whose message names the product ("Invalid LM Studio API token", as users
quote it; the exact body has not been published).

Evidence markers (``runtime_evidence``):

    lmstudio_greeting           /lmstudio-greeting answered ``{"lmstudio": true}``
    owned_by:organization_owner a /v1/models card says ``owned_by: "organization_owner"`` (LM Studio's constant;
                                nuclei's lmstudio-detect matches it, peers §3.4)
    api_v0_models_shape         /api/v0/models entries carry ``compatibility_type`` and ``state``
    api_v1_models_shape         /api/v1/models entries carry ``key`` and ``loaded_instances``
    unexpected_endpoint_error   a reply ``{"error": "Unexpected endpoint or method. …"}`` (LM Studio's router
                                for an unknown path; quoted by users of 0.3.x and 0.4.x)
    token_refusal               a 401/403 whose error message names "LM Studio" (its API-token refusal)
    v1_models_entry_without_id, api_models_entry_without_id
                                an entry without a string ``id``/``key`` (skipped: it names no model)
    server_header:<token>, proxy:<token>
                                the Server header, as ``lookalikes.server_evidence`` names it

``claims``: 3 on ``lmstudio_greeting``, ``owned_by:organization_owner``, ``api_v0_models_shape``,
``api_v1_models_shape`` or ``token_refusal``; 2 on ``unexpected_endpoint_error`` alone; otherwise 0 (a list of
``id`` + ``object`` cards is any OpenAI-compatible server).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common, lookalikes
from llmcensus.probe.runtimes.base import Parsed, Visit, neutral_model
from llmcensus.probe.runtimes.fields import CAPS, ParseError, as_dict, as_int, as_str, json_object

NAME = "lm_studio"
DEFAULT_PORTS: tuple[int, ...] = (1234,)
REQUESTS: tuple[tuple[str, str], ...] = (
    ("GET", "/lmstudio-greeting"), ("GET", "/v1/models"), ("GET", "/api/v1/models"), ("GET", "/api/v0/models"),
)
IDENTIFY: tuple[tuple[str, str], ...] = (("GET", "/lmstudio-greeting"), ("GET", "/v1/models"))

_NAME_CAP = CAPS["name"]
_SHORT = 64
_UNEXPECTED = "Unexpected endpoint or method."
_CAPABILITIES = ("vision", "trained_for_tool_use")


def _number(value: object) -> int | float | None:
    """A JSON number as written (``bits_per_weight`` may be fractional); bools and non-finite floats are None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def _not_served(obj: dict[str, Any], key: str | None = None) -> bool:
    """LM Studio's answer for a path it does not serve (and, with ``key``, no ``key`` list in its place)."""
    if key is not None and isinstance(obj.get(key), list):
        return False
    error = obj.get("error")
    return isinstance(error, str) and error.startswith(_UNEXPECTED)


def parse_greeting(body: bytes) -> Parsed:
    """GET /lmstudio-greeting -> the marker when the body is ``{"lmstudio": true}``."""
    return Parsed(evidence=["lmstudio_greeting"] if json_object(body).get("lmstudio") is True else [])


def parse_openai_models(body: bytes) -> Parsed:
    """GET /v1/models -> ids and ``owned_by`` (nothing else is listed there)."""
    obj = json_object(body)
    if _not_served(obj, "data"):
        return Parsed(evidence=["unexpected_endpoint_error"])
    models: list[dict[str, Any]] = []
    evidence: list[str] = []
    for ident, card in common.cards(obj, evidence):
        owned_by = as_str(card.get("owned_by"), _NAME_CAP)
        if owned_by == "organization_owner":
            evidence.append("owned_by:organization_owner")
        models.append(neutral_model(ident, owned_by=owned_by, extra={}))
    return Parsed(models=models, evidence=list(dict.fromkeys(evidence)))


def parse_api_v0_models(body: bytes) -> Parsed:
    """GET /api/v0/models -> every downloaded model (or only the loaded ones without JIT loading)."""
    obj = json_object(body)
    if _not_served(obj, "data"):
        return Parsed(evidence=["unexpected_endpoint_error"])
    models: list[dict[str, Any]] = []
    evidence: list[str] = []
    for ident, entry in common.cards(obj, evidence, path="/api/v0/models", missing="api_models_entry_without_id"):
        if "compatibility_type" in entry and "state" in entry:
            evidence.append("api_v0_models_shape")
        g = entry.get
        models.append(neutral_model(
            ident, max_model_len=as_int(g("loaded_context_length")), context_length=as_int(g("max_context_length")),
            quantization=as_str(g("quantization"), CAPS["quantization_level"]), architecture=as_str(g("arch"), _SHORT),
            extra={"type": as_str(g("type"), _SHORT), "publisher": as_str(g("publisher"), _NAME_CAP),
                   "compatibility_type": as_str(g("compatibility_type"), _SHORT), "state": as_str(g("state"), _SHORT)},
        ))
    return Parsed(models=models, evidence=list(dict.fromkeys(evidence)))


def parse_api_v1_models(body: bytes) -> Parsed:
    """GET /api/v1/models -> every model with its quantization, size, parameter string and, when loaded, the
    context of its first loaded instance (``max_model_len``; ``context_length`` is the model's maximum)."""
    obj = json_object(body)
    if _not_served(obj, "models"):
        return Parsed(evidence=["unexpected_endpoint_error"])
    models: list[dict[str, Any]] = []
    evidence: list[str] = []
    for ident, entry in common.cards(obj, evidence, path="/api/v1/models", key="models", id_key="key",
                                     missing="api_models_entry_without_id"):
        g = entry.get
        instances = g("loaded_instances")
        if isinstance(instances, list):
            evidence.append("api_v1_models_shape")
        first = as_dict(instances[0]) if isinstance(instances, list) and instances else None
        config = as_dict(first.get("config")) if first is not None else None
        quant = as_dict(g("quantization"))
        extra: dict[str, Any] = {
            "type": as_str(g("type"), _SHORT), "publisher": as_str(g("publisher"), _NAME_CAP),
            "display_name": as_str(g("display_name"), _NAME_CAP), "format": as_str(g("format"), _SHORT),
            "bits_per_weight": _number(quant.get("bits_per_weight")) if quant is not None else None,
        }
        if isinstance(instances, list):
            extra["loaded"] = bool(instances)
        capabilities = as_dict(g("capabilities"))  # embedding entries have none
        if capabilities is not None:
            extra.update((k, capabilities[k]) for k in _CAPABILITIES if isinstance(capabilities.get(k), bool))
        models.append(neutral_model(
            ident, max_model_len=as_int(config.get("context_length")) if config is not None else None,
            context_length=as_int(g("max_context_length")), parameter_size=as_str(g("params_string"), _SHORT),
            quantization=as_str(quant.get("name"), CAPS["quantization_level"]) if quant is not None else None,
            size_bytes=as_int(g("size_bytes")), architecture=as_str(g("architecture"), _SHORT), extra=extra,
        ))
    return Parsed(models=models, evidence=list(dict.fromkeys(evidence)))


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    ("GET", "/lmstudio-greeting"): parse_greeting,
    ("GET", "/v1/models"): parse_openai_models,
    ("GET", "/api/v1/models"): parse_api_v1_models,
    ("GET", "/api/v0/models"): parse_api_v0_models,
}


def _unexpected_endpoint(ex: Exchange) -> bool:
    if _UNEXPECTED.encode() not in ex.body[:512]:
        return False
    try:
        return _not_served(json_object(ex.body))
    except ParseError:
        return False


def _token_refusal(ex: Exchange) -> bool:
    """A 401/403 whose error message names LM Studio (``{"error": "..."}`` or ``{"error": {"message": "..."}}``)."""
    if ex.status not in (401, 403) or b"LM Studio" not in ex.body[:1024]:
        return False
    try:
        error = json_object(ex.body).get("error")
    except ParseError:
        return False
    message = as_str(error.get("message")) if isinstance(error, dict) else as_str(error)
    return message is not None and "LM Studio" in message


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    """The markers of the module docstring, read from any module's replies (bodies parsed only when they can
    hold a marker)."""
    evidence: list[str] = []
    for (method, path), ex in replies.items():
        evidence += lookalikes.server_evidence(ex.server)
        if method != "GET" or ex.truncated or ex.status is None:
            continue
        if _unexpected_endpoint(ex):
            evidence.append("unexpected_endpoint_error")
            continue
        if _token_refusal(ex):
            evidence.append("token_refusal")
            continue
        parser = PARSERS.get((method, path))
        if not ex.ok or parser is None:
            continue
        if path == "/v1/models" and b"organization_owner" not in ex.body:
            continue
        with contextlib.suppress(ParseError):
            evidence += parser(ex.body).evidence
    return list(dict.fromkeys(evidence))


_STRONG = frozenset({"lmstudio_greeting", "owned_by:organization_owner", "api_v0_models_shape", "api_v1_models_shape",
                     "token_refusal"})


def claims(evidence: Collection[str]) -> int:
    ev = set(evidence)
    if ev & _STRONG:
        return 3
    return 2 if "unexpected_endpoint_error" in ev else 0


# The model lists, richest first: the visit stops at the first that lists models.
_LISTS: tuple[tuple[str, Callable[[bytes], Parsed]], ...] = (
    ("/api/v1/models", parse_api_v1_models), ("/api/v0/models", parse_api_v0_models),
    ("/v1/models", parse_openai_models),
)


async def scan(visit: Visit) -> None:
    """The richest model list this version serves (/api/v1, else /api/v0, else /v1); a refusal (401/403)
    ends the visit, since a token gates every route alike."""
    result = visit.result
    inventory: Exchange | None = None
    models: list[dict[str, Any]] | None = None
    asked: list[Exchange] = []
    for i, (path, parser) in enumerate(_LISTS):
        ex = await visit.get(path, last=i == len(_LISTS) - 1)
        if ex is None:
            break
        asked.append(ex)
        parsed = common.read(ex, parser, result)
        if parsed is not None and parsed.models is not None:
            inventory, models = ex, parsed.models
            break
        if ex.status in (401, 403) or ex.failure is not None:
            inventory = ex  # refused or failed: a token gates every route alike, so the others would say the same
            break
    if inventory is None and asked:
        # no list anywhere: judge by the first reply that could not be read (or was cut), else by /v1/models
        # (every version serves it), else by the last reply
        broken = next((ex for ex in asked if ex.ok and (ex.error is not None or ex.truncated)), None)
        inventory = broken or next((ex for ex in asked if ex.path == "/v1/models"), asked[-1])
    result.version = None  # no endpoint states LM Studio's version
    extras = {"models_from": inventory.path if inventory is not None else None} if models is not None else {}
    common.finish(visit, models, inventory, extras)
