"""Inference engines with an Ollama shim: llama.cpp's ``llama-server`` (§4) and SGLang (§8).

Both stamp replies with the current time, so their bytes depend on ``now_ns``. Persona keys in
``HostView.extra`` are documented in ``lookalikes.py`` and ``runtimes.py``.

**llama.cpp** (cpp-httplib; fixtures ``tests/fixtures/runtimes/llama_cpp/``). The version is the build,
``extra["build"]`` = ``b<number>-<sha>`` (default ``b6050-1ed4a2c0``), exposed as ``/props`` ``build_info``.
Build boundaries (dates from the PRs; build numbers approximate, ~9 builds a day):

- ``/health`` ``{"status":"ok","slots_idle":…,"slots_processing":…}`` from PR #5548 (2024-02) until PR #9056
  (2024-08-16, ≈ b3600), then ``{"status":"ok"}`` (fixture ``health.json``, published with a stray space the
  server does not send).
- ``--api-key`` middleware (PR #9056): every path but ``/health``, ``/models``, ``/v1/models``, ``/`` (and
  ``/api/tags`` once it exists) answers 401 ``{"error":{"code":401,"message":"Invalid API Key",
  "type":"authentication_error"}}`` (fixture ``v1_models__api_key_401.json``; route list from
  examples/server/server.cpp, index copy 6529095662) — so the model list stays readable and ``/props``
  (hence the build) is hidden. Builds before b3600 are modelled with the same rule [approximation].
- ``/v1/models``: ``{"object":"list","data":[…]}`` (fixture ``v1_models.json``) until PR #13659 (2025-05-21,
  ≈ b5450) added Ollama's ``/api/tags`` and the hybrid body ``{"models":[…],"object":"list","data":[…]}``
  (fixture ``v1_models__models_and_data.json``); ``POST /api/show`` from PR #12896 (2025-04-11, ≈ b5110).
- ``/props``: ``system_prompt`` + settings + slots + template before b3600; ``model_path`` from b3600;
  ``build_info`` from b4300 [assumed: the 2024-12 b4283 body of issue #10705 is cut in the stored copy];
  from b5450 the key order of handle_props in index copy 6529095662 (``modalities`` {vision, audio},
  ``bos_token``, ``eos_token``, ``build_info``).

**SGLang** (FastAPI + uvicorn; fixtures ``tests/fixtures/runtimes/sglang/``). ``extra["version"]`` (default
``0.5.4``; ``0.0.0.dev…`` builds count as newest). Boundaries: ``/get_server_info`` from 0.3.0 [assumed] with
``version`` (the fixture's ServerArgs, ``simulate/data/sglang_server_args.json``); ``/model_info`` and
``/server_info`` aliases, the full ``get_model_info`` (``weight_version``, ``model_type``, ``architectures`` …)
and the Ollama routes from 0.5.0 [assumed]; ``/v1/models`` ``max_model_len`` from 0.4.5 (PR #4809, 2025-03-27)
and ``parent`` from 0.5.0 [assumed].
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path

from llmcensus.simulate.views import HostView, ModelView, Reply, Request
from llmcensus.simulate.wire.replies import fastapi_json, finish, is_get, reply
from llmcensus.simulate.wire.runtimes import (
    NO_INFERENCE,
    has_key,
    opt,
    route,
    stable_hex,
    uvicorn_empty,
    version_tuple,
)
from llmcensus.simulate.wire.showdata import lineage_for, parameter_count

# --- llama.cpp llama-server (cpp-httplib, nlohmann::ordered_json) -------------------------------------

DEFAULT_BUILD = "b6050-1ed4a2c0"
MIDDLEWARE = (3600,)  # PR #9056: /health without slots, API-key middleware, model_path in /props
BUILD_INFO = (4300,)  # build_info in /props [assumed]
API_SHOW = (5110,)  # PR #12896: POST /api/show (Copilot)
HYBRID = (5450,)  # PR #13659: /api/tags and the models[] + data[] body

_LLAMA_JSON = (("Server", "llama.cpp"), ("Content-Type", "application/json; charset=utf-8"))
_LLAMA_HTML = (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="UTF-8" />\n<meta name="viewport" '
    'content="width=device-width, initial-scale=1.0" />\n<title>llama.cpp - chat</title>\n</head>\n<body>\n'
    '<div id="root"></div>\n</body>\n</html>\n'
)


def _ljson(status: int, obj: object) -> Reply:
    # nlohmann::ordered_json::dump(): compact, insertion order, UTF-8 kept, no HTML escaping, and doubles as their
    # shortest round-trip form with ".0" kept on whole numbers (0.0, 1.0) — exactly Python's float repr, not Go's.
    return reply(status, json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode(), _LLAMA_JSON)


def llama_build(view: HostView) -> str:
    return opt(view, "build", DEFAULT_BUILD)


def llama_model_id(view: HostView) -> str:
    """``--alias`` if given, else the ``--model`` path (the id of the one model llama-server lists)."""
    return _llama_model(view)[0]


def llama_exposed_version(view: HostView) -> str | None:
    """``/props`` ``build_info``: from b4300, and only without ``--api-key`` (the middleware gates /props)."""
    build = llama_build(view)
    return build if version_tuple(build) >= BUILD_INFO and not has_key(view) else None


def _llama_model(view: HostView) -> tuple[str, ModelView | None]:
    m = view.models[0] if view.models else None
    if "alias" in view.extra:
        return view.extra["alias"], m
    if "model_path" in view.extra:
        return view.extra["model_path"], m
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", (m.name if m else "model").replace(":", "-"))
    return f"/models/{stem}.gguf", m


def _llama_public(build: tuple[int, ...]) -> frozenset[str]:
    return frozenset({"/health", "/models", "/v1/models", "/", *(("/api/tags",) if build >= HYBRID else ())})


def llama_cpp(view: HostView, req: Request, now_ns: int) -> Reply:
    model_id, m = _llama_model(view)
    n_ctx = int(view.extra.get("n_ctx", "4096"))
    build = version_tuple(llama_build(view))
    path, ok = req.path, is_get(req)
    if has_key(view) and req.method != "OPTIONS" and path not in _llama_public(build):
        err = {"error": {"code": 401, "message": "Invalid API Key", "type": "authentication_error"}}
        return finish(req, _ljson(401, err))
    if path in ("/health", "/v1/health") and ok:
        if build >= MIDDLEWARE:
            return finish(req, _ljson(200, {"status": "ok"}))
        return finish(req, _ljson(200, {"status": "ok", "slots_idle": 1, "slots_processing": 0}))
    if ok and (path in ("/v1/models", "/models") or (path == "/api/tags" and build >= HYBRID)):
        return finish(req, _ljson(200, _llama_models(model_id, m, now_ns, build >= HYBRID)))
    if path == "/props" and ok:
        return finish(req, _ljson(200, _llama_props(view, model_id, m, n_ctx, build)))
    if path == "/slots" and ok:
        return finish(req, _ljson(200, [{"id": 0, "id_task": -1, "n_ctx": n_ctx, "speculative": False,
                                          "is_processing": False}]))
    if path == "/metrics" and ok:
        msg = "This server does not support metrics endpoint. Start it with `--metrics`"
        return finish(req, _ljson(501, {"error": {"code": 501, "message": msg, "type": "not_supported_error"}}))
    if path == "/api/show" and req.method == "POST" and build >= API_SHOW:
        lin = lineage_for(m.name, m.family) if m else None
        arch = (m.family if m else "") or "llama"
        return _ljson(200, {"template": "" if lin is None else "{{ .Prompt }}",
                            "model_info": {f"{arch}.context_length": n_ctx}, "modelfile": "", "parameters": "",
                            "details": _llama_details(), "capabilities": ["completion"]})
    if path in ("/", "/index.html") and ok:
        return finish(req, reply(200, _LLAMA_HTML.encode(), (("Server", "llama.cpp"),
                                                              ("Content-Type", "text/html; charset=utf-8"))))
    if req.method == "POST" and path in ("/completion", "/completions", "/v1/completions", "/v1/chat/completions",
                                         "/chat/completions", "/embedding", "/embeddings", "/v1/embeddings",
                                         "/tokenize", "/detokenize", "/infill", "/api/chat"):
        return _ljson(503, {"error": {"code": 503, "message": NO_INFERENCE, "type": "unavailable_error"}})
    # cpp-httplib answers unmatched method+path pairs with 404; llama-server's error handler fills the body.
    return finish(req, _ljson(404, {"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}))


def _llama_details() -> dict[str, object]:
    return {"parent_model": "", "format": "gguf", "family": "", "families": [""], "parameter_size": "",
            "quantization_level": ""}


def _llama_models(model_id: str, m: ModelView | None, now_ns: int, hybrid: bool) -> dict[str, object]:
    """``/v1/models`` (and, from b5450, the same hybrid body on ``/models`` and ``/api/tags``)."""
    vocab = lineage_for(m.name, m.family).vocab if m else 32000
    meta = {"vocab_type": 2, "n_vocab": vocab, "n_ctx_train": (m.context_length if m else None) or 131072,
            "n_embd": (m.embedding_length if m else None) or 4096,
            "n_params": parameter_count(m.parameter_size, m.digest) if m else 8030261312,
            "size": m.size if m else 4912898304}
    data = {"id": model_id, "object": "model", "created": now_ns // 1_000_000_000, "owned_by": "llamacpp",
            "meta": meta}
    if not hybrid:
        return {"object": "list", "data": [data]}
    caps = ["completion", "multimodal"] if m and "vision" in m.capabilities else ["completion"]
    ollama = {"name": model_id, "model": model_id, "modified_at": "", "size": "", "digest": "", "type": "model",
              "description": "", "tags": [""], "capabilities": caps, "parameters": "", "details": _llama_details()}
    return {"models": [ollama], "object": "list", "data": [data]}


# default_generation_settings.params of the README example (fixture props.json), in its order.
_SLOT_PARAMS: dict[str, object] = {
    "n_predict": -1, "seed": 4294967295, "temperature": 0.800000011920929, "dynatemp_range": 0.0,
    "dynatemp_exponent": 1.0, "top_k": 40, "top_p": 0.949999988079071, "min_p": 0.05000000074505806,
    "xtc_probability": 0.0, "xtc_threshold": 0.10000000149011612, "typical_p": 1.0, "repeat_last_n": 64,
    "repeat_penalty": 1.0, "presence_penalty": 0.0, "frequency_penalty": 0.0, "dry_multiplier": 0.0, "dry_base": 1.75,
    "dry_allowed_length": 2, "dry_penalty_last_n": -1, "dry_sequence_breakers": ["\n", ":", "\"", "*"], "mirostat": 0,
    "mirostat_tau": 5.0, "mirostat_eta": 0.10000000149011612, "stop": [], "max_tokens": -1, "n_keep": 0,
    "n_discard": 0, "ignore_eos": False, "stream": True, "n_probs": 0, "min_keep": 0, "grammar": "",
    "samplers": ["dry", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"], "speculative.n_max": 16,
    "speculative.n_min": 5, "speculative.p_min": 0.8999999761581421, "timings_per_token": False,
}

_SPECIAL_TOKENS = {"llama": ("<|begin_of_text|>", "<|eot_id|>"), "qwen": ("<|endoftext|>", "<|im_end|>"),
                   "gemma": ("<bos>", "<eos>")}


def _llama_props(view: HostView, model_id: str, m: ModelView | None, n_ctx: int,
                 build: tuple[int, ...]) -> dict[str, object]:
    lin = lineage_for(m.name, m.family) if m else None
    settings: dict[str, object] = {"id": 0, "id_task": -1, "n_ctx": n_ctx, "speculative": False,
                                   "is_processing": False, "params": dict(_SLOT_PARAMS), "prompt": "",
                                   "next_token": {"has_next_token": True, "has_new_line": False, "n_remain": -1,
                                                  "n_decoded": 0, "stopping_word": ""}}
    template = "" if lin is None else (f"{{%- for message in messages %}}{lin.user_open}"
                                       "{{{{ message['content'] }}}}{{%- endfor %}}")
    model_path = view.extra.get("model_path", model_id)
    if build < MIDDLEWARE:  # 2024 slots: flat settings, no model_path
        flat = {"n_ctx": n_ctx, "model": model_path, **{k: v for k, v in _SLOT_PARAMS.items() if "." not in k}}
        return {"system_prompt": "", "default_generation_settings": flat, "total_slots": 1,
                "chat_template": template}
    if build < HYBRID:
        out: dict[str, object] = {"default_generation_settings": settings, "total_slots": 1,
                                  "model_path": model_path, "chat_template": template}
        if build >= BUILD_INFO:
            out["build_info"] = llama_build(view)
        return out
    family = (m.family if m else "llama").lower()
    bos, eos = next((v for k, v in _SPECIAL_TOKENS.items() if family.startswith(k)), ("<s>", "</s>"))
    return {
        "default_generation_settings": settings,
        "total_slots": 1,
        "model_path": model_path,
        "modalities": {"vision": bool(m and "vision" in m.capabilities), "audio": False},
        "chat_template": template,
        "bos_token": bos,
        "eos_token": eos,
        "build_info": llama_build(view),
    }


# --- SGLang (FastAPI + uvicorn) -----------------------------------------------------------------------

SGLANG_DEFAULT = "0.5.4"
SERVER_INFO = (0, 3, 0)
MAX_MODEL_LEN = (0, 4, 5)
NEWEST = (0, 5, 0)  # full get_model_info, /model_info + /server_info aliases, card parent, Ollama routes
_SGLANG_DIGEST = "sha256:sglang" + "0" * 58
_ARCHITECTURES = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
                  "qwen3moe": "Qwen3MoeForCausalLM", "gemma2": "Gemma2ForCausalLM", "gemma3": "Gemma3ForCausalLM",
                  "mistral": "MistralForCausalLM", "deepseek2": "DeepseekV2ForCausalLM", "phi3": "Phi3ForCausalLM"}


def hf_architecture(family: str) -> str:
    """The Hugging Face ``architectures[0]`` of a GGUF family name (``Qwen2ForCausalLM`` …)."""
    return _ARCHITECTURES.get(family, "LlamaForCausalLM")


@functools.cache
def _server_args() -> dict[str, object]:
    path = Path(__file__).resolve().parents[1] / "data" / "sglang_server_args.json"
    args: dict[str, object] = json.loads(path.read_text())["server_args"]
    return args


def sglang_version(view: HostView) -> str:
    return opt(view, "version", SGLANG_DEFAULT)


def sglang_model_id(view: HostView) -> str:
    m = view.models[0] if view.models else None
    return view.extra.get("served_model", m.name if m else "default")


def sglang_exposed_version(view: HostView) -> str | None:
    """``/get_server_info`` ``version`` (from 0.3.0)."""
    v = sglang_version(view)
    return v if version_tuple(v) >= SERVER_INFO else None


def _ms_stamp(now_ns: int) -> str:
    # datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z": millisecond precision.
    secs, frac = divmod(now_ns, 1_000_000_000)
    t = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac // 1_000_000:03d}Z"


def _sglang_routes(v: tuple[int, ...]) -> dict[str, str]:
    routes = {"/v1/models": "GET", "/get_model_info": "GET", "/health": "GET", "/health_generate": "GET",
              "/generate": "POST", "/v1/chat/completions": "POST", "/v1/completions": "POST"}
    if v >= SERVER_INFO:
        routes["/get_server_info"] = "GET"
    if v >= NEWEST:
        routes.update({"/model_info": "GET", "/server_info": "GET", "/api/tags": "GET", "/api/show": "POST",
                       "/api/chat": "POST", "/api/generate": "POST"})
    return routes


def _server_info(view: HostView, name: str, ctx: int | None) -> dict[str, object]:
    args = dict(_server_args())
    args.update(model_path=name, tokenizer_path=name, served_model_name=name, port=view.port, context_length=ctx,
                random_seed=int(stable_hex(8, view.host_id, "seed"), 16) % 1_000_000_000)
    total = int(view.extra.get("max_total_tokens", "20480"))
    args["max_total_tokens"] = total
    state = dict(args, use_mla_backend=False, last_gen_throughput=0.0,
                 memory_usage={"weight": 0.98, "kvcache": 0.23, "token_capacity": total, "graph": 0.06},
                 effective_max_running_requests_per_dp=128)
    return {**args, "status": "ready", "max_total_num_tokens": total, "max_req_input_len": total - 6,
            "internal_states": [state], "version": sglang_version(view)}


def sglang(view: HostView, req: Request, now_ns: int) -> Reply:
    m = view.models[0] if view.models else None
    name = sglang_model_id(view)
    ctx = int(view.extra.get("n_ctx", str((m.context_length if m else None) or 32768)))
    v = version_tuple(sglang_version(view))
    path = req.path
    miss = route(req, _sglang_routes(v).get(path))
    if miss is not None:
        return miss
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
        card: dict[str, object] = {"id": name, "object": "model", "created": now_ns // 1_000_000_000,
                                   "owned_by": "sglang", "root": name}
        if v >= NEWEST:
            card["parent"] = None
        if v >= MAX_MODEL_LEN:
            card["max_model_len"] = ctx
        return finish(req, fastapi_json(200, {"object": "list", "data": [card]}))
    if path in ("/get_model_info", "/model_info"):
        if v < NEWEST:
            return finish(req, fastapi_json(200, {"model_path": name, "tokenizer_path": name, "is_generation": True}))
        family = m.family if m else "llama"
        return finish(req, fastapi_json(200, {
            "model_path": name, "tokenizer_path": name, "is_generation": True, "preferred_sampling_params": None,
            "weight_version": "default", "has_image_understanding": bool(m and "vision" in m.capabilities),
            "has_audio_understanding": False, "model_type": family, "architectures": [hf_architecture(family)]}))
    if path in ("/get_server_info", "/server_info"):
        return finish(req, fastapi_json(200, _server_info(view, name, int(view.extra["n_ctx"])
                                                          if "n_ctx" in view.extra else None)))
    if path == "/health":
        return uvicorn_empty(req)
    if path == "/health_generate":  # runs a one-token generation: the simulated engine cannot
        return uvicorn_empty(req, 503)
    return fastapi_json(400, {"object": "error", "message": NO_INFERENCE, "type": "BadRequestError", "param": None,
                              "code": 400})
