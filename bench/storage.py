"""Benchmark: bytes on disk per probed visit (observations + inventories + bodies + show, per observation row).

Goal (issue #15): <= 250 bytes per probed visit on the demo-sized study (2,000 hosts x 14 days).

    python bench/storage.py --data DIR    # measure an existing data folder
    python bench/storage.py               # build a demo-sized simulated study in a temp folder, then measure it
    python bench/storage.py --quick       # a smaller study (400 hosts x 5 days): a smoke run

Prints the total per observation row and, per dataset, the compressed bytes of its top 15 leaf columns per row
(from the Parquet footers: column chunks only, so a dataset's columns sum to a little less than its files).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmcensus.observations.bodies import body_files
from llmcensus.store.layout import Layout


def _columns(files: list[Path]) -> tuple[int, int, Counter[str]]:
    """(rows, file bytes, compressed bytes by leaf column path) of Parquet files."""
    rows = size = 0
    per: Counter[str] = Counter()
    for path in files:
        meta = pq.read_metadata(path)
        rows += meta.num_rows
        size += path.stat().st_size
        for rg in range(meta.num_row_groups):
            group = meta.row_group(rg)
            for c in range(group.num_columns):
                col = group.column(c)
                per[col.path_in_schema.replace(".list.element", "")] += col.total_compressed_size
    return rows, size, per


def measure(data: Path, *, top: int = 15) -> float:
    layout = Layout(data)
    obs_rows, obs_bytes, obs_cols = _columns(layout.observation_files())
    if obs_rows == 0:
        raise SystemExit(f"{data}: no observations")
    datasets = {
        "observations": (obs_bytes, obs_cols),
        "inventories": _columns(body_files(layout.inventories))[1:],
        "bodies": _columns(body_files(layout.bodies))[1:],
        "show": _columns(sorted(layout.show.glob("part-*.parquet")) if layout.show.is_dir() else [])[1:],
    }
    total = sum(size for size, _ in datasets.values())
    print(f"{data}: {obs_rows:,} observation rows, {total:,} bytes: {total / obs_rows:.1f} bytes per probed visit")
    for name, (size, cols) in datasets.items():
        print(f"  {name:<13} {size / obs_rows:8.1f} bytes/row ({size:,} bytes)")
        for col, n in cols.most_common(top):
            print(f"      {col:<44} {n / obs_rows:8.1f}")
    return total / obs_rows


def _build(out: Path, hosts: int, days: int) -> None:
    from llmcensus.cli.study import run_study
    from llmcensus.simulate.params import Params

    run_study(out, Params(hosts=hosts, days=days), echo=lambda line: print(line, file=sys.stderr))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="an existing data folder (default: build a simulated study)")
    ap.add_argument("--quick", action="store_true", help="a smaller study: 400 hosts x 5 days")
    ap.add_argument("--keep", type=Path, help="build the study here (kept) instead of a temp folder")
    args = ap.parse_args()
    if args.data is not None:
        measure(args.data)
        return
    hosts, days = (400, 5) if args.quick else (2_000, 14)
    if args.keep is not None:
        _build(args.keep, hosts, days)
        measure(args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="llmcensus-storage-") as tmp:
        _build(Path(tmp) / "data", hosts, days)
        measure(Path(tmp) / "data")


if __name__ == "__main__":  # FleetProcess starts worker processes that re-import this module
    main()
