"""What every runtime module shares: the visit's replies, the ``Result``, the runtime-neutral model row,
and the status rules.

A runtime module (``llmcensus/probe/runtimes/<name>.py``) always exposes the same names (STYLE.md habit 2,
zgrab2's module shape):

    NAME           the runtime's stable name (``Runtime`` value, fixture folder, simulator persona)
    DEFAULT_PORTS  ports it listens on by default; the engine tries it first there
    REQUESTS       its allowlist of (method, path), in order of use; nothing else can be sent
    IDENTIFY       the (method, path) it needs while the runtime is still unknown, cheapest and most
                   specific first (a subset of REQUESTS)
    identify(replies) -> list[str]
                   evidence markers this module reads in the replies seen so far (any module's): pure
    claims(evidence) -> int
                   0 when the evidence does not prove this runtime; otherwise its strength (the strongest
                   claim wins; ties go to the table order in ``runtimes/__init__.py``)
    parse_<endpoint>(body) -> ...
                   pure parsers of real replies (tested on ``tests/fixtures/runtimes/<name>/``)
    async scan(visit) -> None
                   once the runtime is chosen: the detail requests (within the visit's budget), filling
                   ``visit.result`` (models, version, extras) and deciding the status with ``decide``

Parsers return runtime-neutral models (``neutral_model``, keys ``MODEL_KEYS``); ``model_row`` makes
them rows of the observation's MODEL struct (the Ollama fields where they mean the same thing), and
what has no MODEL field goes to the observation's ``runtime_data`` (schema v2), one object per
runtime. What the modules do alike to get there (read a reply, end a visit) is ``common.py``'s toolkit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from llmcensus.observations.schema import Auth, Status
from llmcensus.probe.http import Exchange, HostClient
from llmcensus.probe.runtimes.fields import CAPS


@dataclass(slots=True)
class Result:
    """What one visit learned. ``status`` is decided at the end of the runtime's ``scan`` (or by the engine)."""

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
    extras: dict[str, Any] | None = None  # runtime-specific top-level facts (recorded as JSON text)

    def note(self, *markers: str) -> None:
        for m in markers:
            if m not in self.evidence:
                self.evidence.append(m)


class Visit:
    """One visit's requests, shared by every module: a (method, path) is sent at most once per visit.

    ``get`` returns the reply already received for a request, or sends it (if the budget allows).
    ``replies`` is every reply so far, in order; modules read them in ``identify``.
    """

    def __init__(self, client: HostClient, result: Result) -> None:
        self.client = client
        self.result = result
        self.replies: dict[tuple[str, str], Exchange] = {}

    def seen(self, method: str, path: str) -> Exchange | None:
        return self.replies.get((method, path))

    async def get(self, path: str, *, method: str = "GET", body: bytes | None = None, last: bool = False,
                  max_bytes: int | None = None) -> Exchange | None:
        """The reply to (method, path): cached within the visit, else sent; None when the budget is spent."""
        key = (method, path)
        if body is None and key in self.replies:
            return self.replies[key]
        ex = await self.client.request(method, path, body, last=last, max_bytes=max_bytes)
        if ex is not None and body is None:
            self.replies[key] = ex
        return ex


# The runtime-neutral model a parser returns: exactly these keys, ``None`` where the reply does not say.
# (The same keys as ``tests/fixtures/runtimes/*/expected.json``'s ``model_keys``: the parser contract.)
MODEL_KEYS: tuple[str, ...] = ("id", "owned_by", "max_model_len", "context_length", "parameter_size",
                               "parameter_count", "quantization", "dtype", "size_bytes", "digest", "revision",
                               "architecture", "family", "extra")


def neutral_model(id: str | None, **fields: Any) -> dict[str, Any]:
    """A parser's model dict with every key of ``MODEL_KEYS`` (unknown keys are a bug: KeyError)."""
    row = dict.fromkeys(MODEL_KEYS)
    row["id"] = id
    for k, v in fields.items():
        if k not in row:
            raise KeyError(f"not a neutral model key: {k}")
        row[k] = v
    return row


@dataclass(slots=True)
class Parsed:
    """What one reply says, as written: a parser's result (pure; no request, no status)."""

    version: str | None = None
    models: list[dict[str, Any]] | None = None  # neutral models (``neutral_model``); None = no list here
    evidence: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # runtime-specific facts of the reply


def model_row(template: dict[str, Any], m: dict[str, Any]) -> dict[str, Any]:
    """A neutral model -> a row of the observation's MODEL struct (``template``: the all-null row).

    The MODEL fields mean the same for every runtime: ``name``/``model`` = the id as listed,
    ``context_length`` = the context the server will accept (vLLM/SGLang ``max_model_len``, llama.cpp
    ``n_ctx``; else the model's own), ``train_context_length`` = the model's training context,
    ``quantization_level`` = the quantization, else the dtype, ``digest`` = digest, else the revision.
    What has no MODEL field (``owned_by``, ``dtype`` beside a quantization, ``revision`` beside a digest,
    ``extra``) goes to the observation's ``runtime_data``. Strings are cut to the recorded caps."""
    row = dict(template)
    ident = _cap(m["id"], "name")
    row.update(
        name=ident, model=ident, size=m["size_bytes"],
        digest=_cap(m["digest"] or m["revision"], "digest"),
        family=_cap(m["family"], "family"), arch=_cap(m["architecture"], "arch"),
        parameter_size=_cap(m["parameter_size"], "parameter_size"), parameter_count=m["parameter_count"],
        quantization_level=_cap(m["quantization"] or m["dtype"], "quantization_level"),
        context_length=m["max_model_len"] if m["max_model_len"] is not None else m["context_length"],
        train_context_length=m["context_length"] if m["max_model_len"] is not None else None,
        show_status="not_applicable",
    )
    return row


