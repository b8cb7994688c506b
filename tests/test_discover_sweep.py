"""The connect sweep against real loopback listeners reached through a dial map."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcensus.discover import optout
from llmcensus.discover.candidates import read_candidates
from llmcensus.discover.sweep import Outcome, SweepStats, sweep, sweep_to_candidates
from llmcensus.discover.sweepplan import SweepSettings, parse_ranges, permutation, plan_sweep
from llmcensus.errors import ConfigError, PolicyError, UsageError
from llmcensus.targets.blocklist import Blocklist

FAST = SweepSettings(ports=(11434, 8080), rate=0, concurrency=32, connect_timeout=1.0, per_host_rate=1000)


class Listener:
    """A loopback TCP listener that counts the connections it accepts."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.address: tuple[str, int] = ("", 0)

    async def _on(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def start(self, host: str) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._on, host, 0)
        self.address = (host, self.server.sockets[0].getsockname()[1])
        return self.address


@asynccontextmanager
async def listeners(hosts: list[str]) -> AsyncIterator[list[Listener]]:
    out = [Listener() for _ in hosts]
    for lst, host in zip(out, hosts, strict=True):
        await lst.start(host)
    try:
        yield out
    finally:
        for lst in out:
            assert lst.server is not None
            lst.server.close()
            await lst.server.wait_closed()


