"""KoboldCpp fingerprint (LostRuins/koboldcpp, Python ``http.server``, default port 5001).

Evidence markers (source fixtures in ``tests/fixtures/runtimes/koboldcpp/``; the Ollama-path ones come from
``ollama.identify`` and are listed in ``lookalikes``):

    server_header:concedollamaforkoboldserver
                              the ``Server`` header every KoboldCpp reply carries (``server_version``, empty
                              ``sys_version``; protocols.md §9)
    family:koboldcpp          its Ollama emulation's ``/api/tags`` (``lookalikes.classify``)
    result:koboldcpp          /api/extra/version is ``{"result": "KoboldCpp", ...}`` (api_extra_version.json)
    python_json_dumps         ... written by Python's ``json.dumps`` (``"result": "`` with a space): KoboldCpp's own
                              handler. Aphrodite and TabbyAPI impersonate this reply ("Impersonate KoboldCpp")
                              through FastAPI, which writes compact JSON: without this marker the reply is
                              recorded but proves nothing (their /v1/models then decides)
    model_result:koboldcpp    /api/v1/model is ``{"result": "koboldcpp/<model file stem>"}`` (api_v1_model.json;
                              very old builds ``concedo/koboldcpp``)
    owned_by:koboldcpp        a /v1/models entry ``"owned_by": "koboldcpp"`` (v1_models.json)
    not_found_text:koboldcpp  a 404 whose body is KoboldCpp's "Error: HTTP Server is running, but this endpoint does
                              not exist." (not_found__404.txt), on any path

``claims``: 4 on the Server header (it names the product); 3 on any other product marker above, on
``result:koboldcpp`` with ``python_json_dumps``, or when ``lookalikes.classify`` says KoboldCpp; 0 otherwise
(``result:koboldcpp`` written compactly is an impersonator's).

Version: /api/extra/version ``version``. Newer builds add capability flags there (``protected`` = a password
guards generation; the metadata stays readable, so the auth posture is still read from the replies).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.observations.schema import Runtime
from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common, lookalikes
from llmcensus.probe.runtimes.base import Parsed, Visit, neutral_model
from llmcensus.probe.runtimes.fields import CAPS, as_str, json_object

NAME = "koboldcpp"
DEFAULT_PORTS: tuple[int, ...] = (5001,)
EXTRA_VERSION = ("GET", "/api/extra/version")
V1_MODELS = ("GET", "/v1/models")
V1_MODEL = ("GET", "/api/v1/model")
INFO_VERSION = ("GET", "/api/v1/info/version")
REQUESTS: tuple[tuple[str, str], ...] = (EXTRA_VERSION, V1_MODELS, V1_MODEL, INFO_VERSION)
IDENTIFY: tuple[tuple[str, str], ...] = (EXTRA_VERSION,)

SERVER_MARKER = "server_header:concedollamaforkoboldserver"
NOT_FOUND = b"Error: HTTP Server is running, but this endpoint does not exist."
MODEL_PREFIX = "koboldcpp/"  # friendlymodelname = "koboldcpp/" + the model file's stem
STRONG_MARKERS = frozenset({"model_result:koboldcpp", "owned_by:koboldcpp", "not_found_text:koboldcpp"})
MAX_FLAGS = 64  # capability flags kept from /api/extra/version (about 20 in 2025 builds)


def _flags(obj: dict[str, Any]) -> dict[str, Any]:
    """The capability flags beside result/version: booleans and small integers (``admin``), as written."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in ("result", "version") or len(out) >= MAX_FLAGS:
            continue
        if isinstance(value, bool) or (isinstance(value, int) and -(2**31) <= value < 2**31):
            out[key[:64]] = value
    return out