def model_data(m: dict[str, Any]) -> dict[str, Any]:
    """The part of a neutral model that has no MODEL field (kept in ``runtime_data``)."""
    out = {k: m[k] for k in ("owned_by", "dtype", "revision") if m[k] is not None}
    if m["extra"]:
        out["extra"] = m["extra"]
    return out


def _cap(value: str | None, name: str) -> str | None:
    return value[: CAPS[name]] if value is not None else None


def runtime_data_json(runtime: str, result: Result) -> str | None:
    """The observation's ``runtime_data``: ``{"<runtime>": {...}}`` as JSON text (zgrab2's ``data[module]``),
    capped at 64 KiB (a longer one is cut to valid JSON by dropping per-model extras)."""
    if not result.extras:
        return None
    text = orjson.dumps({runtime: result.extras}, default=str, option=orjson.OPT_SORT_KEYS).decode()
    if len(text) > 65536:
        slim = {k: v for k, v in result.extras.items() if k != "models"}
        slim["models_dropped"] = "runtime_data over 64 KiB"
        text = orjson.dumps({runtime: slim}, default=str, option=orjson.OPT_SORT_KEYS).decode()[:65536]
    return text


def posture(result: Result, replies: Iterable[Exchange]) -> None:
    """Auth posture and proxy from every HTTP reply of the visit: 401 → auth_required, 403 → forbidden."""
    from llmcensus.probe.runtimes import lookalikes

    answered = [ex for ex in replies if ex.status is not None]
    if not answered:
        return
    server = next((ex.server for ex in answered if ex.server), None)
    result.server_header = server[: CAPS["server_header"]] if server is not None else None
    result.proxied = any(lookalikes.is_proxy(ex.server) for ex in answered)
    codes = {ex.status for ex in answered}
    if 401 in codes:
        result.auth = Auth.AUTH_REQUIRED.value
    elif 403 in codes:
        result.auth = Auth.FORBIDDEN.value
    else:
        result.auth = Auth.OPEN.value


def decide(result: Result, inventory: Exchange | None, *, listed: int | None = None) -> None:
    """Status of a visit whose runtime is known, from the reply that should have listed its models.

    The same rules as Ollama's (docs/schema.md "How the probe decides"): a truncated inventory is
    ``truncated``; 401/403 on it is ``auth_required``; 5xx, 429 or an unexpected 4xx is ``http_error``;
    a 2xx that could not be parsed is ``protocol_error``; anything else is ``success`` (a runtime that
    was recognised but exposes no model list is still fingerprinted), or ``truncated`` when the inventory
    ``listed`` more models than ``result.models`` keeps (the ``max_models`` cap)."""
    if inventory is not None and inventory.failure is not None:
        result.status, result.error = inventory.failure, inventory.error
    elif inventory is not None and inventory.ok and inventory.truncated:
        result.status, result.error = Status.TRUNCATED, f"{inventory.path} reply exceeded the response-size cap"
    elif inventory is not None and inventory.status in (401, 403):
        result.status, result.error = Status.AUTH_REQUIRED, f"HTTP {inventory.status} on {inventory.path}"
    elif inventory is not None and inventory.status is not None and unusable(inventory.status):
        result.status, result.error = Status.HTTP_ERROR, f"HTTP {inventory.status} on {inventory.path}"
    elif inventory is not None and inventory.ok and result.models is None:
        result.status, result.error = Status.PROTOCOL_ERROR, inventory.error or f"unusable {inventory.path} reply"
    elif listed is not None and result.models is not None and listed > len(result.models):
        where = inventory.path if inventory is not None else "the model list"
        result.status = Status.TRUNCATED
        result.error = f"{where} listed {listed} models; the first {len(result.models)} are kept"
    else:
        result.status, result.error = Status.SUCCESS, None


# 4xx that a working web server gives for a path it does not have: the service works, it is just not ours.
NOT_HERE = frozenset({404, 405, 410})


def unusable(code: int) -> bool:
    """A reply that says the service cannot answer now (5xx, 429) or refuses the request itself (other 4xx
    than auth and not-found): ``http_error`` rather than a verdict about what the service is."""
    return code >= 500 or (400 <= code < 500 and code not in NOT_HERE and code not in (401, 403))


def decide_unrecognised(result: Result, replies: Iterable[Exchange]) -> None:
    """Status of a visit whose HTTP replies named no runtime (docs/schema.md "How the probe decides"): any 5xx
    or 429, or no 2xx and another 4xx than 401/403/404/405/410 → ``http_error``; only redirects →
    ``http_error`` (the ``Location`` is kept in the error); otherwise ``not_llm``."""
    answered = [ex for ex in replies if ex.status is not None]
    codes = [ex.status for ex in answered if ex.status is not None]
    if any(c >= 500 or c == 429 for c in codes) or (
            any(unusable(c) for c in codes) and not any(200 <= c < 300 for c in codes)):
        worst = max(codes, key=lambda c: (c >= 500, c == 429, c))
        result.status, result.error = Status.HTTP_ERROR, f"HTTP {worst} and no LLM runtime recognised"
    elif codes and all(300 <= c < 400 for c in codes):
        where = next((ex.location for ex in answered if ex.location), None)
        where = where[:200] if where is not None else None
        result.status, result.error = Status.HTTP_ERROR, f"redirect (HTTP {codes[0]}) to {where}"
    else:
        result.status, result.error = Status.NOT_LLM, "HTTP service without a recognised LLM runtime"
