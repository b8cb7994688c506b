"""Wire-layer throughput: ``respond`` calls per second.

Figures printed: repeated ``GET /api/tags`` on one view (the brief asks ≥ 20,000/s), a mixed probe
sequence over many views (first render + cache hits), and the cold first-render cost of ``/api/show``.
Usage: ``python bench/wire_respond.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

from llmcensus.simulate.views import Behaviour, HostView, ModelView, Request, RunningView
from llmcensus.simulate.wire import cache_clear, respond


def make_view(i: int, n_models: int = 8) -> HostView:
    models = tuple(
        ModelView(name=f"model{j}:latest", digest=f"{i:08x}{j:08x}" * 4, size=4_000_000_000 + j,
                  modified_at_ns=1_750_000_000_000_000_000 + j * 10**12, format="gguf", family="llama",
                  families=("llama",), parameter_size="8.0B", quantization_level="Q4_K_M",
                  capabilities=("completion", "tools"))
        for j in range(n_models)
    )
    run = (RunningView(models[0], 6 * 10**9, 6 * 10**9, 1_760_000_000_000_000_000, 4096),)
    return HostView(host_id=i, ip=f"198.51.100.{i % 250}", port=11434, scheme="http", behaviour=Behaviour.OLLAMA,
                    version=("0.5.7", "0.9.6", "0.12.6", "0.30.1")[i % 4], tz_offset_min=60 * (i % 5),
                    models=models, running=run)


def rate(fn: object, n: int) -> float:
    assert callable(fn)
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 20_000 if args.quick else 200_000
    hosts = 200 if args.quick else 2000
    now = 1_760_000_000_000_000_000

    v = make_view(1)
    tags = Request("GET", "/api/tags", {}, b"")
    hot = rate(lambda: respond(v, tags, now), n)
    print(f"repeated GET /api/tags, one view: {hot:,.0f} calls/s (target >= 20,000)")

    cache_clear()
    views = [make_view(i) for i in range(hosts)]
    probes = [Request("GET", "/", {}, b""), Request("GET", "/api/version", {}, b""), tags,
              Request("GET", "/api/ps", {}, b""), Request("POST", "/api/show", {}, b'{"model":"model0:latest"}')]
    t = time.perf_counter()
    for _ in range(2):  # first pass renders, second pass hits the cache
        for hv in views:
            for p in probes:
                respond(hv, p, now)
    mixed = 2 * hosts * len(probes) / (time.perf_counter() - t)
    print(f"probe sequence over {hosts} views (render + cached): {mixed:,.0f} calls/s")

    cache_clear()
    show = probes[-1]
    t = time.perf_counter()
    for hv in views:
        respond(hv, show, now)
    print(f"cold /api/show renders: {hosts / (time.perf_counter() - t):,.0f} renders/s")


if __name__ == "__main__":
    main()
