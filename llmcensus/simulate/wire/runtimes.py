"""What the non-Ollama runtime personae share (issue #16), and the two personae that name no product.

The runtimes (protocols.md §3–§12; fixtures in ``tests/fixtures/runtimes/<runtime>/``) live one per file:
``vllm.py``, ``tgi.py``, ``lm_studio.py``, ``litellm.py``, ``tgwui.py``; llama.cpp and SGLang in
``engines.py``; LocalAI, Open WebUI and KoboldCpp in ``lookalikes.py``. This module holds

- persona options read from ``HostView.extra`` (below) and version parsing,
- Starlette/FastAPI routing as every FastAPI runtime answers it (vLLM, SGLang, LiteLLM,
  text-generation-webui, Open WebUI): unknown path 404 ``{"detail":"Not Found"}``, known path with another
  method 405 ``{"detail":"Method Not Allowed"}`` + ``allow``; the generated ``/openapi.json`` and ``/docs``,
- ``openai_compatible`` (a server that only lists models) and ``not_llm`` (web servers that are no LLM).

No persona can infer: every completion, chat, embedding or tokenize path answers an error in the
runtime's own envelope (the simulated engine never generates).

Persona options (``HostView.extra``; all optional, strings):

==================  ==============================  =====================================================
key                 personae                        meaning (default)
==================  ==============================  =====================================================
``version``         every non-Ollama runtime        the runtime's own version (each persona's default);
                                                    ``HostView.version`` stays the Ollama version that
                                                    Ollama-emulating routes report
``api_key``         vllm, llama_cpp, litellm        ``"1"``: started with an API key / master key
                                                    (``--api-key``, ``LITELLM_MASTER_KEY``)
``build``           llama_cpp                       ``build_info`` ``b<number>-<sha>`` (the version)
``auth``            open_webui                      ``"false"``: ``WEBUI_AUTH=False`` (``features.auth``)
``name``            open_webui                      ``WEBUI_NAME`` (``Open WebUI``)
``ollama_api``      localai                         ``"0"``: no Ollama emulation (``/`` is the web UI)
``model_file``      koboldcpp                       the GGUF file name (model name from the first model)
``db``              litellm                         readiness ``db`` value (``Not connected``)
``docker``          tgi                             ``"1"``: official image (``docker_label`` set)
``flavour``         openai_compatible               ``fastapi`` (Qwen's demo server) or ``go`` (a minimal
                                                    Go wrapper; cortex-like id+object list)
``kind``            not_llm                         ``nginx`` (welcome page), ``fastapi`` (hello app),
                                                    ``version_api`` (answers ``/version`` and
                                                    ``/api/version`` like many unrelated APIs)
==================  ==============================  =====================================================
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping

from llmcensus.simulate.views import HostView, Reply, Request
from llmcensus.simulate.wire.replies import HTML, REASONS, UVICORN, fastapi_json, finish, is_get, reply

NOT_FOUND = {"detail": "Not Found"}
METHOD_NOT_ALLOWED = {"detail": "Method Not Allowed"}
NO_INFERENCE = "The simulated engine does not generate."  # message of every refused inference request
_NUM = re.compile(r"\d+")


def version_tuple(version: str) -> tuple[int, ...]:
    """Leading numeric release of a version string: ``0.6.3.post1`` → (0, 6, 3); ``b5460-1ed4a2c`` → (5460,);
    ``v3.9`` → (3, 9). Dev/source builds ``0.0.0…`` count as newest (they are built from main)."""
    head = version.lstrip("vb").split("-", 1)[0].split("+", 1)[0]
    parts: list[int] = []
    for piece in head.split("."):
        m = _NUM.match(piece)
        if m is None:
            break
        parts.append(int(m.group()))
        if m.end() != len(piece):
            break
    if parts and all(p == 0 for p in parts):
        return (999,)
    return tuple(parts) or (0,)


def opt(view: HostView, key: str, default: str) -> str:
    return view.extra.get(key, default)


def has_key(view: HostView) -> bool:
    """The host was started with an API key (vLLM ``--api-key``, llama.cpp ``--api-key``, LiteLLM master key)."""
    return view.extra.get("api_key", "") not in ("", "0", "false")


def now_s(now_ns: int) -> int:
    return now_ns // 1_000_000_000


def stable_hex(n: int, *parts: object) -> str:
    """``n`` hex digits derived from ``parts``: stands for a random id (a uuid4, a git sha) deterministically."""
    out = ""
    i = 0
    while len(out) < n:
        out += hashlib.sha256("|".join(str(p) for p in (*parts, i)).encode()).hexdigest()
        i += 1
    return out[:n]


def with_reason(status: int, body: bytes, headers: tuple[tuple[str, str], ...], reason: str) -> Reply:
    """A reply whose status is missing from ``replies.REASONS`` (424, 429 …)."""
    return Reply(status=status, reason=REASONS.get(status, reason), headers=headers, body=body)


# --- Starlette / FastAPI ------------------------------------------------------------------------------

def route(req: Request, methods: str | None) -> Reply | None:
    """Starlette's router for one path: ``None`` when the route takes ``req.method``, else the 404/405 reply.

    ``methods`` is the route's comma-separated methods (``None``: no such path). GET routes also take HEAD;
    Starlette's ``Allow`` lists the route's methods (a set, so its order varies between real processes)."""
    if methods is None:
        return finish(req, fastapi_json(404, NOT_FOUND))
    allowed = methods.split(",")
    if req.method in allowed or (req.method == "HEAD" and "GET" in allowed):
        return None
    allow = ", ".join([*allowed, "HEAD"] if "GET" in allowed else allowed)
    return finish(req, fastapi_json(405, METHOD_NOT_ALLOWED, (("allow", allow),)))


def uvicorn_empty(req: Request, status: int = 200) -> Reply:
    """Starlette ``Response(status_code=...)``: no body, no content type (vLLM/SGLang ``/health``)."""
    return finish(req, reply(status, b"", (UVICORN,)))


def uvicorn_text(req: Request, status: int, text: str, ctype: str = "text/plain; charset=utf-8") -> Reply:
    return finish(req, reply(status, text.encode(), (UVICORN, ("content-type", ctype))))


def _operation(path: str, method: str) -> dict[str, object]:
    words = [w for w in re.split(r"[/_{}.-]+", path) if w]
    name = "_".join(w.lower() for w in words) or "root"
    return {"summary": " ".join(w.capitalize() for w in words) or "Root",
            "operationId": f"{name}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}_{method.lower()}",
            "responses": {"200": {"description": "Successful Response",
                                  "content": {"application/json": {"schema": {}}}}}}


def openapi(title: str, version: str, routes: Mapping[str, str]) -> dict[str, object]:
    """FastAPI's generated ``/openapi.json`` (schemas left out: a scanner reads title, version and paths)."""
    paths: dict[str, object] = {}
    for path, methods in routes.items():
        if path in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"):
            continue
        paths[path] = {m.lower(): _operation(path, m) for m in methods.split(",")}
    return {"openapi": "3.1.0", "info": {"title": title, "version": version}, "paths": paths}


