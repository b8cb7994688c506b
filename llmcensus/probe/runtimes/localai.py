"""LocalAI fingerprint (mudler/LocalAI, Go, default port 8080): its OpenAI list, its Ollama emulation, its page.

LocalAI names itself in no metadata reply: ``/v1/models`` entries are ``{"id", "object"}`` only (the shape cortex
and others send too) and its Ollama emulation copies Ollama's ``GET /`` banner and ``/api/version`` (the constant
``0.9.0``). It is recognised by its welcome page, or by what contradicts plain Ollama, on either path:

* through Ollama's paths, by ``lookalikes.classify`` (``digest_prefix:sha256`` in ``/api/tags``, or the version
  constant with echo's habits); these markers are ``ollama.identify``'s, listed in ``lookalikes``;
* through the dispatch's ``/v1/models``: an id+object-only (or empty) list, which real Ollama never sends (its
  entries carry ``created`` and ``owned_by``, its empty list is ``"data": null``), from a server that also answers
  an Ollama path as Ollama would (``root_banner``, ``tags_models_list``, ``version_const:0.9.0``).

Evidence markers read here (besides ``ollama.identify``'s):

    openai_list_id_object_only  /v1/models entries with only id and object (localai/v1_models__2023_04.json)
    openai_list_empty           /v1/models ``{"object": "list", "data": []}`` (LocalAI's empty models directory)
    root_title:localai          ``GET /`` is the welcome page, ``<title>LocalAI API - v2.20.1 (<commit>)</title>``
                                (``internal.PrintableVersion()``; no fixture: the title template of
                                core/http/routes/ui.go, read in the index)

``claims``: 4 on the welcome page's title, or when a list tell meets an Ollama-path tell while ``classify`` says
plain Ollama or nothing (it must beat ``ollama.claims``' 3 on ``root_banner``/``tags_models_list``, which LocalAI's
emulation produces); 3 when ``lookalikes.classify`` says LocalAI; 0 otherwise, and never on the list alone
(README: not proof).

Version: the welcome page's title, when the page is on (``--disable-welcome`` turns it off). ``/api/version``'s
``0.9.0`` is the emulated Ollama version, kept in ``runtime_data`` as ``ollama_api_version``, never as the version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.observations.schema import Runtime
from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common, lookalikes
from llmcensus.probe.runtimes.base import Parsed, Visit
from llmcensus.probe.runtimes.fields import CAPS, ParseError
from llmcensus.probe.runtimes.ollama_parse import ROOT_BANNER
from llmcensus.probe.runtimes.ollama_parse import parse_version as ollama_version

NAME = "localai"
DEFAULT_PORTS: tuple[int, ...] = (8080,)
V1_MODELS = ("GET", "/v1/models")
API_VERSION = ("GET", "/api/version")
ROOT = ("GET", "/")
REQUESTS: tuple[tuple[str, str], ...] = (V1_MODELS, ROOT, API_VERSION)
# /v1/models is the dispatch's generic request (sent early on a port LocalAI claims); with it, ``GET /`` (the
# emulated banner, or the welcome page) or /api/version (the constant, echo's newline) settles it
IDENTIFY: tuple[tuple[str, str], ...] = (ROOT, API_VERSION)

# the welcome page (core/http/routes/ui.go: "Title": "LocalAI API - " + internal.PrintableVersion())
_TITLE = re.compile(rb"<title>\s*LocalAI\b(?: API - (v?\d[^\s<(]*))?", re.IGNORECASE)
# An empty list is no tell: a real Ollama with no model answers /v1/models with {"object":"list","data":[]}
# beside its banner. A non-empty list of bare {id, object} entries is LocalAI's (Ollama adds created/owned_by).
LIST_TELLS = frozenset({"openai_list_id_object_only"})
OLLAMA_PATH_TELLS = frozenset({"root_banner", "tags_models_list", "version_const:0.9.0"})


def parse_v1_models(body: bytes) -> Parsed:
    """/v1/models: ``schema.OpenAIModel{ID, Object}``, nothing else per entry (so ``extra`` is empty)."""
    return common.models_of(body, ())


def parse_api_version(body: bytes) -> Parsed:
    """/api/version of the Ollama emulation: the emulated version, as written (``0.9.0``)."""
    version, evidence = ollama_version(body)
    return Parsed(version=version, evidence=evidence)


def parse_root(body: bytes) -> Parsed:
    """``GET /``: the Ollama emulation's banner (not proof of either, see the module docstring), or LocalAI's
    welcome page, whose title carries the version (``LocalAI API - v2.20.1 (<commit>)``)."""
    if body.strip() == ROOT_BANNER:
        return Parsed(evidence=["root_banner"])
    title = _TITLE.search(body[:4096])
    if title is None:
        return Parsed()
    version = title.group(1).decode("utf-8", "replace")[: CAPS["version"]] if title.group(1) else None
    return Parsed(version=version, evidence=["root_title:localai"])


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    V1_MODELS: parse_v1_models,
    API_VERSION: parse_api_version,
    ROOT: parse_root,
}


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    evidence = common.ollama_evidence(replies)
    root = replies.get(ROOT)
    if root is not None and root.ok and "root_html" in evidence:
        evidence += parse_root(root.body).evidence
    got = common.listed(replies.get(V1_MODELS))
    if got is not None:
        evidence += [e for e in got[1] if e in LIST_TELLS]
    return evidence


def claims(evidence: Collection[str]) -> int:
    verdict = lookalikes.classify(evidence)
    if verdict is Runtime.LOCALAI:
        return 3
    if verdict in (None, Runtime.OLLAMA) and ("root_title:localai" in evidence or (
            LIST_TELLS.intersection(evidence) and OLLAMA_PATH_TELLS.intersection(evidence))):
        return 4
    return 0


async def scan(visit: Visit) -> None:
    """/v1/models is the inventory; ``GET /`` gives the version when it is the welcome page; the emulated Ollama
    version is kept only when it was already read."""
    result = visit.result
    models, inventory = await common.first_list(visit, [(V1_MODELS[1], parse_v1_models)])
    result.version = None
    root = await visit.get(ROOT[1])
    if root is not None and root.ok:  # a cut welcome page still has its title at the top
        page = parse_root(root.body)
        result.version = page.version
        result.note(*page.evidence)
    extras: dict[str, Any] = {}
    seen = visit.seen(*API_VERSION)
    if seen is not None and seen.ok:
        try:
            emulated = parse_api_version(seen.body).version
        except ParseError:
            emulated = None
        if emulated is not None:
            extras["ollama_api_version"] = emulated
    common.finish(visit, models, inventory, extras)
