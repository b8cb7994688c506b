"""Who may reach the server: the bind rule, the token, and the headers every response carries.

The rule (``docs/dashboard.md``): the server listens on 127.0.0.1 by default. Listening on any other address needs
a token, read from a file (``--token-file``) or the environment (``LLMCENSUS_TOKEN``), never from the command line
(a command line is visible to every user of the machine in ``ps``); without one the server refuses to start. With a
token, every request (pages, API, static files) must send ``Authorization: Bearer <token>``; anything else is a 401.
Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from llmcensus.errors import UsageError

TOKEN_ENV = "LLMCENSUS_TOKEN"
MIN_TOKEN = 16  # characters: a token shorter than this is guessable, refuse it
# Pages run only the dashboard's own script and plotly.min.js, both served from here; inline styles are plotly's.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY", "Cache-Control": "no-store"}  # fmt: skip


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); everything else, names and ``0.0.0.0``
    included, may be reachable from other machines."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | Path | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The token from ``token_file`` (its first line, stripped), else from ``$LLMCENSUS_TOKEN``; None when neither
    gives one. A token shorter than ``MIN_TOKEN`` characters is a ``UsageError``."""
    env = os.environ if environ is None else environ
    token: str | None
    if token_file is not None:
        try:
            text = Path(token_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the token file {token_file}: {getattr(exc, 'strerror', exc)}") from None
        token = (text.splitlines() or [""])[0].strip()
        if not token:
            raise UsageError(f"the token file {token_file} is empty")
    else:
        token = env.get(TOKEN_ENV, "").strip() or None
    if token is not None and len(token) < MIN_TOKEN:
        raise UsageError(f"the token must have at least {MIN_TOKEN} characters")
    return token


def check_bind(host: str, token: str | None) -> None:
    """Refuse (``UsageError``, one line) to listen on a non-loopback ``host`` without a token."""
    if not is_loopback(host) and not token:
        raise UsageError(f"refusing to listen on {host} without a token: put one in a file (--token-file) or in "
                         f"${TOKEN_ENV}, or listen on 127.0.0.1")  # fmt: skip


def authorised(header: str | None, token: str) -> bool:
    """True when an ``Authorization`` header carries ``Bearer <token>``."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class Guard:
    """ASGI middleware: the security headers on every response, and (with a token) a 401 for every request that does
    not carry it, before any route runs."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.token is not None:
            header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"authorization"), None)
            if not authorised(header, self.token):
                body = b'{"error":"unauthorised: send Authorization: Bearer <token>","status":401}'
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"application/json"), (b"www-authenticate", b'Bearer realm="llmcensus"'),
                    *[(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]]})  # fmt: skip
                await send({"type": "http.response.body", "body": body})
                return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()
                         if k.lower().encode() not in present]  # fmt: skip
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
