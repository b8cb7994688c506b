"""The simulated internet's server: every simulated host is a real TCP listener on loopback.

Each ``HostView`` gets its own loopback address (``loopback_address(host_id)``) and a dial port
(``dial_port(view.port)``); probes target the public identity and connect through the dial map
(``dial_map``, written with ``llmcensus.targets.dialmap.write_dial_map``). One asyncio listener per
host; connections look up the host's *current* view on every request, so advancing the day
(``set_views``) swaps content without dropping listeners or keep-alive connections.

How behaviours are served:

- ``refused``: nothing listens on the dial address, so the client gets connection refused.
- ``silent``: accepts, reads (and logs) requests, never answers; the socket stays open until the
  client closes it or the server stops.
- ``garbage``: after the first complete request (or unparseable bytes) writes non-HTTP bytes chosen
  deterministically from the host id, then closes.
- everything else: HTTP/1.1 parsed by httptools, keep-alive and pipelining supported,
  ``Connection: close`` and HTTP/1.0 honoured, bodies accepted up to ``max_body`` bytes (larger:
  413 and close as soon as the limit is passed). The responder (normally
  ``llmcensus.simulate.wire.respond``) renders the reply; the server adds ``Date`` and
  ``Content-Length`` (unless the reply has one; HEAD replies from the wire layer carry the GET's)
  and, when it is about to close, ``Connection: close`` like Go's net/http. A responder returning
  ``None`` makes the connection silent from then on (requests still logged, socket held). A
  responder exception is a 500 plus a logged error, never a dead server; malformed request bytes
  get Go's ``400 Bad Request`` and a close.
- ``scheme == "https"``: the same, inside TLS with a self-signed certificate made once per server.

Run the server in-process (``FleetServer``) or in a child process (``FleetProcess`` in
``serve_process.py``), which is what ``llmcensus study`` does so the fleet uses the second core.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from llmcensus.errors import SimulationError
from llmcensus.simulate.requestlog import RequestLog
from llmcensus.simulate.serve_conn import Connection, DateCache, Slot
from llmcensus.simulate.tls import self_signed_context
from llmcensus.simulate.views import Behaviour, HostView, Reply, Request
from llmcensus.targets.dialmap import DialMap, write_dial_map

Responder = Callable[[HostView, Request, int], Reply | None]

# 127.<1..254>.<0..255>.<1..254>: never 127.0.0.x (127.0.0.1 is the machine's own services) and never
# an address ending in .0 or .255, which some clients treat as network/broadcast addresses.
LOOPBACK_CAPACITY = 254 * 256 * 254
# Each fleet serves from its own slice of 127/8 so that fleets in concurrent processes (parallel tests,
# a benchmark next to a demo) never compete for an address: slice k covers host ids offset by k * SLICE.
SLICE = 262_144
SLICES = LOOPBACK_CAPACITY // SLICE
FD_RESERVE = 1024  # descriptors kept free for accepted connections, files and the event loop
LISTEN_BACKLOG = 128


def loopback_address(index: int) -> str:
    """The loopback address of simulated host ``index``; a bijection on ``range(LOOPBACK_CAPACITY)``."""
    if not 0 <= index < LOOPBACK_CAPACITY:
        raise SimulationError(f"host id {index} has no loopback address (0 <= id < {LOOPBACK_CAPACITY})")
    rest, last = divmod(index, 254)
    second, third = divmod(rest, 256)
    return f"127.{second + 1}.{third}.{last + 1}"


def dial_port(public_port: int) -> int:
    """Privileged ports cannot be bound unprivileged, so port p < 1024 is served on 20000 + p."""
    return public_port if public_port >= 1024 else 20000 + public_port


def raise_fd_limit(listeners: int, reserve: int = FD_RESERVE) -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; fail clearly if ``listeners`` cannot fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft == resource.RLIM_INFINITY or soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:
        in_use = 64
    if limit != resource.RLIM_INFINITY and in_use + listeners + reserve > limit:
        raise SimulationError(
            f"{listeners} listening hosts need about {in_use + listeners + reserve} file descriptors but "
            f"RLIMIT_NOFILE allows {limit} (hard limit {hard}); raise it (ulimit -Hn) or simulate fewer hosts"
        )
    return int(limit)


class FleetServer:
    """Serve ``HostView``s as loopback listeners in the running event loop (use uvloop for speed).

    ``clock_ns`` is the simulated wall clock (Unix ns) handed to the responder and used for ``Date``;
    it is an attribute so the caller can replace it when the day advances. ``go_chunking`` frames
    bodies over 2 KiB that carry no Content-Length the way Go's net/http (hence Ollama) does:
    ``Transfer-Encoding: chunked``, and no length on the HEAD counterpart; off, every reply has a
    Content-Length.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        clock_ns: Callable[[], int] | None = None,
        log_requests: bool = True,
        max_body: int = 1 << 20,
        fd_reserve: int = FD_RESERVE,
        go_chunking: bool = False,
        address_slice: int | None = None,
    ) -> None:
        self.responder = responder
        self.clock_ns: Callable[[], int] = clock_ns or time.time_ns
        self.log_requests = log_requests
        self.max_body = max_body
        self.fd_reserve = fd_reserve
        self.go_chunking = go_chunking
        self.request_log = RequestLog()
        self.responder_errors = 0
        self.date_cache = DateCache()
        self._slots: dict[tuple[str, int], Slot] = {}  # dial address -> listener
        self._dial_map: DialMap = {}
        self._tls: ssl.SSLContext | None = None
        self._started = False
        self.address_slice = address_slice  # None: pick a free slice at start

    # -- public API
    async def start(self, views: Sequence[HostView]) -> None:
        if self._started:
            raise SimulationError("fleet server already started")
        self._started = True
        if self.address_slice is None:
            self.address_slice = _free_slice(views)
        await self.set_views(views)

    async def set_views(self, views: Sequence[HostView]) -> None:
        """Advance the day: keep listeners whose host stays, open new ones, close vanished ones."""
        if not self._started:
            raise SimulationError("fleet server not started")
        plan = _plan(views, self.address_slice or 0)
        listening = {dial: view for dial, view in plan.items() if view.behaviour is not Behaviour.REFUSED}
        raise_fd_limit(len(listening), self.fd_reserve)
        for dial, slot in list(self._slots.items()):
            view = listening.get(dial)
            if view is None or (view.scheme == "https") != slot.tls:
                await self._close_slot(slot)
                del self._slots[dial]
        opened: list[Slot] = []
        try:
            for dial, view in listening.items():
                kept = self._slots.get(dial)
                if kept is not None:
                    kept.view = view
                    continue
                slot = Slot(view, dial, view.scheme == "https")
                slot.server = await self._listen(slot)
                self._slots[dial] = slot
                opened.append(slot)
        except BaseException:
            for slot in opened:
                await self._close_slot(slot)
                self._slots.pop(slot.dial, None)
            raise
        self._dial_map = {(view.ip, view.port): dial for dial, view in plan.items()}

    async def stop(self) -> None:
        slots = list(self._slots.values())
        self._slots.clear()
        for slot in slots:
            await self._close_slot(slot, wait=False)
        waits = [s.server.wait_closed() for s in slots if s.server is not None]
        if waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), timeout=5)
        self._started = False

    @property
    def dial_map(self) -> DialMap:
        """(public ip, public port) -> (loopback ip, dial port), for every view including refused ones."""
        return dict(self._dial_map)

    def write_dial_map(self, path: str | Path) -> None:
        write_dial_map(path, self._dial_map)

    @property
    def listener_count(self) -> int:
        return len(self._slots)

    @property
    def connection_count(self) -> int:
        return sum(len(s.conns) for s in self._slots.values())

    # -- internals
    def record(self, view: HostView, method: str, path: str, body_len: int) -> None:
        if self.log_requests:
            self.request_log.append(view.host_id, view.ip, view.port, method, path, body_len, time.monotonic_ns())

    async def _listen(self, slot: Slot) -> asyncio.AbstractServer:
        ip, port = slot.dial
        if not ip.startswith("127."):
            raise SimulationError(f"refusing to bind non-loopback address {ip}")
        if slot.tls and self._tls is None:
            self._tls = self_signed_context()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((ip, port))
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise SimulationError(f"cannot listen on {ip}:{port} (host {slot.view.host_id}): {exc.strerror}") from None
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: Connection(self, slot), sock=sock, ssl=self._tls if slot.tls else None, backlog=LISTEN_BACKLOG
        )

    async def _close_slot(self, slot: Slot, wait: bool = True) -> None:
        if slot.server is not None:
            slot.server.close()
        for conn in list(slot.conns):
            conn.abort()
        slot.conns.clear()
        if wait and slot.server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(slot.server.wait_closed(), timeout=5)


