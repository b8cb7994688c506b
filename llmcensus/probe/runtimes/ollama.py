"""Ollama fingerprint: the allowlist, a parser per endpoint, the visit, and its ``Result``.

Module shape (every runtime module has it, STYLE.md habit 2): ``NAME``, ``DEFAULT_PORTS``,
``REQUESTS`` (the allowlist: nothing else can be sent), ``parse_<endpoint>`` functions, ``Result``
and ``scan``. The parsers live in ``ollama_parse.py`` (re-exported here); they read every field of every
version 0.1.x-0.33.x, and a field the version does not send is ``None`` (unknown), never false or empty.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

import orjson

from llmcensus.observations.schema import Auth, Runtime, ShowStatus, Status
from llmcensus.probe.http import Exchange, HostClient
from llmcensus.probe.runtimes import lookalikes
from llmcensus.probe.runtimes.base import Parsed, Result, decide_unrecognised, posture, unusable
from llmcensus.probe.runtimes.fields import ParseError, json_object
from llmcensus.probe.runtimes.ollama_parse import _HEX64, _reply_time, at_least, framework_evidence
from llmcensus.probe.runtimes.ollama_parse import ROOT_BANNER as ROOT_BANNER
from llmcensus.probe.runtimes.ollama_parse import SHOW_FIELDS as SHOW_FIELDS
from llmcensus.probe.runtimes.ollama_parse import parse_model as parse_model
from llmcensus.probe.runtimes.ollama_parse import parse_ps as parse_ps
from llmcensus.probe.runtimes.ollama_parse import parse_root as parse_root
from llmcensus.probe.runtimes.ollama_parse import parse_show as parse_show
from llmcensus.probe.runtimes.ollama_parse import parse_tags as parse_tags
from llmcensus.probe.runtimes.ollama_parse import parse_version as parse_version
from llmcensus.probe.runtimes.ollama_parse import version_slips as version_slips
from llmcensus.probe.runtimes.ollama_parse import version_tuple as version_tuple
from llmcensus.probe.showcache import ShowCache, ShowEntry

NAME = "ollama"
DEFAULT_PORTS: tuple[int, ...] = (11434,)
REQUESTS: tuple[tuple[str, str], ...] = (
    ("GET", "/api/version"),
    ("GET", "/api/tags"),
    ("GET", "/"),
    ("GET", "/api/ps"),
    ("POST", "/api/show"),  # read-only despite the method: no side effects (protocols.md §1.2)
)
IDENTIFY: tuple[tuple[str, str], ...] = (("GET", "/api/version"), ("GET", "/api/tags"), ("GET", "/"))


def _parsed_version(body: bytes) -> Parsed:
    version, evidence = parse_version(body)
    return Parsed(version=version, evidence=evidence)


def _parsed_tags(body: bytes) -> Parsed:
    models, evidence = parse_tags(body)
    return Parsed(models=models, evidence=evidence)


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    ("GET", "/api/version"): _parsed_version,
    ("GET", "/api/tags"): _parsed_tags,
}


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    """Evidence from Ollama's own paths (and every reply's headers): the markers ``lookalikes`` names."""
    evidence: list[str] = []
    for (method, path), ex in replies.items():
        evidence += lookalikes.server_evidence(ex.server) + framework_evidence(ex)
        if not ex.ok or method != "GET":
            continue
        try:
            if path == "/":
                evidence += parse_root(ex)
            elif path == "/api/version":
                evidence += parse_version(ex.body)[1]
            elif path == "/api/tags" and not ex.truncated:
                evidence += parse_tags(ex.body)[1]
        except ParseError:
            pass
    ver = replies.get(("GET", "/api/version"))
    if ver is not None and ver.ok:
        with contextlib.suppress(ParseError):
            evidence += version_slips(evidence, parse_version(ver.body)[0])
    return list(dict.fromkeys(evidence))


def claims(evidence: Collection[str]) -> int:
    """When the markers say plain Ollama (not one of the runtimes that answer its paths): 3 with an inventory
    or a version of its own, 2 on the banner or the version 0.9.0 alone (LocalAI's emulation sends both, so
    a runtime that lives on this port may still say more)."""
    if lookalikes.classify(evidence) is not Runtime.OLLAMA:
        return 0
    own_version = "version_json" in evidence and "version_const:0.9.0" not in evidence  # 0.9.0: LocalAI's too
    return 3 if "tags_models_list" in evidence or own_version else 2


def _needs_show(m: dict[str, Any]) -> bool:
    digest = m["digest"]
    cloud = m["remote_host"] is not None or m["format"] == ""
    return bool(digest) and _HEX64.match(digest) is not None and not cloud


async def _fetch_show(client: HostClient, cache: ShowCache, m: dict[str, Any], result: Result, *,
                      last: bool, observed_at: datetime, sweep_id: str) -> ShowEntry | None:
    name = m["model"] or m["name"]
    body = orjson.dumps({"model": name, "name": name})  # "name" for < 0.1.21, "model" after
    ex = await client.request("POST", "/api/show", body, last=last, max_bytes=client.settings.max_show_bytes)
    if ex is None or not ex.ok or ex.truncated:
        return None
    try:
        fields, template = parse_show(ex.body)
    except ParseError as exc:
        ex.error = f"parse: {exc}"
        return None
    finally:
        # parsed: only the raw prefix the record keeps need stay in memory while the visit goes on (a show
        # reply can be 1 MiB, and a host's first visit asks for each of its digests)
        ex.body = ex.body[: client.settings.raw_body_cap]
    return cache.add(client.public_ip, client.public_port, m["digest"], fields, template, ex.body,
                     version=result.version, observed_at=observed_at, sweep_id=sweep_id)


def _fill(m: dict[str, Any], entry: ShowEntry | None, status: ShowStatus) -> None:
    if entry is not None:
        m.update(entry.fields)
    m["show_status"] = status.value


def _settled(result: Result, replies: list[Exchange]) -> bool:
    """True when /api/version and /api/tags alone prove plain Ollama, so ``GET /`` would add nothing.

    That is: both answered 2xx, the version parsed, the inventory is a non-empty list whose every digest
    is a 64-hex manifest digest, no look-alike marker fired, and no Server header (a proxy or another
    product may serve something else at ``/``). Empty inventories, refusals, proxies and look-alikes still
    get ``GET /`` (its banner or page is their evidence). On the real internet most hosts are plain
    Ollama, so this saves a quarter of the requests of a visit: politer, and faster.
    """
    ev = result.evidence
    return (
        len(replies) == 2 and all(ex.ok for ex in replies) and result.version is not None
        and bool(result.models) and "digest_hex64" in ev and "tags_models_list" in ev
        and not any(e.startswith("server_header:") for e in ev)
        and lookalikes.classify(ev) is Runtime.OLLAMA
    )


async def scan(client: HostClient, cache: ShowCache, result: Result, *, observed_at: datetime,
               sweep_id: str, seen: Mapping[tuple[str, str], Exchange] | None = None) -> None:
    """One visit: /api/version, /api/tags, ``GET /`` unless those two settle it, then /api/ps and /api/show
    for digests the cache has not seen. ``seen``: replies the visit already has (the dispatcher's
    identification on another runtime's port), used instead of asking again."""
    replies: list[Exchange] = []
    for path in ("/api/version", "/api/tags", "/"):
        if path == "/" and _settled(result, replies):
            break
        ex = seen.get(("GET", path)) if seen is not None else None
        if ex is None:
            ex = await client.request("GET", path)
        if ex is None:
            break
        if ex.failure is not None:
            result.status, result.error = ex.failure, ex.error
            _posture(result, replies)
            return
        replies.append(ex)
        result.note(*lookalikes.server_evidence(ex.server), *framework_evidence(ex))
        if path == "/api/tags" and ex.status in (401, 403) and ex.body.lstrip().startswith(b"{"):
            try:
                if "detail" in json_object(ex.body):
                    result.note("tags_detail_json")  # FastAPI's auth refusal (Open WebUI)
            except ParseError:
                pass
        if not ex.ok:
            continue
        try:
            if path == "/":
                result.note(*parse_root(ex))
            elif path == "/api/version":
                result.version, ev = parse_version(ex.body)
                result.note(*ev)
            elif not ex.truncated:
                result.models, ev = parse_tags(ex.body, _reply_time(ex, observed_at), client.settings.max_models)
                result.note(*ev)
        except ParseError as exc:
            ex.error = f"parse: {exc}"
    result.note(*version_slips(result.evidence, result.version))
    runtime = lookalikes.classify(result.evidence)
    result.runtime = runtime.value if runtime is not None else Runtime.UNKNOWN.value
    _posture(result, replies)
    if result.models is not None:
        await _inventory(client, cache, result, runtime, observed_at, sweep_id)
    _decide(result, replies)


async def _inventory(client: HostClient, cache: ShowCache, result: Result, runtime: Runtime | None,
                     observed_at: datetime, sweep_id: str) -> None:
    """/api/ps, then /api/show for the digests this host has not yet told us about (within the budget).

    Show fields only ever come from the visited host itself (see ``showcache``): what another host
    says about the same digest is never recorded here.
    """
    models = result.models or []
    ollama = runtime is Runtime.OLLAMA
    want_ps = runtime in (Runtime.OLLAMA, Runtime.LOCALAI) and at_least(result.version, (0, 1, 38))
    need = (3 if at_least(result.version, (0, 9, 0)) else 2 if at_least(result.version, (0, 6, 4))
            else 1 if at_least(result.version, (0, 1, 45)) else 0)
    to_fetch: dict[str, list[dict[str, Any]]] = {}
    for m in models:
        if not ollama or not _needs_show(m):
            m["show_status"] = ShowStatus.NOT_APPLICABLE.value
            continue
        entry = cache.get(client.public_ip, client.public_port, m["digest"], need)
        if entry is None:
            to_fetch.setdefault(m["digest"], []).append(m)
            continue
        # asked earlier in this sweep (a visit resumed after a crash) is still "fetched in this sweep"
        _fill(m, entry, ShowStatus.FETCHED if entry.sweep_id == sweep_id else ShowStatus.CACHED)
        _gate_by_version(m, result.version)
    room = client.budget_left - (1 if want_ps else 0)
    fetch = list(to_fetch.items())[: max(room, 0)] if client.settings.fetch_show else []
    for _, group in list(to_fetch.items())[len(fetch):]:
        for m in group:
            _fill(m, None, ShowStatus.SKIPPED_BUDGET)
    if want_ps:
        ex = await client.request("GET", "/api/ps", last=not fetch)
        if ex is not None and ex.ok and not ex.truncated:
            try:
                result.running = parse_ps(ex.body, client.settings.max_models)
            except ParseError as exc:
                ex.error = f"parse: {exc}"
    for i, (_, group) in enumerate(fetch):
        entry = await _fetch_show(client, cache, group[0], result, last=i == len(fetch) - 1,
                                  observed_at=observed_at, sweep_id=sweep_id)
        for m in group:
            _fill(m, entry, ShowStatus.FETCHED if entry is not None else ShowStatus.ERROR)


def _gate_by_version(m: dict[str, Any], version: str | None) -> None:
    """A remembered reply is cut to the version the host runs *now* (it may have been learnt before a
    downgrade): no capabilities before v0.6.4, no thinking before v0.9.0, no model_info before v0.1.45.
    The reply as it was stays in the show dataset.
    """
    if version is None:
        return
    if not at_least(version, (0, 6, 4)):
        m["capabilities"] = None
    elif not at_least(version, (0, 9, 0)) and m.get("capabilities"):
        m["capabilities"] = [c for c in m["capabilities"] if c != "thinking"]
        # before v0.6.8 a separate projector (a clip family, llava-style) did not make a model report vision
        if not at_least(version, (0, 6, 8)) and "clip" in (m.get("families") or []):
            m["capabilities"] = [c for c in m["capabilities"] if c != "vision"]
    if not at_least(version, (0, 1, 45)):
        m["arch"] = m["parameter_count"] = m["train_context_length"] = None
        m["has_projector"] = True if "clip" in (m.get("families") or []) else None


def _posture(result: Result, replies: list[Exchange]) -> None:
    posture(result, replies)


def _decide(result: Result, replies: list[Exchange]) -> None:
    """Status of a visit in which every metadata request got an HTTP reply."""
    tags = next((ex for ex in replies if ex.path == "/api/tags"), None)
    codes = [ex.status for ex in replies if ex.status is not None]
    known = result.runtime not in (None, Runtime.UNKNOWN.value)
    # A front end recognised by its own pages (Open WebUI) is fingerprinted even though its API wants a login:
    # that is success with auth recorded. An Ollama-compatible API behind auth is a protected service.
    front_end = result.runtime == Runtime.OPEN_WEBUI.value
    capped = next((e for e in result.evidence if e.startswith("tags_models_capped:")), None)
    if tags is not None and tags.ok and tags.truncated:
        result.status, result.error = Status.TRUNCATED, "/api/tags reply exceeded the response-size cap"
    elif capped is not None and result.models is not None:
        result.status = Status.TRUNCATED
        result.error = f"/api/tags listed {capped.partition(':')[2]} models; the first {len(result.models)} are kept"
    elif front_end:
        result.status, result.error = Status.SUCCESS, None
    elif (result.auth != Auth.OPEN.value and result.models is None) or (
            tags is not None and tags.status in (401, 403)):
        result.status, result.error = Status.AUTH_REQUIRED, f"HTTP {tags.status if tags else codes[-1]} on /api/tags"
    elif known and tags is not None and tags.status is not None and unusable(tags.status):
        result.status, result.error = Status.HTTP_ERROR, f"HTTP {tags.status} on /api/tags"
    elif known and result.runtime == Runtime.OLLAMA.value and tags is not None and tags.ok and result.models is None:
        result.status, result.error = Status.PROTOCOL_ERROR, tags.error or "unusable /api/tags reply"
    elif known:
        result.status, result.error = Status.SUCCESS, None
    else:
        decide_unrecognised(result, replies)
