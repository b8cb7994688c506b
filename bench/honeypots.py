"""Check at scale: honeypots and clone farms caught (issue #19, acceptance 3), on the seed world by default.

Builds the world (175,108 Ollama hosts x 293 days, seed 7, every farm kind of ``simulate/farms.py`` planted),
writes its observations with the fast path, enriches them, builds the store, and prints:
* recall and precision of the farm flags (``clone_farm``, ``fake_ollama``) against the planted fakes, per kind
  (goals: both >= 99 %);
* every headline figure over all hosts beside the truth over all hosts, and without flagged hosts beside the truth
  over real hosts (the truth counts what hosts report, ``simulate/reported.py``): each pair must be equal
  (``tests/test_honeypots.py`` holds the demo world to the same).

    python bench/honeypots.py                         # seed scale: about 10 minutes, 3 GB of data
    python bench/honeypots.py --hosts 20000 --days 60 # a smaller world
    python bench/honeypots.py --data DIR              # DIR already holds this world's fast-path study
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmcensus.analyze.run import headline
from llmcensus.analyze.run import run_study as analyze
from llmcensus.cli.study import TRUTH_KEYS
from llmcensus.enrich.run import enrich
from llmcensus.simstudy import farm_recovery
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.truth import expected_metrics
from llmcensus.simulate.world import build_world
from llmcensus.store import db
from llmcensus.store.derive import attach


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=175_108)
    ap.add_argument("--days", type=int, default=293)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="the demo-sized world (2,000 hosts x 14 days)")
    ap.add_argument("--data", type=Path, help="a folder holding this world's fast-path study (else a temp folder)")
    args = ap.parse_args()
    if args.quick:
        args.hosts, args.days = 2_000, 14
    t0 = time.perf_counter()
    world = build_world(Params(hosts=args.hosts, days=args.days, seed=args.seed))
    print(f"world: {args.hosts:,} hosts x {args.days} days in {time.perf_counter() - t0:.0f} s", flush=True)
    data = args.data or Path(tempfile.mkdtemp(prefix="llmcensus-honeypots-"))
    if not any((data / "observations").glob("*/*.parquet")):
        t1 = time.perf_counter()
        write_fastpath(world, data)
        enrich(data)
        print(f"fast path and enrichment: {time.perf_counter() - t1:.0f} s -> {data}", flush=True)
    con = db.connect()
    t2 = time.perf_counter()
    attach(con, data)
    print(f"store and analysis relations: {time.perf_counter() - t2:.0f} s", flush=True)
    r = farm_recovery(world, con)
    con.close()
    print(f"planted fakes that answered as Ollama: {r.planted:,}; flagged: {r.flagged:,}; caught: {r.caught:,}")
    print(f"recall {r.recall:.4f}, precision {r.precision:.4f} (goals >= 0.99)")
    for kind, (caught, planted) in sorted(r.by_kind.items()):
        print(f"  {kind:<12} {caught:>6,} of {planted:>6,}")
    h = headline(analyze(data, names=["headline"], refresh=False))
    truth = expected_metrics(world)
    print(f"{'headline figure':<40} {'all':>12} {'truth all':>12} {'unflagged':>12} {'truth real':>12}")
    unequal = []
    for figure, key in TRUTH_KEYS.items():
        got_all, want_all = h[figure]["all"], truth["all"][key]
        got, want = h[figure]["unflagged"], truth["unflagged"][key]
        bad = abs(got_all - want_all) > 1e-9 or abs(got - want) > 1e-9
        if bad:
            unequal.append(figure)
        mark = "  UNEQUAL" if bad else ""
        print(f"{figure:<40} {got_all:>12.6g} {want_all:>12.6g} {got:>12.6g} {want:>12.6g}{mark}")
    ok = r.recall >= 0.99 and r.precision >= 0.99 and not unequal
    print(f"{'PASS' if ok else 'FAIL'}: recall and precision goals; every headline figure equals the truth "
          f"(all hosts, and without flagged hosts){': not ' + ', '.join(unequal) if unequal else ''}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
