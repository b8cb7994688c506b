"""LM Studio's local server (Express on Node, port 1234), protocols.md §5.

Bodies follow ``tests/fixtures/runtimes/lm_studio/``: ``v1_models.json`` and ``v1_models__2026_01.json`` (two real
hosts: ``data`` before ``object``, ``owned_by: "organization_owner"``, no ``created``, pretty-printed with two
spaces, as the 0.3.17 server log prints the body it returns; error bodies are compact, see below),
``api_v0_models__0_3_17.json`` (a real 0.3.17 log: ``data`` first, ``loaded_context_length`` on loaded models)
and ``api_v1_models.json`` (the ≥0.4.0 docs example; embedding entries without ``architecture``,
``capabilities``, ``description``).

The host: ``view.models`` are the downloaded models (JIT loading on, so all are listed); the ``id``/``key`` is the
model's name (``qwen/qwen3-8b``, ``text-embedding-nomic-embed-text-v1.5``); a model in ``view.running`` is loaded
(its ``context_length`` is the loaded context). Publisher = the part before ``/`` (else
``lmstudio-community``); type from capabilities (``embedding`` → embeddings, ``vision`` → vlm, else llm).
``extra``: ``version`` (default ``0.3.17``), ``format`` (``gguf``; ``mlx`` on Apple silicon).

Version boundaries: ``/api/v0/models`` from 0.3.6 (REST API beta), ``/api/v1/models`` from 0.4.0. The version
itself is not exposed.

Wire habits (lmstudio-bug-tracker #618, 0.3.14): every unknown method+path gets **200** with
``{"error":"Unexpected endpoint or method. (GET /path)"}`` ("Returning 200 anyway" in its log), headers
``X-Powered-By: Express``, ``Content-Type: application/json; charset=utf-8`` and Express's weak ETag
``W/"<length hex>-<base64 sha1, 27 chars>"`` (reproduced byte for byte from that issue).
"""

from __future__ import annotations

import base64
import hashlib
import json

from llmcensus.simulate.views import HostView, ModelView, Reply, Request
from llmcensus.simulate.wire.replies import finish, is_get, reply
from llmcensus.simulate.wire.runtimes import opt, version_tuple

DEFAULT_VERSION = "0.3.17"
API_V0 = (0, 3, 6)
API_V1 = (0, 4, 0)


def version(view: HostView) -> str:
    return opt(view, "version", DEFAULT_VERSION)


def model_ids(view: HostView) -> list[str]:
    return [m.name for m in view.models]


def _express(status: int, body: bytes) -> Reply:
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode()[:27]
    return reply(status, body, (("X-Powered-By", "Express"), ("Content-Type", "application/json; charset=utf-8"),
                                ("ETag", f'W/"{len(body):x}-{digest}"')))


def _pretty(obj: object) -> bytes:
    return json.dumps(obj, indent=2, ensure_ascii=False).encode()


def _kind(m: ModelView) -> str:
    if "embedding" in m.capabilities:
        return "embeddings"
    return "vlm" if "vision" in m.capabilities else "llm"


def _publisher(m: ModelView) -> str:
    return m.name.split("/", 1)[0] if "/" in m.name else "lmstudio-community"


def _loaded(view: HostView, m: ModelView) -> int | None:
    return next((r.context_length for r in view.running if r.model.name == m.name), None)


def _v0(view: HostView, m: ModelView) -> dict[str, object]:
    fmt = opt(view, "format", "gguf")
    entry: dict[str, object] = {"id": m.name, "object": "model", "type": _kind(m), "publisher": _publisher(m),
                                "arch": m.family, "compatibility_type": fmt,
                                "quantization": m.quantization_level if fmt == "gguf" else "4bit",
                                "state": "loaded" if _loaded(view, m) is not None else "not-loaded",
                                "max_context_length": m.context_length or 4096}
    loaded = _loaded(view, m)
    if loaded is not None:
        entry["loaded_context_length"] = loaded
    return entry


def _bits(quant: str) -> int:
    for prefix, bits in (("F32", 32), ("F16", 16), ("BF16", 16), ("Q8", 8), ("Q6", 6), ("Q5", 5), ("Q3", 3),
                         ("Q2", 2)):
        if quant.upper().startswith(prefix):
            return bits
    return 4


def _v1(view: HostView, m: ModelView) -> dict[str, object]:
    kind = _kind(m)
    display = m.name.rsplit("/", 1)[-1].replace("-", " ").title()
    entry: dict[str, object] = {"type": "embedding" if kind == "embeddings" else "llm", "publisher": _publisher(m),
                                "key": m.name, "display_name": display}
    if kind != "embeddings":
        entry["architecture"] = m.family
    loaded = _loaded(view, m)
    entry.update(quantization={"name": m.quantization_level, "bits_per_weight": _bits(m.quantization_level)},
                 size_bytes=m.size, params_string=m.parameter_size or None,
                 loaded_instances=[] if loaded is None else [{"id": m.name, "config": {"context_length": loaded}}],
                 max_context_length=m.context_length or 4096, format=opt(view, "format", "gguf"))
    if kind != "embeddings":
        entry["capabilities"] = {"vision": kind == "vlm", "trained_for_tool_use": "tools" in m.capabilities}
        entry["description"] = None
    return entry


def lm_studio(view: HostView, req: Request) -> Reply:
    v, ok = version_tuple(version(view)), is_get(req)
    if req.path == "/v1/models" and ok:
        data = [{"id": m.name, "object": "model", "owned_by": "organization_owner"} for m in view.models]
        return finish(req, _express(200, _pretty({"data": data, "object": "list"})))
    if req.path == "/api/v0/models" and ok and v >= API_V0:
        return finish(req, _express(200, _pretty({"data": [_v0(view, m) for m in view.models], "object": "list"})))
    if req.path == "/api/v1/models" and ok and v >= API_V1:
        return finish(req, _express(200, _pretty({"models": [_v1(view, m) for m in view.models]})))
    if req.method == "POST" and req.path in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
                                             "/v1/responses"):
        msg = "No models loaded. Please load a model in the developer page or use the `lms load` command."
        err = {"error": {"message": msg, "type": "invalid_request_error", "param": "model",
                         "code": "model_not_found"}}
        return _express(400, json.dumps(err, separators=(",", ":")).encode())
    body = json.dumps({"error": f"Unexpected endpoint or method. ({req.method} {req.path})"},
                      separators=(",", ":"), ensure_ascii=False).encode()
    return finish(req, _express(200, body))
