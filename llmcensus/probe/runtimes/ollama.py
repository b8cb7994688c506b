"""Ollama fingerprint: the allowlist, a parser per endpoint, the visit, and its ``Result``.

Module shape (every runtime module has it, STYLE.md habit 2): ``NAME``, ``DEFAULT_PORTS``,
``REQUESTS`` (the allowlist: nothing else can be sent), ``parse_<endpoint>`` functions, ``Result``
and ``scan``. The parsers live in ``ollama_parse.py`` (re-exported here); they read every field of every
version 0.1.x-0.33.x, and a field the version does not send is ``None`` (unknown), never false or empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from llmcensus.observations.schema import Auth, Runtime, ShowStatus, Status
from llmcensus.probe.http import Exchange, HostClient
from llmcensus.probe.runtimes import lookalikes
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
from llmcensus.probe.runtimes.ollama_parse import version_tuple as version_tuple
from llmcensus.probe.showcache import ShowCache, ShowEntry

NAME = "ollama"
DEFAULT_PORTS: tuple[int, ...] = (11434,)
REQUESTS: tuple[tuple[str, str], ...] = (
    ("GET", "/"),
    ("GET", "/api/version"),
    ("GET", "/api/tags"),
    ("GET", "/api/ps"),
    ("POST", "/api/show"),  # read-only despite the method: no side effects (protocols.md §1.2)
)


@dataclass(slots=True)
class Result:
    """What one visit learned. ``status`` is decided at the end of ``scan`` (or by the engine on failure)."""

    status: Status | None = None
    error: str | None = None
    runtime: str | None = None
    evidence: list[str] = field(default_factory=list)
    version: str | None = None
    auth: str = Auth.UNKNOWN.value
    proxied: bool | None = None
    server_header: str | None = None
    models: list[dict[str, Any]] | None = None
    running: list[dict[str, Any]] | None = None

    def note(self, *markers: str) -> None:
        for m in markers:
            if m not in self.evidence:
                self.evidence.append(m)


def _suspect(result: Result) -> bool:
    """A host whose replies break the schema (a clone-farm slip): kept apart from the shared show cache."""
    return "tags_ps_fields" in result.evidence


def _needs_show(m: dict[str, Any]) -> bool:
    digest = m["digest"]
    cloud = m["remote_host"] is not None or m["format"] == ""
    return bool(digest) and _HEX64.match(digest) is not None and not cloud


async def _fetch_show(client: HostClient, cache: ShowCache, m: dict[str, Any], result: Result, *,
                      last: bool, observed_at: datetime) -> ShowEntry | None:
    digest = m["digest"]
    entry: ShowEntry | None = None
    try:
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
        # A host whose replies break the schema (a clone-farm slip) does not teach the shared cache: its
        # show reply fills its own record only, so a canned reply never spreads to genuine hosts.
        share = not _suspect(result)
        entry = cache.add(digest, fields, template, ex.body, ip=client.public_ip, version=result.version,
                          observed_at=observed_at, share=share)
        return entry
    finally:
        if not _suspect(result):  # a suspect never claimed the digest (see _inventory)
            cache.end(digest, entry)


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


async def scan(client: HostClient, cache: ShowCache, result: Result, *, observed_at: datetime) -> None:
    """One visit: /api/version, /api/tags, ``GET /`` unless those two settle it, then /api/ps and /api/show
    for digests the cache has not seen."""
    replies: list[Exchange] = []
    for path in ("/api/version", "/api/tags", "/"):
        if path == "/" and _settled(result, replies):
            break
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
                result.models, ev = parse_tags(ex.body, _reply_time(ex, observed_at))
                result.note(*ev)
        except ParseError as exc:
            ex.error = f"parse: {exc}"
    runtime = lookalikes.classify(result.evidence)
    result.runtime = runtime.value if runtime is not None else Runtime.UNKNOWN.value
    _posture(result, replies)
    if result.models is not None:
        await _inventory(client, cache, result, runtime, observed_at)
    _decide(result, replies)


async def _inventory(client: HostClient, cache: ShowCache, result: Result, runtime: Runtime | None,
                     observed_at: datetime) -> None:
    models = result.models or []
    ollama = runtime is Runtime.OLLAMA
    want_ps = runtime in (Runtime.OLLAMA, Runtime.LOCALAI) and at_least(result.version, (0, 1, 38))
    need = (3 if at_least(result.version, (0, 9, 0)) else 2 if at_least(result.version, (0, 6, 4))
            else 1 if at_least(result.version, (0, 1, 45)) else 0)
    to_fetch: dict[str, list[dict[str, Any]]] = {}
    waiting: list[tuple[dict[str, Any], Any]] = []
    # A host whose replies break the schema (a clone-farm slip) neither reads nor teaches the shared cache:
    # its record holds what it said itself, whatever order the sweep met the digests in.
    suspect = _suspect(result)
    for m in models:
        if not ollama or not _needs_show(m):
            m["show_status"] = ShowStatus.NOT_APPLICABLE.value
            continue
        entry = None if suspect else cache.get(m["digest"], need)
        if entry is not None:
            _fill(m, entry, ShowStatus.CACHED)
        elif not suspect and (pending := cache.pending(m["digest"])) is not None:
            waiting.append((m, pending))
        else:
            to_fetch.setdefault(m["digest"], []).append(m)
    room = client.budget_left - (1 if want_ps else 0)
    fetch = list(to_fetch.items())[: max(room, 0)] if client.settings.fetch_show else []
    for _, group in list(to_fetch.items())[len(fetch):]:
        for m in group:
            _fill(m, None, ShowStatus.SKIPPED_BUDGET)
    for digest, _ in fetch:
        if not suspect:
            cache.begin(digest)  # claim now: concurrent visits carrying this digest wait for our reply
    try:
        await _ps_and_shows(client, cache, result, want_ps, fetch, waiting, need, observed_at)
    finally:
        for digest, _ in fetch if not suspect else ():
            cache.end(digest, None)  # no-op when already ended; releases waiters if we were cancelled
    for m in models:
        _gate_by_version(m, result.version)


def _gate_by_version(m: dict[str, Any], version: str | None) -> None:
    """A record says what *this* host exposes: show fields cached from a newer host are cut to its version.

    The digest-level knowledge stays in the show dataset; the observation keeps the version's view
    (no capabilities before v0.6.4, no thinking before v0.9.0, no model_info before v0.1.45).
    """
    if m.get("show_status") != ShowStatus.CACHED.value or version is None:
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


async def _ps_and_shows(client: HostClient, cache: ShowCache, result: Result, want_ps: bool,
                        fetch: list[tuple[str, list[dict[str, Any]]]], waiting: list[tuple[dict[str, Any], Any]],
                        need: int, observed_at: datetime) -> None:
    if want_ps:
        ex = await client.request("GET", "/api/ps", last=not fetch and not waiting)
        if ex is not None and ex.ok and not ex.truncated:
            try:
                result.running = parse_ps(ex.body)
            except ParseError as exc:
                ex.error = f"parse: {exc}"
    for i, (_, group) in enumerate(fetch):
        entry = await _fetch_show(client, cache, group[0], result, last=i == len(fetch) - 1 and not waiting,
                                  observed_at=observed_at)
        for m in group:
            _fill(m, entry, ShowStatus.FETCHED if entry is not None else ShowStatus.ERROR)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for m, _ in waiting:
        grouped.setdefault(m["digest"], []).append(m)
    for digest, group in grouped.items():
        entry, status = await _resolve(client, cache, result, digest, group[0], need, observed_at)
        for m in group:
            _fill(m, entry, status)


async def _resolve(client: HostClient, cache: ShowCache, result: Result, digest: str, m: dict[str, Any], need: int,
                   observed_at: datetime) -> tuple[ShowEntry | None, ShowStatus]:
    """A digest another visit was fetching: wait for it; if that was not enough for our version, ask."""
    for _ in range(4):
        entry = cache.get(digest, need)
        if entry is not None:
            return entry, ShowStatus.CACHED
        pending = cache.pending(digest)
        if pending is None:
            break
        await pending
    if client.budget_left > 0 and client.settings.fetch_show:
        cache.begin(digest)
        fetched = await _fetch_show(client, cache, m, result, last=False, observed_at=observed_at)
        return fetched, ShowStatus.FETCHED if fetched is not None else ShowStatus.ERROR
    poorer = cache.get(digest)
    return poorer, ShowStatus.CACHED if poorer is not None else ShowStatus.SKIPPED_BUDGET


def _posture(result: Result, replies: list[Exchange]) -> None:
    answered = [ex for ex in replies if ex.status is not None]
    if not answered:
        return
    result.server_header = next((ex.server for ex in answered if ex.server), None)
    result.proxied = any(lookalikes.is_proxy(ex.server) for ex in answered)
    codes = {ex.status for ex in answered}
    if 401 in codes:
        result.auth = Auth.AUTH_REQUIRED.value
    elif 403 in codes:
        result.auth = Auth.FORBIDDEN.value
    else:
        result.auth = Auth.OPEN.value


def _decide(result: Result, replies: list[Exchange]) -> None:
    """Status of a visit in which every metadata request got an HTTP reply."""
    tags = next((ex for ex in replies if ex.path == "/api/tags"), None)
    codes = [ex.status for ex in replies if ex.status is not None]
    known = result.runtime not in (None, Runtime.UNKNOWN.value)
    # A front end recognised by its own pages (Open WebUI) is fingerprinted even though its API wants a login:
    # that is success with auth recorded. An Ollama-compatible API behind auth is a protected service.
    front_end = result.runtime == Runtime.OPEN_WEBUI.value
    if tags is not None and tags.ok and tags.truncated:
        result.status, result.error = Status.TRUNCATED, "/api/tags reply exceeded the response-size cap"
    elif front_end:
        result.status, result.error = Status.SUCCESS, None
    elif (result.auth != Auth.OPEN.value and result.models is None) or (
            tags is not None and tags.status in (401, 403)):
        result.status, result.error = Status.AUTH_REQUIRED, f"HTTP {tags.status if tags else codes[-1]} on /api/tags"
    elif known and tags is not None and tags.status is not None and tags.status >= 500:
        result.status, result.error = Status.HTTP_ERROR, f"HTTP {tags.status} on /api/tags"
    elif known and result.runtime == Runtime.OLLAMA.value and tags is not None and tags.ok and result.models is None:
        result.status, result.error = Status.PROTOCOL_ERROR, tags.error or "unusable /api/tags reply"
    elif known:
        result.status, result.error = Status.SUCCESS, None
    elif any(c >= 500 for c in codes):
        result.status, result.error = Status.HTTP_ERROR, f"HTTP {max(codes)} and no LLM runtime recognised"
    elif codes and all(300 <= c < 400 for c in codes):
        where = next((ex.location for ex in replies if ex.location), None)
        result.status, result.error = Status.HTTP_ERROR, f"redirect (HTTP {codes[0]}) to {where}"
    else:
        result.status, result.error = Status.NOT_LLM, "HTTP service without a recognised LLM runtime"