def _refusing_port(host: str) -> int:
    """A loopback port with nothing listening (bound, then closed)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def test_sweep_finds_exactly_the_listening_pairs_and_never_touches_blocked(tmp_path: Path) -> None:
    async def run() -> None:
        async with listeners(["127.31.0.1", "127.31.0.2", "127.31.0.3", "127.31.0.4", "127.31.0.5"]) as ls:
            a, b, opted, blocked, other_port = ls
            optout.add(tmp_path, "11.22.33.4/32", "asked by mail")
            blocklist = Blocklist.default([optout.optout_path(tmp_path)])
            dial_map = {
                ("11.22.33.1", 11434): a.address,
                ("11.22.33.2", 8080): b.address,
                ("11.22.33.3", 11434): ("127.31.0.9", _refusing_port("127.31.0.9")),
                ("11.22.33.4", 11434): opted.address,  # opted out: must never be contacted
                ("192.0.2.5", 11434): blocked.address,  # documentation range: bundled blocklist
                ("11.22.33.1", 9999): other_port.address,  # a port not swept
                ("11.22.34.1", 11434): other_port.address,  # outside the swept ranges
            }
            stats = SweepStats()
            ranges = parse_ranges(["11.22.33.0/28", "192.0.2.0/29"])
            found = [op async for op in sweep(ranges, FAST, blocklist=blocklist, dial_map=dial_map, stats=stats)]
            await asyncio.sleep(0.05)  # let the listeners run their accept callbacks
            assert {(o.ip, o.port) for o in found} == {("11.22.33.1", 11434), ("11.22.33.2", 8080)}
            assert {(o.dial_ip, o.dial_port) for o in found} == {a.address, b.address}
            assert [x.connections for x in ls] == [1, 1, 0, 0, 0]
            counts = stats.counts
            assert counts[Outcome.OPEN] == 2 and counts[Outcome.REFUSED] == 1
            assert counts[Outcome.BLOCKED] == (8 + 1) * 2  # the /29 and the opted-out address, on both ports
            assert counts[Outcome.NO_ROUTE] == (16 - 1) * 2 - 3
            assert stats.attempted + counts[Outcome.BLOCKED] == stats.targets == (16 + 8) * 2

    asyncio.run(run())


def test_sweep_to_candidates_records_channel_sweep(tmp_path: Path) -> None:
    async def run() -> None:
        async with listeners(["127.31.1.1"]) as (a,):
            stamp = datetime(2025, 12, 1, tzinfo=UTC)
            stats, parts = await sweep_to_candidates(
                parse_ranges(["11.22.35.0/30"]),
                tmp_path,
                FAST,
                blocklist=Blocklist.default(),
                dial_map={("11.22.35.2", 8080): a.address},
                clock=lambda: stamp,
            )
            assert stats.counts[Outcome.OPEN] == 1 and len(parts) == 1

    asyncio.run(run())
    rows = read_candidates(tmp_path).to_pylist()
    assert [(r["ip"], r["port"], r["sources"], r["first_seen"]) for r in rows] == [
        ("11.22.35.2", 8080, ["sweep"], datetime(2025, 12, 1, tzinfo=UTC))
    ]


def test_stopping_early_closes_the_sweep() -> None:
    async def run() -> None:
        async with listeners(["127.31.2.1"]) as (a,):
            dial_map = {(f"11.22.36.{i}", 11434): a.address for i in range(256)}
            got = 0
            async for _ in sweep(
                parse_ranges(["11.22.36.0/24"]), FAST, blocklist=Blocklist.default(), dial_map=dial_map
            ):
                got += 1
                if got == 3:
                    break
            await asyncio.sleep(0.05)
            assert got == 3 and a.connections < 256  # the rest was cancelled
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            assert not [t for t in pending if "connect_worker" in repr(t) or "supervise" in repr(t)]

    asyncio.run(run())


def test_global_and_per_host_rates_are_honoured() -> None:
    async def run() -> None:
        async with listeners(["127.31.3.1"]) as (a,):
            # 32 targets at 80/s: at least ~0.39 s
            dial_map = {(f"11.22.37.{i}", 11434): a.address for i in range(32)}
            t0 = time.perf_counter()
            cfg = SweepSettings(ports=(11434,), rate=80, concurrency=8, per_host_rate=1000)
            found = [
                o
                async for o in sweep(
                    parse_ranges(["11.22.37.0/27"]), cfg, blocklist=Blocklist.default(), dial_map=dial_map
                )
            ]
            assert len(found) == 32 and time.perf_counter() - t0 >= 0.35
            # one address, 4 ports at 10/s per host: attempts spaced 0.1 s apart, >= 0.3 s in all
            ports = (1, 2, 3, 4)
            dial_map = {("11.22.38.1", p): a.address for p in ports}
            t0 = time.perf_counter()
            cfg = SweepSettings(ports=ports, rate=0, concurrency=8, per_host_rate=10)
            found = [
                o
                async for o in sweep(
                    parse_ranges(["11.22.38.1"]), cfg, blocklist=Blocklist.default(), dial_map=dial_map
                )
            ]
            assert len(found) == 4 and time.perf_counter() - t0 >= 0.28

    asyncio.run(run())


def test_refusals_of_unsafe_or_impossible_sweeps() -> None:
    async def consume(**kwargs: object) -> None:
        async for _ in sweep(parse_ranges(["11.22.39.0/30"]), FAST, blocklist=Blocklist.default(), **kwargs):  # type: ignore[arg-type]
            pass

    with pytest.raises(ConfigError, match="live"):
        asyncio.run(consume())
    with pytest.raises(PolicyError, match="non-loopback"):
        asyncio.run(consume(dial_map={("11.22.39.1", 11434): ("10.0.0.1", 11434)}))
    with pytest.raises(ConfigError, match="budget"):
        plan_sweep(parse_ranges(["11.22.39.0/30"]), SweepSettings(ports=tuple(range(1, 30))), Blocklist.default())
    with pytest.raises(ConfigError, match="cap"):
        plan_sweep(parse_ranges(["11.0.0.0/8"]), SweepSettings(max_addresses=1000), Blocklist.default())
    with pytest.raises(UsageError):
        parse_ranges(["11.22.39.0/33"])


def test_plan_counts_blocked_share_without_enumerating() -> None:
    bl = Blocklist.default()
    plan = plan_sweep(parse_ranges(["192.0.0.0/16", "11.0.0.0/24", "11.0.0.0/25"]), SweepSettings(ports=(1, 2)), bl)
    # 192.0.0.0/24 (IETF) and 192.0.2.0/24 (TEST-NET-1) lie inside 192.0.0.0/16; the /25 is merged into the /24
    assert plan.addresses == 65536 + 256
    assert plan.blocked_addresses == 512
    assert plan.targets == (65536 + 256 - 512) * 2
    assert abs(plan.blocked_share - 512 / (65536 + 256)) < 1e-12
    assert any("blocked addresses: 512" in line for line in plan.lines())


@given(size=st.integers(min_value=0, max_value=3000), seed=st.integers(min_value=0, max_value=2**32))
def test_visiting_order_is_a_permutation(size: int, seed: int) -> None:
    order = list(permutation(size, seed))
    assert sorted(order) == list(range(size))
