"""Politeness: per-IP and global request rates.

Both limits reserve a time slot per request (a virtual-clock scheduler, not a token bucket with a
background task): a request waits until its slot, and the next slot moves ``1/rate`` later. Per-IP
state lives only while a visit to that IP is in flight, so memory follows concurrency, not sweep size.
The per-visit request budget is enforced by ``HostClient`` (it simply refuses to send request n+1).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_ip_rate: float = 0.0, global_rate: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_ip_gap = 1.0 / per_ip_rate if per_ip_rate > 0 else 0.0
        self.global_gap = 1.0 / global_rate if global_rate > 0 else 0.0
        self.clock = clock
        self._next_global = 0.0
        self._per_ip: dict[str, list[float]] = {}  # ip -> [next slot, visits in flight]

    def open(self, ip: str) -> None:
        """A visit to ``ip`` starts (several ports of one IP share the IP's rate)."""
        state = self._per_ip.get(ip)
        if state is None:
            self._per_ip[ip] = [0.0, 1.0]
        else:
            state[1] += 1.0

    def close(self, ip: str) -> None:
        state = self._per_ip.get(ip)
        if state is None:
            return
        state[1] -= 1.0
        if state[1] <= 0:
            del self._per_ip[ip]

    async def wait(self, ip: str) -> None:
        if not self.per_ip_gap and not self.global_gap:
            return
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
