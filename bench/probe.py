"""Probe benchmark against the simulated internet (the fleet runs in a child process: the other core).

Part 1 - throughput: a fleet of Ollama hosts (versions 0.1.x-0.33.x, 1-6 models each from a shared
catalogue), swept twice with 2,000 visits in flight: the first visit of each host (which asks
/api/show for each of its digests: show data is per host) and the daily sweep after it (which asks
none). Prints fully fingerprinted hosts/s (status success, runtime ollama, inventory read), client
CPU-ms per host (process time of this process only; the fleet is in the child) and peak RSS.
Goals: >= 500 hosts/s, <= 1.5 CPU-ms/host, < 500 MB.

Part 2 - a 175,000-candidate sweep in which 70 % never answer: the dial map sends 70 % of the public
identities to a few SILENT listeners (they accept and never reply, so each such visit costs a full
read timeout) and the rest onto the Ollama listeners. Goal: < 10 minutes. ``--quick`` scales both
parts down (by 10x for part 2).

    .venv/bin/python bench/probe.py [--quick] [--hosts N] [--candidates N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from llmcensus.observations.reader import read_observations  # noqa: E402
from llmcensus.observations.writer import ObservationWriter  # noqa: E402
from llmcensus.probe.engine import SweepSummary, run_sweep  # noqa: E402
from llmcensus.probe.settings import ProbeSettings  # noqa: E402
from llmcensus.probe.showcache import ShowCache  # noqa: E402
from llmcensus.simulate.serve_process import FleetProcess  # noqa: E402
from llmcensus.simulate.views import Behaviour, HostView, ModelView, RunningView  # noqa: E402
from llmcensus.targets.parse import Target  # noqa: E402

VERSIONS = ("0.1.32", "0.1.48", "0.3.14", "0.5.7", "0.6.8", "0.9.6", "0.11.4", "0.12.6", "0.24.0", "0.30.2",
            "0.33.0")
FAMILIES = (("llama", "8.0B"), ("qwen2", "7.6B"), ("gemma3", "4.3B"), ("qwen3", "8.2B"), ("nomic-bert", "137M"),
            ("phi3", "14.7B"), ("mistral", "7.2B"), ("deepseek2", "15.7B"))
CATALOGUE = 240  # distinct digests across the fleet
SILENT_LISTENERS = 256  # many: a listener's accept backlog (128) must not overflow into connect timeouts
NOW_NS = 1_790_000_000 * 10**9


def _model(i: int) -> ModelView:
    from llmcensus.simulate.wire import build_show

    family, size = FAMILIES[i % len(FAMILIES)]
    name = f"bench{i}:{size.lower()}"
    digest = f"{(i * 2654435761) % (1 << 64):016x}" * 4
    caps = ("embedding",) if family == "nomic-bert" else ("completion", "tools")
    show = build_show(name, family, (family,), size, "Q4_K_M", caps, digest=digest)
    return ModelView(name=name, digest=digest, size=1_000_000_000 + i, modified_at_ns=NOW_NS - i * 3_600 * 10**9,
                     format="gguf", family=family, families=(family,), parameter_size=size,
                     quantization_level="Q4_K_M", context_length=8192, embedding_length=4096, capabilities=caps,
                     show=show)


def bench_views(n: int) -> list[HostView]:
    catalogue = [_model(i) for i in range(CATALOGUE)]
    views: list[HostView] = []
    for h in range(n):
        k = 1 + (h * 7) % 6
        models = tuple(catalogue[(h * 31 + j * 17) % CATALOGUE] for j in range(k))
        running = (RunningView(models[0], 6_000_000_000, 6_000_000_000, NOW_NS + 300 * 10**9, 8192),) if h % 3 else ()
        views.append(HostView(host_id=h, ip=f"11.{h >> 16 & 255}.{h >> 8 & 255}.{h & 255}", port=11434,
                              scheme="http", behaviour=Behaviour.OLLAMA, version=VERSIONS[h % len(VERSIONS)],
                              tz_offset_min=60 * (h % 5), models=models, running=running))
    for s in range(SILENT_LISTENERS):
        views.append(HostView(host_id=n + s, ip=f"12.0.{s >> 8}.{(s & 255) + 1}", port=11434, scheme="http",
                              behaviour=Behaviour.SILENT, version="0.0.0", tz_offset_min=0))
    return views


class Factory:
    """Picklable view factory for the child process (day is ignored: one static day)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, day: int) -> list[HostView]:
        return bench_views(self.n)


