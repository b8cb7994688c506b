"""SGLang fingerprint (FastAPI + uvicorn, default port 30000; protocols.md §8).

Requests, in order of use (read-only metadata GETs; never a generation, tokenize or any write):

    GET /get_model_info   ``model_path``, ``tokenizer_path``, ``is_generation`` and, in newer releases,
                          ``weight_version``, ``has_image_understanding``, ``has_audio_understanding``,
                          ``model_type``, ``architectures`` (``tests/fixtures/runtimes/sglang/get_model_info.json``);
                          ``/model_info`` is its newer name, asked only when the old one is gone (404)
    GET /v1/models        ``owned_by: "sglang"``, ``root``, ``parent``, ``max_model_len`` (since PR #4809, 2025-03;
                          no ``permission``, unlike vLLM) (``v1_models.json``)
    GET /get_server_info  the launch configuration (``dataclasses.asdict(server_args)``, hundreds of keys) with the
                          scheduler's limits and ``version`` — the only place SGLang states its version
                          (``get_server_info.json``); ``/server_info`` is its newer name, asked only on a 404
    GET /health           never sent by this module: recent SGLang serves ``/health`` with the handler of
                          ``/health_generate``, which runs a one-token generation (``@app.get("/health")`` and
                          ``@app.get("/health_generate")`` on one function in ``python/sglang/srt/entrypoints/
                          http_server.py`` @0025436e). It is listed only for the parser of ``health.txt``.

``--api-key`` gates every path except ``/health`` and ``/metrics`` with 401 ``{"error": "Unauthorized"}``
(``add_api_key_middleware`` in ``sglang/srt/utils.py``) — the body vLLM uses, but vLLM gates only ``/v1``.
The launch configuration carries ``api_key``/``admin_api_key``: their values are never recorded (a set key
becomes ``"<redacted>"`` in the model's extras and in the kept raw body).

Evidence markers (``runtime_evidence``):

    model_info_shape              /get_model_info (or /model_info) has ``model_path`` and ``tokenizer_path``
                                  (``get_model_info.json``; nuclei's sglang-detect, peers §3.7)
    owned_by:sglang               a /v1/models card says ``owned_by: "sglang"`` (``v1_models.json``)
    server_info_shape             /get_server_info (or /server_info) has ``model_path``, ``tokenizer_path`` and one of
                                  ``mem_fraction_static``, ``radix_eviction_policy``, ``disaggregation_mode``
                                  (``get_server_info.json``)
    digest_prefix:sha256:sglang, format:sglang
                                  SGLang's Ollama emulation on /api/tags (digest ``sha256:sglang…``, details.format
                                  ``sglang``; protocols.md §2) — the names Ollama's module gives the same facts
    unauthorized_bare_outside_v1  401 ``{"error": "Unauthorized"}`` on a path outside ``/v1`` (SGLang's key middleware;
                                  vLLM's leaves those paths open)
    unauthorized_bare_v1          the same refusal on /v1/models
    v1_models_entry_without_id    a card without a string ``id`` (skipped: it names no model)
    server_header:<token>, proxy:<token>
                                  the Server header (``uvicorn``), as ``lookalikes.server_evidence`` names it

``claims``: 3 on ``model_info_shape``, ``owned_by:sglang``, ``server_info_shape`` or an Ollama-emulation marker;
3 on ``unauthorized_bare_outside_v1`` + ``unauthorized_bare_v1`` (a key on every path: SGLang's middleware);
2 on ``unauthorized_bare_outside_v1`` alone; otherwise 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common, lookalikes
from llmcensus.probe.runtimes.base import Parsed, Visit, neutral_model
from llmcensus.probe.runtimes.fields import CAPS, as_dict, as_int, as_str, as_str_list, json_object

NAME = "sglang"
DEFAULT_PORTS: tuple[int, ...] = (30000,)
REQUESTS: tuple[tuple[str, str], ...] = (
    ("GET", "/get_model_info"), ("GET", "/v1/models"), ("GET", "/get_server_info"),
    ("GET", "/model_info"), ("GET", "/server_info"),
    ("GET", "/health"),  # parser only: never sent (see the module docstring)
)
IDENTIFY: tuple[tuple[str, str], ...] = (("GET", "/get_model_info"),)

_NAME_CAP = CAPS["name"]
_SHORT = 64
_REDACTED = "<redacted>"
_SECRETS = ("api_key", "admin_api_key")
# a key's value in the raw launch configuration (JSON text): replaced before the body is kept
_SECRET_VALUE = re.compile(rb'("(?:admin_)?api_key"\s*:\s*)"(?:[^"\\]|\\.)*"')
_SERVER_SHAPE = ("mem_fraction_static", "radix_eviction_policy", "disaggregation_mode")
_MODEL_INFO_BOOLS = ("is_generation", "has_image_understanding", "has_audio_understanding")
# launch facts kept per model from /get_server_info (the rest of the configuration stays in the raw body)
_SERVER_STR = ("model_path", "tokenizer_path", "served_model_name")
_SERVER_INT = ("tp_size", "max_total_num_tokens", "max_req_input_len", "port")


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def parse_model_info(body: bytes) -> Parsed:
    """GET /get_model_info (or /model_info) -> the served model by its path, with its architecture and type."""
    obj = json_object(body)
    path = as_str(obj.get("model_path"), _NAME_CAP)
    tokenizer = as_str(obj.get("tokenizer_path"), _NAME_CAP)
    if path is None:
        return Parsed()
    archs = as_str_list(obj.get("architectures"), _SHORT)
    extra: dict[str, Any] = {"tokenizer_path": tokenizer} if "tokenizer_path" in obj else {}
    if "weight_version" in obj:
        extra["weight_version"] = as_str(obj["weight_version"], _SHORT)
    extra.update((k, _bool(obj[k])) for k in _MODEL_INFO_BOOLS if k in obj)
    model = neutral_model(path, architecture=archs[0] if archs else None, family=as_str(obj.get("model_type"), _SHORT),
                          extra=extra)
    return Parsed(models=[model], evidence=["model_info_shape"] if tokenizer is not None else [])


def parse_models(body: bytes) -> Parsed:
    """GET /v1/models -> one neutral model per card (served name; ``max_model_len`` = the context length)."""
    models: list[dict[str, Any]] = []
    evidence: list[str] = []
    for ident, card in common.cards(json_object(body), evidence):
        owned_by = as_str(card.get("owned_by"), _NAME_CAP)
        if owned_by == "sglang":
            evidence.append("owned_by:sglang")
        models.append(neutral_model(
            ident, owned_by=owned_by, max_model_len=as_int(card.get("max_model_len")),
            extra={"root": as_str(card.get("root"), _NAME_CAP), "parent": as_str(card.get("parent"), _NAME_CAP),
                   "created": as_int(card.get("created"))},
        ))
    return Parsed(models=models, evidence=list(dict.fromkeys(evidence)))


def parse_server_info(body: bytes) -> Parsed:
    """GET /get_server_info (or /server_info) -> SGLang's version and the served model's launch facts, as
    written: ``dtype``/``quantization`` are launch arguments (``auto`` = the checkpoint's own), ``context_length``
    an override (null = the model's). Key values are never kept."""
    obj = json_object(body)
    g = obj.get
    evidence: list[str] = []
    path = as_str(g("model_path"), _NAME_CAP)
    if path is not None and "tokenizer_path" in obj and any(k in obj for k in _SERVER_SHAPE):
        evidence.append("server_info_shape")
    ident = as_str(g("served_model_name"), _NAME_CAP) or path
    models = None
    if ident is not None:
        extra: dict[str, Any] = {k: as_str(obj[k], _NAME_CAP) for k in _SERVER_STR if k in obj}
        extra.update((k, as_int(obj[k])) for k in _SERVER_INT if k in obj)
        extra.update((k, None if obj[k] is None else _REDACTED) for k in _SECRETS if k in obj)
        models = [neutral_model(
            ident, max_model_len=as_int(g("context_length")), quantization=as_str(g("quantization"), _SHORT),
            dtype=as_str(g("dtype"), _SHORT), revision=as_str(g("revision"), CAPS["digest"]), extra=extra,
        )]
    return Parsed(version=as_str(g("version"), CAPS["version"]), models=models, evidence=evidence)


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    ("GET", "/get_model_info"): parse_model_info,
    ("GET", "/model_info"): parse_model_info,
    ("GET", "/v1/models"): parse_models,
    ("GET", "/get_server_info"): parse_server_info,
    ("GET", "/server_info"): parse_server_info,
    ("GET", "/health"): common.liveness,  # an empty 200, read only if another module's identification saw it
}


def _tags_evidence(body: bytes) -> Parsed:
    """SGLang's Ollama emulation on /api/tags: ``sha256:sglang…`` digests and ``details.format: "sglang"``."""
    raw = json_object(body).get("models")
    out: list[str] = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict):
            continue
        digest = as_str(entry.get("digest"))
        if digest is not None and digest.startswith("sha256:sglang"):
            out.append("digest_prefix:sha256:sglang")
        details = as_dict(entry.get("details"))
        if details is not None and details.get("format") == "sglang":
            out.append("format:sglang")
    return Parsed(evidence=out)


