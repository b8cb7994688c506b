"""Benchmark: the store and the report on a seed-scale dataset (175,108 hosts, ~7.2 M observations).

Prints, each as the median of interleaved runs in their own processes (peak memory = the largest run's):
* the full rebuild of the store from raw observations (``store update --rebuild``), and the same at 10x the data;
* the report from an up-to-date store (derived relations, every metric, the files);
* the incremental step of a daily observatory: the store holds every day but one (the busiest of the last 30),
  that day's files arrive, ``store update`` folds them (goal < 5 s), then the report is written (goal < 15 s);
* one plain DuckDB scan of the same data (every observation and every unnested model read once), for scale.
Goals (issues #5 and #15): rebuild < 60 s and <= 10.5x at 10x the data; < 4 GB.

    python bench/study.py                 # generate (or reuse) a synthetic dataset under --workdir, run everything
    python bench/study.py --data DIR      # time an existing dataset, e.g. the simulator's fast path output
    python bench/study.py --quick         # 1/20 of the hosts: a smoke run in a minute or two
    python bench/study.py --engine spark  # the full study on Spark (local[*]) next to DuckDB's, 1x and 10x

With ``--engine spark`` each engine computes everything from raw observations (DuckDB: store rebuild + report;
Spark: ``report --engine spark``, which computes every relation in full) and peak memory is that of the whole
process tree, sampled every 0.2 s (Spark's JVM is a child process).

On this shared two-core machine one run varies by 15 to 45 %, so every figure is a median and ratios compare
medians.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED_HOSTS = 175_108
SEED_DAYS = 293


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_report(data: str, out: str) -> None:
    from llmcensus.report.build import build_report

    t0 = time.perf_counter()
    summary = build_report(data, out)
    print(json.dumps({"seconds": time.perf_counter() - t0, "analyze_seconds": summary.analyze_seconds,
                      "peak_mb": _peak_mb(), "observations": summary.headline["observations"]["all"],
                      "hosts": summary.headline["unique_hosts"]["all"]}))  # fmt: skip


def _child_update(data: str, rebuild: bool) -> None:
    from llmcensus.store.relations import update

    t0 = time.perf_counter()
    s = update(data, rebuild=rebuild)
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb(), "files": s.files,
                      "visits": s.visits, "events": s.events, **s.phases}))  # fmt: skip


def _child_scan(data: str) -> None:
    from llmcensus.store import db
    from llmcensus.store.layout import Layout

    files = [str(p) for p in Layout(data).observation_files()]
    con = db.connect()
    t0 = time.perf_counter()
    row = con.execute(
        "SELECT count(DISTINCT ip), count(*), count(DISTINCT m.family) FROM "
        "(SELECT ip, UNNEST(models) AS m FROM read_parquet(?, hive_partitioning = false, union_by_name = true))",
        [files],
    ).fetchone()
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb(), "row": list(row or ())}))


def _tree_peak_mb(work: Any) -> tuple[Any, float]:
    """``work()`` and the peak resident memory (MB) of this process and all its children while it ran."""
    import psutil

    stop = threading.Event()
    peak = [0.0]

    def sample() -> None:
        me = psutil.Process()
        while not stop.wait(0.2):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            peak[0] = max(peak[0], total / 2**20)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        result = work()
    finally:
        stop.set()
        thread.join()
    return result, peak[0]


def _child_engine(engine: str, data: str, out: str, master: str, conf: str = "") -> None:
    """Everything from raw observations on one engine, with the process tree's peak memory."""
    from llmcensus import api
    from llmcensus.store.relations import update

    def work() -> Any:
        if engine == "duckdb":
            update(data, rebuild=True)
            return api.report(data, out)
        return api.report(data, out, engine="spark", master=master, spark_conf=[c for c in conf.split(",") if c])

    t0 = time.perf_counter()
    summary, peak = _tree_peak_mb(work)
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": max(peak, _peak_mb()),
                      "observations": summary.headline["observations"]["all"]}))  # fmt: skip