def swagger_html(title: str) -> bytes:
    """FastAPI's ``get_swagger_ui_html`` page (``/docs``)."""
    return (
        "\n    <!DOCTYPE html>\n    <html>\n    <head>\n    <link type=\"text/css\" rel=\"stylesheet\" "
        "href=\"https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css\">\n    <link rel=\"shortcut icon\" "
        "href=\"https://fastapi.tiangolo.com/img/favicon.png\">\n"
        f"    <title>{title} - Swagger UI</title>\n    </head>\n    <body>\n    <div id=\"swagger-ui\">\n"
        "    </div>\n    <script src=\"https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js\">"
        "</script>\n    <script>\n    const ui = SwaggerUIBundle({\n        url: '/openapi.json',\n"
        "    \"dom_id\": \"#swagger-ui\",\n\"layout\": \"BaseLayout\",\n\"deepLinking\": true,\n"
        "\"showExtensions\": true,\n\"showCommonExtensions\": true,\n    presets: [\n"
        "        SwaggerUIBundle.presets.apis,\n        SwaggerUIBundle.SwaggerUIStandalonePreset\n        ],\n"
        "    })\n    </script>\n    </body>\n    </html>\n    "
    ).encode()


def fastapi_docs(req: Request, title: str, version: str, routes: Mapping[str, str]) -> Reply | None:
    """``/openapi.json`` and ``/docs`` of a FastAPI app with default settings; ``None`` for other paths."""
    if req.path == "/openapi.json" and is_get(req):
        return finish(req, fastapi_json(200, openapi(title, version, routes)))
    if req.path == "/docs" and is_get(req):
        return finish(req, reply(200, swagger_html(title), (UVICORN, ("content-type", HTML))))
    return None


def fastapi_app(req: Request, methods: str | None, routes: Mapping[str, str]) -> Reply | None:
    """What an untitled FastAPI app answers before its own handlers: 404/405 from the router, then its docs;
    ``None`` when the request reaches a handler."""
    return route(req, methods) or fastapi_docs(req, "FastAPI", "0.1.0", routes)


# --- openai_compatible: a server that names no product (fixtures openai_compatible/) --------------------

_QWEN_ROUTES = {"/v1/models": "GET", "/v1/chat/completions": "POST", "/openapi.json": "GET", "/docs": "GET"}