def pin(fleet: FleetProcess) -> str:
    """Fleet on the last core, this client on the others: the client's CPU figure then excludes the fleet's."""
    cores = sorted(os.sched_getaffinity(0))
    pid = fleet.pid
    if len(cores) < 2 or pid is None:
        return "not pinned"
    os.sched_setaffinity(pid, {cores[-1]})
    os.sched_setaffinity(0, set(cores[:-1]))
    return f"fleet on core {cores[-1]}, client on {cores[:-1]}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


async def sweep(targets: list[Target], dial: dict[tuple[str, int], tuple[str, int]], settings: ProbeSettings,
                data: Path, sweep_id: str, cache: ShowCache) -> SweepSummary:
    writer = ObservationWriter(data, sweep_id, flush_records=20_000, flush_seconds=60.0)
    summary = await run_sweep(targets, settings, writer, dial_map=dial, show_cache=cache, total=len(targets))
    writer.close(complete=not summary.interrupted)
    return summary


def run(coro: object) -> SweepSummary:
    import uvloop

    result: SweepSummary = uvloop.run(coro)  # type: ignore[arg-type]
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="scaled-down run")
    ap.add_argument("--hosts", type=int, default=None, help="Ollama listeners (default 5000; quick 2500)")
    ap.add_argument("--candidates", type=int, default=None, help="part 2 candidates (default 175000; quick 17500)")
    ap.add_argument("--in-flight", type=int, default=2000)
    ap.add_argument("--skip-part2", action="store_true")
    ap.add_argument("--mixed", action="store_true",
                    help="part 1 on a mixed fleet of every runtime (simulate/runtime_mix.py) instead of Ollama only")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not pin the fleet and this client to separate cores (pinning keeps the figures steady)")
    args = ap.parse_args()
    n_hosts = args.hosts or (2500 if args.quick else 5000)
    n_cand = args.candidates or (17_500 if args.quick else 175_000)
    data = Path(tempfile.mkdtemp(prefix="llmcensus-bench-"))

    if args.mixed:
        return mixed(n_hosts, args.in_flight, not args.no_pin, data)
    fleet = FleetProcess(Factory(n_hosts), "llmcensus.simulate.wire:respond", log_requests=False)
    t0 = time.perf_counter()
    dial = fleet.start(0)
    pinned = pin(fleet) if not args.no_pin else "not pinned"
    print(f"fleet: {n_hosts} Ollama hosts + {SILENT_LISTENERS} silent listeners ready in "
          f"{time.perf_counter() - t0:.1f} s (child process; {pinned})")
    try:
        views = [k for k in dial if not k[0].startswith("12.")]
        silent = [v for k, v in dial.items() if k[0].startswith("12.")]
        answering = [dial[k] for k in views]

        # part 1: throughput with args.in_flight visits in flight. Show data is remembered per host (a host's
        # /api/show reply is never recorded for another host), so a host's first visit asks /api/show for each
        # of its digests and later visits ask nothing. Both are measured: the first sweep of the fleet, then the
        # daily sweep of the same fleet (the observatory's steady state), which is the headline figure.
        settings = ProbeSettings(concurrency=args.in_flight, loopback_only=True)
        cache = ShowCache(data / "show")
        targets = [Target(ip, port) for ip, port in views]
        for label, sweep_id in (("first visit", "first"), ("daily sweep", "tput")):
            cpu0, t0 = time.process_time(), time.perf_counter()
            s1 = run(sweep(targets, dial, settings, data, sweep_id, cache))
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
            t = read_observations(data, sweep_id=sweep_id, columns=["status", "runtime", "model_count"]).to_pylist()
            full = sum(1 for r in t if r["status"] == "success" and r["runtime"] == "ollama" and r["model_count"])
            print(f"part 1, {label}: {len(targets)} hosts, {args.in_flight} in flight "
                  f"(show data remembered for {len(cache)} (host, digest) pairs)")
            print(f"  fully fingerprinted hosts/s: {full / wall:.0f}  ({full}/{len(targets)} in {wall:.2f} s; "
                  "goal >= 500 on the daily sweep)")
            print(f"  client CPU-ms per host:      {cpu * 1000 / len(targets):.2f}  (goal <= 1.5)")
            print(f"  requests/host: {s1.requests / len(targets):.2f}, statuses: {dict(s1.counts)}")
        print(f"  peak RSS:                    {peak_rss_mb():.0f} MB  (goal < 500)")
        if args.skip_part2:
            return 0

        # part 2: 70 % of candidates never answer (silent listeners), 30 % are Ollama hosts
        n_silent = int(n_cand * 0.7)
        cand: list[Target] = []
        big_dial: dict[tuple[str, int], tuple[str, int]] = {}
        for i in range(n_cand):
            ip = f"13.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
            cand.append(Target(ip, 11434))
            big_dial[(ip, 11434)] = silent[i % len(silent)] if i % 10 < 7 else answering[i % len(answering)]
        part2 = ProbeSettings(concurrency=4000, read_timeout=5.0, connect_timeout=5.0, loopback_only=True)
        cpu0, t0 = time.process_time(), time.perf_counter()
        s2 = run(sweep(cand, big_dial, part2, data, "big", cache))
        wall2 = time.perf_counter() - t0
        counts = Counter(s2.counts)
        print(f"part 2: {n_cand} candidates ({n_silent} never answer), concurrency {part2.concurrency}, "
              f"read timeout {part2.read_timeout:g} s")
        print(f"  finished in {wall2:.0f} s ({wall2 / 60:.1f} min; goal < 10 min); "
              f"{s2.written} observations; CPU {time.process_time() - cpu0:.0f} s; statuses {dict(counts)}")
        print(f"  peak RSS: {peak_rss_mb():.0f} MB")
        assert s2.written == n_cand, "one observation per candidate"
    finally:
        fleet.stop()
    return 0


