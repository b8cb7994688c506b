"""What a correct probe records for a host that is not Ollama: the fast path's rows for look-alikes, other runtimes
and decoys (``fastpath.py`` writes Ollama and clone-farm rows column-wise; these hosts are few and constant over
their up days, so one Python dict per host is cheap).

The rules restate, per runtime, what the persona serves (``wire/``) as the probe's parsers read it
(``probe/runtimes/``; ``base.model_row``: ``context_length`` = the context the server accepts, else the model's
own; ``train_context_length`` = the model's own when both are known; ``quantization_level`` = quantization, else
dtype; ``digest`` = digest, else revision). Names, versions, status and auth posture come from the ground truth
(``runtime_mix.expected``). ``tests/test_fastpath_parity.py`` holds the rules to the probe: a mixed fleet (every
runtime at every version, open and key-protected) and a small study are probed through HTTP and compared with
these records field by field.
"""

from __future__ import annotations

from typing import Any

from llmcensus.observations.schema import MODEL
from llmcensus.simulate import runtime_mix
from llmcensus.simulate.views import Behaviour, HostView
from llmcensus.simulate.wire import engines, lm_studio, tgi, vllm
from llmcensus.simulate.wire.runtimes import has_key, version_tuple
from llmcensus.simulate.wire.showdata import parameter_count

_UVICORN = "uvicorn"
SERVER_HEADER: dict[Behaviour, str] = {  # the Server header each persona sends (None: none)
    Behaviour.VLLM: _UVICORN, Behaviour.SGLANG: _UVICORN, Behaviour.LITELLM: _UVICORN,
    Behaviour.OPEN_WEBUI: _UVICORN, Behaviour.TEXT_GENERATION_WEBUI: _UVICORN,
    Behaviour.LLAMA_CPP: "llama.cpp", Behaviour.KOBOLDCPP: "ConcedoLlamaForKoboldServer",
}
NO_HTTP = frozenset({"connection_refused", "read_timeout", "protocol_error"})
_NULL_MODEL: dict[str, Any] = {f.name: None for f in MODEL}
# llama.cpp's model card when llama-server lists no model of ours (the persona's defaults, wire/engines.py)
_LLAMA_DEFAULT_SIZE, _LLAMA_DEFAULT_PARAMS, _LLAMA_DEFAULT_CTX = 4912898304, 8030261312, 131072


def _row(name: str, **fields: Any) -> dict[str, Any]:
    row = dict(_NULL_MODEL, name=name, model=name, show_status="not_applicable")
    row.update(fields)
    return row


def _ctx(served: int | None, own: int | None) -> dict[str, int | None]:
    """``base.model_row``'s reading: the served context when known (then the model's own is the training one)."""
    if served is not None:
        return {"context_length": served, "train_context_length": own}
    return {"context_length": own, "train_context_length": None}


def _server(view: HostView) -> str | None:
    b = view.behaviour
    if b in (Behaviour.AUTH_401, Behaviour.AUTH_403):
        return view.extra.get("nginx", "nginx")
    if b is Behaviour.OPENAI_COMPATIBLE:
        return _UVICORN if view.extra.get("flavour") == "fastapi" else None
    if b is Behaviour.NOT_LLM:
        return {"fastapi": _UVICORN, "nginx": "nginx/1.24.0"}.get(view.extra.get("kind", ""))
    return SERVER_HEADER.get(b)


def _vllm(view: HostView, names: list[str]) -> list[dict[str, Any]]:
    cards = version_tuple(vllm.version(view)) >= vllm.MAX_MODEL_LEN
    return [_row(n, context_length=int(view.extra.get("max_model_len", m.context_length or 4096))
                 if cards and i == 0 else None)
            for i, (n, m) in enumerate(zip(names, view.models, strict=True))]


