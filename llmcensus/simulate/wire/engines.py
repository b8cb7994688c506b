"""Inference engines with an Ollama shim: llama.cpp's ``llama-server`` (§4) and SGLang (§8).

Both stamp replies with the current time, so their bytes depend on ``now_ns``. Persona keys in
``HostView.extra`` are documented in ``lookalikes.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from llmcensus.simulate.views import HostView, ModelView, Reply, Request
from llmcensus.simulate.wire.gojson import dumps
from llmcensus.simulate.wire.replies import fastapi_json, finish, is_get, reply
from llmcensus.simulate.wire.showdata import lineage_for, parameter_count

# --- llama.cpp llama-server (cpp-httplib, nlohmann::ordered_json) -------------------------------------

_LLAMA_JSON = (("Server", "llama.cpp"), ("Content-Type", "application/json; charset=utf-8"))
_LLAMA_HTML = (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="UTF-8" />\n<meta name="viewport" '
    'content="width=device-width, initial-scale=1.0" />\n<title>llama.cpp - chat</title>\n</head>\n<body>\n'
    '<div id="root"></div>\n</body>\n</html>\n'
)


def _ljson(status: int, obj: object) -> Reply:
    # nlohmann::json::dump(): compact, insertion order (ordered_json), no HTML escaping.
    return reply(status, dumps(obj, html_escape=False), _LLAMA_JSON)


def _llama_model(view: HostView) -> tuple[str, ModelView | None]:
    m = view.models[0] if view.models else None
    if "alias" in view.extra:
        return view.extra["alias"], m
    if "model_path" in view.extra:
        return view.extra["model_path"], m
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", (m.name if m else "model").replace(":", "-"))
    return f"/models/{stem}.gguf", m


def llama_cpp(view: HostView, req: Request, now_ns: int) -> Reply:
    model_id, m = _llama_model(view)
    n_ctx = int(view.extra.get("n_ctx", "4096"))
    path, ok = req.path, is_get(req)
    if path in ("/health", "/v1/health") and ok:
        return finish(req, _ljson(200, {"status": "ok"}))
    if path in ("/v1/models", "/models", "/api/tags") and ok:
        return finish(req, _ljson(200, _llama_models(model_id, m, now_ns)))
    if path == "/props" and ok:
        return finish(req, _ljson(200, _llama_props(view, model_id, m, n_ctx)))
    if path == "/slots" and ok:
        return finish(req, _ljson(200, [{"id": 0, "id_task": -1, "n_ctx": n_ctx, "speculative": False,
                                          "is_processing": False}]))
    if path == "/metrics" and ok:
        msg = "This server does not support metrics endpoint. Start it with `--metrics`"
        return finish(req, _ljson(501, {"error": {"code": 501, "message": msg, "type": "not_supported_error"}}))
    if path == "/api/show" and req.method == "POST":
        lin = lineage_for(m.name, m.family) if m else None
        arch = (m.family if m else "") or "llama"
        return _ljson(200, {"template": "" if lin is None else "{{ .Prompt }}",
                            "model_info": {f"{arch}.context_length": n_ctx}, "modelfile": "", "parameters": "",
                            "details": _llama_details(), "capabilities": ["completion"]})
    if path in ("/", "/index.html") and ok:
        return finish(req, reply(200, _LLAMA_HTML.encode(), (("Server", "llama.cpp"),
                                                              ("Content-Type", "text/html; charset=utf-8"))))
    # cpp-httplib answers unmatched method+path pairs with 404; llama-server's error handler fills the body.
    return _ljson(404, {"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}})


def _llama_details() -> dict[str, object]:
    return {"parent_model": "", "format": "gguf", "family": "", "families": [""], "parameter_size": "",
            "quantization_level": ""}


def _llama_models(model_id: str, m: ModelView | None, now_ns: int) -> dict[str, object]:
    """The hybrid body newer builds send on /v1/models, /models and /api/tags alike."""
    caps = ["completion", "multimodal"] if m and "vision" in m.capabilities else ["completion"]
    ollama = {"name": model_id, "model": model_id, "modified_at": "", "size": "", "digest": "", "type": "model",
              "description": "", "tags": [""], "capabilities": caps, "parameters": "", "details": _llama_details()}
    vocab = lineage_for(m.name, m.family).vocab if m else 32000
    meta = {"vocab_type": 2, "n_vocab": vocab, "n_ctx_train": (m.context_length if m else None) or 131072,
            "n_embd": (m.embedding_length if m else None) or 4096,
            "n_params": parameter_count(m.parameter_size, m.digest) if m else 8030261312,
            "size": m.size if m else 4912898304}
    data = {"id": model_id, "object": "model", "created": now_ns // 1_000_000_000, "owned_by": "llamacpp",
            "meta": meta}
    return {"models": [ollama], "object": "list", "data": [data]}


def _llama_props(view: HostView, model_id: str, m: ModelView | None, n_ctx: int) -> dict[str, object]:
    params = {"n_predict": -1, "seed": 4294967295, "temperature": 0.800000011920929, "dynatemp_range": 0.0,
              "top_k": 40, "top_p": 0.949999988079071, "min_p": 0.05000000074505806, "typical_p": 1.0,
              "repeat_last_n": 64, "repeat_penalty": 1.0, "stop": [], "max_tokens": -1, "n_keep": 0,
              "stream": True, "samplers": ["dry", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"]}
    lin = lineage_for(m.name, m.family) if m else None
    return {
        "default_generation_settings": {"id": 0, "id_task": -1, "n_ctx": n_ctx, "speculative": False,
                                        "is_processing": False, "params": params},
        "total_slots": 1,
        "model_path": view.extra.get("model_path", model_id),
        "chat_template": "" if lin is None else f"{{%- for message in messages %}}{lin.user_open}"
                                                "{{{{ message['content'] }}}}{{%- endfor %}}",
        "modalities": {"vision": bool(m and "vision" in m.capabilities), "audio": False},
        "build_info": view.extra.get("build", "b6050-1ed4a2c0"),
    }


# --- SGLang (FastAPI + uvicorn, python/sglang/srt/entrypoints/ollama/serving.py) -------------------------

_SGLANG_DIGEST = "sha256:sglang" + "0" * 58


def _ms_stamp(now_ns: int) -> str:
    # datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z": millisecond precision.
    secs, frac = divmod(now_ns, 1_000_000_000)
    t = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac // 1_000_000:03d}Z"


def sglang(view: HostView, req: Request, now_ns: int) -> Reply:
    m = view.models[0] if view.models else None
    name = view.extra.get("served_model", m.name if m else "default")
    ctx = int(view.extra.get("n_ctx", str((m.context_length if m else None) or 32768)))
    path, ok, method = req.path, is_get(req), req.method
    routes = {"/api/tags": "GET", "/api/show": "POST", "/v1/models": "GET", "/get_model_info": "GET",
              "/model_info": "GET", "/health": "GET", "/api/chat": "POST", "/api/generate": "POST",
              "/generate": "POST", "/v1/chat/completions": "POST", "/v1/completions": "POST"}
    if path not in routes:
        return finish(req, fastapi_json(404, {"detail": "Not Found"}))
    if (routes[path] == "GET" and not ok) or (routes[path] == "POST" and method != "POST"):
        return fastapi_json(405, {"detail": "Method Not Allowed"}, (("allow", routes[path]),))
    if path == "/api/tags":
        fam = name.split("/")[-1]
        entry = {"name": name, "model": name, "modified_at": _ms_stamp(now_ns), "size": 0, "digest": _SGLANG_DIGEST,
                 "details": {"format": "sglang", "family": fam, "parameter_size": "unknown"}}
        return finish(req, fastapi_json(200, {"models": [entry]}))
    if path == "/api/show":
        try:
            obj = json.loads(req.body or b"null")
        except ValueError:
            obj = None
        if not isinstance(obj, dict) or not isinstance(obj.get("model"), str):
            return fastapi_json(422, {"detail": [{"type": "missing", "loc": ["body", "model"], "msg": "Field required",
                                              "input": obj}]})
        fam = obj["model"].split("/")[-1]
        for suffix in ("-Instruct", "-Chat", "-Base"):
            if fam.endswith(suffix):
                fam = fam[: -len(suffix)]
                break
        info = {"general.architecture": fam, "general.name": obj["model"], "general.parameter_count": 0,
                f"{fam}.context_length": ctx, f"{fam}.block_count": 0, f"{fam}.embedding_length": 0,
                f"{fam}.attention.head_count": 0}
        return fastapi_json(200, {"modelfile": f"FROM {obj['model']}\nPARAMETER num_ctx {ctx}\n",
                              "parameters": f"num_ctx {ctx}", "template": "",
                              "details": {"parent_model": "", "format": "sglang", "family": fam, "families": [fam],
                                          "parameter_size": "unknown", "quantization_level": ""},
                              "model_info": info})
    if path == "/v1/models":
        return finish(req, fastapi_json(200, {"object": "list", "data": [
            {"id": name, "object": "model", "created": now_ns // 1_000_000_000, "owned_by": "sglang", "root": name,
             "max_model_len": ctx}]}))
    if path in ("/get_model_info", "/model_info"):
        return finish(req, fastapi_json(200, {"model_path": name, "tokenizer_path": name, "is_generation": True}))
    if path == "/health":
        return finish(req, reply(200, b"", (("server", "uvicorn"),)))
    return fastapi_json(400, {"object": "error", "message": "The simulated engine does not generate.",
                          "type": "BadRequestError", "param": None, "code": 400})
