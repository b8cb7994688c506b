"""Reply construction shared by every persona: reason phrases, header order, HEAD handling.

Header contract with the server (``serve.py``): ``Reply.headers`` are in wire order and never contain
``Date``; the server appends ``Date`` and then ``Content-Length`` — except on replies to ``HEAD``,
which already carry the ``Content-Length`` the matching ``GET`` would have (the body is empty, so the
server cannot compute it) and must not get a second one.
"""

from __future__ import annotations

import json

from llmcensus.simulate.views import Reply, Request

REASONS: dict[int, str] = {
    200: "OK", 204: "No Content", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    422: "Unprocessable Entity", 500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable",
}

JSON_GO = "application/json; charset=utf-8"  # gin c.JSON
TEXT_GO = "text/plain; charset=utf-8"  # gin c.String
TEXT_PLAIN = "text/plain"  # gin's own 404/405 bodies (serveError)
JSON_PLAIN = "application/json"  # json.Encoder-based writers (Ollama /v1/*, echo, FastAPI)
HTML = "text/html; charset=utf-8"


def go_sorted(headers: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Go's ``Header.Write`` order: keys sorted bytewise (keys are already canonical MIME form)."""
    return tuple(sorted(headers, key=lambda kv: kv[0]))


def reply(status: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status=status, reason=REASONS.get(status, "Unknown"), headers=headers, body=body)


def for_head(r: Reply) -> Reply:
    """The reply to HEAD: same status and headers, empty body, explicit Content-Length of the GET body."""
    if any(k.lower() == "content-length" for k, _ in r.headers):
        return Reply(r.status, r.reason, r.headers, b"", r.close)
    return Reply(r.status, r.reason, (*r.headers, ("Content-Length", str(len(r.body)))), b"", r.close)


def is_get(req: Request) -> bool:
    """GET or HEAD: every persona serves HEAD wherever it serves GET."""
    return req.method in ("GET", "HEAD")


def finish(req: Request, r: Reply) -> Reply:
    return for_head(r) if req.method == "HEAD" else r


UVICORN = ("server", "uvicorn")  # uvicorn's default header (lower-case, like all its headers)


def fastapi_json(status: int, obj: object, extra: tuple[tuple[str, str], ...] = ()) -> Reply:
    """Starlette JSONResponse: compact, non-ASCII kept, no HTML escaping, no trailing newline."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    return reply(status, body, (UVICORN, ("content-type", "application/json"), *extra))