def _tgi(view: HostView, names: list[str]) -> list[dict[str, Any]]:
    m = view.models[0]
    old = version_tuple(tgi.version(view)) < tgi.NEW_INFO
    total = int(view.extra.get("max_total_tokens", m.context_length or 4096))
    return [_row(names[0], digest=m.digest[:40], context_length=total,
                 quantization_level=view.extra.get("dtype", "torch.float16") if old else None)]


def _llama_cpp(view: HostView, names: list[str]) -> list[dict[str, Any]]:
    m = view.models[0] if view.models else None
    own = (m.context_length if m else None) or _LLAMA_DEFAULT_CTX
    # /props (n_ctx) is read from the middleware builds on, and only without --api-key; else /v1/models' n_ctx_train
    props = version_tuple(engines.llama_build(view)) >= engines.MIDDLEWARE and not has_key(view)
    served = int(view.extra.get("n_ctx", "4096")) if props else None
    return [_row(names[0], size=m.size if m else _LLAMA_DEFAULT_SIZE,
                 parameter_count=parameter_count(m.parameter_size, m.digest) if m else _LLAMA_DEFAULT_PARAMS,
                 **_ctx(served, own))]


def _sglang(view: HostView, names: list[str]) -> list[dict[str, Any]]:
    m = view.models[0] if view.models else None
    v = version_tuple(engines.sglang_version(view))
    fields: dict[str, Any] = {}
    if v >= engines.MAX_MODEL_LEN:
        fields["context_length"] = int(view.extra.get("n_ctx", (m.context_length if m else None) or 32768))
    if v >= engines.NEWEST:
        family = m.family if m else "llama"
        fields.update(family=family, arch=engines.hf_architecture(family))
    return [_row(names[0], **fields)]


def _lm_studio(view: HostView, names: list[str]) -> list[dict[str, Any]]:
    v = version_tuple(lm_studio.version(view))
    out = []
    for n, m in zip(names, view.models, strict=True):
        if v < lm_studio.API_V0:
            out.append(_row(n))
            continue
        loaded = next((r.context_length for r in view.running if r.model.name == m.name), None)
        fields: dict[str, Any] = {"quantization_level": m.quantization_level, **_ctx(loaded, m.context_length or 4096)}
        if v >= lm_studio.API_V1:
            embedding = "embedding" in m.capabilities
            fields.update(size=m.size, parameter_size=m.parameter_size or None, arch=None if embedding else m.family)
        else:
            fields["arch"] = m.family
        out.append(_row(n, **fields))
    return out


_DETAILED = {Behaviour.VLLM: _vllm, Behaviour.TGI: _tgi, Behaviour.LLAMA_CPP: _llama_cpp, Behaviour.SGLANG: _sglang,
             Behaviour.LM_STUDIO: _lm_studio}


def models_of(view: HostView, names: list[str]) -> list[dict[str, Any]]:
    """The MODEL rows of an open model list (names as the truth lists them)."""
    detailed = _DETAILED.get(view.behaviour)
    return detailed(view, names) if detailed is not None else [_row(n) for n in names]


def record(view: HostView) -> dict[str, Any]:
    """Status, runtime, version, auth, proxy, Server header, models and running list of one non-Ollama host."""
    truth = runtime_mix.expected(view)
    status = str(truth["status"])
    rec: dict[str, Any] = {"status": status, "runtime": truth["runtime"], "version": truth["version"],
                           "auth": truth["auth"], "proxied": None, "server_header": None, "models": None,
                           "model_count": None, "running": None, "running_count": None}
    if status in NO_HTTP:  # refused (an outage day), silent or garbage: nothing is known
        return rec
    if truth["key_protected"] and view.behaviour is not Behaviour.OPEN_WEBUI:
        rec["auth"] = "auth_required"
    server = rec["server_header"] = _server(view)
    rec["proxied"] = server is not None and server.split("/", 1)[0] == "nginx"  # the probe's reading: a proxy's name
    names = truth["models"]
    if status == "success" and isinstance(names, list):
        rec["models"] = models_of(view, [str(n) for n in names])
        rec["model_count"] = len(rec["models"])
    return rec
