"""Benchmark: the dashboard and HTTP API under 8 concurrent clients (issue #21, acceptance "fast").

Starts the real server (``llmcensus serve``, a child process) on a mirror of the data folder (symbolic links to its
observations, enrichment, store file and pseudonym key, so the benchmark writes nothing into the data folder; the
server's pseudonym index is kept in the mirror), and times:

* start-up to ready, twice: a first start (the pseudonym index is computed and saved) and a restart (read back);
  "ready" = a host page answers, i.e. the store snapshot, the analysis relations and the pseudonym index are built;
* then ``--clients`` clients (threads, keep-alive httpx clients) for ``--seconds``, each request drawn from a
  realistic mix: every metric endpoint (JSON, page 1) without and with a filter it supports, host list pages, the
  host API and the host page of random hosts, the overview page.

Prints p50 / p95 / max per request kind and overall, and PASS/FAIL against the goals: metric endpoints p95
< 300 ms, host pages (API and HTML) p95 < 500 ms.

    python bench/dashboard.py                     # the seed-scale study at /tmp/fp-seed (read only), 60 s of load
    python bench/dashboard.py --data DIR          # another data folder with a built store
    python bench/dashboard.py --quick             # a small simulated study made here (2,000 hosts x 14 days)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmcensus.store.layout import Layout

SEED = Path("/tmp/fp-seed")
METRIC_GOAL_MS = 300.0
HOST_GOAL_MS = 500.0
FILTERS = ("country", "tier", "runtime", "lineage")  # equality filters; since/until when a day column exists
DAY_COLUMNS = ("day", "month", "first_seen")
# share of each kind in the mix: what a visitor does (browse metrics, open hosts, come back to the overview)
MIX = {"metric": 30, "metric_filtered": 20, "host_list": 10, "host_api": 15, "host_page": 15, "overview": 10}
GOALS = {"metric": METRIC_GOAL_MS, "metric_filtered": METRIC_GOAL_MS, "host_api": HOST_GOAL_MS,
         "host_page": HOST_GOAL_MS}  # fmt: skip


def mirror(data: Path, out: Path) -> Path:
    """``out`` as a data folder that reads ``data`` through symbolic links (nothing is written into ``data``)."""
    src, dst = Layout(data), Layout(out)
    dst.store.mkdir(parents=True)
    for real, link in ((src.observations, dst.observations), (src.enrich, dst.enrich), (src.monitor, dst.monitor),
                       (src.store_db("ip"), dst.store_db("ip")), (src.pseudonym_key, dst.pseudonym_key)):
        if real.exists():
            link.symlink_to(real.resolve())
    return out


def quick_study(out: Path) -> Path:
    """A small simulated study: the simulator's fast path, enrichment, the store."""
    import llmcensus
    from llmcensus.enrich.run import enrich
    from llmcensus.simulate.fastpath import write_fastpath
    from llmcensus.simulate.params import Params
    from llmcensus.simulate.world import build_world

    write_fastpath(build_world(Params(hosts=2_000, days=14, seed=7)), out)
    enrich(out)
    llmcensus.store_update(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """The server on ``data``, its base URL, and the seconds until a host page answered."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "llmcensus", "serve", "--data", str(data), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=120) as client:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server stopped: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                first = client.get("/api/hosts", params={"limit": 1}).json()["hosts"][0]["host"]
                if client.get(f"/api/hosts/{first}").status_code == 200:
                    return proc, base, time.perf_counter() - t0
            except httpx.TransportError:
                time.sleep(0.2)


def peak_rss_mb(proc: subprocess.Popen[bytes]) -> float:
    """The server's peak resident memory so far (Linux: VmHWM), MB; NaN elsewhere."""
    try:
        status = Path(f"/proc/{proc.pid}/status").read_text()
    except OSError:
        return float("nan")
    kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return float("nan") if kb is None else kb / 1024


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def plan(base: str, rng: random.Random) -> dict[str, list[str]]:
    """The URLs of each kind: every metric (and one filter of each that has one), hosts from all over the list."""
    with httpx.Client(base_url=base, timeout=300) as client:
        names = [m["name"] for m in client.get("/api/metrics").json()["metrics"]]
        plain, filtered = [], []
        for name in names:
            plain.append(f"/api/metrics/{name}")
            body = client.get(f"/api/metrics/{name}").json()  # warms nothing the run would not: page 1 is in the mix
            row = body["rows"][0] if body["rows"] else {}
            for f in FILTERS:
                if row.get(f) is not None:
                    filtered.append(f"/api/metrics/{name}?{urlencode({f: str(row[f])})}")
                    break
            else:
                day = next((row[c] for c in DAY_COLUMNS if row.get(c) is not None), None)
                if day is not None:
                    filtered.append(f"/api/metrics/{name}?since={str(day)[:10]}")
        total = client.get("/api/hosts", params={"limit": 1}).json()["total"]
        hosts: list[str] = []
        for _ in range(10):
            page = client.get("/api/hosts", params={"limit": 100, "offset": rng.randrange(max(total - 100, 1))})
            hosts += [h["host"] for h in page.json()["hosts"]]
    return {"metric": plain, "metric_filtered": filtered,
            "host_list": [f"/api/hosts?offset={rng.randrange(max(total - 100, 1))}" for _ in range(200)],
            "host_api": [f"/api/hosts/{h}" for h in hosts], "host_page": [f"/hosts/{h}" for h in hosts],
            "overview": ["/"]}  # fmt: skip


def load(base: str, urls: dict[str, list[str]], clients: int, seconds: float, seed: int) -> dict[str, list[float]]:
    kinds = [k for k in MIX if urls[k]]
    weights = [MIX[k] for k in kinds]
    times: dict[str, list[float]] = {k: [] for k in kinds}
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.monotonic() < deadline:
                kind = rng.choices(kinds, weights)[0]
                url = rng.choice(urls[kind])
                t0 = time.perf_counter()
                r = http.get(url)
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    times[kind].append(ms)
                    if r.status_code != 200:
                        failures.append(f"{r.status_code} {url}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        print(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    return times


def pct(values: list[float], p: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def report(times: dict[str, list[float]], seconds: float) -> bool:
    print(f"{'kind':<16} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  goal")
    ok = True
    everything = [t for v in times.values() for t in v]
    for kind, values in [*times.items(), ("overall", everything)]:
        goal = GOALS.get(kind)
        p95 = pct(values, 95)
        verdict = "" if goal is None else f"p95 < {goal:.0f} ms: {'PASS' if p95 < goal else 'FAIL'}"
        ok = ok and (goal is None or p95 < goal)
        print(f"{kind:<16} {len(values):>8} {pct(values, 50):>8.1f} {p95:>8.1f} {max(values):>8.1f}  {verdict}")
    print(f"throughput: {len(everything) / seconds:.1f} requests/s")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SEED, help="a data folder with a built store (read only)")
    ap.add_argument("--quick", action="store_true", help="a small simulated study made here, 10 s of load")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="llmcensus-bench-dashboard-"))
    try:
        if args.quick:
            args.seconds = min(args.seconds, 10.0)
            t0 = time.perf_counter()
            data = quick_study(work / "study")
            print(f"quick study: {time.perf_counter() - t0:.0f} s", flush=True)
        else:
            data = args.data
        view = mirror(data, work / "mirror")
        proc, base, cold = start(view)
        cold_rss = peak_rss_mb(proc)
        stop(proc)
        print(f"start-up to ready, first start (pseudonym index computed): {cold:.1f} s; peak RSS {cold_rss:,.0f} MB",
              flush=True)
        proc, base, warm = start(view)
        try:
            print(f"start-up to ready, restart (pseudonym index read back): {warm:.1f} s", flush=True)
            urls = plan(base, random.Random(args.seed))
            print(f"{len(urls['metric'])} metrics ({len(urls['metric_filtered'])} with a filter), "
                  f"{len(urls['host_api'])} hosts; {args.clients} clients for {args.seconds:.0f} s "
                  f"(load average before: {os.getloadavg()[0]:.2f})", flush=True)  # fmt: skip
            times = load(base, urls, args.clients, args.seconds, args.seed)
            print(f"server peak RSS: {peak_rss_mb(proc):,.0f} MB (load average after: {os.getloadavg()[0]:.2f})")
        finally:
            stop(proc)
        ok = report(times, args.seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS" if ok else "FAIL", "(goals: metric endpoints p95 < 300 ms, host pages p95 < 500 ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
