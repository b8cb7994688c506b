"""The observations folder loads as-is in the usual tools (issue #15): no special option, the same rows, a
``day`` column of type date (plain date folders: no hive key to clash with the column)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from probe_support import fleet, ollama_persona
from runtime_support import FAST

from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import run_sweep
from llmcensus.store.db import connect, quote
from llmcensus.store.layout import Layout
from llmcensus.targets.parse import Target

HOSTS = [("192.0.2.1", 11434), ("192.0.2.2", 11434), ("192.0.2.3", 11434)]
DAYS = [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("loads")

    async def go() -> None:
        async with fleet() as f:
            for i, host in enumerate(HOSTS):
                await f.add(host, ollama_persona(b'{"models":[]}' if i else b"not json", version="0.12.6"))
            for day in DAYS:  # one sweep a day: two date folders
                at = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
                w = ObservationWriter(root, f"s-{day.isoformat()}", clock=lambda at=at: at)
                await run_sweep([Target(*h) for h in HOSTS], FAST, w, dial_map=f.dial_map, clock=lambda at=at: at)
                w.close(complete=True)

    asyncio.run(go())
    # A part in progress (a killed writer's hidden temp file) must not be picked up by any tool.
    (Layout(root).day_dir(DAYS[0]) / ".part-s-x-000009.parquet.tmp").write_bytes(b"PAR1 half")
    return root


def test_the_folder_is_plain_date_folders(data: Path) -> None:
    obs = Layout(data).observations
    assert sorted(p.name for p in obs.iterdir()) == [d.isoformat() for d in DAYS]
    assert read_observations(data).num_rows == len(HOSTS) * len(DAYS)


def test_pandas_reads_it(data: Path) -> None:
    frame = pd.read_parquet(Layout(data).observations)
    assert len(frame) == len(HOSTS) * len(DAYS)
    assert sorted(set(frame["day"])) == DAYS  # datetime.date values (pyarrow's date32), not strings
    assert sorted(frame["ip"].unique()) == sorted(ip for ip, _ in HOSTS)


def test_pyarrow_dataset_reads_it(data: Path) -> None:
    table = ds.dataset(Layout(data).observations).to_table()
    assert table.num_rows == len(HOSTS) * len(DAYS)
    assert table.schema.field("day").type == pa.date32()
    assert sorted(set(table.column("day").to_pylist())) == DAYS


def test_duckdb_reads_it(data: Path) -> None:
    con = connect(threads=1)
    try:
        glob = quote(Layout(data).observations / "**" / "*.parquet")
        n, kind = con.execute(f"SELECT count(*), any_value(typeof(day)) FROM read_parquet({glob})").fetchone()  # type: ignore[misc]
        days = [r[0] for r in con.execute(f"SELECT DISTINCT day FROM read_parquet({glob}) ORDER BY 1").fetchall()]
    finally:
        con.close()
    assert (n, kind) == (len(HOSTS) * len(DAYS), "DATE") and days == DAYS


def test_polars_reads_it(data: Path) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.read_parquet(str(Layout(data).observations / "**" / "*.parquet"))
    assert frame.height == len(HOSTS) * len(DAYS) and frame.schema["day"] == pl.Date