def _free_slice(views: Sequence[HostView]) -> int:
    """A slice whose first dial addresses nobody holds, starting from one derived from the process id."""
    probe = [v for v in views if v.behaviour is not Behaviour.REFUSED][:3]
    first = os.getpid() % SLICES
    for step in range(SLICES):
        k = (first + step) % SLICES
        if all(_bindable(loopback_address(v.host_id % SLICE + k * SLICE), dial_port(v.port)) for v in probe):
            return k
    raise SimulationError("no free slice of 127.0.0.0/8 for a new fleet")


def _bindable(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def _plan(views: Sequence[HostView], address_slice: int = 0) -> dict[tuple[str, int], HostView]:
    """dial address -> view, refusing duplicate public identities and colliding dial addresses."""
    plan: dict[tuple[str, int], HostView] = {}
    public: set[tuple[str, int]] = set()
    for view in views:
        if view.scheme not in ("http", "https"):
            raise SimulationError(f"host {view.host_id}: unknown scheme {view.scheme!r}")
        key = (view.ip, view.port)
        if key in public:
            raise SimulationError(f"two views share the public address {view.ip}:{view.port}")
        public.add(key)
        dial = (loopback_address(view.host_id % SLICE + address_slice * SLICE), dial_port(view.port))
        other = plan.get(dial)
        if other is not None:
            raise SimulationError(
                f"hosts {other.host_id} ({other.ip}:{other.port}) and {view.host_id} ({view.ip}:{view.port}) "
                f"would both be served on {dial[0]}:{dial[1]}"
            )
        plan[dial] = view
    return plan


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (several times the throughput of the default loop), asyncio's otherwise; either way
    with ``_quiet_tls_teardown`` as its exception handler."""
    try:
        import uvloop
    except ImportError:
        loop = asyncio.new_event_loop()
    else:
        loop = uvloop.new_event_loop()
    loop.set_exception_handler(_quiet_tls_teardown)
    return loop


def _quiet_tls_teardown(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    """A client that hangs up in the middle of a TLS exchange (a probe's read timeout on a loaded machine) makes the
    loop report "Fatal error on SSL protocol" with a traceback per connection: for a server facing the internet that
    is ordinary, and the connection is already gone. Those are dropped; anything else goes to the default handler."""
    exc = context.get("exception")
    message = str(context.get("message", ""))
    if "SSL" in message and isinstance(exc, ssl.SSLError | ConnectionError | RuntimeError):
        return
    loop.default_exception_handler(context)
