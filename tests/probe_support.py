"""Small real loopback servers for the probe tests (no HTTP mocks): replay bodies per (method, path).

``Persona`` answers from a route table; ``silent`` accepts and never answers; ``garbage`` writes
non-HTTP bytes and closes. Every server binds 127.0.0.1 on an ephemeral port and is stopped by the
context manager. A request log records (public Host header, method, path) for policy assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

CAPTURES = Path(__file__).parent / "fixtures" / "captures"
TAGS_BODY_PATH = CAPTURES / "api_tags" / "04391a874017.json"

Route = tuple[int, dict[str, str], bytes]


def compact(path: Path) -> bytes:
    """A pretty-printed capture re-serialised compactly, as a server would send it."""
    return json.dumps(json.loads(path.read_text()), separators=(",", ":"), ensure_ascii=False).encode()


JSON = {"Content-Type": "application/json; charset=utf-8"}
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


@dataclass
class Persona:
    routes: dict[tuple[str, str], Route]
    default: Route = (404, TEXT, b"404 page not found")
    delay: float = 0.0
    show: Callable[[bytes], Route] | None = None  # POST /api/show handler (gets the request body)


def ollama_persona(tags: bytes, *, version: str = "0.5.7", ps: bytes | None = b'{"models":[]}',
                   show: Callable[[bytes], Route] | None = None) -> Persona:
    routes: dict[tuple[str, str], Route] = {
        ("GET", "/"): (200, TEXT, b"Ollama is running"),
        ("GET", "/api/version"): (200, JSON, json.dumps({"version": version}).encode()),
        ("GET", "/api/tags"): (200, JSON, tags),
    }
    if ps is not None:
        routes[("GET", "/api/ps")] = (200, JSON, ps)
    return Persona(routes, show=show)


@dataclass
class Fleet:
    """Servers keyed by public identity; ``dial_map`` maps them to their loopback listeners."""

    dial_map: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (Host header, method, path)
    _runners: list[web.AppRunner] = field(default_factory=list)
    _servers: list[asyncio.AbstractServer] = field(default_factory=list)
    _held: list[asyncio.StreamWriter] = field(default_factory=list)

    async def add(self, public: tuple[str, int], persona: Persona) -> None:
        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            self.log.append((request.headers.get("Host", ""), request.method, request.path))
            if persona.delay:
                await asyncio.sleep(persona.delay)
            if request.method == "POST" and request.path == "/api/show" and persona.show is not None:
                status, headers, payload = persona.show(body)
            else:
                status, headers, payload = persona.routes.get((request.method, request.path), persona.default)
            # Ollama (gin) sends no Server header; aiohttp would add its own, so send an empty one instead
            return web.Response(status=status, headers={"Server": "", **headers}, body=payload)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        assert runner.addresses
        port = runner.addresses[0][1]
        self._runners.append(runner)
        self.dial_map[public] = ("127.0.0.1", port)

    async def add_raw(self, public: tuple[str, int], mode: str) -> None:
        """mode: "silent" (hold the connection, never answer) or "garbage" (non-HTTP bytes, close)."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.log.append((str(public), "RAW", mode))
            if mode == "garbage":
                await reader.read(100)
                writer.write(b"\x00\x01SSH-2.0-not-http\r\n\xff\xfe")
                await writer.drain()
                writer.close()
            else:
                self._held.append(writer)
                await reader.read()  # until the client gives up

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self._servers.append(server)
        self.dial_map[public] = ("127.0.0.1", server.sockets[0].getsockname()[1])

    def add_refused(self, public: tuple[str, int]) -> None:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        self.dial_map[public] = ("127.0.0.1", port)

    async def close(self) -> None:
        for w in self._held:
            w.close()
        for s in self._servers:
            s.close()
        for r in self._runners:
            await r.cleanup()


@contextlib.asynccontextmanager
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    try:
        yield f
    finally:
        await f.close()


class ThreadedFleet:
    """A ``Fleet`` served from a background thread, for tests that run the CLI in a subprocess."""

    def __init__(self) -> None:
        import threading

        self.loop = asyncio.new_event_loop()
        self.fleet = Fleet()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def close(self) -> None:
        self.run(self.fleet.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
