"""An asyncio TCP-connect sweep: which (address, port) pairs accept a connection.

``sweep()`` is an async iterator of ``OpenPort`` that yields as ports are found, so the probe can
start on the first open port while the sweep goes on; ``sweep_to_candidates()`` also records them
in the candidates dataset (channel ``sweep``).

Politeness is built in, not optional:
* the blocklist (bundled IANA special-purpose ranges + opt-out files) is checked for every address
  *before* anything else: a blocked address is counted and never contacted;
* a global rate (attempts/s), a per-address rate and a per-address budget (attempts per sweep);
* addresses are visited in a scattered order, port by port, so no network sees a burst;
* a connection that opens is reset at once (RST, like a SYN scanner): no data is ever sent.

Two modes. With a **dial map** (the simulated internet) the sweep targets public identities and
connects to their loopback dial address; a pair without an entry counts as ``no_route`` (no
answer) and no packet is sent anywhere. Without a map the sweep is **live** and connects to the
addresses themselves; it must be asked for explicitly (``live=True``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import struct
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from llmcensus.datalock import writer_lock
from llmcensus.discover.candidates import CandidateWriter
from llmcensus.discover.formats import Candidate
from llmcensus.discover.sweepplan import AddressSpace, SweepSettings, permutation, plan_sweep
from llmcensus.errors import ConfigError, PolicyError
from llmcensus.targets.blocklist import Blocklist, Network

DialMapping = Mapping[tuple[str, int], tuple[str, int]]
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, leaves no TIME_WAIT


class Outcome(StrEnum):
    """What happened to one (address, port). Stable names: they are counter keys."""

    OPEN = "open"  # the handshake completed
    REFUSED = "refused"  # RST: nothing listens
    TIMEOUT = "timeout"  # no answer within the connect timeout
    NO_ROUTE = "no_route"  # dial-map mode: no entry, so no packet was sent (the simulated "no answer")
    BLOCKED = "blocked"  # on the blocklist or an opt-out list: never contacted
    ERROR = "error"  # any other socket error (unreachable, out of descriptors …)


@dataclass(frozen=True, slots=True)
class OpenPort:
    ip: str  # public identity
    port: int
    dial_ip: str | None  # where we connected (dial-map mode); None when live
    dial_port: int | None
    found_at: datetime


@dataclass(slots=True)
class SweepStats:
    """Counters of one sweep; ``counts`` is keyed by ``Outcome`` value."""

    addresses: int = 0
    targets: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    errors: dict[str, int] = field(default_factory=dict)  # error text -> count (Outcome.ERROR)
    started: float | None = None
    finished: float | None = None

    @property
    def attempted(self) -> int:
        """Targets that went through the rate limiter (everything but blocked)."""
        return sum(v for k, v in self.counts.items() if k != Outcome.BLOCKED)

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        end = self.finished if self.finished is not None else asyncio.get_running_loop().time()
        return end - self.started


def _normalise_dial_map(dial_map: DialMapping) -> dict[tuple[str, int], tuple[str, int]]:
    out: dict[tuple[str, int], tuple[str, int]] = {}
    for (ip, port), (dial_ip, dial_port) in dial_map.items():
        dial = ipaddress.ip_address(dial_ip)
        if not dial.is_loopback:
            # The dial map exists for the simulated internet only; it must never route off the host.
            raise PolicyError(f"dial map routes {ip}:{port} to a non-loopback address {dial_ip}")
        out[(ipaddress.ip_address(ip).compressed, int(port))] = (dial.compressed, int(dial_port))
    return out


class _PerHostLimiter:
    """Spaces attempts to one address by ``1/rate`` seconds; memory holds only recent addresses."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next: dict[str, float] = {}

    async def wait(self, ip: str) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next.get(ip, now))
        self._next[ip] = slot + self.interval
        if len(self._next) > 65536:
            self._next = {k: v for k, v in self._next.items() if v > now}
        if slot > now:
            await asyncio.sleep(slot - now)