def _engines(data: Path, data10: Path | None, workdir: Path, master: str, repeat: int, conf: list[str]) -> None:
    """Time and peak memory of the whole study on DuckDB and on Spark, at 1x and 10x, and the 10x/1x ratios."""
    med = statistics.median
    figures: dict[tuple[str, str], dict[str, float]] = {}
    for scale, folder in (("1x", data), ("10x", data10)):
        if folder is None:
            continue
        for engine in ("duckdb", "spark"):
            out = str(workdir / f"report_{engine}_{scale}")
            runs = [_run("_engine", engine, str(folder), out, master, ",".join(conf)) for _ in range(max(repeat, 1))]
            figures[(engine, scale)] = {"seconds": med(r["seconds"] for r in runs),
                                        "peak_mb": max(r["peak_mb"] for r in runs)}  # fmt: skip
            print(f"  {scale} {engine}: {figures[(engine, scale)]['seconds']:.1f} s (median of {len(runs)}), peak "
                  f"{figures[(engine, scale)]['peak_mb'] / 1024:.2f} GB", flush=True)  # fmt: skip
    for engine in ("duckdb", "spark"):
        one, ten = figures.get((engine, "1x")), figures.get((engine, "10x"))
        label = f"spark ({master})" if engine == "spark" else "duckdb"
        line = f"{label}: 1x {one['seconds']:.1f} s, peak {one['peak_mb'] / 1024:.2f} GB" if one else label
        if one and ten:
            line += (f"; 10x {ten['seconds']:.1f} s, peak {ten['peak_mb'] / 1024:.2f} GB; "
                     f"10x/1x {ten['seconds'] / one['seconds']:.1f}x")  # fmt: skip
        print(line)


def _busiest(days: list[tuple[object, Path]]) -> int:
    """Index of the day with the most visits among the last 30 (a synthetic study's last days are sparse: its
    hosts die out; an observatory's next day is an ordinary one)."""
    import pyarrow.parquet as pq

    def visits(folder: Path) -> int:
        return sum(pq.read_metadata(f).num_rows for f in folder.glob("*.parquet"))

    recent = range(max(0, len(days) - 30), len(days))
    return max(recent, key=lambda i: visits(days[i][1]))


def _incremental_copy(data: Path, workdir: Path) -> tuple[Path, Path, Path]:
    """A folder that links every day of ``data`` but one (and its enrichment), with its store built; returns
    (folder, the left-out day's folder in ``data``, a saved copy of the store without that day). The day left out
    is the busiest of the last 30: it arrives as "one more day" (late or not, the store folds it the same way)."""
    from llmcensus.store.layout import Layout
    from llmcensus.store.relations import store_path

    src = Layout(data)
    inc = workdir / f"incremental-{data.name}"
    shutil.rmtree(inc, ignore_errors=True)
    dst = Layout(inc)
    dst.observations.mkdir(parents=True)
    days = src.day_dirs()
    left_out = _busiest(days)
    for i, (_, folder) in enumerate(days):
        if i != left_out:
            (dst.observations / folder.name).symlink_to(folder.resolve())
    if src.enrich.exists():
        dst.enrich.symlink_to(src.enrich.resolve())
    _run("_update", str(inc), "rebuild")
    base = workdir / f"incremental-{data.name}.duckdb"
    shutil.copy2(store_path(inc), base)
    return inc, days[left_out][1], base


def _run(*args: str) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench step {args[0]} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _summary(runs: list[dict[str, float]]) -> dict[str, float]:
    """Median time (and largest peak memory) of report runs, each made in its own process."""
    med = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "analyze_seconds")}
    return {**runs[0], **med, "peak_mb": max(r["peak_mb"] for r in runs), "runs": len(runs),
            "spread": max(r["seconds"] for r in runs) - min(r["seconds"] for r in runs)}  # fmt: skip


def _times(rep: dict[str, float]) -> str:
    n = int(rep["runs"])
    if n == 1:
        return f"{rep['seconds']:.1f} s"
    return f"{rep['seconds']:.1f} s (median of {n}, spread {rep['spread']:.1f} s)"


