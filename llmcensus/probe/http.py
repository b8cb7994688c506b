"""The probe's one boundary with aiohttp and the OS: a request in, an ``Exchange`` out, never an exception.

Every aiohttp/OS/TLS error is translated into a ``Status`` here and nowhere else. A ``HostClient``
wraps one visit: it refuses any (method, path) that is not on a runtime allowlist (``PolicyError``:
that is our bug, not the host's), stops at the per-visit request budget, applies the rate limits,
and dials the dial address while sending the public identity in ``Host``.
"""

from __future__ import annotations

import asyncio
import errno
import ssl
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.client_exceptions import ClientConnectorError
from aiohttp.helpers import ceil_timeout
from yarl import URL

from llmcensus.errors import PolicyError
from llmcensus.observations.schema import Status
from llmcensus.probe.budget import RateLimiter
from llmcensus.probe.settings import ProbeSettings

# Statuses that mean "no usable HTTP reply": the visit stops after one of these on the first requests.
CONNECTION_FAILURES = frozenset(
    {Status.CONNECTION_REFUSED, Status.CONNECTION_TIMEOUT, Status.READ_TIMEOUT, Status.TLS_ERROR,
     Status.PROTOCOL_ERROR, Status.UNKNOWN_ERROR}
)


@dataclass(slots=True)
class Exchange:
    """One request of a visit and what came back. ``failure`` is set when no usable reply arrived."""

    method: str
    path: str
    status: int | None = None
    content_type: str | None = None
    server: str | None = None
    allow: str | None = None
    location: str | None = None
    www_authenticate: str | None = None
    date: str | None = None
    body: bytes = b""
    nbytes: int | None = None  # body bytes read, even after ``body`` is cut to what the record keeps
    truncated: bool = False
    ms: float | None = None
    failure: Status | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and self.status is not None and 200 <= self.status < 300


