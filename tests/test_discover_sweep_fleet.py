"""A sweep over the simulated internet (real FleetServer on loopback) finds every listening host, nothing else."""

from __future__ import annotations

import asyncio
from pathlib import Path

from llmcensus.discover import optout
from llmcensus.discover.sweep import Outcome, SweepStats, sweep
from llmcensus.discover.sweepplan import SweepSettings, parse_ranges
from llmcensus.simulate.serve import FleetServer
from llmcensus.simulate.smoke import echo_responder
from llmcensus.simulate.views import Behaviour, HostView
from llmcensus.targets.blocklist import Blocklist

FIRST_ID = 4_200_000  # loopback addresses away from other tests' fleets
BEHAVIOURS = [Behaviour.OLLAMA, Behaviour.SILENT, Behaviour.REFUSED, Behaviour.GARBAGE, Behaviour.AUTH_401]


def _views() -> list[HostView]:
    views = []
    for i in range(40):
        views.append(
            HostView(
                host_id=FIRST_ID + i,
                ip=f"11.23.0.{10 + i}",
                port=80 if i % 4 == 0 else 11434,
                scheme="http",
                behaviour=BEHAVIOURS[i % len(BEHAVIOURS)],
                version="0.12.0",
                tz_offset_min=0,
            )
        )
    # a host whose public identity is on the bundled blocklist (benchmarking range) and one that opted out
    views.append(HostView(FIRST_ID + 40, "198.18.7.7", 11434, "http", Behaviour.OLLAMA, "0.12.0", 0))
    views.append(HostView(FIRST_ID + 41, "11.23.0.200", 11434, "http", Behaviour.OLLAMA, "0.12.0", 0))
    return views


def test_sweep_over_the_fleet(tmp_path: Path) -> None:
    optout.add(tmp_path, "11.23.0.200")
    blocklist = Blocklist.default([optout.optout_path(tmp_path)])
    views = _views()

    async def run() -> None:
        fleet = FleetServer(echo_responder)
        await fleet.start(views)
        try:
            stats = SweepStats()
            settings = SweepSettings(ports=(11434, 80, 8080), rate=0, concurrency=32, per_host_rate=1000)
            found = {
                (o.ip, o.port)
                async for o in sweep(
                    parse_ranges(["11.23.0.0/24", "198.18.7.0/28"]),
                    settings,
                    blocklist=blocklist,
                    dial_map=fleet.dial_map,
                    stats=stats,
                )
            }
            listening = {
                (v.ip, v.port) for v in views if v.behaviour is not Behaviour.REFUSED and v.ip not in blocklist
            }
            assert found == listening and len(listening) == 32
            assert stats.counts[Outcome.REFUSED] == 8
            assert stats.counts[Outcome.BLOCKED] == (16 + 1) * 3
            assert len(fleet.request_log) == 0  # a sweep only connects: no request reaches any host
        finally:
            await fleet.stop()

    asyncio.run(run())