def parse_extra_version(body: bytes) -> Parsed:
    """/api/extra/version -> the KoboldCpp version (as written) and its capability flags."""
    obj = json_object(body)
    evidence: list[str] = []
    if obj.get("result") == "KoboldCpp":
        evidence.append("result:koboldcpp")
        if b'"result": "' in body:
            evidence.append("python_json_dumps")
    extras: dict[str, Any] = {}
    flags = _flags(obj)
    if flags:
        extras["features"] = flags
    return Parsed(version=as_str(obj.get("version"), CAPS["version"]), evidence=evidence, extras=extras)


def parse_v1_model(body: bytes) -> Parsed:
    """/api/v1/model (KoboldAI API) -> the one loaded model; ``extra.model_file_stem`` when the name is KoboldCpp's
    ``koboldcpp/<stem>``."""
    obj = json_object(body)
    name = as_str(obj.get("result"))
    if name is None:
        return Parsed()
    extra: dict[str, Any] = {}
    evidence: list[str] = []
    if name.startswith(MODEL_PREFIX):
        extra["model_file_stem"] = name[len(MODEL_PREFIX):]
        evidence.append("model_result:koboldcpp")
    elif name == "concedo/koboldcpp":
        evidence.append("model_result:koboldcpp")
    return Parsed(models=[neutral_model(name, extra=extra)], evidence=evidence)


def parse_v1_models(body: bytes) -> Parsed:
    """/v1/models: one entry, ``created`` the constant 1, ``root`` "koboldcpp" (both kept in ``extra``)."""
    parsed = common.models_of(body, ("root", "created"))
    if any(m["owned_by"] == "koboldcpp" for m in parsed.models or ()):
        parsed.evidence.append("owned_by:koboldcpp")
    return parsed


def parse_info_version(body: bytes) -> Parsed:
    """/api/v1/info/version: the KoboldAI API version (``1.2.5``), not KoboldCpp's (TabbyAPI answers it too)."""
    obj = json_object(body)
    kai = as_str(obj.get("result"), CAPS["version"])
    return Parsed(extras={"kai_api_version": kai} if kai is not None else {})


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    EXTRA_VERSION: parse_extra_version,
    V1_MODELS: parse_v1_models,
    V1_MODEL: parse_v1_model,
    INFO_VERSION: parse_info_version,
}


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    evidence = common.ollama_evidence(replies)
    for ex in replies.values():
        if ex.status == 404 and ex.body.startswith(NOT_FOUND):
            evidence.append("not_found_text:koboldcpp")
            break
    evidence += common.evidence_of(replies.get(EXTRA_VERSION), parse_extra_version)
    evidence += common.evidence_of(replies.get(V1_MODEL), parse_v1_model)
    got = common.listed(replies.get(V1_MODELS))
    if got is not None and any(e.get("owned_by") == "koboldcpp" for e in got[0]):
        evidence.append("owned_by:koboldcpp")
    return list(dict.fromkeys(evidence))


def claims(evidence: Collection[str]) -> int:
    if SERVER_MARKER in evidence:
        return 4
    if STRONG_MARKERS.intersection(evidence) or lookalikes.classify(evidence) is Runtime.KOBOLDCPP or (
            "result:koboldcpp" in evidence and "python_json_dumps" in evidence):
        return 3
    return 0


async def scan(visit: Visit) -> None:
    """/api/extra/version (version, flags), then the model: /v1/models, else /api/v1/model (builds before the
    OpenAI list); the KoboldAI API version only when the product version could not be read."""
    result = visit.result
    extras: dict[str, Any] = {}
    parsed = common.read(await visit.get(EXTRA_VERSION[1]), parse_extra_version, result)
    if parsed is not None:
        result.version = parsed.version
        extras.update(parsed.extras)
    models, inventory = await common.first_list(
        visit, [(V1_MODELS[1], parse_v1_models), (V1_MODEL[1], parse_v1_model)])
    if result.version is None:
        info = common.read(await visit.get(INFO_VERSION[1]), parse_info_version)
        if info is not None:
            extras.update(info.extras)
    common.finish(visit, models, inventory, extras)
