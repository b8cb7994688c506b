"""Benchmark the simulated internet's server: time to ready and keep-alive requests/s.

The fleet runs in a FleetProcess (a child process, as in ``llmcensus study``); the load generator
runs here, in the parent, on uvloop: ``--connections`` keep-alive connections spread evenly over
the hosts, each sending ``GET /api/version`` and reading the full reply, for ``--seconds``.
Uses the real wire layer (``llmcensus.simulate.wire.respond``) when it exists, else the smoke echo.

    .venv/bin/python bench/serve.py            # 5,000 hosts, 200 connections, 5 s
    .venv/bin/python bench/serve.py --quick    # 1,000 hosts, 100 connections, 2 s
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import time

from llmcensus.simulate.serve import new_event_loop
from llmcensus.simulate.serve_process import FleetProcess
from llmcensus.simulate.smoke import smoke_views

DAY = 12  # smoke hosts then claim version 0.12.0, a version the wire layer knows
FIRST_ID = 3_000_000  # away from the test suite's host ids


def pick_responder() -> str:
    try:
        wire = importlib.import_module("llmcensus.simulate.wire")
    except ImportError:
        return "llmcensus.simulate.smoke:echo_responder"
    return "llmcensus.simulate.wire:respond" if hasattr(wire, "respond") else "llmcensus.simulate.smoke:echo_responder"


async def one_connection(dial: tuple[str, int], deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(*dial)
    request = b"GET /api/version HTTP/1.1\r\nHost: bench\r\nUser-Agent: llmcensus-bench\r\nAccept: */*\r\n\r\n"
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            start = head.find(b"Content-Length: ")
            length = int(head[start + 16 : head.index(b"\r\n", start)]) if start >= 0 else 0
            await reader.readexactly(length)
            counts[0] += 1
            if not head.startswith(b"HTTP/1.1 200 "):
                counts[1] += 1
    finally:
        writer.close()


async def load(dials: list[tuple[str, int]], connections: int, seconds: float) -> tuple[int, int, float]:
    step = max(1, len(dials) // connections)
    chosen = [dials[(i * step) % len(dials)] for i in range(connections)]
    counts = [0, 0]
    t0 = time.monotonic()
    await asyncio.gather(*(one_connection(d, t0 + seconds, counts) for d in chosen))
    return counts[0], counts[1], time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short run: 1,000 hosts, 100 connections, 2 s")
    parser.add_argument("--hosts", type=int, default=None)
    parser.add_argument("--connections", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    hosts = args.hosts or (1000 if args.quick else 5000)
    connections = args.connections or (100 if args.quick else 200)
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    responder = pick_responder()

    factory = functools.partial(smoke_views, count=hosts, first_id=FIRST_ID)
    fleet = FleetProcess(factory, responder)
    t0 = time.monotonic()
    try:
        dial_map = fleet.start(DAY)
        ready = time.monotonic() - t0
        loop = new_event_loop()
        try:
            done, bad, elapsed = loop.run_until_complete(load(list(dial_map.values()), connections, seconds))
        finally:
            loop.close()
        logged = len(fleet.request_log())
        stats = fleet.stats()
    finally:
        fleet.stop()
    print(f"responder: {responder}; hosts: {hosts}; listeners: {stats['listeners']}; connections: {connections}")
    print(f"time to ready: {ready:.2f} s for {hosts} hosts (goal < 10 s)")
    print(f"requests/s served: {done / elapsed:,.0f} ({done} in {elapsed:.1f} s, keep-alive; goal >= 3,000)")
    print(
        f"non-200 replies: {bad}; requests logged by the fleet: {logged}; responder errors: {stats['responder_errors']}"
    )


if __name__ == "__main__":
    main()
