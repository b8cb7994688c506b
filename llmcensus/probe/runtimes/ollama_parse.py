"""Ollama reply parsers, one per endpoint, for every version 0.1.x-0.33.x (protocols.md §1.5-§1.7, §1.13).

A field the version does not send is ``None`` (unknown), never false or empty. Parsers raise only
``ParseError`` (the reply breaks the schema); wrong types inside an otherwise valid reply become ``None``.
Re-exported by ``ollama.py``, whose module shape they belong to.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from datetime import UTC, datetime
from typing import Any

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes.fields import (
    CAPS,
    MAX_LIST_ITEMS,
    ParseError,
    as_dict,
    as_int,
    as_str,
    as_str_list,
    fraction_digits,
    json_object,
    parse_timestamp,
)

__all__ = ["ParseError"]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
ROOT_BANNER = b"Ollama is running"
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
_FROM = re.compile(r"^FROM (.+)$", re.MULTILINE)
_SYSTEM = re.compile(r'^SYSTEM (?:"""(.*?)"""|(.*))$', re.MULTILINE | re.DOTALL)
SHOW_FIELDS = ("capabilities", "system", "template_sha", "template_flags", "license_head", "parameters",
               "modelfile_from", "arch", "parameter_count", "train_context_length", "has_projector", "show_keys")
_TEMPLATE_FLAGS = (("tools", ".Tools"), ("suffix", ".Suffix"), ("thinking", ".Thinking"), ("system", ".System"))


@functools.lru_cache(maxsize=4096)  # a few hundred distinct versions; asked several times per visit
def version_tuple(version: str | None) -> tuple[int, int, int] | None:
    """Comparable version; None when unknown or a source build ("0.0.0" reports no real version)."""
    if not version:
        return None
    m = _VERSION.match(version)
    if m is None:
        return None
    t = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None if t == (0, 0, 0) else t


def at_least(version: str | None, minimum: tuple[int, int, int]) -> bool:
    """True when the version is known to be >= minimum, or unknown (then we ask rather than assume absent)."""
    t = version_tuple(version)
    return t is None or t >= minimum


def parse_root(ex: Exchange) -> list[str]:
    body = ex.body.strip()
    if body == ROOT_BANNER:
        return ["root_banner"]
    head = body[:4096].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return ["root_html", "root_title:open_webui"] if b"<title>open webui" in head else ["root_html"]
    return []


def parse_version(body: bytes) -> tuple[str | None, list[str]]:
    obj = json_object(body)
    version = as_str(obj.get("version"), CAPS["version"])
    if version is None:
        return None, []
    evidence = ["version_json"]
    if version == "0.9.0":
        evidence.append("version_const:0.9.0")
    if body.endswith(b"\n"):
        evidence.append("json_trailing_newline")  # Go json.Encoder (echo: LocalAI); gin's c.JSON adds none
    return version, evidence


def framework_evidence(ex: Exchange) -> list[str]:
    """Web-framework tells in headers: gin writes ``charset=utf-8``; echo (LocalAI) writes ``charset=UTF-8``."""
    ctype = ex.content_type or ""
    return ["charset_upper"] if "charset=UTF-8" in ctype else []


def _details(entry: dict[str, Any]) -> dict[str, Any]:
    return as_dict(entry.get("details")) or {}


def parse_model(entry: dict[str, Any]) -> dict[str, Any]:
    """One /api/tags entry -> the MODEL struct's tags fields (show fields filled later).

    Written flat (one dict.get + isinstance per field) because it runs for every model of every host.
    """
    g = entry.get
    d = g("details")
    dg = d.get if isinstance(d, dict) else _EMPTY.get
    modified_at = g("modified_at")
    modified_at = modified_at[:_C_TIME] if isinstance(modified_at, str) else None
    families = dg("families")
    caps = g("capabilities")
    row = dict(_MODEL_TEMPLATE)
    row.update(
        name=_s(g("name"), _C_NAME), model=_s(g("model"), _C_NAME), modified_at=modified_at,
        modified_at_utc=parse_timestamp(modified_at), size=as_int(g("size")), digest=_s(g("digest"), _C_DIGEST),
        parent_model=_s(dg("parent_model"), _C_NAME), format=_s(dg("format"), _C_SHORT),
        family=_s(dg("family"), _C_FAMILY),
        families=as_str_list(families, _C_FAMILY) if families is not None else None,
        parameter_size=_s(dg("parameter_size"), _C_SHORT), quantization_level=_s(dg("quantization_level"), _C_SHORT),
        context_length=as_int(dg("context_length")), embedding_length=as_int(dg("embedding_length")),
        remote_model=_s(g("remote_model"), _C_NAME), remote_host=_s(g("remote_host"), _C_NAME),
        tags_capabilities=as_str_list(caps, _C_SHORT) if caps is not None else None,
    )
    return row


_C_NAME, _C_DIGEST, _C_TIME, _C_SHORT, _C_FAMILY = (CAPS["name"], CAPS["digest"], CAPS["modified_at"],
                                                    CAPS["format"], CAPS["family"])


def _s(value: object, cap: int) -> str | None:
    return value[:cap] if type(value) is str else None  # a slice as long as the text is the text itself


def _named(entry: dict[str, Any]) -> bool:
    """An entry that says which model it is; real Ollama never sends one without a name."""
    g = entry.get
    return any(type(v) is str and v for v in (g("name"), g("model"), g("digest")))


_EMPTY: dict[str, Any] = {}
_MODEL_TEMPLATE: dict[str, Any] = {**dict.fromkeys(
    ("name", "model", "modified_at", "modified_at_utc", "size", "digest", "parent_model", "format", "family",
     "families", "parameter_size", "quantization_level", "context_length", "embedding_length", "remote_model",
     "remote_host", "tags_capabilities", "show_status")), **dict.fromkeys(SHOW_FIELDS)}


def parse_tags(body: bytes, reply_time: datetime | None = None,
               max_models: int = 500) -> tuple[list[dict[str, Any]], list[str]]:
    """/api/tags -> (models, evidence). Raises ``ParseError`` when there is no models list, or when it has
    entries and none of them names a model.

    Memory is bounded by ``max_models``, not by the reply: entries that are not objects or name no model
    are skipped (markers ``tags_non_object_entry``, ``tags_entry_without_name``), and past ``max_models``
    named entries the rest are only counted (marker ``tags_models_capped:<total named entries>``).
    """
    obj = json_object(body)
    raw = obj.get("models")
    if not isinstance(raw, list):
        if "detail" in obj:
            return [], ["tags_detail_json"]
        raise ParseError("no 'models' list in /api/tags")
    evidence = ["tags_models_list"]
    if obj.get("object") == "list" and isinstance(obj.get("data"), list):
        evidence.append("tags_hybrid_object_list")
    objects = [e for e in raw if type(e) is dict]
    if len(objects) != len(raw):
        evidence.append("tags_non_object_entry")
    # ``e and``: an empty object is dismissed without a call (85,000 of them are a memory bomb seen in the wild)
    named = [e for e in objects if e and _named(e)]
    if len(named) != len(objects):
        evidence.append("tags_entry_without_name")
    if raw and not named:
        raise ParseError(f"none of the {len(raw)} /api/tags entries names a model")
    if len(named) > max_models:
        evidence.append(f"tags_models_capped:{len(named)}")
        named = named[:max_models]
    entries: list[dict[str, Any]] = named
    models = [parse_model(e) for e in entries]
    digests = [m["digest"] for m in models if m["digest"] is not None]
    if digests and all(_HEX64.match(dg) for dg in digests):
        evidence.append("digest_hex64")
    if any(dg.startswith("sha256:sglang") for dg in digests):
        evidence.append("digest_prefix:sha256:sglang")
    elif any(dg.startswith("sha256:") for dg in digests):
        evidence.append("digest_prefix:sha256")
    for m in models:
        fmt = m["format"]
        if fmt not in (None, "", "gguf", "safetensors"):
            evidence.append(f"format:{fmt[:32]}")
        if m["family"] == "koboldcpp":
            evidence.append("family:koboldcpp")
    if any(isinstance(e.get("size"), str) for e in entries):
        evidence.append("size_string")
    evidence += _ps_field_evidence(entries)
    evidence += _shape_evidence(obj, entries, models)
    if not models:
        evidence.append("tags_empty")
    stamps = [m["modified_at_utc"] for m in models]
    if models and reply_time is not None and all(
        s is not None and abs((s - reply_time).total_seconds()) < 120 for s in stamps
    ):
        evidence.append("modified_at_now")
    if models and all(fraction_digits(m["modified_at"]) == 3 for m in models):
        evidence.append("modified_at_ms")
    return models, list(dict.fromkeys(evidence))


# The order of an entry's keys in every Ollama version (protocols.md §1.5; a version omits some, never reorders).
ENTRY_KEY_ORDER = {k: i for i, k in enumerate(("name", "model", "remote_model", "remote_host", "modified_at", "size",
                                                 "digest", "details", "expires_at", "size_vram", "capabilities"))}


def _shape_evidence(obj: dict[str, Any], entries: list[dict[str, Any]], models: list[dict[str, Any]]) -> list[str]:
    """Shapes Go's encoder and Ollama's handler never produce: ``tags_extra_keys`` (top-level keys beside
    ``models``; llama.cpp's hybrid ``object``/``data`` excepted, it has its own marker), ``tags_key_order`` (an
    entry's known keys out of the struct's order), ``tags_unsorted`` (entries not newest first: Ollama sorts by
    ``modified_at`` in whole seconds, descending)."""
    out = []
    extra = set(obj) - {"models"} - ({"object", "data"} if obj.get("object") == "list" else set())
    if extra:
        out.append("tags_extra_keys")
    for e in entries:
        idx = [ENTRY_KEY_ORDER[k] for k in e if k in ENTRY_KEY_ORDER]
        if idx != sorted(idx):
            out.append("tags_key_order")
            break
    secs = [int(m["modified_at_utc"].timestamp()) for m in models if m["modified_at_utc"] is not None]
    if any(a < b for a, b in itertools.pairwise(secs)):
        out.append("tags_unsorted")
    return out


GO_ZERO_TIME = "0001-01-01T00:00:00Z"
# v0.1.38-v0.1.41 answered /api/tags with /api/ps's struct: a zero ``time.Time`` is never omitted by
# encoding/json (``omitempty`` has no effect on structs), a zero ``size_vram`` is (protocols.md §1.5).
SHARED_PS_STRUCT = ((0, 1, 38), (0, 1, 41))


def _ps_field_evidence(entries: list[dict[str, Any]]) -> list[str]:
    """``tags_expires_zero``: every entry carries exactly Go's zero ``expires_at`` and no ``size_vram``, the
    genuine v0.1.38-v0.1.41 shape (whether the version fits is decided by ``version_slips``);
    ``tags_ps_fields``: any other ps field in a tags entry, which no Ollama version sends."""
    if not any("expires_at" in e or "size_vram" in e for e in entries):
        return []
    if all(e.get("expires_at") == GO_ZERO_TIME and "size_vram" not in e for e in entries):
        return ["tags_expires_zero"]
    return ["tags_ps_fields"]


def version_slips(evidence: list[str], version: str | None) -> list[str]:
    """Markers that need the version: the zero ``expires_at`` is genuine only on v0.1.38-v0.1.41 (or an
    unknown version, which proves nothing either way)."""
    t = version_tuple(version)
    lo, hi = SHARED_PS_STRUCT
    if "tags_expires_zero" in evidence and t is not None and not lo <= t <= hi:
        return ["tags_ps_fields"]
    return []


def parse_ps(body: bytes, max_models: int = 500) -> list[dict[str, Any]]:
    obj = json_object(body)
    raw = obj.get("models")
    if not isinstance(raw, list):
        raise ParseError("no 'models' list in /api/ps")
    out = []
    for e in raw[:max_models]:
        if not isinstance(e, dict):
            continue
        d = _details(e)
        out.append({
            "name": as_str(e.get("name"), _C_NAME),
            "model": as_str(e.get("model"), _C_NAME),
            "size": as_int(e.get("size")),
            "digest": as_str(e.get("digest"), _C_DIGEST),
            "family": as_str(d.get("family"), _C_FAMILY),
            "parameter_size": as_str(d.get("parameter_size"), _C_SHORT),
            "quantization_level": as_str(d.get("quantization_level"), _C_SHORT),
            "expires_at": as_str(e.get("expires_at"), CAPS["expires_at"]),
            "size_vram": as_int(e.get("size_vram")),
            "context_length": as_int(e.get("context_length")),
        })
    return out


def parse_show(body: bytes) -> tuple[dict[str, Any], str | None]:
    """/api/show -> (the MODEL struct's show fields, template text). Raises ``ParseError``."""
    obj = json_object(body)
    template = as_str(obj.get("template"), CAPS["template"])
    modelfile = as_str(obj.get("modelfile")) or ""
    system = as_str(obj.get("system"))
    if system is None and modelfile:
        m = _SYSTEM.search(modelfile)
        if m is not None:
            system = m.group(1) if m.group(1) is not None else m.group(2)
    system = system[: CAPS["system"]] if system is not None else None
    from_line = _FROM.search(modelfile)
    license_text = as_str(obj.get("license"))
    info = as_dict(obj.get("model_info"))
    arch = as_str(info.get("general.architecture"), CAPS["arch"]) if info is not None else None
    families = as_str_list(_details(obj).get("families")) or []
    if as_dict(obj.get("projector_info")):
        has_projector: bool | None = True
    elif "clip" in families:
        has_projector = True
    elif info is not None:  # model_info exists since v0.1.45: only then is a missing projector a "no"
        has_projector = False
    else:
        has_projector = None
    fields = {
        "capabilities": as_str_list(obj.get("capabilities"), CAPS["capabilities"]),
        "system": system,
        "template_sha": hashlib.sha256(template.encode()).hexdigest() if template is not None else None,
        "template_flags": [f for f, ref in _TEMPLATE_FLAGS if ref in template] if template is not None else None,
        "license_head": license_text[: CAPS["license_head"]] if license_text else None,
        "parameters": as_str(obj.get("parameters"), CAPS["parameters"]),
        "modelfile_from": from_line.group(1).strip()[: CAPS["modelfile_from"]] if from_line else None,
        "arch": arch,
        "parameter_count": as_int(info.get("general.parameter_count")) if info is not None else None,
        "train_context_length": as_int(info.get(f"{arch}.context_length")) if info is not None and arch else None,
        "has_projector": has_projector,
        "show_keys": [k[: CAPS["show_keys"]] for k in list(obj)[:MAX_LIST_ITEMS]],
    }
    return fields, template


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                        "Dec"), start=1)}


def _reply_time(ex: Exchange, fallback: datetime) -> datetime:
    """The reply's ``Date`` (RFC 1123, e.g. ``Mon, 23 Nov 2026 07:25:52 GMT``), else our clock."""
    d = ex.date
    if d and len(d) == 29 and d.endswith(" GMT"):
        try:
            return datetime(int(d[12:16]), _MONTHS[d[8:11]], int(d[5:7]), int(d[17:19]), int(d[20:22]),
                            int(d[23:25]), tzinfo=UTC)
        except (KeyError, ValueError):
            pass
    return fallback
