"""The fleet server in a child process, so the simulated internet and the probe use both cores.

The parent holds a ``FleetProcess``; the child builds each day's views itself (``view_factory(day)``,
so a big population never crosses the pipe), serves them with a ``FleetServer`` on uvloop, and
answers commands over a ``multiprocessing`` Pipe. Every parent method blocks until the child has
answered (call them through ``asyncio.to_thread`` from inside an event loop) and raises
``SimulationError`` if the child fails, dies or does not answer in time.

The child is started with the ``spawn`` method (no inherited event loop or threads), so the view
factory, the optional ``clock_for_day`` and the responder (given as an import path,
``"package.module:name"``) must be importable by name. The child ignores SIGINT (the parent owns
the terminal) and exits when the parent's end of the pipe closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

from llmcensus import errors
from llmcensus.errors import SimulationError
from llmcensus.simulate.requestlog import RequestLog
from llmcensus.simulate.serve import FleetServer, Responder, new_event_loop
from llmcensus.simulate.views import HostView
from llmcensus.targets.dialmap import DialMap, write_dial_map

ViewFactory = Callable[[int], Sequence[HostView]]
ClockForDay = Callable[[int], Callable[[], int]]


def resolve(path: str) -> Any:
    """``"pkg.mod:name"`` or ``"pkg.mod.name"`` -> the object."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SimulationError(f"cannot import {path!r}: {exc}") from None


class FleetProcess:
    """A ``FleetServer`` in a child process; usable as a context manager (stops on exit)."""

    def __init__(
        self,
        view_factory: ViewFactory,
        responder: str,
        *,
        clock_for_day: ClockForDay | None = None,
        log_requests: bool = True,
        max_body: int = 1 << 20,
        go_chunking: bool = False,
        command_timeout_s: float = 60.0,
        day_timeout_s: float = 600.0,
    ) -> None:
        self.view_factory = view_factory
        self.responder = responder
        self.clock_for_day = clock_for_day
        self.log_requests = log_requests
        self.max_body = max_body
        self.go_chunking = go_chunking
        self.command_timeout_s = command_timeout_s
        self.day_timeout_s = day_timeout_s  # building and serving a day's views can take a while
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._dial_map: DialMap = {}

    def start(self, day: int) -> DialMap:
        """Start the child and serve ``day``; returns the dial map."""
        if self._process is not None:
            raise SimulationError("fleet process already started")
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        options = {"log_requests": self.log_requests, "max_body": self.max_body, "go_chunking": self.go_chunking}
        process = ctx.Process(
            target=_child_main,
            args=(child, self.view_factory, self.responder, self.clock_for_day, options),
            name="llmcensus-fleet",
            daemon=True,
        )
        process.start()
        child.close()  # so the child sees EOF if this process dies, and we see EOF if it does
        self._conn, self._process = parent, process
        try:
            self._dial_map = self._call("start", day, self.day_timeout_s)
        except BaseException:
            self._kill()
            raise
        return dict(self._dial_map)

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (benchmarks pin it to a core)."""
        return self._process.pid if self._process is not None else None

    def set_day(self, day: int) -> DialMap:
        """Serve ``day`` without restarting: listeners of staying hosts are kept; returns the dial map."""
        self._dial_map = self._call("set_day", day, self.day_timeout_s)
        return dict(self._dial_map)

    def dial_map(self) -> DialMap:
        return dict(self._dial_map)

    def write_dial_map(self, path: str | Path) -> None:
        write_dial_map(path, self._dial_map)

    def request_log(self, *, drain: bool = False) -> RequestLog:
        """A copy of the child's request log; ``drain=True`` also empties it (for per-day logs)."""
        log: RequestLog = self._call("request_log", drain, self.command_timeout_s)
        return log

    def stats(self) -> dict[str, int]:
        """listeners, open connections, responder errors and logged requests in the child."""
        stats: dict[str, int] = self._call("stats", None, self.command_timeout_s)
        return stats

    def stop(self) -> None:
        if self._process is None:
            return
        try:
            if self._process.is_alive():
                self._call("stop", None, self.command_timeout_s)
            self._process.join(timeout=10)
        except SimulationError:
            pass
        finally:
            self._kill()

    def __enter__(self) -> FleetProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, command: str, argument: object, timeout: float) -> Any:
        conn, process = self._conn, self._process
        if conn is None or process is None:
            raise SimulationError("fleet process not started")
        try:
            conn.send((command, argument))
            if not conn.poll(timeout):
                # a late answer would desynchronise the pipe: a fleet that misses a deadline is stopped
                self._kill(grace_s=0.2)
                raise SimulationError(f"fleet process did not answer {command!r} within {timeout:g} s; stopped it")
            status, payload = conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            process.join(timeout=1)
            raise SimulationError(f"fleet process died (exit code {process.exitcode}) during {command!r}") from None
        if status == "ok":
            return payload
        name, message = payload
        error_class = getattr(errors, name, SimulationError)
        if not (isinstance(error_class, type) and issubclass(error_class, errors.LLMCensusError)):
            error_class = SimulationError
        raise error_class(message)

    def _kill(self, grace_s: float = 5.0) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is not None:
            process.join(timeout=grace_s)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