def _dataset(workdir: Path, name: str, hosts: int, days: int) -> Path:
    from synth import generate

    path = workdir / name
    marker = path / ".complete"
    if not marker.exists():
        shutil.rmtree(path, ignore_errors=True)
        t0 = time.perf_counter()
        generate(path, hosts=hosts, days=days)
        marker.write_text(f"{hosts} {days}\n")
        print(f"generated {name}: {hosts:,} hosts x {days} days in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def _step(inc: Path, last_day: Path, base: Path, workdir: Path) -> tuple[dict[str, float], dict[str, float]]:
    """One daily step: the store without one day, that day's files arrive, update, report."""
    from llmcensus.store.layout import Layout
    from llmcensus.store.relations import store_path

    shutil.copy2(base, store_path(inc))
    link = Layout(inc).observations / last_day.name
    link.unlink(missing_ok=True)
    link.symlink_to(last_day.resolve())
    upd = _run("_update", str(inc), "")
    rep = _run("_report", str(inc), str(workdir / "report_incremental"))
    link.unlink()
    return upd, rep


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_report":
        _child_report(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_update":
        _child_update(sys.argv[2], sys.argv[3] == "rebuild")
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_scan":
        _child_scan(sys.argv[2])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_engine":
        _child_engine(*sys.argv[2:7])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, help="an existing data folder to time (skips generation of the 1x data)")
    ap.add_argument("--data-10x", type=Path, help="an existing 10x data folder")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/llmcensus-bench"))
    ap.add_argument("--quick", action="store_true", help="1/20 of the seed hosts")
    ap.add_argument("--skip-10x", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="1x report runs; the median counts (default 3)")
    ap.add_argument("--repeat-10x", type=int, default=2, help="10x report runs; the median counts (default 2)")
    ap.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                    help="spark: the whole study on Spark next to DuckDB's (time, peak memory, 10x ratio)")
    ap.add_argument("--master", default="local[*]", help="Spark master with --engine spark (default local[*])")
    ap.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                    help="a Spark setting with --engine spark (repeatable), e.g. spark.driver.memory=8g")
    args = ap.parse_args()
    hosts = SEED_HOSTS // 20 if args.quick else SEED_HOSTS
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.data or _dataset(args.workdir, f"data_{hosts}", hosts, SEED_DAYS)
    if args.skip_10x:
        args.repeat_10x = 0
    data10 = args.data_10x or (
        _dataset(args.workdir, f"data_{hosts * 10}", hosts * 10, SEED_DAYS) if args.repeat_10x > 0 else None
    )
    if args.engine == "spark":
        _engines(data, data10, args.workdir, args.master, min(args.repeat, args.repeat_10x or args.repeat),
                 args.spark_conf)
        return
    inc, last_day, base = _incremental_copy(data, args.workdir)
    # everything takes turns (1x, incremental, 10x, 1x, ...) so that each sees the same spells of machine noise
    scans: list[dict[str, float]] = []
    rebuilds: list[dict[str, float]] = []
    runs: list[dict[str, float]] = []
    steps: list[tuple[dict[str, float], dict[str, float]]] = []
    rebuilds10: list[dict[str, float]] = []
    for i in range(max(args.repeat, args.repeat_10x, 1)):
        if i < max(args.repeat, 1):
            scans.append(_run("_scan", str(data)))
            rebuilds.append(_run("_update", str(data), "rebuild"))
            runs.append(_run("_report", str(data), str(args.workdir / "report_1x")))
            steps.append(_step(inc, last_day, base, args.workdir))
            print(f"  1x run {i + 1}: scan {scans[-1]['seconds']:.1f} s, rebuild {rebuilds[-1]['seconds']:.1f} s, "
                  f"report {runs[-1]['seconds']:.1f} s; one more day: update {steps[-1][0]['seconds']:.1f} s, "
                  f"report {steps[-1][1]['seconds']:.1f} s", flush=True)  # fmt: skip
        if data10 is not None and i < args.repeat_10x:
            rebuilds10.append(_run("_update", str(data10), "rebuild"))
            print(f"  10x run {i + 1}: rebuild {rebuilds10[-1]['seconds']:.1f} s", flush=True)
    rep = _summary(runs)
    med = statistics.median
    scan = med(r["seconds"] for r in scans)
    rebuild = med(r["seconds"] for r in rebuilds)
    print(f"dataset: {rep['observations']:,.0f} observations, {rep['hosts']:,.0f} hosts ({data})")
    print(f"plain DuckDB scan (observations + unnested models): {scan:.1f} s")
    print(f"store rebuild from raw observations: {rebuild:.1f} s (median of {len(rebuilds)}), peak memory "
          f"{max(r['peak_mb'] for r in rebuilds) / 1024:.2f} GB, {rebuild / scan:.1f}x the plain scan; phases "
          + ", ".join(f"{k} {med(r.get(k, 0.0) for r in rebuilds):.1f} s" for k in ("ingest", "merge", "events",
                                                                                 "commit")))  # fmt: skip
    print(f"report from the store: {_times(rep)} (analysis {rep['analyze_seconds']:.1f} s), "
          f"peak memory {rep['peak_mb'] / 1024:.2f} GB")  # fmt: skip
    upd = med(u["seconds"] for u, _ in steps)
    print(f"one more day ({steps[0][0]['visits']:,.0f} visits, {steps[0][0]['files']:.0f} files): store update "
          f"{upd:.1f} s, report {med(r['seconds'] for _, r in steps):.1f} s (medians of {len(steps)})")  # fmt: skip
    if not rebuilds10:
        return
    rebuild10 = med(r["seconds"] for r in rebuilds10)
    print(f"store rebuild at 10x data: {rebuild10:.1f} s (median of {len(rebuilds10)}), peak memory "
          f"{max(r['peak_mb'] for r in rebuilds10) / 1024:.2f} GB, {rebuild10 / rebuild:.1f}x the 1x rebuild")


if __name__ == "__main__":
    main()
