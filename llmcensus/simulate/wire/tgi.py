"""Hugging Face text-generation-inference (TGI; Rust axum router, container port 80), protocols.md §7.

Bodies follow ``tests/fixtures/runtimes/tgi/``: ``info__v0_8_2.json`` (a real 0.8.2 ``/info``, issue #489) for
releases before 2.0 and ``info__openapi_example.json`` (the ``struct Info`` field order of router/src/lib.rs)
from 2.0; ``/v1/models`` as PR #2433 shows it (``created: 0``, ``owned_by`` = the model id).

The host: ``models[0]`` is ``--model-id`` (an HF id); ``model_sha`` is the first 40 hex digits of its digest.
``extra``: ``version`` (default ``2.4.1``), ``docker`` (``"1"``: official image, ``docker_label`` =
``sha-<7 hex>``), ``max_input_tokens`` (default 4095 or context − 1) and ``max_total_tokens`` (default 4096 or the
model's context), ``dtype`` (``torch.float16``, pre-2.0 ``model_dtype`` only).

Version boundaries:

- ``/info`` shape: the 0.8.2 keys (``model_dtype``, ``model_device_type``, ``max_input_length``,
  ``waiting_served_ratio``, ``max_batch_total_tokens``, ``max_waiting_tokens``) before 2.0.0 — 1.x is assumed
  to keep that key set (its later ``max_batch_size``/``max_client_batch_size`` additions are not modelled);
  from 2.0.0 the ``Info`` struct of the OpenAPI example (``max_input_tokens``, ``max_client_batch_size``).
- ``"router": "text-generation-router"``: from 2.1.0 [assumed; added by PR #1854, opened 2024-05-03] — TGI 0.8.2
  has no ``router`` key, so a fingerprint must not require it.
- ``GET /v1/models``: from 2.3.0 (PR #2433, merged 2024-08-29).

Wire habits (axum + tower-http): ``content-type: application/json``, compact JSON; the CORS layer adds
``vary`` to every reply; unknown paths get an empty 404, a known path with another method an empty 405 with
``allow``. Inference paths answer TGI's error envelope ``{"error":…,"error_type":…}`` (the simulator never
generates).
"""

from __future__ import annotations

import json

from llmcensus.simulate.views import HostView, Reply, Request
from llmcensus.simulate.wire.replies import finish, is_get, reply
from llmcensus.simulate.wire.runtimes import NO_INFERENCE, opt, stable_hex, version_tuple, with_reason

DEFAULT_VERSION = "2.4.1"
NEW_INFO = (2, 0, 0)
ROUTER_KEY = (2, 1, 0)
V1_MODELS = (2, 3, 0)

_VARY = ("vary", "origin, access-control-request-method, access-control-request-headers")
_JSON = (("content-type", "application/json"), _VARY)
_ROUTES = {"/info": "GET", "/health": "GET", "/metrics": "GET", "/v1/models": "GET", "/": "POST",
           "/generate": "POST", "/generate_stream": "POST", "/v1/chat/completions": "POST",
           "/v1/completions": "POST", "/tokenize": "POST"}


def version(view: HostView) -> str:
    return opt(view, "version", DEFAULT_VERSION)


def model_ids(view: HostView) -> list[str]:
    return [view.models[0].name] if view.models else []


def exposed_version(view: HostView) -> str | None:
    return version(view)


def _js(status: int, obj: object) -> Reply:
    return reply(status, json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode(), _JSON)


def info(view: HostView) -> dict[str, object]:
    m = view.models[0] if view.models else None
    model_id = m.name if m else "bigscience/bloom-560m"
    sha = m.digest[:40] if m else stable_hex(40, view.host_id, "model")
    total = int(opt(view, "max_total_tokens", str((m.context_length if m else None) or 4096)))
    max_in = int(opt(view, "max_input_tokens", str(total - 1)))
    v = version(view)
    build = stable_hex(40, "tgi", v)
    docker = f"sha-{build[:7]}" if opt(view, "docker", "1") == "1" else None
    pipeline = "text-generation"
    if version_tuple(v) < NEW_INFO:
        return {"model_id": model_id, "model_sha": sha, "model_dtype": opt(view, "dtype", "torch.float16"),
                "model_device_type": "cuda", "model_pipeline_tag": pipeline, "max_concurrent_requests": 128,
                "max_best_of": 2, "max_stop_sequences": 4, "max_input_length": max_in, "max_total_tokens": total,
                "waiting_served_ratio": 1.2, "max_batch_total_tokens": 32000, "max_waiting_tokens": 20,
                "validation_workers": 2, "version": v, "sha": build, "docker_label": docker}
    out: dict[str, object] = {"model_id": model_id, "model_sha": sha, "model_pipeline_tag": pipeline,
                              "max_concurrent_requests": 128, "max_best_of": 2, "max_stop_sequences": 4,
                              "max_input_tokens": max_in, "max_total_tokens": total, "validation_workers": 2,
                              "max_client_batch_size": 4}
    if version_tuple(v) >= ROUTER_KEY:
        out["router"] = "text-generation-router"
    out.update(version=v, sha=build, docker_label=docker)
    return out


def _metrics() -> str:
    lines = []
    for name, kind in (("tgi_request_count", "counter"), ("tgi_queue_size", "gauge"),
                       ("tgi_batch_current_size", "gauge")):
        lines += [f"# TYPE {name} {kind}", f"{name} 0"]
    return "\n".join(lines) + "\n"


def tgi(view: HostView, req: Request) -> Reply:
    v = version_tuple(version(view))
    methods = _ROUTES.get(req.path)
    if req.path == "/v1/models" and v < V1_MODELS:
        methods = None
    if methods is None:
        return finish(req, reply(404, b"", (_VARY,)))
    if not (req.method == methods or (methods == "GET" and is_get(req))):
        return finish(req, reply(405, b"", (("allow", methods), _VARY)))
    if req.path == "/info":
        return finish(req, _js(200, info(view)))
    if req.path == "/v1/models":
        cards = [{"id": i, "object": "model", "created": 0, "owned_by": i} for i in model_ids(view)]
        return finish(req, _js(200, {"object": "list", "data": cards}))
    if req.path == "/health":
        return finish(req, reply(200, b"", (_VARY,)))
    if req.path == "/metrics":
        return finish(req, reply(200, _metrics().encode(), (("content-type", "text/plain; version=0.0.4"), _VARY)))
    body = json.dumps({"error": f"Request failed during generation: {NO_INFERENCE}", "error_type": "generation"},
                      separators=(",", ":")).encode()
    return with_reason(424, body, _JSON, "Failed Dependency")
