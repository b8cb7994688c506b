"""The sweep engine: targets in, exactly one observation per (target, port) out, whatever happens.

``run_sweep`` feeds targets to ``settings.concurrency`` worker tasks sharing one aiohttp session.
Each visit is routed by ``Policy`` first (opt-out list, dial map, blocklist: a blocked target is
recorded without any connection), then scanned by the runtime module under a visit timeout. Host
failures are statuses; a bug in a parser becomes ``unknown_error`` for that one target. Only a
``PolicyError`` (a request off the allowlist: our bug) or a storage error stops the sweep.

Ctrl+C (SIGINT) stops feeding targets and cancels visits in flight; everything finished is written,
and ``--resume`` later visits the rest. Returns a ``SweepSummary``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import signal
import threading
import time
from collections import Counter
from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from llmcensus.errors import PolicyError
from llmcensus.observations.reader import recent_visits
from llmcensus.observations.schema import Status
from llmcensus.observations.writer import ObservationWriter, observation_id
from llmcensus.probe import progress as progress_mod
from llmcensus.probe.budget import RateLimiter
from llmcensus.probe.dispatch import fingerprint
from llmcensus.probe.http import HostClient, make_connector, make_session
from llmcensus.probe.record import blocked_row, observation_row
from llmcensus.probe.runtimes import ALLOWLIST
from llmcensus.probe.runtimes.base import Result
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.showcache import FLUSH_BYTES, ShowCache
from llmcensus.targets.blocklist import Blocklist
from llmcensus.targets.parse import Target

Clock = Callable[[], datetime]


@dataclass(slots=True)
class SweepSummary:
    """What one run of ``run_sweep`` did. ``counts`` are this run's observations by status."""

    sweep_id: str
    targets: int = 0  # targets read from the input this run
    written: int = 0  # observations written this run
    skipped_resume: int = 0  # targets already observed in committed parts (--resume)
    duplicates: int = 0  # repeated (ip, port) in the input: one observation only
    counts: Counter[str] = field(default_factory=Counter)
    requests: int = 0  # HTTP requests sent
    show_fetched: int = 0  # /api/show replies learnt this run (digests)
    show_cached: int = 0  # models whose show fields came from the cache
    elapsed_s: float = 0.0
    interrupted: bool = False
    address_wait_s: float = 0.0  # time visits waited for room under the per-address cap

    @property
    def rate(self) -> float:
        return self.written / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"sweep_id": self.sweep_id, "targets": self.targets, "written": self.written,
                "skipped_resume": self.skipped_resume, "duplicates": self.duplicates, "counts": dict(self.counts),
                "requests": self.requests, "show_fetched": self.show_fetched, "show_cached": self.show_cached,
                "elapsed_s": round(self.elapsed_s, 3), "interrupted": self.interrupted,
                "address_wait_s": round(self.address_wait_s, 3)}


class Policy:
    """Where a target may be dialled, or why it must not be contacted at all."""

    def __init__(self, settings: ProbeSettings, dial_map: Mapping[tuple[str, int], tuple[str, int]] | None,
                 blocklist: Blocklist, optout: Blocklist | None) -> None:
        self.settings = settings
        self.dial_map = dial_map
        self.blocklist = blocklist
        self.optout = optout

    def route(self, target: Target) -> tuple[str, int] | str:
        ip = target.ip
        if self.optout is not None and ip in self.optout:
            return f"opt-out list ({self.optout.reason(ip)})"
        if self.dial_map is not None:
            dial = self.dial_map.get((ip, target.port))
            if dial is not None:
                return dial  # read_dial_map only accepts loopback dial addresses
        if ip in self.blocklist:
            return f"special-purpose address ({self.blocklist.reason(ip)})"
        if self.dial_map is not None and not self.settings.dial_unmapped:
            return "not in the dial map"
        if self.settings.loopback_only and not ipaddress.ip_address(ip).is_loopback:
            return "loopback_only is set"
        return (ip, target.port)


