"""Open WebUI fingerprint (open-webui/open-webui, FastAPI, default port 8080; 3000 in docker examples).

A front end: everything but a few public paths needs a login, so it is recognised by its public ``/api/config``
(or its page title) and fingerprinted there, while its model list stays behind the login.

Evidence markers (source fixtures in ``tests/fixtures/runtimes/open_webui/``; the Ollama-path ones come from
``ollama.identify`` and are listed in ``lookalikes``):

    owui_config               /api/config is ``{"status", "name": str, "features": {"auth", ...}, ...}``
                              (api_config__v0_5_16.json, api_config__onboarding.json); ``name`` is ``WEBUI_NAME``
                              and may be anything (" open webui"), so it is not compared
    owui_onboarding           ... with ``"onboarding": true``: no user yet, the first to sign up becomes admin
    root_title:open_webui     ``GET /`` is the web UI page (``lookalikes.classify``)
    tags_detail_json          /api/tags refused with FastAPI's ``{"detail": ...}`` (with ``root_html``:
                              ``lookalikes.classify``; read here for 401/403 too, as ``ollama.scan`` does)
    detail_not_authenticated  a 401/403 ``{"detail": "Not authenticated"}`` (FastAPI's bearer-token refusal:
                              api_models__no_token_401.json / _403.json; any FastAPI app sends it, so it is weak)

``claims``: 3 on ``owui_config`` or when ``lookalikes.classify`` says Open WebUI; 2 on
``detail_not_authenticated`` beside an HTML page at ``/`` (``root_html``); 0 on the refusal alone.

Status: recognised by its own ``/api/config``, it is ``success`` with the posture the config states
(``features.auth`` true = ``auth_required``, false = ``open``); recognised otherwise, its ``/api/models`` decides
(401 or 403 ``Not authenticated`` = ``auth_required``: a login wall, not a permission refusal, so the auth is
``auth_required`` for the older 403 too). Version: /api/config ``version``, else /api/version.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.observations.schema import Auth, Runtime
from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common, lookalikes
from llmcensus.probe.runtimes.base import Parsed, Visit
from llmcensus.probe.runtimes.fields import CAPS, ParseError, as_dict, as_str, json_object

NAME = "open_webui"
DEFAULT_PORTS: tuple[int, ...] = (8080, 3000)
CONFIG = ("GET", "/api/config")
API_VERSION = ("GET", "/api/version")
API_MODELS = ("GET", "/api/models")
REQUESTS: tuple[tuple[str, str], ...] = (CONFIG, API_VERSION, API_MODELS)
IDENTIFY: tuple[tuple[str, str], ...] = (CONFIG,)

MAX_FEATURES = 64  # feature flags kept from /api/config (about 10 in 2025 builds)
MAX_DETAIL_BODY = 4096


def parse_config(body: bytes) -> Parsed:
    """/api/config (public part) -> the version, and the instance's name, onboarding state and feature flags."""
    obj = json_object(body)
    features = as_dict(obj.get("features"))
    name = as_str(obj.get("name"), CAPS["name"])
    evidence: list[str] = []
    if features is not None and "auth" in features and name is not None and "status" in obj:
        evidence.append("owui_config")
        if obj.get("onboarding") is True:
            evidence.append("owui_onboarding")
    extras: dict[str, Any] = {"instance_name": name}
    onboarding = obj.get("onboarding")
    extras["onboarding"] = onboarding if isinstance(onboarding, bool) else None
    if features is not None:
        flags = {k[:64]: v for k, v in list(features.items())[:MAX_FEATURES] if isinstance(v, bool)}
        extras["features"] = flags
        extras["enable_signup"] = flags.get("enable_signup")
    oauth = as_dict(obj.get("oauth"))
    providers = as_dict(oauth.get("providers")) if oauth is not None else None
    if providers:
        extras["oauth_providers"] = sorted(k[:64] for k in list(providers)[:MAX_FEATURES])
    return Parsed(version=as_str(obj.get("version"), CAPS["version"]), evidence=evidence, extras=extras)


def parse_api_version(body: bytes) -> Parsed:
    """/api/version -> ``{"version": ...}`` (newer builds add ``deployment_id``)."""
    obj = json_object(body)
    return Parsed(version=as_str(obj.get("version"), CAPS["version"]))


def parse_api_models(body: bytes) -> Parsed:
    """/api/models with a session: ``{"data": [{"id", "owned_by", ...}]}``. Never readable without one in the
    releases seen; parsed so that a host where it is readable is recorded rather than called a protocol error."""
    return common.models_of(body, ())


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    CONFIG: parse_config,
    API_VERSION: parse_api_version,
    API_MODELS: parse_api_models,
}


def _detail(ex: Exchange) -> object:
    """The ``detail`` of a FastAPI refusal (401/403 JSON object), else None."""
    if ex.status not in (401, 403) or ex.truncated or len(ex.body) > MAX_DETAIL_BODY:
        return None
    if not ex.body.lstrip().startswith(b"{"):
        return None
    try:
        return json_object(ex.body).get("detail")
    except ParseError:
        return None


def not_authenticated(ex: Exchange) -> bool:
    return _detail(ex) == "Not authenticated"


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    evidence = common.ollama_evidence(replies)
    for (_, path), ex in replies.items():
        detail = _detail(ex)
        if detail is None:
            continue
        if path == "/api/tags":
            evidence.append("tags_detail_json")
        if detail == "Not authenticated":
            evidence.append("detail_not_authenticated")
    evidence += common.evidence_of(replies.get(CONFIG), parse_config)
    return list(dict.fromkeys(evidence))


def claims(evidence: Collection[str]) -> int:
    if "owui_config" in evidence or lookalikes.classify(evidence) is Runtime.OPEN_WEBUI:
        return 3
    return 2 if "detail_not_authenticated" in evidence and "root_html" in evidence else 0


async def scan(visit: Visit) -> None:
    """/api/config (version, posture), /api/version when the config gave no version, and /api/models only when
    the config did not recognise the front end (its refusal is then the verdict)."""
    result = visit.result
    config = common.read(await visit.get(CONFIG[1]), parse_config, result)
    front_end = config is not None and "owui_config" in config.evidence
    extras: dict[str, Any] = dict(config.extras) if front_end and config is not None else {}
    result.version = config.version if front_end and config is not None else None
    if result.version is None:
        version = common.read(await visit.get(API_VERSION[1]), parse_api_version)
        result.version = version.version if version is not None else None
    models, inventory = None, None
    if not front_end:
        models, inventory = await common.first_list(visit, [(API_MODELS[1], parse_api_models)])
    common.finish(visit, models, inventory, extras)
    refusals = [ex for ex in visit.replies.values() if not_authenticated(ex)]
    if refusals:
        result.note("detail_not_authenticated")
        result.auth = Auth.AUTH_REQUIRED.value
    login = as_dict(extras.get("features"))
    if login is not None and isinstance(login.get("auth"), bool):
        result.auth = Auth.AUTH_REQUIRED.value if login["auth"] else Auth.OPEN.value
