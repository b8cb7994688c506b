"""Politeness: per-IP and global request rates, and a cap per address over a sliding window.

Rates reserve a time slot per request (a virtual-clock scheduler, not a token bucket with a
background task): a request waits until its slot, and the next slot moves ``1/rate`` later. Per-IP
rate state lives only while a visit to that IP is in flight, so memory follows concurrency.

The address cap is the promise defenders care about ("> 120 requests in 5 minutes" is a common alert
rule): at most ``address_requests`` requests to one IP address in any ``address_window`` seconds,
whatever the port, the visit or the sweep. A visit *reserves* its whole per-visit budget before its
first request and waits (outside its own timeout) until the address's window has room; each request
turns one reservation into a timestamp when it is over (``done``: its reply read, failed or cancelled), and the
visit gives back what it did not use. Stamping the end rather than the send is what makes the promise hold as the
host sees it: a request sent at t may reach the host later (a slow connect, a loaded client), never after its
reply ends, so a window counted from the ends never lets two windows' worth arrive inside one. So a host
listening on twenty ports is visited port after port as its window allows, never in a burst.
Timestamps of earlier sweeps are fed in with ``seed`` (from the committed observations), so a sweep
started right after another continues the same window. Timestamps are kept per address only while
they are inside the window (``prune``), so memory follows the addresses of the last window.
The per-visit request budget itself is enforced by ``HostClient`` (it refuses to send request n+1).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable


class RateLimiter:
    def __init__(self, per_ip_rate: float = 0.0, global_rate: float = 0.0, *, address_requests: int = 0,
                 address_window: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_ip_gap = 1.0 / per_ip_rate if per_ip_rate > 0 else 0.0
        self.global_gap = 1.0 / global_rate if global_rate > 0 else 0.0
        self.address_requests = address_requests  # 0 = no address cap
        self.address_window = address_window
        self.clock = clock
        self._next_global = 0.0
        self._per_ip: dict[str, list[float]] = {}  # ip -> [next slot, visits in flight]
        self._sent: dict[str, deque[float]] = {}  # ip -> send times inside the window, oldest first
        self._reserved: dict[str, int] = {}  # ip -> requests reserved by visits in flight, not yet sent
        self.waited = 0.0  # seconds visits spent waiting for room in an address's window (for the summary)

    # --- the address cap -------------------------------------------------------------------------------

    def seed(self, ip: str, times: Iterable[float]) -> None:
        """Requests sent to ``ip`` before this limiter existed, as times on this limiter's clock."""
        if not self.address_requests:
            return
        floor = self.clock() - self.address_window
        q = self._sent.setdefault(ip, deque())
        q.extend(sorted(t for t in times if t > floor))
        if not q:
            del self._sent[ip]

    def _in_window(self, ip: str, now: float) -> deque[float] | None:
        q = self._sent.get(ip)
        if q is None:
            return None
        floor = now - self.address_window
        while q and q[0] <= floor:
            q.popleft()
        if not q:
            del self._sent[ip]
            return None
        return q

    async def admit(self, ip: str, requests: int) -> int:
        """Reserve room for a visit of up to ``requests`` requests to ``ip``; waits until the window has it.
        Returns the reservation, to be settled with ``release`` when the visit ends."""
        self._open(ip)
        if not self.address_requests:
            return 0
        want = min(requests, self.address_requests)
        started = self.clock()
        while True:
            now = self.clock()
            q = self._in_window(ip, now)
            used = (len(q) if q is not None else 0) + self._reserved.get(ip, 0)
            if used + want <= self.address_requests:
                self._reserved[ip] = self._reserved.get(ip, 0) + want
                self.waited += now - started
                return want
            # room comes back when the oldest request leaves the window, or when a visit returns reservations
            until_oldest = q[0] + self.address_window - now if q else self.address_window
            await asyncio.sleep(max(0.005, min(until_oldest, 0.1 if self._reserved.get(ip) else until_oldest)))

    def release(self, ip: str, unused: int) -> None:
        """A visit is over: its unused reservations go back to the address."""
        self._close(ip)
        if not self.address_requests:
            return
        left = self._reserved.get(ip, 0) - unused
        if left > 0:
            self._reserved[ip] = left
        else:
            self._reserved.pop(ip, None)

    def prune(self) -> None:
        """Forget addresses whose every request has left the window (call now and then)."""
        now = self.clock()
        for ip in list(self._sent):
            self._in_window(ip, now)

    def in_window(self, ip: str) -> int:
        """Requests sent to ``ip`` within the current window (tests, diagnostics)."""
        q = self._in_window(ip, self.clock())
        return len(q) if q is not None else 0

    # --- rates -----------------------------------------------------------------------------------------

    def _open(self, ip: str) -> None:
        """A visit to ``ip`` starts (several ports of one IP share the IP's rate)."""
        state = self._per_ip.get(ip)
        if state is None:
            self._per_ip[ip] = [0.0, 1.0]
        else:
            state[1] += 1.0

    def _close(self, ip: str) -> None:
        state = self._per_ip.get(ip)
        if state is None:
            return
        state[1] -= 1.0
        if state[1] <= 0:
            del self._per_ip[ip]

    async def wait(self, ip: str) -> None:
        """Before each request: wait for the rate slots, then count the request against the address cap."""
        if self.per_ip_gap or self.global_gap:
            now = self.clock()
            slot = now
            if self.global_gap:
                slot = max(slot, self._next_global)
                self._next_global = slot + self.global_gap
            if self.per_ip_gap:
                state = self._per_ip.setdefault(ip, [0.0, 1.0])
                slot = max(slot, state[0])
                state[0] = slot + self.per_ip_gap
            delay = slot - now
            if delay > 0:
                await asyncio.sleep(delay)
        if self.address_requests and self._reserved.get(ip, 0) <= 0:  # not admitted: still counted while in flight
            self._reserved[ip] = 1

    def done(self, ip: str) -> None:
        """A request to ``ip`` is over: its reservation becomes a timestamp, the latest the host can have seen it."""
        if not self.address_requests:
            return
        reserved = self._reserved.get(ip, 0)
        if reserved > 1:
            self._reserved[ip] = reserved - 1
        else:
            self._reserved.pop(ip, None)
        self._sent.setdefault(ip, deque()).append(self.clock())
