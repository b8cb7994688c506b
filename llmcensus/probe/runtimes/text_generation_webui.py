"""text-generation-webui fingerprint (oobabooga, now oobabooga/textgen; its OpenAI API on port 5000).

Evidence markers (source fixtures in ``tests/fixtures/runtimes/text_generation_webui/``, all rebuilt from
``extensions/openai/models.py``):

    tgw_model_info        /v1/internal/model/info is ``{"model_name": str, "lora_names": [...]}``
                          (v1_internal_model_info.json). TabbyAPI answers the same path with a ModelCard
                          (``id``, ``parameters``), which does not match.
    tgw_no_model_loaded   ... with ``model_name`` "None": the web UI's "no model loaded" value (``shared.model_name``)
    tgw_model_list        every /v1/models entry is ``"created": 0, "owned_by": "user"`` (``model_info_dict``;
                          v1_models.json, v1_models__dummy.json)
    tgw_dummy_models      ... listing the dummies ``gpt-3.5-turbo`` / ``text-embedding-ada-002`` (v1_models__dummy.json)

``claims``: 3 on ``tgw_model_info``; 2 on ``tgw_model_list`` (a shape, not a name).

Models: the loaded model of /v1/internal/model/info (what the host serves, the same in every version). /v1/models
is the dummy list before 3.0 and the models folder from 3.0 (``list_models_openai_format``): its ids are kept in
``runtime_data.available_models``, and are the models only when the model-info path gives none. The dummies are
flagged (``extra.dummy``) by the parser and never counted as models (``runtime_data.dummy_models``). No version is
exposed. ``--api-key`` answers 401
``{"detail": "Unauthorized"}`` on both paths (``verify_api_key``): a FastAPI refusal that names nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import common
from llmcensus.probe.runtimes.base import NOT_HERE, Parsed, Visit, neutral_model
from llmcensus.probe.runtimes.fields import CAPS, as_str, as_str_list, json_object

NAME = "text_generation_webui"
DEFAULT_PORTS: tuple[int, ...] = (5000,)
MODEL_INFO = ("GET", "/v1/internal/model/info")
V1_MODELS = ("GET", "/v1/models")
REQUESTS: tuple[tuple[str, str], ...] = (MODEL_INFO, V1_MODELS)
IDENTIFY: tuple[tuple[str, str], ...] = (MODEL_INFO,)

DUMMIES = frozenset({"gpt-3.5-turbo", "text-embedding-ada-002"})  # list_dummy_models(): "expected by so much"
NO_MODEL = "None"  # shared.model_name before a model is loaded
MAX_LISTED = 500  # ids kept in runtime_data.available_models (the folder of a busy host can be long)


def parse_model_info(body: bytes) -> Parsed:
    """/v1/internal/model/info -> the loaded model (``extra``: ``lora_names``, and ``loader`` in newer builds)."""
    obj = json_object(body)
    name = as_str(obj.get("model_name"))
    loras = as_str_list(obj.get("lora_names"), CAPS["name"])
    evidence = ["tgw_model_info"] if name is not None and loras is not None else []
    if name is None:
        return Parsed(evidence=evidence)
    if name == NO_MODEL:
        return Parsed(models=[], evidence=[*evidence, "tgw_no_model_loaded"])
    extra: dict[str, Any] = {}
    if loras is not None:
        extra["lora_names"] = loras
    loader = as_str(obj.get("loader"), 64)
    if loader is not None:
        extra["loader"] = loader
    return Parsed(models=[neutral_model(name, extra=extra)], evidence=evidence)


def _is_ours(entry: dict[str, Any]) -> bool:
    created = entry.get("created")
    return type(created) is int and created == 0 and entry.get("owned_by") == "user"


def parse_v1_models(body: bytes) -> Parsed:
    """/v1/models (``model_info_dict``: ``created`` 0, ``owned_by`` "user"); the dummy ids get ``extra.dummy``."""
    entries, evidence = common.list_entries(body)
    models = [common.neutral(e, ("created",)) for e in entries]
    evidence = list(evidence)
    if entries and all(_is_ours(e) for e in entries):
        evidence.append("tgw_model_list")
    for m in models:
        if m["id"] in DUMMIES and m["owned_by"] == "user":
            m["extra"]["dummy"] = True
            if "tgw_dummy_models" not in evidence:
                evidence.append("tgw_dummy_models")
    return Parsed(models=models, evidence=evidence)


PARSERS: dict[tuple[str, str], Callable[[bytes], Parsed]] = {
    MODEL_INFO: parse_model_info,
    V1_MODELS: parse_v1_models,
}


def identify(replies: Mapping[tuple[str, str], Exchange]) -> list[str]:
    evidence = common.evidence_of(replies.get(MODEL_INFO), parse_model_info)
    got = common.listed(replies.get(V1_MODELS))
    if got is not None and got[0] and all(_is_ours(e) for e in got[0]):
        evidence.append("tgw_model_list")
        if any(e["id"] in DUMMIES for e in got[0]):
            evidence.append("tgw_dummy_models")
    return evidence


def claims(evidence: Collection[str]) -> int:
    if "tgw_model_info" in evidence:
        return 3
    return 2 if "tgw_model_list" in evidence else 0


async def scan(visit: Visit) -> None:
    """The loaded model (/v1/internal/model/info) is the inventory; what /v1/models lists besides it (the models
    folder from 3.0, never the dummies) is kept in ``runtime_data.available_models``, and is the inventory only
    when the model-info path gives none."""
    result = visit.result
    info_ex = await visit.get(MODEL_INFO[1])
    info = common.read(info_ex, parse_model_info, result)
    list_ex = await visit.get(V1_MODELS[1])
    listing = common.read(list_ex, parse_v1_models, result)
    extras: dict[str, Any] = {}
    models = info.models if info is not None else None
    inventory = info_ex
    if listing is not None:
        listed = [m for m in listing.models or () if not m["extra"].get("dummy")]
        dummies = [m["id"] for m in listing.models or () if m["extra"].get("dummy")]
        if dummies:
            extras["dummy_models"] = dummies
        if models is None:
            models, inventory = listed, list_ex
        elif listed:
            extras["available_models"] = [m["id"] for m in listed][:MAX_LISTED]
    if models is None and (info_ex is None or info_ex.status in NOT_HERE):
        inventory = list_ex  # no model-info path here: the list's reply says more (its refusal, its failure)
    result.version = None
    common.finish(visit, models, inventory, extras)