@contextlib.contextmanager
def _sweep_gc() -> Iterator[None]:
    """Fewer cyclic-GC passes while a sweep runs.

    A sweep allocates millions of short-lived objects while thousands of visits are alive; with CPython's
    default gen-0 threshold (700) the collector re-scans those live visits hundreds of times a second,
    about a tenth of the client's CPU in ``bench/probe.py``. Objects from before the sweep are frozen (never
    scanned) and the threshold raised for its duration; both are restored afterwards.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


async def _aiter(targets: AsyncIterable[Target] | Iterable[Target]) -> Any:
    if isinstance(targets, AsyncIterable):
        async for t in targets:
            yield t
    else:
        for i, t in enumerate(targets):
            yield t
            if i % 512 == 511:
                await asyncio.sleep(0)  # a huge CIDR must not starve the workers


async def run_sweep(
    targets: AsyncIterable[Target] | Iterable[Target], settings: ProbeSettings, writer: ObservationWriter, *,
    dial_map: Mapping[tuple[str, int], tuple[str, int]] | None = None, clock: Clock | None = None,
    show_cache: ShowCache | None = None, blocklist: Blocklist | None = None, optout: Blocklist | None = None,
    total: int | None = None, progress: bool = False, stop: asyncio.Event | None = None,
) -> SweepSummary:
    clock = clock or (lambda: datetime.now(UTC))
    cache = show_cache if show_cache is not None else ShowCache(raw_body_cap=settings.raw_body_cap)
    policy = Policy(settings, dial_map, blocklist if blocklist is not None else Blocklist.default(), optout)
    limiter = RateLimiter(settings.per_ip_rate, settings.global_rate, address_requests=settings.address_requests,
                          address_window=settings.address_window)
    seed_address_cap(limiter, writer.data_dir, clock(), settings.address_window)
    writer.before_commit.append(lambda: cache.flush(writer.part_token))  # a shard's show parts carry its name
    summary = SweepSummary(writer.sweep_id)
    stop = stop or asyncio.Event()
    queue: asyncio.Queue[tuple[Target, str] | None] = asyncio.Queue(maxsize=settings.concurrency * 2)
    in_flight: set[str] = set()
    started = time.perf_counter()
    learnt_before = cache.learnt

    connector = make_connector(settings)
    session = make_session(connector, settings)

    async def visit(target: Target, oid: str) -> dict[str, Any]:
        route = policy.route(target)
        if isinstance(route, str):
            return blocked_row(sweep_id=writer.sweep_id, target=target, observed_at=clock(), reason=route,
                               obs_id=oid)
        reserved = await limiter.admit(target.ip, settings.request_budget)  # waits for room: not the visit's time
        observed_at = clock()
        client = HostClient(session, public=(target.ip, target.port), dial=route, scheme=target.scheme,
                            settings=settings, limiter=limiter, allowlist=ALLOWLIST)
        result = Result()
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(settings.total_timeout):  # no extra task per visit, unlike wait_for
                await fingerprint(client, cache, result, port=target.port, observed_at=observed_at,
                                  sweep_id=writer.sweep_id)
        except TimeoutError:
            result.status, result.error = Status.READ_TIMEOUT, f"visit exceeded {settings.total_timeout:g} s"
        except PolicyError:
            raise
        except Exception as exc:  # a parser bug must cost one target, not the sweep
            result.status, result.error = Status.UNKNOWN_ERROR, f"internal: {type(exc).__name__}: {exc}"[:300]
        finally:
            limiter.release(target.ip, max(reserved - client.requests, 0))
        elapsed = (time.perf_counter() - t0) * 1000.0
        dial = route if dial_map is not None else None
        return observation_row(sweep_id=writer.sweep_id, target=target, observed_at=observed_at, dial=dial,
                               result=result, exchanges=client.exchanges, elapsed_ms=elapsed,
                               raw_body_cap=settings.raw_body_cap, obs_id=oid)

    def record(row: dict[str, Any]) -> None:
        if cache.unflushed_bytes > FLUSH_BYTES:
            writer.flush()  # show data first (before_commit), then what is buffered: memory stays bounded
        if writer.write(row):
            summary.written += 1
            summary.counts[row["status"]] += 1
            summary.requests += row["requests"]
            for m in row["models"] or ():
                if m["show_status"] == "cached":
                    summary.show_cached += 1

    async def worker() -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            target, oid = item
            try:
                record(await visit(target, oid))
            finally:
                in_flight.discard(oid)

    async def produce() -> None:
        async for target in _aiter(targets):
            if stop.is_set():
                break
            summary.targets += 1
            oid = observation_id(writer.sweep_id, target.ip, target.port)
            if oid in writer.committed:
                summary.skipped_resume += 1
            elif oid in writer or oid in in_flight:
                summary.duplicates += 1
            else:
                in_flight.add(oid)
                await queue.put((target, oid))
        for _ in range(settings.concurrency):  # only on a normal end: a failed producer fails the gather
            await queue.put(None)

    bar = progress_mod.SweepProgress(total, enabled=progress)

    async def tick() -> None:
        ticks = 0
        while True:
            await asyncio.sleep(0.25)
            bar.update(summary.written + summary.skipped_resume, summary.counts)
            writer.maybe_flush()
            ticks += 1
            if ticks % 40 == 0:
                limiter.prune()

    loop = asyncio.get_running_loop()
    handler = False
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, stop.set)
            handler = True
    workers = [asyncio.create_task(worker()) for _ in range(settings.concurrency)]
    producer = asyncio.create_task(produce())
    ticker = asyncio.create_task(tick())
    stopper = asyncio.create_task(stop.wait())
    bar.start()
    with _sweep_gc():
        try:
            done_all: asyncio.Future[Any] = asyncio.gather(producer, *workers)
            waiters: set[asyncio.Future[Any]] = {done_all, stopper}
            finished, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if done_all in finished:
                done_all.result()  # re-raise PolicyError / DataError
            else:
                summary.interrupted = True
                done_all.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await done_all
        finally:
            for task in (ticker, stopper, producer, *workers):
                task.cancel()
            await asyncio.gather(ticker, stopper, producer, *workers, return_exceptions=True)
            if handler:
                loop.remove_signal_handler(signal.SIGINT)
            await session.close()
            summary.elapsed_s = time.perf_counter() - started
            summary.show_fetched = cache.learnt - learnt_before
            bar.update(summary.written + summary.skipped_resume, summary.counts)
            bar.stop()
            summary.address_wait_s = limiter.waited
            writer.flush()  # flushes the show data first (before_commit)
            writer.before_commit.clear()
    return summary


def seed_address_cap(limiter: RateLimiter, data_dir: Path, now: datetime, window: float) -> None:
    """Feed the address cap with the requests of committed visits inside the last window (earlier sweeps,
    or this sweep before a crash), so a new or resumed sweep cannot restart an address's count at zero."""
    if not limiter.address_requests:
        return
    table = recent_visits(data_dir, now - timedelta(seconds=window), now)
    mono_now = limiter.clock()
    by_ip: dict[str, list[float]] = {}
    for ip, at, n in zip(*(table.column(c).to_pylist() for c in ("ip", "observed_at", "requests")), strict=True):
        if n:
            t = mono_now - (now - at).total_seconds()
            by_ip.setdefault(ip, []).extend([t] * int(n))
    for ip, times in by_ip.items():
        limiter.seed(ip, times)
