"""Hostile loopback servers for ``test_hostile_suite.py``: aiohttp personas, raw TCP tricks and TLS, in one thread.

``HostileFleet`` serves every host from a background event loop (so the engine under test, or the CLI with
its own uvloop, runs in the main thread and a slow or flooding server cannot stall the client's loop). Each
host is keyed by its public identity ``(ip, port)`` and reached through ``dial_map``. Every request that
reaches any server is logged as a ``Hit`` with a server-side monotonic timestamp: the public key of the
server it reached, the ``Host`` header, method and path (``RAW`` / ``?`` when the bytes were not HTTP).

Raw hosts get a ``Conn``: ``await conn.request()`` reads one request head (and its body), logs it and
returns it; the handler then writes whatever bytes the behaviour needs. Helpers below build the usual
handlers (``reply_once``, ``per_path``, ``drip``...).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from probe_support import Persona, Route

from llmcensus.simulate.tls import self_signed_context

Public = tuple[str, int]
MAX_SERVE_S = 30.0  # no server behaviour runs longer than this, whatever the client does


@dataclass(frozen=True, slots=True)
class Hit:
    at: float  # time.monotonic() on the server when the request head was read
    public: Public  # which server (public identity) it reached
    host: str  # the Host header it carried
    method: str
    path: str


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Conn:
    """One accepted raw connection; ``request()`` reads and logs the next request."""

    def __init__(self, fleet: HostileFleet, public: Public, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.fleet, self.public, self.reader, self.writer = fleet, public, reader, writer

    async def request(self) -> Request | None:
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("?", lines[0][:64])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        body = b""
        length = int(headers.get("content-length", "0") or 0)
        if length:
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
                body = await self.reader.readexactly(length)
        self.fleet.log.append(Hit(time.monotonic(), self.public, headers.get("host", ""), method, path))
        return Request(method, path, headers, body)

    async def send(self, data: bytes) -> bool:
        """Write and drain; False once the client has gone."""
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def hold(self) -> None:
        """Keep the connection open, answering nothing, until the client gives up (or MAX_SERVE_S)."""
        with contextlib.suppress(ConnectionError, TimeoutError):
            async with asyncio.timeout(MAX_SERVE_S):
                while await self.reader.read(4096):
                    pass


Handler = Callable[[Conn], Awaitable[None]]


def http(status: int, body: bytes = b"", headers: dict[str, str] | None = None, *, reason: str = "X",
         length: bool = True) -> bytes:
    """One HTTP/1.1 reply, ``Connection: close``; ``length=False`` leaves Content-Length out."""
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
    if length:
        head.append(f"Content-Length: {len(body)}")
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def reply_once(data: bytes, *, read: bool = True) -> Handler:
    """Read the request (unless ``read`` is False), write ``data`` verbatim, close."""

    async def handler(conn: Conn) -> None:
        if read and await conn.request() is None:
            return
        await conn.send(data)

    return handler


def per_path(routes: dict[str, bytes | Handler], default: bytes | Handler) -> Handler:
    """Answer each request by path, with bytes (then close) or a handler that takes over the connection."""

    async def handler(conn: Conn) -> None:
        req = await conn.request()
        if req is None:
            return
        answer = routes.get(req.path, default)
        if isinstance(answer, bytes):
            await conn.send(answer)
        else:
            await answer(conn)

    return handler


def then(prefix: bytes, action: Callable[[Conn], Awaitable[None]]) -> Handler:
    """Write ``prefix``, then run ``action`` on the already-answered connection (hold, drip, ...)."""

    async def handler(conn: Conn) -> None:
        if await conn.send(prefix):
            await action(conn)

    return handler


def drip(chunk: bytes, every: float, *, forever: bytes | None = None) -> Callable[[Conn], Awaitable[None]]:
    """Write ``chunk`` one byte every ``every`` seconds (or ``forever`` repeatedly) until the client leaves."""

    async def action(conn: Conn) -> None:
        deadline = time.monotonic() + MAX_SERVE_S
        data = chunk
        i = 0
        while time.monotonic() < deadline:
            if forever is not None:
                piece = forever
            elif i < len(data):
                piece = data[i:i + 1]
                i += 1
            else:
                piece = b"x"
            if not await conn.send(piece):
                return
            await asyncio.sleep(every)

    return action


async def endless_chunks(conn: Conn) -> None:
    """A chunked body that never ends: 64 KiB chunks until the client leaves (or 64 MiB, as a backstop)."""
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    for _ in range(1024):
        if not await conn.send(chunk):
            return


def reset(conn: Conn) -> None:
    """Abort with SO_LINGER 0: the peer gets a TCP RST, not a FIN."""
    sock = conn.writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.writer.transport.abort()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class HostileFleet:
    """Hosts keyed by public identity, served from a background thread; ``dial_map`` routes to them."""

    dial_map: dict[Public, tuple[str, int]] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)
    _tls: ssl.SSLContext | None = None
    _runners: list[web.AppRunner] = field(default_factory=list)
    _servers: list[asyncio.AbstractServer] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _conns: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="hostile-fleet")
        self._thread.start()

    def run(self, coro: Awaitable[Any]) -> Any:
        async def wrap() -> Any:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(timeout=60)

    def tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = self_signed_context()
        return self._tls

    def hits(self, public: Public, since: int = 0) -> list[Hit]:
        return [h for h in self.log[since:] if h.public == public]

    # -- hosts -------------------------------------------------------------------------------------------------

    def add_persona(self, public: Public, persona: Persona, *, tls: bool = False) -> None:
        self.run(self._add_persona(public, persona, tls))

    async def _add_persona(self, public: Public, persona: Persona, tls: bool) -> None:
        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            self.log.append(Hit(time.monotonic(), public, request.headers.get("Host", ""), request.method,
                                request.path))
            if persona.delay:
                await asyncio.sleep(persona.delay)
            route: Route
            if request.method == "POST" and request.path == "/api/show" and persona.show is not None:
                route = persona.show(body)
            else:
                route = persona.routes.get((request.method, request.path), persona.default)
            status, headers, payload = route
            # Ollama (gin) sends no Server header; aiohttp would add its own, so send an empty one by default
            return web.Response(status=status, headers={"Server": "", **headers}, body=payload)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.tls_context() if tls else None)
        await site.start()
        assert runner.addresses
        self._runners.append(runner)
        self.dial_map[public] = ("127.0.0.1", runner.addresses[0][1])

    def add_raw(self, public: Public, handler: Handler, *, tls: bool = False) -> None:
        self.run(self._add_raw(public, handler, tls))

    async def _add_raw(self, public: Public, handler: Handler, tls: bool) -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._conns.add(task)
            try:
                async with asyncio.timeout(MAX_SERVE_S):
                    await handler(Conn(self, public, reader, writer))
            except (ConnectionError, TimeoutError, ssl.SSLError, asyncio.IncompleteReadError):
                pass
            except asyncio.CancelledError:  # the fleet is closing: end quietly (asyncio would log a cancelled task)
                pass
            finally:
                self._conns.discard(task)
                with contextlib.suppress(Exception):
                    writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, limit=1 << 20,
                                            ssl=self.tls_context() if tls else None)
        self._servers.append(server)
        self.dial_map[public] = ("127.0.0.1", server.sockets[0].getsockname()[1])

    def add_backlog(self, public: Public) -> None:
        """A socket that listens but never accepts: the kernel completes the handshake, nobody ever reads."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        self._sockets.append(s)
        self.dial_map[public] = ("127.0.0.1", s.getsockname()[1])

    def add_refused(self, public: Public) -> None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        self.dial_map[public] = ("127.0.0.1", port)

    def close(self) -> None:
        async def stop() -> None:
            for task in list(self._conns):
                task.cancel()
            for server in self._servers:
                server.close()
            for runner in self._runners:
                await runner.cleanup()

        with contextlib.suppress(Exception):
            self.run(stop())
        for s in self._sockets:
            s.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextlib.contextmanager
def hostile_fleet() -> Iterator[HostileFleet]:
    f = HostileFleet()
    try:
        yield f
    finally:
        f.close()
