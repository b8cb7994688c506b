"""A genuine Ollama of any version 0.1.x → 0.33.x, byte for byte (protocols.md §1).

Routing mirrors gin: the CORS middleware runs first on every request that reaches a handler or the
404/405 handlers (foreign ``Origin`` → 403, empty body); a trailing-slash variant of a route is redirected
(301 for GET, 307 otherwise) before any middleware; a path served under other methods answers
405 + ``Allow`` from v0.7.0 and 404 before it. ``Allow`` lists methods in gin's tree order (the order
routes.go first registers each method: HEAD, GET, POST, DELETE).

``HostView.extra`` keys read here: ``cloud_source`` (``none``/``env``/``config``/``both``) and
``cloud_disabled`` (``"true"``) for ``GET /api/status``. Version gates live in ``versions.py``.
"""

from __future__ import annotations

from llmcensus.simulate.views import HostView, ModelView, Reply, Request
from llmcensus.simulate.wire import ollama_show as show
from llmcensus.simulate.wire.gojson import ZERO_TIME, dumps, rfc3339nano
from llmcensus.simulate.wire.replies import (
    HTML,
    JSON_GO,
    JSON_PLAIN,
    TEXT_GO,
    TEXT_PLAIN,
    for_head,
    go_sorted,
    reply,
)
from llmcensus.simulate.wire.versions import Features, features

# (path, methods, first version). ":x" segments are parameters. Non-read-only routes are listed so that
# their 405/404 behaviour is right; their handlers never run inference (see _write_route).
ROUTES: tuple[tuple[str, frozenset[str], tuple[int, int, int]], ...] = tuple(
    (p, frozenset(m.split()), v)
    for p, m, v in (
        ("/", "GET HEAD", (0, 0, 1)),
        ("/api/version", "GET HEAD", (0, 1, 14)),
        ("/api/tags", "GET HEAD", (0, 0, 6)),
        ("/api/show", "POST", (0, 0, 18)),
        ("/api/ps", "GET", (0, 1, 38)),
        ("/api/status", "GET", (0, 16, 2)),
        ("/api/experimental/model-recommendations", "GET", (0, 22, 1)),
        ("/api/blobs/:digest", "HEAD POST", (0, 1, 0)),
        ("/api/pull", "POST", (0, 0, 1)),
        ("/api/push", "POST", (0, 0, 1)),
        ("/api/create", "POST", (0, 0, 1)),
        ("/api/copy", "POST", (0, 0, 1)),
        ("/api/generate", "POST", (0, 0, 1)),
        ("/api/embeddings", "POST", (0, 0, 1)),
        ("/api/chat", "POST", (0, 1, 14)),
        ("/api/embed", "POST", (0, 2, 6)),
        ("/api/delete", "DELETE", (0, 0, 1)),
        ("/api/me", "POST", (0, 12, 0)),
        ("/api/signout", "POST", (0, 12, 0)),
        ("/v1/chat/completions", "POST", (0, 1, 24)),
        ("/v1/completions", "POST", (0, 2, 0)),
        ("/v1/embeddings", "POST", (0, 2, 6)),
        ("/v1/models", "GET", (0, 2, 0)),
        ("/v1/models/:model", "GET", (0, 2, 0)),
        ("/v1/responses", "POST", (0, 13, 3)),
        ("/v1/messages", "POST", (0, 14, 0)),
    )
)
TREE_ORDER = ("HEAD", "GET", "POST", "DELETE")

_ALLOW_HEADERS = ",".join(
    ["Authorization", "Content-Type", "User-Agent", "Accept", "X-Requested-With", "Openai-Beta"]
    + [f"X-Stainless-{s}" for s in ("Arch", "Async", "Custom-Poll-Interval", "Helper-Method", "Lang", "Os",
                                    "Package-Version", "Poll-Helper", "Retry-Count", "Runtime", "Runtime-Version",
                                    "Timeout")]
)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0")
_APP_SCHEMES = ("app://", "file://", "tauri://", "vscode-webview://", "vscode-file://")


def _match(route: str, path: str) -> dict[str, str] | None:
    rp, pp = route.split("/"), path.split("/")
    if len(rp) != len(pp):
        return None
    params = {}
    for r, p in zip(rp, pp, strict=True):
        if r.startswith(":"):
            if not p:
                return None
            params[r[1:]] = p
        elif r != p:
            return None
    return params


def _routes_for(path: str, feats: Features) -> list[tuple[str, frozenset[str], dict[str, str]]]:
    out = []
    for route, methods, first in ROUTES:
        if feats.version >= first:
            params = _match(route, path)
            if params is not None:
                out.append((route, methods, params))
    return out


def _origin_allowed(origin: str, feats: Features) -> bool:
    if not origin.isprintable():  # never reflect a value that could split the header block
        return False
    for scheme in ("http://", "https://"):
        for host in _LOCAL_HOSTS:
            base = scheme + host
            if origin == base or origin.startswith(base + ":"):
                return True
    return feats.app_origins and origin.startswith(_APP_SCHEMES)


