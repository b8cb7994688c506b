"""A minimal fleet for tests, benchmarks and smoke checks of the server (not the population model).

``smoke_views(day, count, mixed)`` is picklable through ``functools.partial`` (a FleetProcess view
factory); ``echo_responder`` answers every request with a small deterministic JSON document. Public
addresses come from 198.18.0.0/15 (RFC 2544, reserved for benchmarking), so they can never be
mistaken for a real host.
"""

from __future__ import annotations

import ipaddress

import orjson

from llmcensus.simulate.views import Behaviour, HostView, Reply, Request

SMOKE_NETWORK = ipaddress.IPv4Network("198.18.0.0/15")
# mixed fleets: host i's behaviour by i % 10 (others are plain-HTTP ollama hosts)
MIXED_BEHAVIOURS = {1: Behaviour.SILENT, 2: Behaviour.REFUSED, 3: Behaviour.GARBAGE}
MIXED_HTTPS = 4
CHURN_PERIOD = 7  # mixed fleets: host i is absent on day d when (i + d) % 7 == 0


def smoke_public_ip(host_id: int) -> str:
    return str(SMOKE_NETWORK.network_address + 1 + host_id % (SMOKE_NETWORK.num_addresses - 2))


def smoke_views(day: int, count: int = 50, mixed: bool = False, first_id: int = 0) -> list[HostView]:
    """``count`` hosts for ``day``; their version is ``0.<day>.0`` so a day change is visible on the wire.

    Host ids (hence loopback addresses) start at ``first_id``, so fleets that run at the same time
    (parallel tests) can stay out of each other's way; behaviours depend on the index only.
    """
    views = []
    for i in range(count):
        if mixed and (i + day) % CHURN_PERIOD == 0:
            continue
        behaviour = MIXED_BEHAVIOURS.get(i % 10, Behaviour.OLLAMA) if mixed else Behaviour.OLLAMA
        views.append(
            HostView(
                host_id=first_id + i,
                ip=smoke_public_ip(first_id + i),
                port=80 if mixed and i % 5 == 0 else 11434,
                scheme="https" if mixed and i % 10 == MIXED_HTTPS else "http",
                behaviour=behaviour,
                version=f"0.{day}.0",
                tz_offset_min=0,
            )
        )
    return views


def echo_responder(view: HostView, request: Request, now_ns: int) -> Reply | None:
    """A JSON echo of the host and the request; ``/_smoke/raise`` raises and ``/_smoke/silent`` answers nothing."""
    if request.path == "/_smoke/raise":
        raise RuntimeError("smoke responder asked to fail")
    if request.path == "/_smoke/silent":
        return None
    if request.path == "/api/version":
        body = orjson.dumps({"version": view.version})
    else:
        body = orjson.dumps(
            {"host_id": view.host_id, "method": request.method, "path": request.path, "body_bytes": len(request.body)}
        )
    return Reply(200, "OK", (("Content-Type", "application/json; charset=utf-8"),), body)
