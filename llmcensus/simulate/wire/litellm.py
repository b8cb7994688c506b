"""LiteLLM proxy (FastAPI + uvicorn, port 4000), protocols.md §11.

Bodies follow ``tests/fixtures/runtimes/litellm/``: ``health_liveliness.json`` (the JSON string ``"I'm alive!"``),
``health_readiness__v1_19_2.json`` (PR #1673: ``status``, ``db``, ``cache``, ``litellm_version``,
``success_callbacks``), ``health_readiness__v1_84.json`` (PR #27866: only ``status`` and ``db``) and
``v1_models__master_key_401.json`` (issue #4880: the ``auth_error`` envelope, ``param: "None"``). The open
``/v1/models`` list is the one of issue #13128 (``data`` before ``object``, ``created`` the constant
1677610602, ``owned_by`` ``"openai"`` for every entry whatever the provider — issue #32903).

The host: ``view.models`` names are the configured ``model_name`` aliases (``gpt-4o``,
``claude-3-5-sonnet``, ``llama-3.1-70b``). ``extra``: ``version`` (default ``1.74.9``), ``api_key`` (``"1"``:
a master key is set), ``db`` (readiness ``db``: ``Not connected``).

Version boundaries:

- readiness keys: ``success_callbacks`` held callback objects (serialised ``{}``) before 1.35 and names from
  1.35 (PR #2557) [boundary assumed]; ``litellm_version``, ``cache`` and the callbacks left readiness in 1.84
  (PR #26912, ``db`` restored by #27866). From 1.84 the version is only in ``/openapi.json`` (served here as a
  stub with ``info.version``) and ``/public/model_hub/info``.
- the 401 ``code``: the integer 401 in 2024-07 (issue #4880), the string ``"401"`` from 1.50 [assumed].

With a master key, ``/v1/models``, ``/models``, ``/health`` and every inference path answer 401; the
``/health/liveliness`` and ``/health/readiness`` probes stay open (docs proxy/health).
"""

from __future__ import annotations

from llmcensus.simulate.views import HostView, Reply, Request
from llmcensus.simulate.wire.replies import HTML, UVICORN, fastapi_json, finish, reply
from llmcensus.simulate.wire.runtimes import has_key, openapi, opt, route, swagger_html, version_tuple

DEFAULT_VERSION = "1.74.9"
CALLBACK_NAMES = (1, 35, 0)
READINESS_SLIM = (1, 84, 0)
STRING_CODE = (1, 50, 0)
MODELS_CREATED = 1677610602  # the constant LiteLLM writes into every /v1/models entry

_ROUTES = {"/health/liveliness": "GET", "/health/liveness": "GET", "/health/readiness": "GET", "/health": "GET",
           "/v1/models": "GET", "/models": "GET", "/": "GET", "/openapi.json": "GET",
           "/chat/completions": "POST", "/v1/chat/completions": "POST", "/completions": "POST",
           "/v1/completions": "POST", "/embeddings": "POST", "/v1/embeddings": "POST"}


def version(view: HostView) -> str:
    return opt(view, "version", DEFAULT_VERSION)


def model_ids(view: HostView) -> list[str] | None:
    """The aliases ``/v1/models`` lists; None when a master key hides them."""
    return None if has_key(view) else [m.name for m in view.models]


def exposed_version(view: HostView) -> str | None:
    """What ``/health/readiness`` tells (open even with a master key); None from 1.84."""
    v = version(view)
    return v if version_tuple(v) < READINESS_SLIM else None


def readiness(view: HostView) -> dict[str, object]:
    v = version(view)
    db = opt(view, "db", "Not connected")
    if version_tuple(v) >= READINESS_SLIM:
        return {"status": "healthy", "db": db}
    if version_tuple(v) >= CALLBACK_NAMES:
        callbacks: list[object] = ["_PROXY_MaxParallelRequestsHandler", "_PROXY_MaxBudgetLimiter",
                                   "_PROXY_CacheControlCheck", "ServiceLogging"]
    else:
        callbacks = [{}, {}, {}]
    return {"status": "healthy", "db": db, "cache": None, "litellm_version": v, "success_callbacks": callbacks}


def _auth_error(view: HostView) -> Reply:
    code: object = "401" if version_tuple(version(view)) >= STRING_CODE else 401
    return fastapi_json(401, {"error": {"message": "Authentication Error, No api key passed in.",
                                        "type": "auth_error", "param": "None", "code": code}})


def litellm(view: HostView, req: Request) -> Reply:
    miss = route(req, _ROUTES.get(req.path))
    if miss is not None:
        return miss
    path = req.path
    if path in ("/health/liveliness", "/health/liveness"):
        return finish(req, fastapi_json(200, "I'm alive!"))
    if path == "/health/readiness":
        return finish(req, fastapi_json(200, readiness(view)))
    if path == "/":
        return finish(req, reply(200, swagger_html("LiteLLM API"), (UVICORN, ("content-type", HTML))))
    if path == "/openapi.json":
        return finish(req, fastapi_json(200, openapi("LiteLLM API", version(view), _ROUTES)))
    if has_key(view):
        return finish(req, _auth_error(view))
    if path in ("/v1/models", "/models"):
        data = [{"id": m.name, "object": "model", "created": MODELS_CREATED, "owned_by": "openai"}
                for m in view.models]
        return finish(req, fastapi_json(200, {"data": data, "object": "list"}))
    if path == "/health":
        names = [{"model": m.name} for m in view.models]
        return finish(req, fastapi_json(200, {"healthy_endpoints": [], "unhealthy_endpoints": names,
                                              "healthy_count": 0, "unhealthy_count": len(names)}))
    return fastapi_json(400, {"error": {"message": "litellm.BadRequestError: the simulated proxy has no provider",
                                        "type": None, "param": None, "code": "400"}})
