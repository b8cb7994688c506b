"""vLLM's OpenAI-compatible server (``vllm serve``; FastAPI + uvicorn, port 8000), protocols.md §3.

Bodies follow ``tests/fixtures/runtimes/vllm/``: ``v1_models.json`` (card with ``max_model_len``, modal-examples
#843, 2024-08), ``v1_models__no_max_model_len.json`` (the card before PR #4643), ``version.json``,
``health.txt`` (empty 200) and ``v1_models__api_key_401.json`` (``{"error":"Unauthorized"}``, compact on the
wire).

The host: ``models[0]`` is the served model (card ``id`` = its name, an HF id such as
``meta-llama/Llama-3.1-8B-Instruct``; ``root`` the same); ``models[1:]`` are LoRA adapters (cards with
``root`` = ``/adapters/<name>``, ``parent`` = the base id and ``max_model_len`` null, as
``serving_models.py`` builds them). ``extra``: ``version`` (default ``0.10.1.1``), ``api_key`` (``"1"``:
``--api-key``), ``max_model_len`` (default: the model's context length, else 4096).

Version boundaries (``VERSION_ROUTE``, ``MAX_MODEL_LEN``, ``NESTED_ERRORS``):

- ``GET /version`` from 0.4.0 (PR #3161, merged 2024-03; 0.4.0 released 2024-03-30); 404 before.
- ``max_model_len`` in the model card from 0.5.0 (PR #4643, merged 2024-05-31, first certainly in 0.5.0).
- error envelope flat ``{"object":"error",…}`` up to 0.10.0, nested ``{"error":{…}}`` from 0.10.1 (PR #22099).

``--api-key``: ``AuthenticationMiddleware`` guards every path starting ``/v1`` (unknown ones included)
with 401 ``{"error":"Unauthorized"}``; ``/version``, ``/health``, ``/metrics``, ``/openapi.json`` stay open
(vllm#18893), so the version survives a key.
"""

from __future__ import annotations

from llmcensus.simulate.views import HostView, ModelView, Reply, Request
from llmcensus.simulate.wire.replies import fastapi_json, finish
from llmcensus.simulate.wire.runtimes import (
    NO_INFERENCE,
    fastapi_app,
    has_key,
    now_s,
    opt,
    stable_hex,
    uvicorn_empty,
    uvicorn_text,
    version_tuple,
)

DEFAULT_VERSION = "0.10.1.1"
VERSION_ROUTE = (0, 4, 0)
MAX_MODEL_LEN = (0, 5, 0)
NESTED_ERRORS = (0, 10, 1)

_ROUTES = {
    "/v1/models": "GET", "/version": "GET", "/health": "GET", "/metrics": "GET", "/openapi.json": "GET",
    "/docs": "GET", "/v1/chat/completions": "POST", "/v1/completions": "POST", "/v1/embeddings": "POST",
    "/tokenize": "POST", "/detokenize": "POST",
}


def version(view: HostView) -> str:
    return opt(view, "version", DEFAULT_VERSION)


def model_ids(view: HostView) -> list[str]:
    """The card ids ``/v1/models`` lists: the served model, then its LoRA adapters."""
    return [m.name for m in view.models]


def exposed_version(view: HostView) -> str | None:
    """What ``GET /version`` tells (open even with ``--api-key``); None before 0.4.0."""
    v = version(view)
    return v if version_tuple(v) >= VERSION_ROUTE else None


def _max_model_len(view: HostView, m: ModelView) -> int:
    return int(opt(view, "max_model_len", str(m.context_length or 4096)))


def _card(view: HostView, m: ModelView, base: ModelView | None, now_ns: int, i: int) -> dict[str, object]:
    created = now_s(now_ns)
    card: dict[str, object] = {"id": m.name, "object": "model", "created": created, "owned_by": "vllm",
                               "root": m.name if base is None else f"/adapters/{m.name}",
                               "parent": None if base is None else base.name}
    if version_tuple(version(view)) >= MAX_MODEL_LEN:
        card["max_model_len"] = _max_model_len(view, m) if base is None else None
    # ModelPermission's id is f"modelperm-{random_uuid()}" (uuid4 hex), drawn again on every request.
    card["permission"] = [{"id": f"modelperm-{stable_hex(32, view.host_id, now_ns, i)}", "object": "model_permission",
                           "created": created, "allow_create_engine": False, "allow_sampling": True,
                           "allow_logprobs": True, "allow_search_indices": False, "allow_view": True,
                           "allow_fine_tuning": False, "organization": "*", "group": None, "is_blocking": False}]
    return card


def _metrics(view: HostView) -> str:
    name = view.models[0].name if view.models else "model"
    lines: list[str] = []
    for metric, kind, text in (("num_requests_running", "gauge", "Number of requests currently running on GPU."),
                               ("num_requests_waiting", "gauge", "Number of requests waiting to be processed."),
                               ("prompt_tokens_total", "counter", "Number of prefill tokens processed."),
                               ("generation_tokens_total", "counter", "Number of generation tokens processed.")):
        lines += [f"# HELP vllm:{metric} {text}", f"# TYPE vllm:{metric} {kind}",
                  f'vllm:{metric}{{model_name="{name}"}} 0.0']
    return "\n".join(lines) + "\n"


def _error(view: HostView, status: int, message: str, kind: str) -> Reply:
    if version_tuple(version(view)) >= NESTED_ERRORS:
        body: dict[str, object] = {"error": {"message": message, "type": kind, "param": None, "code": status}}
    else:
        body = {"object": "error", "message": message, "type": kind, "param": None, "code": status}
    return fastapi_json(status, body)


def vllm(view: HostView, req: Request, now_ns: int) -> Reply:
    v = version_tuple(version(view))
    if has_key(view) and req.path.startswith("/v1") and req.method != "OPTIONS":
        return finish(req, fastapi_json(401, {"error": "Unauthorized"}))
    methods = _ROUTES.get(req.path)
    if req.path == "/version" and v < VERSION_ROUTE:
        methods = None
    early = fastapi_app(req, methods, _ROUTES)
    if early is not None:
        return early
    if req.path == "/v1/models":
        base = view.models[0] if view.models else None
        cards = [_card(view, m, None if i == 0 else base, now_ns, i) for i, m in enumerate(view.models)]
        return finish(req, fastapi_json(200, {"object": "list", "data": cards}))
    if req.path == "/version":
        return finish(req, fastapi_json(200, {"version": version(view)}))
    if req.path == "/health":
        return uvicorn_empty(req)
    if req.path == "/metrics":
        return uvicorn_text(req, 200, _metrics(view), "text/plain; version=0.0.4; charset=utf-8")
    return _error(view, 400, NO_INFERENCE, "BadRequestError")