_INFO_PATHS = ("/get_model_info", "/model_info")
_SERVER_PATHS = ("/get_server_info", "/server_info")


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    """The markers of the module docstring, read from any module's replies (bodies parsed only when they can
    hold a marker)."""
    evidence: list[str] = []
    for (method, path), ex in replies.items():
        evidence += lookalikes.server_evidence(ex.server)
        if method != "GET":
            continue
        evidence += common.bare_unauthorized(path, ex)
        if path in _INFO_PATHS and b"model_path" in ex.body:
            evidence += common.evidence_of(ex, parse_model_info)
        elif path == "/v1/models" and b"sglang" in ex.body:
            evidence += common.evidence_of(ex, parse_models)
        elif path in _SERVER_PATHS and b"model_path" in ex.body:
            evidence += common.evidence_of(ex, parse_server_info)
        elif path == "/api/tags" and b"sglang" in ex.body:
            evidence += common.evidence_of(ex, _tags_evidence)
    return list(dict.fromkeys(evidence))


_STRONG = frozenset({"model_info_shape", "owned_by:sglang", "server_info_shape", "digest_prefix:sha256:sglang",
                     "format:sglang"})


def claims(evidence: Collection[str]) -> int:
    ev = set(evidence)
    if ev & _STRONG:
        return 3
    if "unauthorized_bare_outside_v1" in ev:
        return 3 if "unauthorized_bare_v1" in ev else 2
    return 0


