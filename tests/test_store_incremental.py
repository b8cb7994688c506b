"""The store folded step by step equals the store rebuilt from raw observations: relations, events and metrics.

Fourteen steps over a simulated study (fast path: the world's planted additions, removals and upgrades), with a
late sweep (day 5 arrives after day 9), a resumed sweep (day 11 arrives as two parts in two steps) and an empty
step (nothing new).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from compare import same

from llmcensus.analyze.run import run_study
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.world import build_world
from llmcensus.store import db
from llmcensus.store.layout import Layout
from llmcensus.store.relations import DERIVED, MERGES, store_path, update

PARAMS = Params(hosts=250, days=14, seed=11)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("full")
    write_fastpath(build_world(PARAMS), out)
    return out


def _tables(data: Path) -> dict[str, list[dict[str, Any]]]:
    con = db.connect(store_path(data), read_only=True)
    try:
        return {name: sorted(con.sql(f"SELECT * FROM {name}").to_arrow_table().to_pylist(), key=repr)
                for name in [*MERGES, *DERIVED, "events"]}  # fmt: skip
    finally:
        con.close()


def _copy_day(src: Path, dst: Path, day_dir: Path, rows: slice | None = None, seq: int = 0) -> None:
    target = Layout(dst).observations / day_dir.name
    target.mkdir(parents=True, exist_ok=True)
    for f in sorted(day_dir.glob("*.parquet")):
        if rows is None:
            shutil.copy2(f, target / f.name)
        else:  # one sweep written in two parts (a resumed sweep), each arriving in its own step
            table = pq.read_table(f)
            part = table.slice(rows.start, (rows.stop or table.num_rows) - rows.start)
            pq.write_table(part, target / f.name.replace("-000000.parquet", f"-{seq:06d}.parquet"))


def test_fourteen_incremental_steps_equal_a_full_rebuild(source: Path, tmp_path: Path) -> None:
    days = [d for _, d in Layout(source).day_dirs()]
    assert len(days) == 14
    inc = tmp_path / "inc"
    half = pq.read_metadata(next(days[11].glob("*.parquet"))).num_rows // 2
    steps: list[list[tuple[Path, slice | None, int]]] = [
        [(days[0], None, 0)], [(days[1], None, 0)], [(days[2], None, 0)], [(days[3], None, 0)],
        [(days[4], None, 0)], [(days[6], None, 0)], [(days[7], None, 0)], [(days[8], None, 0)],
        [(days[9], None, 0)], [(days[5], None, 0)],  # late: day 5 after day 9
        [],  # an empty day: nothing new
        [(days[10], None, 0), (days[11], slice(0, half), 0)],
        [(days[11], slice(half, None), 1)],  # the rest of the resumed sweep of day 11
        [(days[12], None, 0), (days[13], None, 0)],
    ]  # fmt: skip
    assert len(steps) == 14
    folded = 0
    for step in steps:
        for day_dir, rows, seq in step:
            _copy_day(source, inc, day_dir, rows, seq)
        summary = update(inc)
        folded += summary.files
        assert summary.files == len(step)
        assert summary.rebuilt == (folded == summary.files and bool(step))  # only the first step creates it
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(source / "observations", rebuilt / "observations")
    assert update(rebuilt, rebuild=True).rebuilt
    a, b = _tables(inc), _tables(rebuilt)
    for name in a:
        assert a[name] == b[name], name
    kinds = {row["kind"] for row in a["events"]}
    assert {"first_seen", "model_added", "model_removed"} <= kinds
    late = run_study(inc).metrics
    full = run_study(rebuilt).metrics
    assert late.keys() == full.keys()
    for name in late:
        assert same(late[name].rows(), full[name].rows()), name


def test_a_changed_or_removed_file_makes_the_store_rebuild(source: Path, tmp_path: Path) -> None:
    data = tmp_path / "d"
    shutil.copytree(source / "observations", data / "observations")
    first = update(data)
    assert first.rebuilt and first.files == 14
    assert update(data).files == 0  # nothing new
    victim = Layout(data).observation_files()[3]
    victim.unlink()  # the store must not keep describing data that is gone
    again = update(data)
    assert again.rebuilt and again.files == 13
    con = db.connect(store_path(data), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM folded_parts").fetchone() == (13,)
    finally:
        con.close()


def test_a_read_only_data_folder_is_reported_from_a_private_store(source: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "shared"
    shutil.copytree(source / "observations", data / "observations")
    real_access = os.access
    # the tests run as root, which may write anywhere: the folder is made read-only for the store's check alone
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == data else real_access(p, mode))
    res = run_study(data, names=["population_summary"])
    assert res["population_summary"].rows()[0]["unique_hosts"] > 0
    assert not Layout(data).store.exists()  # nothing written into the data it reads
    private = store_path(data)
    assert private.exists() and not private.is_relative_to(data)
    shutil.rmtree(private.parent)
