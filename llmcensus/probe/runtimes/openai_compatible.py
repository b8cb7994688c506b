"""Generic OpenAI-compatible fingerprint: a server that answers ``GET /v1/models`` in OpenAI's shape and names
no product (cortex.llamacpp, Qwen's demo server, LocalAI without its Ollama emulation, ...). The reading of that
list is shared with the product modules that serve it (``common.list_entries``, ``common.listed``).

Evidence markers (``identify``: the shape markers ``common.list_entries`` writes; source fixtures in
``tests/fixtures/runtimes/``):

    openai_model_list           /v1/models is ``{"object": "list", "data": [...]}`` with at least one
                                ``{"id": "...", "object": "model"}`` entry (openai_compatible/v1_models__*.json)
    openai_list_id_object_only  ... and every entry has only ``id`` and ``object``: LocalAI's ``OpenAIModel`` and
                                cortex's shape (localai/v1_models__2023_04.json,
                                openai_compatible/v1_models__cortex_llamacpp.json). Not proof of either.
    openai_list_empty           ``{"object": "list", "data": []}``: an empty list (LocalAI with no model; Ollama
                                writes ``"data": null`` for its empty list, protocols.md §14)
    v1_models_non_object_entry  an entry of ``data`` is not an object (skipped)
    v1_models_entry_without_id  an object entry has no string ``id`` (skipped: it names no model)

``claims``: 1 on ``openai_model_list``, else 0. This is the weakest verdict on purpose: every product module
claims its own markers more strongly (2-4), ties go to the table order where this module is last, and a list
whose only trait is OpenAI's shape is never promoted to a product (README: LocalAI's id+object list).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common
from llmcensus.probe.runtimes.base import Parsed, Visit

NAME = "openai_compatible"
DEFAULT_PORTS: tuple[int, ...] = ()  # any port: the verdict of last resort, never a reason to try a port
V1_MODELS = ("GET", "/v1/models")
REQUESTS: tuple[tuple[str, str], ...] = (V1_MODELS,)
IDENTIFY: tuple[tuple[str, str], ...] = (V1_MODELS,)

# Per-model keys kept as written in ``extra`` by the generic verdict (the OpenAI model object's other fields).
EXTRA_KEYS: tuple[str, ...] = ("created", "root", "parent", "permission")


def parse_v1_models(body: bytes) -> Parsed:
    return common.models_of(body, EXTRA_KEYS)


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {V1_MODELS: parse_v1_models}


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    got = common.listed(replies.get(V1_MODELS))
    return list(got[1]) if got is not None else []


def claims(evidence: Collection[str]) -> int:
    return 1 if "openai_model_list" in evidence else 0


async def scan(visit: Visit) -> None:
    """The generic visit: the list of /v1/models, nothing else (no version: the product is unknown)."""
    models, inventory = await common.first_list(visit, [(V1_MODELS[1], parse_v1_models)])
    common.finish(visit, models, inventory)
