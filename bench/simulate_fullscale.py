"""Benchmark: the simulated internet at full scale — headline calibration and the fast path's cost.

Builds the full-scale world (175,108 hosts x 293 days), writes its fast-path observations
(``llmcensus.simulate.fastpath.write_fastpath``), then computes the ground truth
(``truth.expected_metrics``, scope ``all``) and prints every headline figure of the study next to its
target with pass/fail (definitions: ``llmcensus/simulate/calibration.py``). Goals (issue 2): every
figure within ±1 pp (models per observation ± 0.15), fast path (world + observations) < 5 min and
< 4 GB peak memory. Exit code 1 when a figure or a goal fails.

    python bench/simulate_fullscale.py            # full scale, a few minutes
    python bench/simulate_fullscale.py --quick    # 20,000 hosts x 293 days, about a minute
    python bench/simulate_fullscale.py --out DIR  # keep the observations in DIR

Peak memory is the process's ru_maxrss read right after the fast path, before the truth is computed.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmcensus.simulate.calibration import (
    FULL_SCALE_DAYS,
    FULL_SCALE_HOSTS,
    bonus_capabilities,
    check_headline,
)
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.truth import expected_metrics
from llmcensus.simulate.world import build_world

QUICK_HOSTS = 20_000
TIME_GOAL_S = 300.0
MEMORY_GOAL_MB = 4096.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_HOSTS:,} hosts instead of {FULL_SCALE_HOSTS:,}")
    ap.add_argument("--seed", type=int, default=Params().seed)
    ap.add_argument("--out", type=Path, default=None, help="keep the fast-path observations here")
    args = ap.parse_args(argv)
    hosts = QUICK_HOSTS if args.quick else FULL_SCALE_HOSTS
    params = Params(hosts=hosts, days=FULL_SCALE_DAYS, seed=args.seed)
    out = args.out or Path(tempfile.mkdtemp(prefix="llmcensus-fastpath-"))

    t0 = time.perf_counter()
    world = build_world(params)
    t_world = time.perf_counter() - t0
    summary = write_fastpath(world, out)
    t_fast = time.perf_counter() - t0
    peak = _peak_mb()
    size_mb = sum(f.stat().st_size for f in out.rglob("*.parquet")) / 2**20
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)

    t1 = time.perf_counter()
    metrics = expected_metrics(world)["all"]
    t_truth = time.perf_counter() - t1

    checks = check_headline(metrics, hosts=hosts)
    width = max(len(c.name) for c in checks) + 2
    print(f"simulated internet: {hosts:,} hosts x {FULL_SCALE_DAYS} days, seed {args.seed}")
    print(f"result  {'figure':<{width}}{'observed':>10}  target")
    for c in checks:
        print(f"{'pass' if c.ok else 'FAIL':<8}{c.name:<{width}}{c.observed:>10}  {c.target}")
    print("capability coverage (not required by issue 2; the study's figure as target):")
    for c in bonus_capabilities(metrics):
        print(f"{'~' if c.ok else 'differs':<8}{c.name:<{width}}{c.observed:>10}  {c.target}")
    fast_ok = t_fast < TIME_GOAL_S and peak < MEMORY_GOAL_MB
    print(
        f"fast path: world {t_world:.1f} s + observations {t_fast - t_world:.1f} s = {t_fast:.1f} s "
        f"(goal < {TIME_GOAL_S:.0f} s); peak RSS {peak:,.0f} MB (goal < {MEMORY_GOAL_MB:,.0f} MB); "
        f"{summary.observations:,} rows, {summary.successes:,} successes, {size_mb:,.0f} MB written -> "
        f"{'pass' if fast_ok else 'FAIL'}"
    )
    print(f"truth: {t_truth:.1f} s")
    failed = [c.name for c in checks if not c.ok]
    print(
        f"headline figures: {len(checks) - len(failed)}/{len(checks)} pass" + (f"; failing: {failed}" if failed else "")
    )
    return 0 if not failed and (fast_ok or args.quick) else 1


if __name__ == "__main__":
    sys.exit(main())