def _child_main(
    conn: Connection,
    view_factory: ViewFactory,
    responder_path: str,
    clock_for_day: ClockForDay | None,
    options: dict[str, Any],
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    loop = new_event_loop()
    try:
        loop.run_until_complete(_serve_commands(conn, view_factory, responder_path, clock_for_day, options))
    finally:
        loop.close()
        conn.close()


async def _serve_commands(
    conn: Connection,
    view_factory: ViewFactory,
    responder_path: str,
    clock_for_day: ClockForDay | None,
    options: dict[str, Any],
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    # Commands are read by a thread doing blocking recv: watching the pipe with the loop's add_reader
    # would make it non-blocking, and a big reply (a request log) would then be sent truncated.
    def read_commands() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = ("stop", "parent gone")
            loop.call_soon_threadsafe(queue.put_nowait, message)
            if message[0] == "stop":
                return

    server: FleetServer | None = None
    threading.Thread(target=read_commands, name="fleet-commands", daemon=True).start()
    try:
        while True:
            command, argument = await queue.get()
            try:
                if server is None and command != "stop":
                    responder = cast(Responder, resolve(responder_path))
                    server = FleetServer(responder, **options)
                result = await _run(server, command, argument, view_factory, clock_for_day)
                reply: tuple[str, Any] = ("ok", result)
            except errors.LLMCensusError as exc:
                reply = ("error", (type(exc).__name__, str(exc)))
            except Exception as exc:  # a bug in the factory or responder import: report it, keep serving
                reply = ("error", ("SimulationError", f"{command} failed: {type(exc).__name__}: {exc}"))
            if argument != "parent gone":
                with contextlib.suppress(OSError):
                    conn.send(reply)
            if command == "stop":
                return
    finally:
        if server is not None:
            await server.stop()


async def _run(
    server: FleetServer | None,
    command: str,
    argument: Any,
    view_factory: ViewFactory,
    clock_for_day: ClockForDay | None,
) -> Any:
    if server is None:  # only "stop" before "start"
        return None
    if command in ("start", "set_day"):
        day = int(argument)
        views = view_factory(day)
        if clock_for_day is not None:
            server.clock_ns = clock_for_day(day)
        await (server.start(views) if command == "start" else server.set_views(views))
        return server.dial_map
    if command == "request_log":
        return server.request_log.drain() if argument else server.request_log
    if command == "stats":
        return {
            "listeners": server.listener_count,
            "connections": server.connection_count,
            "responder_errors": server.responder_errors,
            "requests": len(server.request_log),
        }
    if command == "stop":
        await server.stop()
        return None
    raise SimulationError(f"unknown fleet command {command!r}")