def mixed(n_hosts: int, in_flight: int, pinned: bool, data: Path) -> int:
    """Part 1 on the runtime mix (issue #16, acceptance 6): the study's Ollama share plus every other runtime,
    open and key-protected, several versions each; fully fingerprinted = the recorded runtime is the host's
    true runtime and, where the host lists models, they were read."""
    from llmcensus.simulate.runtime_mix import FleetFactory, expected, mixed_fleet

    views = {(v.ip, v.port): v for v in mixed_fleet(n_hosts, 0)}
    fleet = FleetProcess(FleetFactory(n_hosts, 0), "llmcensus.simulate.wire:respond", log_requests=False)
    dial = fleet.start(0)
    print(f"mixed fleet: {len(views)} hosts, {pin(fleet) if pinned else 'not pinned'}")
    try:
        settings = ProbeSettings(concurrency=in_flight, loopback_only=True)
        cache = ShowCache(data / "show")
        # hosts that never answer are part 2's subject: here one silent host would make the sweep last a read
        # timeout whatever the throughput (as in the Ollama-only part 1, which has none)
        targets = [Target(ip, port, views[(ip, port)].scheme) for ip, port in dial
                   if (ip, port) in views and views[(ip, port)].behaviour is not Behaviour.SILENT]
        for label, sweep_id in (("first visit", "first"), ("daily sweep", "tput")):
            cpu0, t0 = time.process_time(), time.perf_counter()
            s1 = run(sweep(targets, dial, settings, data, sweep_id, cache))
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
            rows = read_observations(data, sweep_id=sweep_id, columns=["ip", "port", "runtime", "model_count"])
            full = 0
            for r in rows.to_pylist():
                truth = expected(views[(r["ip"], r["port"])])
                if truth["runtime"] is not None and r["runtime"] == truth["runtime"] and (
                        truth["models"] is None or r["model_count"] is not None):
                    full += 1
            print(f"part 1 (mixed), {label}: {len(targets)} hosts, {in_flight} in flight")
            print(f"  fully fingerprinted hosts/s: {full / wall:.0f}  ({full}/{len(targets)} in {wall:.2f} s; "
                  "goal >= 700 on the daily sweep)")
            print(f"  client CPU-ms per host:      {cpu * 1000 / len(targets):.2f}  (goal <= 1.5)")
            print(f"  requests/host: {s1.requests / len(targets):.2f}, statuses: {dict(s1.counts)}")
        print(f"  peak RSS:                    {peak_rss_mb():.0f} MB")
    finally:
        fleet.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