def openai_compatible(view: HostView, req: Request, now_ns: int) -> Reply:
    """Only ``GET /v1/models`` in OpenAI's shape and none of the markers of a product.

    ``flavour`` ``fastapi`` (default): Qwen's ``openai_api.py`` demo server — ``ModelCard`` with
    ``owned_by: "owner"``, ``root``/``parent``/``permission`` null, ``created`` = request time
    (fixture ``v1_models__qwen_openai_api.json``). ``go``: a minimal wrapper whose list has only
    ``id`` + ``object``, ``data`` before ``object`` (fixture ``v1_models__cortex_llamacpp.json``), written by
    Go's ``json.Encoder`` (trailing newline), 404 ``404 page not found``."""
    ids = [m.name for m in view.models]
    if opt(view, "flavour", "fastapi") == "go":
        if req.path == "/v1/models" and is_get(req):
            body = json.dumps({"data": [{"id": i, "object": "model"} for i in ids], "object": "list"},
                              separators=(",", ":")).encode() + b"\n"
            return finish(req, reply(200, body, (("Content-Type", "application/json"),)))
        if req.path == "/v1/chat/completions" and req.method == "POST":
            return reply(503, b'{"error":"model not loaded"}\n', (("Content-Type", "application/json"),))
        return finish(req, reply(404, b"404 page not found\n", (("Content-Type", "text/plain; charset=utf-8"),
                                                                ("X-Content-Type-Options", "nosniff"))))
    early = fastapi_app(req, _QWEN_ROUTES.get(req.path), _QWEN_ROUTES)
    if early is not None:
        return early
    if req.path == "/v1/models":
        cards = [{"id": i, "object": "model", "created": now_s(now_ns), "owned_by": "owner", "root": None,
                  "parent": None, "permission": None} for i in ids]
        return finish(req, fastapi_json(200, {"object": "list", "data": cards}))
    return fastapi_json(400, {"detail": NO_INFERENCE})


# --- not_llm: web servers that are no LLM runtime ---------------------------------------------------------

_NGINX_WELCOME = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\n"
    "body { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n"
    "<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\n"
    "working. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n"
    "<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n"
    "<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n"
    "</html>\n"
)


def not_llm(view: HostView, req: Request) -> Reply:
    """A web server that is no LLM runtime: the traps a fingerprinter must answer ``not_llm`` on.

    ``nginx``: the stock welcome page at ``/``, nginx's 404 page elsewhere (``Server: nginx/1.24.0``).
    ``fastapi``: a hello-world FastAPI app — the very ``{"detail":"Not Found"}`` + ``server: uvicorn`` 404
    that vLLM, SGLang and LiteLLM send, with none of their routes. ``version_api``: a Go service answering
    ``/version`` and ``/api/version`` with ``{"version":"<version>"}`` (the shape of vLLM's and Ollama's
    version replies) and nothing else that an LLM runtime says."""
    from llmcensus.simulate.wire.lookalikes import nginx_page

    kind, ok = opt(view, "kind", "nginx"), is_get(req)
    if kind == "fastapi":
        miss = route(req, {"/": "GET", "/openapi.json": "GET", "/docs": "GET"}.get(req.path))
        if miss is not None:
            return miss
        docs = fastapi_docs(req, "FastAPI", "0.1.0", {"/": "GET"})
        return docs if docs is not None else finish(req, fastapi_json(200, {"message": "Hello World"}))
    if kind == "version_api":
        js = (("Content-Type", "application/json"),)
        if req.path in ("/version", "/api/version") and ok:
            return finish(req, reply(200, json.dumps({"version": opt(view, "version", "2.4.1")}).encode() + b"\n",
                                     js))
        if req.path in ("/", "/healthz") and ok:
            return finish(req, reply(200, b'{"status":"ok"}\n', js))
        return finish(req, reply(404, b"404 page not found\n", (("Content-Type", "text/plain; charset=utf-8"),
                                                                ("X-Content-Type-Options", "nosniff"))))
    server = opt(view, "server", "nginx/1.24.0")
    if req.path in ("/", "/index.html"):
        if not ok:  # nginx refuses other methods on a static file
            return reply(405, nginx_page(405, "Not Allowed", server), (("Server", server),
                                                                        ("Content-Type", "text/html")))
        page = _NGINX_WELCOME.encode()
        return finish(req, reply(200, page, (("Server", server), ("Content-Type", "text/html"),
                                             ("Last-Modified", "Tue, 11 Apr 2023 01:45:34 GMT"),
                                             ("ETag", f'"6434bbbe-{len(page):x}"'), ("Accept-Ranges", "bytes"))))
    return finish(req, reply(404, nginx_page(404, "Not Found", server), (("Server", server),
                                                                         ("Content-Type", "text/html"))))
