"""The runtime modules' toolkit: what several modules do the same way, written once.

``base.py`` is the contract (what a module exposes, the ``Result``, the neutral model, the status rules) and
stays short enough to read as one; this module is the code the modules share to fulfil it. They are kept apart
because base.py with this toolkit would pass 300 lines, and because a module of the table (``openai_compatible``)
must not be the library of the others. What stays in each module: its markers, its claims and its parsers.

    read(ex, parser, result)    a usable reply parsed (its markers noted), a parse failure kept on the exchange
    evidence_of(ex, parser)     the markers a usable reply gives to a parser, none on a failure (``identify``)
    cards(obj, evidence, ...)   the entries of a model list that name a model (the loop of a list parser)
    bare_unauthorized(path, ex) the markers of vLLM's and SGLang's key middleware (401 ``{"error": "Unauthorized"}``)
    list_entries / listed / neutral / models_of
                                OpenAI's ``/v1/models`` read once for every module that serves it
    ollama_evidence(replies)    ``ollama.identify``, remembered for the visit's last set of replies
    complete(model, other)      one served model seen by two endpoints, as one neutral model
    first_list(visit, sources)  the first of several endpoints that lists models
    finish(visit, models, ...)  the end of every visit: MODEL rows within ``max_models``, ``runtime_data``, the
                                auth posture and the status (``base.decide``)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import ollama
from llmcensus.probe.runtimes.base import (
    MODEL_KEYS,
    NOT_HERE,
    Parsed,
    Result,
    Visit,
    decide,
    model_data,
    model_row,
    neutral_model,
    posture,
)
from llmcensus.probe.runtimes.fields import CAPS, ParseError, as_int, as_str, json_object
from llmcensus.probe.runtimes.ollama_parse import _MODEL_TEMPLATE as TEMPLATE

Parser = Callable[[bytes], Parsed]
Entries = list[dict[str, Any]]


def read(ex: Exchange | None, parser: Parser, result: Result | None = None) -> Parsed | None:
    """A usable reply (2xx, whole: a cut body is never parsed as a whole one) parsed, its markers noted on
    ``result`` when one is given; None otherwise. A parse failure is kept on the exchange (``error``): ``decide``
    reports it when that reply is the inventory."""
    if ex is None or not ex.ok or ex.truncated:
        return None
    try:
        parsed = parser(ex.body)
    except ParseError as exc:
        ex.error = f"parse: {exc}"
        return None
    if result is not None:
        result.note(*parsed.evidence)
    return parsed


def liveness(body: bytes) -> Parsed:
    """A health endpoint whose 200 says only that the server lives (vLLM's and SGLang's ``GET /health``: an empty
    body): nothing to parse, nothing to record."""
    return Parsed()


def evidence_of(ex: Exchange | None, parser: Parser) -> list[str]:
    """For ``identify`` (pure: the exchange is not touched): the markers a usable reply gives to ``parser``;
    none when it does not parse."""
    if ex is None or not ex.ok or ex.truncated:
        return []
    try:
        return parser(ex.body).evidence
    except ParseError:
        return []


def cards(obj: dict[str, Any], evidence: list[str], *, path: str = "/v1/models", key: str = "data",
          id_key: str = "id", missing: str = "v1_models_entry_without_id") -> Iterator[tuple[str, dict[str, Any]]]:
    """The object entries of the list ``obj[key]`` that name a model (a string ``id_key``, cut to the name cap),
    as (name, entry), in order. Other entries are skipped; one without a name adds ``missing`` to ``evidence``
    when the loop reaches it, so the markers stay in the order of the reply. Raises ``ParseError`` at once
    (not when iterated) when ``obj[key]`` is not a list."""
    items = obj.get(key)
    if not isinstance(items, list):
        raise ParseError(f"no '{key}' list in {path}")
    return _named(items, evidence, id_key, missing)


def _named(items: list[Any], evidence: list[str], id_key: str, missing: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for entry in items:
        if not isinstance(entry, dict):
            continue
        ident = as_str(entry.get(id_key), CAPS["name"])
        if ident is None:
            evidence.append(missing)
            continue
        yield ident, entry


def bare_unauthorized(path: str, ex: Exchange) -> list[str]:
    """A 401 ``{"error": "Unauthorized"}``, the key middleware of vLLM (``/v1`` only) and of SGLang (every path):
    ``unauthorized_bare_v1`` on a path under ``/v1/``, ``unauthorized_bare_outside_v1`` elsewhere (both modules
    read the pair: where the key is asked tells one from the other)."""
    if ex.status != 401 or b"Unauthorized" not in ex.body:
        return []
    try:
        refused = json_object(ex.body) == {"error": "Unauthorized"}
    except ParseError:
        return []
    if not refused:
        return []
    return ["unauthorized_bare_v1" if path.startswith("/v1/") else "unauthorized_bare_outside_v1"]


# --- OpenAI's /v1/models, read once for every module that serves it -----------------------------------------
#
# Shape markers (the generic ``openai_compatible`` verdict claims the first; source fixtures in
# ``tests/fixtures/runtimes/``):
#
#     openai_model_list           ``{"object": "list", "data": [...]}`` with an ``{"id", "object": "model"}`` entry
#     openai_list_id_object_only  ... every entry has only ``id`` and ``object`` (LocalAI's and cortex's shape)
#     openai_list_empty           ``{"object": "list", "data": []}``
#     v1_models_non_object_entry  an entry of ``data`` is not an object (skipped)
#     v1_models_entry_without_id  an object entry has no string ``id`` (skipped: it names no model)


def list_entries(body: bytes) -> tuple[Entries, list[str]]:
    """The model objects of a /v1/models body that name a model (a string ``id``), and the shape markers.

    ``"data": null`` is an empty list (Ollama's empty reply). Raises ``ParseError`` when the body is not a JSON
    object, ``data`` is neither a list nor null, or it has entries and none of them names a model."""
    obj = json_object(body)
    data = obj.get("data")
    is_list = obj.get("object") == "list"
    if data is None and "data" in obj:
        return [], []
    if not isinstance(data, list):
        raise ParseError("no 'data' list in /v1/models")
    evidence: list[str] = []
    objects = [e for e in data if type(e) is dict]
    if len(objects) != len(data):
        evidence.append("v1_models_non_object_entry")
    named = [e for e in objects if type(e.get("id")) is str]
    if len(named) != len(objects):
        evidence.append("v1_models_entry_without_id")
    if data and not named:
        raise ParseError(f"none of the {len(data)} /v1/models entries names a model")
    if is_list and any(e.get("object") == "model" for e in named):
        evidence.append("openai_model_list")
        if all(e.keys() <= {"id", "object"} for e in objects):
            evidence.append("openai_list_id_object_only")
    if is_list and not data:
        evidence.append("openai_list_empty")
    return named, evidence


# ``identify`` runs for every module after every reply of a visit, and several modules read the same /v1/models
# body: the last body read is remembered (by identity, holding it, so the identity cannot be reused meanwhile).
_last_list: tuple[bytes, tuple[Entries, list[str]] | None] = (b"", None)


def listed(ex: Exchange | None) -> tuple[Entries, list[str]] | None:
    """``list_entries`` of a usable reply, None otherwise or when it is not a model list. Shared, read-only
    result: callers must not change it."""
    global _last_list
    if ex is None or not ex.ok or ex.truncated:
        return None
    body = ex.body
    if _last_list[0] is body:
        return _last_list[1]
    try:
        value: tuple[Entries, list[str]] | None = list_entries(body)
    except ParseError:
        value = None
    _last_list = (body, value)
    return value


def neutral(entry: dict[str, Any], extra_keys: Iterable[str]) -> dict[str, Any]:
    """One OpenAI model object -> a neutral model; ``extra_keys`` present in the entry are kept as written."""
    return neutral_model(entry["id"], owned_by=as_str(entry.get("owned_by")),
                         max_model_len=as_int(entry.get("max_model_len")),
                         extra={k: entry[k] for k in extra_keys if k in entry})


def models_of(body: bytes, extra_keys: Iterable[str] = ()) -> Parsed:
    """/v1/models -> neutral models (``extra_keys`` as written in ``extra``) and the shape markers."""
    entries, evidence = list_entries(body)
    keys = tuple(extra_keys)
    return Parsed(models=[neutral(e, keys) for e in entries], evidence=list(evidence))


# --- Ollama's paths, read by the modules whose runtime answers them -----------------------------------------

# The look-alike modules (LocalAI, KoboldCpp, Open WebUI) read Ollama's paths with ``ollama.identify`` after every
# reply of a visit; on a 40-model /api/tags that read costs about 1 ms, so it is done once per set of replies.
_ollama_last: tuple[tuple[Exchange, ...], list[str]] = ((), [])


def ollama_evidence(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    """``ollama.identify(replies)`` (a fresh list), remembered for the last set of replies (by identity; the key
    holds the exchanges, so an identity cannot be reused while it is remembered)."""
    global _ollama_last
    key = tuple(replies.values())
    last = _ollama_last[0]
    if len(key) != len(last) or any(a is not b for a, b in zip(key, last, strict=True)):
        _ollama_last = (key, ollama.identify(replies))
    return list(_ollama_last[1])


# --- the visit -----------------------------------------------------------------------------------------------


def complete(model: dict[str, Any], other: dict[str, Any] | None) -> dict[str, Any]:
    """``model`` with what it leaves unknown taken from ``other`` (the same served model seen by another
    endpoint), and ``other``'s extras added (``model``'s win)."""
    if other is None:
        return model
    out = dict(model)
    for k in MODEL_KEYS:
        if k not in ("id", "extra") and out[k] is None:
            out[k] = other[k]
    out["extra"] = {**(other["extra"] or {}), **(model["extra"] or {})}
    return out


async def first_list(visit: Visit, sources: Iterable[tuple[str, Parser]]
                     ) -> tuple[list[dict[str, Any]] | None, Exchange | None]:
    """The first of ``sources`` (path, parser) whose reply lists models: (models, that exchange). When none does,
    (None, the reply that says most: the first that is not "no such path", else the first)."""
    tried: list[Exchange] = []
    for path, parser in sources:
        ex = await visit.get(path)
        if ex is None:
            break
        tried.append(ex)
        parsed = read(ex, parser, visit.result)
        if parsed is not None and parsed.models is not None:
            return parsed.models, ex
    telling = [ex for ex in tried if ex.status not in NOT_HERE] or tried
    return None, telling[0] if telling else None


def finish(visit: Visit, models: list[dict[str, Any]] | None, inventory: Exchange | None,
           extras: dict[str, Any] | None = None) -> None:
    """The end of a visit: models as MODEL rows (at most ``max_models``; more adds the marker
    ``models_capped:<listed>`` and makes a success ``truncated``, ``base.decide``), what has no MODEL field in
    ``runtime_data`` (``extras["models"]``, per id, only the models that have any), the auth posture of every
    reply, and the status from ``inventory``, the reply that lists (or should have listed) the models."""
    result = visit.result
    out = dict(extras or {})
    count: int | None = None
    if models is not None:
        count = len(models)
        cap = visit.client.settings.max_models
        if count > cap:
            result.note(f"models_capped:{count}")
            models = models[:cap]
        result.models = [model_row(TEMPLATE, m) for m in models]
        per_model = {m["id"]: data for m in models if m["id"] is not None and (data := model_data(m))}
        if per_model:
            out["models"] = per_model
    result.extras = out or None
    posture(result, visit.replies.values())
    decide(result, inventory, listed=count)
