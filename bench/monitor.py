"""Benchmark: what the lineage monitor adds to a store update (issue #18, acceptance 6: < 10 s at seed scale).

One monitoring pass is ``llmcensus.monitor.check.check``: the relations the rules read (``store/derive.py`` without
the security relations, ``store/lineage.py``), every rule of the watchlist, and the new alerts appended. It runs
after every store update (``llmcensus run``, ``llmcensus store update``). Each pass runs in a fresh process, on a
data folder whose store is up to date; the first pass raises every alert of the window, the following ones find
nothing new (the daily case). Prints each pass, then the median of the repeated passes.

    python bench/monitor.py --data DIR            # DIR: a study with a built store (seed scale: ~175 k hosts)
    python bench/monitor.py --quick               # a small simulated study it builds itself (make bench)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOAL_S = 10.0
WATCHLIST = """
[[watch]]
name = "meta"
lineages = ["llama3.1", "llama3.2"]
labs = ["Meta"]
name_patterns = ["*llama*abliterat*"]
adoption = [100, 1000]
uncensored_hosts = 10
risk_jump_hosts = 5
risk_jump_share = 0.10

[[watch]]
name = "qwen and deepseek"
lineages = ["qwen2.5", "qwen3", "deepseek-r1"]
labs = ["Alibaba", "DeepSeek"]
name_patterns = ["*uncensored*", "*abliterat*"]
adoption = [100, 1000, 10000]
uncensored_hosts = 10
risk_jump_hosts = 5
"""


def _child(data: str, watchlist: str) -> None:
    from llmcensus.monitor.check import check

    t0 = time.perf_counter()
    summary = check(data, watchlist=watchlist)
    print(json.dumps({"seconds": time.perf_counter() - t0, "new": len(summary.new), "total": summary.total}))


def _pass(data: Path, watchlist: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--child", str(data), str(watchlist)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"monitor pass failed: {proc.stderr.strip().splitlines()[-1:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _quick_study(root: Path) -> Path:
    from llmcensus.enrich.run import enrich
    from llmcensus.simulate.fastpath import write_fastpath
    from llmcensus.simulate.params import Params
    from llmcensus.simulate.world import build_world
    from llmcensus.store.relations import update

    data = root / "data"
    write_fastpath(build_world(Params(hosts=2000, days=14)), data)
    enrich(data)
    update(data)
    return data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, help="a data folder whose store is up to date")
    ap.add_argument("--quick", action="store_true", help="a 2,000-host study built in a temp folder")
    ap.add_argument("--repeat", type=int, default=3, help="passes after the first (default 3)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="llmcensus-bench-monitor-"))
    try:
        data = args.data if args.data is not None else _quick_study(tmp) if args.quick else None
        if data is None:
            ap.error("give --data DIR (a study with a built store) or --quick")
        watchlist = tmp / "watchlist.toml"
        watchlist.write_text(WATCHLIST)
        alerts = data / "monitor" / "alerts.jsonl"
        saved = alerts.read_bytes() if alerts.exists() else None
        alerts.unlink(missing_ok=True)  # the first pass raises the whole window's alerts
        try:
            first = _pass(data, watchlist)
            print(f"first pass (every alert of the window new): {first['seconds']:.1f} s, {first['new']:,.0f} alerts")
            again = []
            for i in range(args.repeat):
                r = _pass(data, watchlist)
                again.append(r["seconds"])
                print(f"pass {i + 2} (nothing new: {r['new']:.0f} new): {r['seconds']:.1f} s")
        finally:
            alerts.unlink(missing_ok=True)
            if saved is not None:
                alerts.write_bytes(saved)
        median = statistics.median(again) if again else first["seconds"]
        verdict = "PASS" if median < GOAL_S else "FAIL"
        print(f"{verdict}: a monitoring pass after a store update takes {median:.1f} s (median; goal < {GOAL_S:.0f} s)")
        return 0 if median < GOAL_S or args.quick else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