def _cors(view: HostView, req: Request, feats: Features) -> tuple[Reply | None, list[tuple[str, str]]]:
    """gin-contrib/cors: (reply that ends the request, headers to add to the normal reply)."""
    origin = req.headers.get("origin", "")
    if not origin:
        return None, []
    host = req.headers.get("host", "")
    if host and origin in (f"http://{host}", f"https://{host}"):
        return None, []
    if view.origins_wildcard:
        allow, vary = [("Access-Control-Allow-Origin", "*")], []
    elif _origin_allowed(origin, feats):
        allow, vary = [("Access-Control-Allow-Origin", origin)], [("Vary", "Origin")]
    else:
        return reply(403, b"", _proxy(view)), []
    if req.method == "OPTIONS":
        hdrs = [*allow, ("Access-Control-Allow-Headers", _ALLOW_HEADERS),
                ("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"),
                ("Access-Control-Max-Age", "43200")]
        if vary:
            hdrs.append(("Vary", "Origin"))
        return reply(204, b"", _hdrs(view, hdrs)), []
    return None, allow + vary


def _proxy(view: HostView) -> tuple[tuple[str, str], ...]:
    return (("Server", "nginx/1.24.0"),) if view.proxy == "nginx" else ()


def _hdrs(view: HostView, headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    # nginx writes its own Server header first and passes the upstream's headers after it.
    return _proxy(view) + go_sorted(headers)


def _json(view: HostView, status: int, body: bytes, cors: list[tuple[str, str]]) -> Reply:
    return reply(status, body, _hdrs(view, [("Content-Type", JSON_GO), *cors]))


def _error(view: HostView, status: int, message: str, cors: list[tuple[str, str]]) -> Reply:
    return _json(view, status, dumps({"error": message}), cors)


def respond_ollama(view: HostView, req: Request, now_ns: int) -> Reply:
    feats = features(view.version)
    method, path = req.method, req.path or "/"
    matches = _routes_for(path, feats)
    hit = next(((r, p) for r, ms, p in matches if method in ms), None)
    trailing = hit is None and len(path) > 1 and path.endswith("/") and method != "CONNECT"
    if trailing and any(method in ms for _, ms, _ in _routes_for(path[:-1], feats)):
        return _redirect(view, method, path[:-1])
    denied, cors = _cors(view, req, feats)
    if denied is not None:
        return denied
    if hit is None:
        allowed = [m for m in TREE_ORDER if any(m in ms for _, ms, _ in matches)]
        if allowed and feats.method_not_allowed:
            return reply(405, b"405 method not allowed",
                         _hdrs(view, [("Allow", ", ".join(allowed)), ("Content-Type", TEXT_PLAIN), *cors]))
        return reply(404, b"404 page not found", _hdrs(view, [("Content-Type", TEXT_PLAIN), *cors]))
    route, params = hit
    r = _handle(view, req, feats, route, params, cors)
    return for_head(r) if method == "HEAD" else r


def _redirect(view: HostView, method: str, target: str) -> Reply:
    if method == "GET":
        body = f'<a href="{target}">Moved Permanently</a>.\n\n'.encode()
        return reply(301, body, _hdrs(view, [("Content-Type", HTML), ("Location", target)]))
    hdrs = [("Location", target)] + ([("Content-Type", HTML)] if method == "HEAD" else [])
    return reply(301 if method == "HEAD" else 307, b"", _hdrs(view, hdrs))


def _handle(view: HostView, req: Request, feats: Features, route: str, params: dict[str, str],
            cors: list[tuple[str, str]]) -> Reply:
    if route == "/":
        return reply(200, b"Ollama is running", _hdrs(view, [("Content-Type", TEXT_GO), *cors]))
    if route == "/api/version":
        return _json(view, 200, dumps({"version": view.version}), cors)
    if route == "/api/tags":
        return _json(view, 200, tags_body(view, feats), cors)
    if route == "/api/ps":
        return _json(view, 200, ps_body(view, feats), cors)
    if route == "/api/show":
        return _show(view, req, feats, cors)
    if route == "/api/status":
        source = view.extra.get("cloud_source", "none")
        disabled = view.extra.get("cloud_disabled", "false") == "true"
        return _json(view, 200, dumps({"cloud": {"disabled": disabled, "source": source}}), cors)
    if route == "/api/experimental/model-recommendations":
        return _json(view, 200, dumps({"recommendations": []}), cors)
    if route == "/v1/models":
        return reply(200, v1_models_body(view, feats), _hdrs(view, [("Content-Type", JSON_PLAIN), *cors]))
    if route == "/v1/models/:model":
        return _v1_model(view, params["model"], cors)
    if route == "/api/blobs/:digest" and req.method == "HEAD":
        return reply(200 if params["digest"] in show.blob_digests(view) else 404, b"", _hdrs(view, cors))
    return _write_route(view, req, feats, cors)


def _sorted_models(view: HostView) -> list[ModelView]:
    # Go sorts by ModifiedAt.Unix() (whole seconds), stable: same-second ties keep manifest-walk order.
    return sorted(view.models, key=lambda m: -(m.modified_at_ns // 1_000_000_000))


def tags_body(view: HostView, feats: Features) -> bytes:
    entries = []
    for m in _sorted_models(view):
        e: dict[str, object] = {"name": m.name}
        if feats.model_key:
            e["model"] = m.name
        if feats.remote and m.remote_model:
            e["remote_model"] = m.remote_model
            e["remote_host"] = m.remote_host or "https://ollama.com:443"
        e["modified_at"] = rfc3339nano(m.modified_at_ns, view.tz_offset_min)
        e["size"] = m.size
        e["digest"] = m.digest
        if feats.details:
            e["details"] = show.details(m, feats, in_tags=True)
        if feats.shared_model_response:
            # v0.1.38–0.1.41 shared ps's struct: a zero time.Time is never omitted, a zero size_vram is.
            e["expires_at"] = ZERO_TIME
        if feats.tags_v30 and m.capabilities:
            e["capabilities"] = list(m.capabilities)
        entries.append(e)
    return dumps({"models": entries})


def ps_body(view: HostView, feats: Features) -> bytes:
    entries = []
    for r in sorted(view.running, key=lambda r: -(r.expires_at_ns // 1_000_000_000)):
        e: dict[str, object] = {"name": r.model.name, "model": r.model.name}
        if feats.shared_model_response:
            e["modified_at"] = ZERO_TIME
        e["size"] = r.size
        e["digest"] = r.model.digest
        e["details"] = show.details(r.model, feats, in_tags=False)
        e["expires_at"] = rfc3339nano(r.expires_at_ns, view.tz_offset_min)
        if r.size_vram or not feats.shared_model_response:
            e["size_vram"] = r.size_vram
        if feats.ps_context_length:
            e["context_length"] = r.context_length
        entries.append(e)
    return dumps({"models": entries})


def v1_models_body(view: HostView, feats: Features) -> bytes:
    data = [
        {"id": m.name, "object": "model", "created": m.modified_at_ns // 1_000_000_000,
         "owned_by": show.namespace(m.name)}
        for m in _sorted_models(view)
    ]
    # A nil slice: json.Encoder writes null for an empty listing, and always a trailing newline.
    return dumps({"object": "list", "data": data or None}) + b"\n"


def _openai_error(view: HostView, status: int, message: str, cors: list[tuple[str, str]]) -> Reply:
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    body = dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}) + b"\n"
    return reply(status, body, _hdrs(view, [("Content-Type", JSON_PLAIN), *cors]))


def _v1_model(view: HostView, requested: str, cors: list[tuple[str, str]]) -> Reply:
    display = show.normalise_name(requested)
    m = show.find_model(view, display) if display else None
    if m is None:
        return _openai_error(view, 404, f"model '{display or requested}' not found", cors)
    body = dumps({"id": requested, "object": "model", "created": m.modified_at_ns // 1_000_000_000,
                  "owned_by": show.namespace(m.name)}) + b"\n"
    return reply(200, body, _hdrs(view, [("Content-Type", JSON_PLAIN), *cors]))


def _show(view: HostView, req: Request, feats: Features, cors: list[tuple[str, str]]) -> Reply:
    try:
        sent = show.decode_show_request(req.body, feats)
    except show.ShowRequestError as exc:
        return _error(view, 400, str(exc), cors)
    display = show.normalise_name(sent)
    if display is None:
        if feats.name_check:
            return _error(view, 400, "invalid model name", cors)
        return _error(view, 404, f"model '{sent}' not found", cors)
    m = show.find_model(view, display)
    if m is None:
        return _error(view, 404, f"model '{display if feats.tags_v30 else sent}' not found", cors)
    return _json(view, 200, show.show_body(view, m, feats), cors)


def _write_route(view: HostView, req: Request, feats: Features, cors: list[tuple[str, str]]) -> Reply:
    """Routes that would change state or run inference. The simulator never does either: requests get
    the validation error Ollama gives, or its queue-full error for a well-formed request."""
    if req.path.startswith("/v1/"):
        return _openai_error(view, 400, "EOF" if not req.body.strip() else "simulated host is busy", cors)
    if not req.body.strip():
        return _error(view, 400, "missing request body", cors)
    try:
        sent = show.decode_show_request(req.body, feats)
    except show.ShowRequestError as exc:
        return _error(view, 400, str(exc), cors)
    display = show.normalise_name(sent)
    if display is None or show.find_model(view, display) is None:
        return _error(view, 404, f"model '{display if display and feats.tags_v30 else sent}' not found", cors)
    return _error(view, 503, "server busy, please try again.  maximum pending requests exceeded", cors)