async def _get_either(visit: Visit, old: str, new: str, *, last: bool = False) -> Exchange | None:
    """The old path, or its newer name when the old one is gone (404)."""
    ex = await visit.get(old, last=last)
    if ex is not None and ex.status == 404:
        ex = await visit.get(new, last=last)
    return ex


async def scan(visit: Visit) -> None:
    """/get_model_info and /v1/models, then /get_server_info for the version (unless the key refused the
    model list: it would refuse that too). One served model per server: the /v1/models card, completed by the
    model info (architecture, type) and the launch configuration (dtype, quantization; its other facts go to
    the extras' ``server``)."""
    result = visit.result
    info_ex = await _get_either(visit, "/get_model_info", "/model_info")
    listing = await visit.get("/v1/models")
    server_ex = None
    if listing is None or listing.status not in (401, 403):
        server_ex = await _get_either(visit, "/get_server_info", "/server_info", last=True)
    info = common.read(info_ex, parse_model_info, result)
    inventory = common.read(listing, parse_models, result)
    server = common.read(server_ex, parse_server_info, result)
    if server_ex is not None:
        server_ex.body = _SECRET_VALUE.sub(rb'\1"<redacted>"', server_ex.body)  # the kept raw body, too
    result.version = server.version if server is not None else None
    served = server.models[0] if server is not None and server.models else None
    extras: dict[str, Any] = {"server": served["extra"]} if served is not None else {}
    if served is not None:
        # its launch facts are the server's, kept once above; dtype "auto" (the checkpoint's own) says nothing
        # about the model and would read as a quantization level in the observation's MODEL row
        served = {**served, "extra": {}, "dtype": None if served["dtype"] == "auto" else served["dtype"]}
    described = info.models[0] if info is not None and info.models else None
    models = inventory.models if inventory is not None else None
    if models is not None and len(models) == 1:
        models = [common.complete(common.complete(models[0], described), served)]
    elif models is None and described is not None and (listing is None or not listing.ok):
        models = [common.complete(described, served)]  # no usable /v1/models: the model info still names the model
    common.finish(visit, models, listing if listing is not None else info_ex, extras)
