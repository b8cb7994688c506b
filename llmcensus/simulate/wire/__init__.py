"""The simulator's wire layer: the exact reply a simulated host sends to one HTTP request.

``respond(view, req, now_ns)`` is the only entry point the server needs. It returns ``None`` only for
``Behaviour.SILENT``; ``REFUSED`` and ``GARBAGE`` never reach it (the server handles them at the socket)
and raise ``SimulationError`` if they do. Header contract: ``Reply.headers`` come in wire order without
``Date``; the server appends ``Date`` then ``Content-Length``, except for replies to ``HEAD``, which
already carry the ``Content-Length`` of the matching ``GET`` (their body is empty).

Determinism: the same ``(view, req, now_ns)`` always gives the same bytes. Views are immutable, so a
reply that does not depend on ``now_ns`` is cached per view (keyed by ``id(view)``; the cache entry holds
the view, so the id cannot be reused while cached). Bounded: ``MAX_VIEWS`` views, ``MAX_PER_VIEW``
distinct requests each; requests with large bodies or paths are never cached.

Go's own chunking rule is not reproduced here: a real Ollama sends bodies over 2 KiB with
``Transfer-Encoding: chunked`` (and HEAD replies for them without ``Content-Length``); that is the
server's framing decision.
"""

from __future__ import annotations

import threading

from llmcensus.errors import SimulationError
from llmcensus.simulate.views import Behaviour, HostView, Reply, Request
from llmcensus.simulate.wire import engines, litellm, lm_studio, lookalikes, runtimes, tgi, tgwui, vllm
from llmcensus.simulate.wire.ollama import respond_ollama
from llmcensus.simulate.wire.replies import for_head
from llmcensus.simulate.wire.showdata import build_show

__all__ = ["MAX_PER_VIEW", "MAX_VIEWS", "build_show", "cache_clear", "respond"]

MAX_VIEWS = 16384
MAX_PER_VIEW = 64
_CACHEABLE_BODY = 1024
_CACHE: dict[int, tuple[HostView, dict[tuple[object, ...], Reply]]] = {}
_LOCK = threading.Lock()


def _render(view: HostView, req: Request, now_ns: int) -> Reply:
    r = _dispatch(view, req, now_ns)
    # Every server we emulate discards the body of a HEAD reply, error pages included (methods are
    # case-sensitive on the wire: "head" is an unknown method, not HEAD).
    return for_head(r) if req.method == "HEAD" else r


def _dispatch(view: HostView, req: Request, now_ns: int) -> Reply:
    b = view.behaviour
    if b is Behaviour.OLLAMA:
        return respond_ollama(view, req, now_ns)
    if b is Behaviour.HONEYPOT:
        return lookalikes.honeypot(view, req)
    if b is Behaviour.LOCALAI:
        return lookalikes.localai(view, req, now_ns)
    if b is Behaviour.LLAMA_CPP:
        return engines.llama_cpp(view, req, now_ns)
    if b is Behaviour.SGLANG:
        return engines.sglang(view, req, now_ns)
    if b is Behaviour.OPEN_WEBUI:
        return lookalikes.open_webui(view, req)
    if b is Behaviour.KOBOLDCPP:
        return lookalikes.koboldcpp(view, req)
    if b in (Behaviour.AUTH_401, Behaviour.AUTH_403):
        return lookalikes.auth(view, req)
    if b is Behaviour.VLLM:
        return vllm.vllm(view, req, now_ns)
    if b is Behaviour.LM_STUDIO:
        return lm_studio.lm_studio(view, req)
    if b is Behaviour.TGI:
        return tgi.tgi(view, req)
    if b is Behaviour.TEXT_GENERATION_WEBUI:
        return tgwui.tgwui(view, req)
    if b is Behaviour.LITELLM:
        return litellm.litellm(view, req)
    if b is Behaviour.OPENAI_COMPATIBLE:
        return runtimes.openai_compatible(view, req, now_ns)
    if b is Behaviour.NOT_LLM:
        return runtimes.not_llm(view, req)
    raise SimulationError(f"host {view.host_id}: behaviour {b} is handled by the server, not the wire layer")


def respond(view: HostView, req: Request, now_ns: int) -> Reply | None:
    """The exact reply ``view``'s host sends to ``req`` at simulated time ``now_ns`` (Unix ns)."""
    if view.behaviour is Behaviour.SILENT:
        return None
    if view.behaviour in lookalikes.NOW_DEPENDENT or len(req.body) > _CACHEABLE_BODY or len(req.path) > 512:
        return _render(view, req, now_ns)
    h = req.headers
    origin = h.get("origin")
    key = (req.method, req.path, origin, h.get("host") if origin is not None else None, req.body)
    vid = id(view)
    with _LOCK:
        entry = _CACHE.get(vid)
        if entry is not None and entry[0] is view:
            hit = entry[1].get(key)
            if hit is not None:
                return hit
    rep = _render(view, req, now_ns)
    with _LOCK:
        entry = _CACHE.get(vid)
        if entry is None or entry[0] is not view:
            while len(_CACHE) >= MAX_VIEWS:
                _CACHE.pop(next(iter(_CACHE)))
            entry = (view, {})
            _CACHE[vid] = entry
        if len(entry[1]) < MAX_PER_VIEW:
            entry[1][key] = rep
    return rep


def cache_clear() -> None:
    """Forget every cached reply (tests; a day switch does not need it, since new views get new ids)."""
    with _LOCK:
        _CACHE.clear()