async def _connect(ip: str, port: int, timeout: float) -> tuple[Outcome, str | None]:
    """One TCP handshake; the socket is reset at once. Socket errors become outcomes, here only."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (ip, port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        return Outcome.OPEN, None
    except ConnectionRefusedError:
        return Outcome.REFUSED, None
    except TimeoutError:
        return Outcome.TIMEOUT, None
    except OSError as exc:
        return Outcome.ERROR, exc.strerror or type(exc).__name__
    finally:
        sock.close()


_DONE = object()


async def sweep(
    ranges: Sequence[Network],
    settings: SweepSettings | None = None,
    *,
    blocklist: Blocklist,
    dial_map: DialMapping | None = None,
    live: bool = False,
    stats: SweepStats | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> AsyncIterator[OpenPort]:
    """Yield every open (address, port) of ``ranges`` × ``settings.ports`` as it is found.

    ``stats`` (optional) is filled in as the sweep runs. ``clock`` stamps ``found_at`` (the
    simulated study passes simulated time). Breaking out of the loop stops the sweep cleanly.
    ``progress("sweep", done, targets)`` is called after each connect attempt (done counts blocked targets too).
    """
    cfg = settings or SweepSettings()
    plan = plan_sweep(ranges, cfg, blocklist)  # validates settings and the address cap
    if dial_map is None and not live:
        raise ConfigError("no dial map: pass a dial map (simulation) or live=True to sweep real addresses")
    routes = _normalise_dial_map(dial_map) if dial_map is not None else None
    st = stats if stats is not None else SweepStats()
    st.addresses, st.targets = plan.addresses, plan.addresses * len(plan.ports)
    now = clock or (lambda: datetime.now(UTC))
    loop = asyncio.get_running_loop()
    space = AddressSpace(ranges)
    work: asyncio.Queue[tuple[str, int, str, int] | None] = asyncio.Queue(maxsize=cfg.concurrency * 2)
    found: asyncio.Queue[object] = asyncio.Queue(maxsize=cfg.concurrency * 4)
    limiter = _PerHostLimiter(cfg.per_host_rate)
    counts = st.counts

    async def produce() -> None:
        start = loop.time()
        sent = 0
        for port in plan.ports:
            for n, index in enumerate(permutation(space.size, cfg.seed)):
                value, version = space.address(index)
                if blocklist.contains_int(value, version):
                    counts[Outcome.BLOCKED] += 1
                    continue
                if cfg.rate:
                    sent += 1
                    delay = start + sent / cfg.rate - loop.time()
                    if delay > 0.002:
                        await asyncio.sleep(delay)
                elif n % 512 == 0:
                    await asyncio.sleep(0)
                ip = (ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)).compressed
                if routes is None:
                    await work.put((ip, port, ip, port))
                    continue
                route = routes.get((ip, port))
                if route is None:
                    counts[Outcome.NO_ROUTE] += 1
                else:
                    await work.put((ip, port, route[0], route[1]))

    async def connect_worker() -> None:
        while True:
            item = await work.get()
            if item is None:
                return
            ip, port, dial_ip, dial_port = item
            await limiter.wait(ip)
            outcome, error = await _connect(dial_ip, dial_port, cfg.connect_timeout)
            counts[outcome] += 1
            if progress is not None:
                progress("sweep", sum(counts.values()), st.targets)
            if error is not None:
                st.errors[error] = st.errors.get(error, 0) + 1
            if outcome is Outcome.OPEN:
                routed = routes is not None
                await found.put(OpenPort(ip, port, dial_ip if routed else None, dial_port if routed else None, now()))

    async def supervise() -> None:
        workers = [asyncio.create_task(connect_worker()) for _ in range(cfg.concurrency)]
        try:
            await produce()
            for _ in workers:
                await work.put(None)
            await asyncio.gather(*workers)
            await found.put(_DONE)
        except BaseException as exc:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            if not isinstance(exc, asyncio.CancelledError):
                await found.put(exc)
            raise

    st.started = loop.time()
    boss = asyncio.create_task(supervise())
    try:
        while True:
            item = await found.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, OpenPort)
            yield item
    finally:
        if not boss.done():
            boss.cancel()
        await asyncio.gather(boss, return_exceptions=True)
        st.finished = loop.time()


async def tee_to_candidates(open_ports: AsyncIterator[OpenPort], writer: CandidateWriter) -> AsyncIterator[OpenPort]:
    """Pass open ports through (to the probe) while recording each as a ``sweep`` candidate."""
    async for op in open_ports:
        writer.add(Candidate(ip=op.ip, port=op.port, source="sweep", first_seen=op.found_at))
        yield op


async def sweep_to_candidates(
    ranges: Sequence[Network],
    data_dir: str | Path,
    settings: SweepSettings | None = None,
    *,
    blocklist: Blocklist,
    dial_map: DialMapping | None = None,
    live: bool = False,
    on_open: Callable[[OpenPort], None] | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> tuple[SweepStats, list[Path]]:
    """Run a sweep and add every open port to ``<data_dir>/candidates`` (channel ``sweep``)."""
    stats = SweepStats()
    started = (clock or (lambda: datetime.now(UTC)))()
    with writer_lock(data_dir, "llmcensus discover sweep"), CandidateWriter(data_dir, tag="sweep",
                                                                            now=started) as writer:
        ports = sweep(ranges, settings, blocklist=blocklist, dial_map=dial_map, live=live, stats=stats, clock=clock,
                      progress=progress)
        async for op in tee_to_candidates(ports, writer):
            if on_open is not None:
                on_open(op)
    return stats, writer.parts
