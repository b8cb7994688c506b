"""Benchmark the connect sweep: addresses/s on loopback through a dial map.

Public identities in ``--blocks`` /16s (11.0.0.0/16, 11.1.0.0/16, …) are mapped through a dial map:
a third onto loopback listeners (open), a third onto loopback ports where nothing listens
(refused), a third left unmapped (no answer, no packet). The listeners run in a child process
(they only accept and drop), so the sweep in this process has one core to itself. The sweep runs
unthrottled (``rate 0``) with ``--concurrency`` attempts in flight, on uvloop when available.

    .venv/bin/python bench/sweep.py            # 3 × /16 = 196,608 addresses, one port
    .venv/bin/python bench/sweep.py --quick    # one /18 = 16,384 addresses
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import multiprocessing as mp
import socket
import time
from multiprocessing.connection import Connection

from llmcensus.discover.sweep import Outcome, SweepStats, sweep
from llmcensus.discover.sweepplan import SweepSettings
from llmcensus.targets.blocklist import Blocklist

LISTEN_HOSTS = [f"127.41.0.{i}" for i in range(1, 17)]
REFUSE_HOSTS = [f"127.41.1.{i}" for i in range(1, 17)]
PORT = 11434


def _listen(conn: Connection) -> None:
    """Child: one listener per LISTEN_HOSTS address; accept and close until told to stop."""

    async def main() -> None:
        async def on(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        servers = [await asyncio.start_server(on, host, 0, backlog=4096) for host in LISTEN_HOSTS]
        conn.send([(h, s.sockets[0].getsockname()[1]) for h, s in zip(LISTEN_HOSTS, servers, strict=True)])
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)
        for s in servers:
            s.close()

    asyncio.run(main())


def _refusing(host: str) -> tuple[str, int]:
    with socket.socket() as s:
        s.bind((host, 0))
        return host, int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one /18 instead of --blocks /16s")
    ap.add_argument("--blocks", type=int, default=3, help="how many /16s of public identities")
    ap.add_argument("--concurrency", type=int, default=256)
    args = ap.parse_args()

    ranges = (
        [ipaddress.IPv4Network("11.0.0.0/18")]
        if args.quick
        else [ipaddress.IPv4Network(f"11.{b}.0.0/16") for b in range(args.blocks)]
    )
    parent, child = mp.Pipe()
    proc = mp.Process(target=_listen, args=(child,), daemon=True)
    proc.start()
    listeners: list[tuple[str, int]] = parent.recv()
    refusers = [_refusing(h) for h in REFUSE_HOSTS]
    dial_map: dict[tuple[str, int], tuple[str, int]] = {}
    i = 0
    for net in ranges:
        for addr in net:
            kind = i % 3
            if kind == 0:
                dial_map[(str(addr), PORT)] = listeners[i % len(listeners)]
            elif kind == 1:
                dial_map[(str(addr), PORT)] = refusers[i % len(refusers)]
            i += 1

    settings = SweepSettings(
        ports=(PORT,), rate=0, per_host_rate=1000, concurrency=args.concurrency, connect_timeout=5.0
    )
    stats = SweepStats()

    async def run() -> int:
        found = 0
        async for _ in sweep(ranges, settings, blocklist=Blocklist.default(), dial_map=dial_map, stats=stats):
            found += 1
        return found

    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    t0 = time.perf_counter()
    found = runner(run())
    wall = time.perf_counter() - t0
    parent.send("stop")
    proc.join(5)

    c = stats.counts
    connects = c[Outcome.OPEN] + c[Outcome.REFUSED] + c[Outcome.TIMEOUT] + c[Outcome.ERROR]
    print(
        f"sweep: {stats.addresses} addresses x 1 port in {wall:.2f} s = {stats.attempted / wall:,.0f} addresses/s "
        f"({connects / wall:,.0f} real loopback connects/s; open {c[Outcome.OPEN]}, refused {c[Outcome.REFUSED]}, "
        f"no_route {c[Outcome.NO_ROUTE]}, timeout {c[Outcome.TIMEOUT]}, error {c[Outcome.ERROR]}; found {found})"
    )


if __name__ == "__main__":
    main()