def _one_line(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ").strip()
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


# A reset or abort while connecting: the peer refused the connection (plain TCP) or the handshake (TLS).
_RESET = (errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE)


def translate_error(exc: BaseException, *, tls: bool = False) -> tuple[Status, str]:
    """The single place where third-party errors become statuses. Order matters: subclasses first."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Status.CONNECTION_TIMEOUT, _one_line(exc)
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return Status.TLS_ERROR, _one_line(exc)
    if isinstance(exc, aiohttp.ClientConnectorError):
        code = exc.os_error.errno if exc.os_error is not None else None
        if code in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
            return Status.CONNECTION_REFUSED, _one_line(exc)
        if code == errno.ETIMEDOUT:
            return Status.CONNECTION_TIMEOUT, _one_line(exc)
        if code in _RESET:
            return (Status.TLS_ERROR if tls else Status.CONNECTION_REFUSED), _one_line(exc)
        return Status.UNKNOWN_ERROR, _one_line(exc)
    if isinstance(exc, aiohttp.SocketTimeoutError | asyncio.TimeoutError | TimeoutError):
        return Status.READ_TIMEOUT, _one_line(exc) if str(exc) else "no complete reply within the read timeout"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return Status.PROTOCOL_ERROR, "server closed the connection without a complete reply"
    if isinstance(exc, aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        return Status.PROTOCOL_ERROR, _one_line(exc)
    if isinstance(exc, aiohttp.ClientOSError | ConnectionError):
        return Status.PROTOCOL_ERROR, _one_line(exc)
    if isinstance(exc, ConnectionRefusedError):
        return Status.CONNECTION_REFUSED, _one_line(exc)
    if isinstance(exc, aiohttp.ClientError | OSError | ValueError | UnicodeError):
        return Status.UNKNOWN_ERROR, _one_line(exc)
    return Status.UNKNOWN_ERROR, _one_line(exc)


class LiteralConnector(aiohttp.TCPConnector):
    """aiohttp's connector, dialling a plain-HTTP literal address with the event loop's own connect.

    Every probe target is one literal IP address, never a name, so happy-eyeballs has nothing to race;
    its Python-level socket set-up was the largest single cost of a visit (about a sixth of the client's
    CPU in ``bench/probe.py``). One address without TLS goes straight to ``loop.create_connection``
    under the same connect timeout, and errors are wrapped exactly as aiohttp wraps them; anything else
    (TLS, several addresses, a local address) takes aiohttp's own path. ``tests/test_probe_engine.py``
    pins that plain-HTTP connects take this path and that refused and answering hosts keep their statuses.
    """

    async def _wrap_create_connection(  # type: ignore[override]
        self, *args: Any, addr_infos: list[Any], req: Any, timeout: aiohttp.ClientTimeout,
        client_error: type[Exception] = ClientConnectorError, **kwargs: Any,
    ) -> tuple[asyncio.Transport, Any]:
        if len(addr_infos) != 1 or kwargs.get("ssl") or self._local_addr_infos:
            return await super()._wrap_create_connection(  # type: ignore[no-any-return]
                *args, addr_infos=addr_infos, req=req, timeout=timeout, client_error=client_error, **kwargs)
        address = addr_infos[0][4]
        try:
            async with ceil_timeout(timeout.sock_connect, ceil_threshold=timeout.ceil_threshold):
                factory: Any = args[0]
                return await self._loop.create_connection(factory, address[0], address[1])
        except OSError as exc:
            if exc.errno is None and isinstance(exc, asyncio.TimeoutError):
                raise
            raise client_error(req.connection_key, exc) from exc


def make_connector(settings: ProbeSettings) -> aiohttp.TCPConnector:
    ctx: ssl.SSLContext | bool = False
    if settings.verify_tls:
        ctx = ssl.create_default_context()
    # limit = visits in flight: one connection per visit (requests of a visit are sequential).
    return LiteralConnector(
        limit=settings.concurrency, limit_per_host=0, ssl=ctx, use_dns_cache=False,
        keepalive_timeout=5.0, enable_cleanup_closed=False,
    )


def make_session(connector: aiohttp.TCPConnector, settings: ProbeSettings) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": settings.user_agent, "Accept": "*/*"},
        skip_auto_headers=("Accept-Encoding",),  # identity bodies: sizes and caps mean raw bytes
        auto_decompress=False,
        raise_for_status=False,
        timeout=aiohttp.ClientTimeout(total=None),
    )


class HostClient:
    """All requests of one visit to one target; keeps every ``Exchange`` in order."""

    def __init__(
        self, session: aiohttp.ClientSession, *, public: tuple[str, int], dial: tuple[str, int], scheme: str,
        settings: ProbeSettings, limiter: RateLimiter, allowlist: Collection[tuple[str, str]],
    ) -> None:
        self.session = session
        self.settings = settings
        self.limiter = limiter
        self.allowlist = allowlist
        self.public_ip, self.public_port = public
        self.tls = scheme == "https"
        ip, port = public
        dial_ip, dial_port = dial
        host = f"[{ip}]" if ":" in ip else ip
        dhost = f"[{dial_ip}]" if ":" in dial_ip else dial_ip
        self.base = f"{scheme}://{dhost}:{dial_port}"
        self.host_header = f"{host}:{port}"
        self.exchanges: list[Exchange] = []
        self.timeout = aiohttp.ClientTimeout(
            total=settings.connect_timeout + settings.read_timeout,
            sock_connect=settings.connect_timeout,
            sock_read=settings.read_timeout,
        )

    @property
    def requests(self) -> int:
        return len(self.exchanges)

    @property
    def budget_left(self) -> int:
        return self.settings.request_budget - len(self.exchanges)

    async def request(
        self, method: str, path: str, body: bytes | None = None, *, last: bool = False, max_bytes: int | None = None,
    ) -> Exchange | None:
        """Send one allowlisted request; None when the visit's budget is spent (nothing was sent)."""
        if (method, path) not in self.allowlist:
            raise PolicyError(f"refused: {method} {path} is not on any runtime allowlist")
        if self.budget_left <= 0:
            return None
        ex = Exchange(method, path)
        self.exchanges.append(ex)
        await self.limiter.wait(self.public_ip)
        try:
            return await self._send(ex, method, path, body, last=last, max_bytes=max_bytes)
        finally:
            self.limiter.done(self.public_ip)  # counted against the address cap from when it is over

    async def _send(self, ex: Exchange, method: str, path: str, body: bytes | None, *, last: bool,
                    max_bytes: int | None) -> Exchange:
        headers = {"Host": self.host_header}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if last:
            headers["Connection"] = "close"  # the visit is over: do not leave an idle socket behind
        cap = max_bytes or self.settings.max_response_bytes
        start = time.perf_counter()
        try:
            # encoded=True: our paths are plain ASCII constants; skips yarl's re-encoding on every request
            url = URL(self.base + path, encoded=True)
            async with self.session.request(
                method, url, headers=headers, data=body, allow_redirects=False, timeout=self.timeout,
            ) as resp:
                ex.status = resp.status
                h = resp.headers
                ex.content_type = h.get("Content-Type")
                ex.server = h.get("Server")
                ex.allow = h.get("Allow")
                ex.location = h.get("Location")
                ex.www_authenticate = h.get("WWW-Authenticate")
                ex.date = h.get("Date")
                try:
                    data = await resp.content.readexactly(cap + 1)
                    ex.body, ex.truncated = data[:cap], True
                    resp.close()  # unread bytes remain: the connection cannot be reused
                except asyncio.IncompleteReadError as short:
                    ex.body = short.partial
                ex.nbytes = len(ex.body)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            ex.failure, ex.error = translate_error(exc, tls=self.tls)
        ex.ms = (time.perf_counter() - start) * 1000.0
        return ex
