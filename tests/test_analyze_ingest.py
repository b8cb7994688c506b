"""Reading observation files: older schemas, odd inputs, and invariants that hold for any dataset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analyze_data import model, observation, write_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcensus.analyze.run import run_study
from llmcensus.errors import DataError
from llmcensus.observations.schema import OBSERVATION_SCHEMA
from llmcensus.store.ingest import ingest

DAY = dt.date(2025, 5, 1)
OLD_MODEL = pa.struct([pa.field("name", pa.string()), pa.field("digest", pa.string()),
                       pa.field("family", pa.string()), pa.field("quantization_level", pa.string())])  # fmt: skip


def test_a_file_written_by_an_older_narrower_schema_is_read(tmp_path: Path) -> None:
    # an early file: no show fields, no running list, models with four fields only
    folder = tmp_path / "observations" / f"day={DAY}"
    folder.mkdir(parents=True)
    table = pa.table({
        "observation_id": ["o1", "o2"], "ip": ["2.0.0.1", "2.0.0.2"], "port": pa.array([11434, 11434], pa.int32()),
        "day": [DAY, DAY], "status": ["success", "success"], "runtime": ["ollama", "ollama"],
        "version": ["0.1.30", None],
        "models": pa.array([[{"name": "llama2:latest", "digest": "d1", "family": "llama",
                              "quantization_level": "Q4_0"}], []], pa.list_(OLD_MODEL)),
    })  # fmt: skip
    pq.write_table(table, folder / "part-0.parquet")
    res = run_study(tmp_path, names=["population_summary", "quantization", "capability_coverage", "tier_profile"])
    assert res["population_summary"].rows()[0]["unique_hosts"] == 2
    assert res["quantization"].rows() == [
        {"quantization_level": "Q4_0", "instances": 1, "instance_share": 1.0, "hosts": 1, "host_share": 0.5}
    ]
    tools = next(r for r in res["capability_coverage"].rows() if r["capability"] == "tools")
    assert (tools["hosts_yes"], tools["hosts_unknown"], tools["hosts_no"]) == (0, 1, 1)
    assert res["tier_profile"].rows()[0]["running_share"] is None  # /api/ps never read: unknown, not 0


def test_no_observation_files_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no observation Parquet files"):
        run_study(tmp_path)


hosts = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 3), st.sampled_from(["llama", "qwen2", "<b>x</b>", ""])),
    min_size=1, max_size=8,
)  # fmt: skip


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hosts)
def test_shares_and_counts_agree_for_any_dataset(tmp_path_factory: pytest.TempPathFactory, spec: list) -> None:  # type: ignore[type-arg]
    obs = []
    for h, (n_obs, n_models, family) in enumerate(spec):
        models = [model(f"m{h}-{k}:latest", family, "Q4_K_M", "7B", ["completion"]) for k in range(n_models)]
        obs += [observation(f"3.0.0.{h}", DAY + dt.timedelta(days=d), models) for d in range(n_obs)]
    root = write_dataset(tmp_path_factory.mktemp("h"), obs)
    res = run_study(root, names=["population_summary", "persistence_buckets", "family_ranking", "portfolio_size"])
    pop = res["population_summary"].rows()[0]
    assert pop["unique_hosts"] == len(spec) and pop["observations"] == sum(n for n, _, _ in spec)
    buckets = res["persistence_buckets"].rows()
    assert sum(b["host_share"] for b in buckets) == pytest.approx(1.0)
    assert sum(b["observations"] for b in buckets) == pop["observations"]
    assert sum(r["hosts"] for r in res["portfolio_size"].rows()) == len(spec)
    carrying = {h for h, (_, m, _) in enumerate(spec) if m > 0}
    fams = res["family_ranking"].rows()
    assert all(r["hosts"] <= len(carrying) for r in fams)
    assert sum(r["instances"] for r in fams) == sum(n * m for n, m, _ in spec)


def _parts(root: Path, parts: list[tuple[dt.date, list[dict[str, Any]]]]) -> list[Path]:
    """One part file per entry, several per day allowed (as a resumed or periodically flushed sweep writes them)."""
    files = []
    for k, (day, rows) in enumerate(parts):
        folder = root / "observations" / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        files.append(folder / f"part-{k:06d}.parquet")
        pq.write_table(pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA), files[-1])
    return sorted(files)


@pytest.mark.parametrize(("batch_rows", "max_held"), [(1, None), (2, None), (100_000, None), (1, 1)])
def test_partials_do_not_depend_on_batches_part_files_or_workers(
    tmp_path: Path, batch_rows: int, max_held: int | None
) -> None:
    # host 5.0.0.1 on D1 answers on two ports, in two part files; on D2 once. llama3 and mistral are both family
    # llama; the same llama3 is seen first (file order) with a projector, later without (a non-key field).
    d1, d2 = dt.date(2025, 3, 30), dt.date(2025, 3, 31)
    llama3 = model("llama3:latest", "llama", "Q4_K_M", "8B", ["completion"])
    mistral = model("mistral:7b", "llama", "Q4_0", "7B", ["completion"])
    first, later = {**llama3, "has_projector": True}, {**llama3, "has_projector": False}
    files = _parts(tmp_path, [
        (d1, [observation("5.0.0.1", d1, [first, mistral])]),
        (d1, [observation("5.0.0.1", d1, [later], port=8080)]),
        (d2, [observation("5.0.0.1", d2, [later]), observation("5.0.0.2", d2, [])]),
    ])  # fmt: skip
    con = duckdb.connect()
    ingest(con, files, "hash(ip)", batch_rows=batch_rows, max_held=max_held)  # max_held=1: a fold every batch
    fam = con.execute("SELECT family, observations, bit_count(days), instances FROM host_family_months").fetchall()
    assert fam == [("llama", 3, 2, 4)]
    hmm = con.execute(
        "SELECT c.name, h.instances, bit_count(h.days) FROM host_model_month h "
        "JOIN model_catalog_raw c USING (model_key) "
        "ORDER BY 1"
    ).fetchall()
    assert hmm == [("llama3:latest", 3, 2), ("mistral:7b", 1, 1)]
    # observations are folded too: per (host, month), per (host, version), distinct inventories, a model-count
    # histogram; 5.0.0.1 answered three times (two ports on D1, once on D2), 5.0.0.2 once with no model
    months = con.execute("SELECT observations, bit_count(days), max_models, models_sum FROM host_months ORDER BY 1")
    assert months.fetchall() == [(1, 1, 0, 0), (3, 2, 2, 4)]
    assert con.execute("SELECT sum(observations), sum(local_models) FROM host_versions").fetchone() == (4, 4)
    assert con.execute("SELECT count(*) FROM host_inventories").fetchone() == (2,)  # [first, mistral] and [later]
    counts = con.execute("SELECT model_count, observations FROM month_model_counts ORDER BY 1").fetchall()
    assert counts == [(0, 1), (1, 2), (2, 1)]
    # a capability class is a function of its key (version and every field the capability SQL reads), so the
    # same llama3 with and without a projector makes two classes, whichever worker or batch met it first
    caps = con.execute("SELECT mp.name, mp.has_projector FROM capability_input").fetchall()
    assert sorted(caps, key=repr) == [("llama3:latest", False), ("llama3:latest", True), ("mistral:7b", None)]
    assert con.execute("SELECT count(*) FROM endpoints").fetchone() == (3,)


def test_a_file_of_many_row_groups_reads_like_one_row_group(tmp_path: Path) -> None:
    # pyarrow refuses to return a dictionary nested in a list across row groups as one array; another writer's
    # (or a large sweep's) file with several row groups must still be read, and give what one row group gives
    llama3 = model("llama3:latest", "llama", "Q4_K_M", "8B", ["completion", "tools"])
    qwen = model("qwen2:7b", "qwen2", "Q4_0", "7B", None)
    rows = [observation(f"6.0.0.{k}", DAY, [llama3, qwen][: k % 3]) for k in range(7)]
    table = pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA)
    tables = {}
    for name, group in (("one", 7), ("many", 2)):
        path = tmp_path / name / "observations" / f"day={DAY}" / "part-0.parquet"
        path.parent.mkdir(parents=True)
        pq.write_table(table, path, row_group_size=group)
        assert pq.read_metadata(path).num_row_groups == (1 if name == "one" else 4)
        con = duckdb.connect()
        ingest(con, [path], "hash(ip)")
        tables[name] = {
            t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in ("host_months", "host_versions", "host_inventories", "month_model_counts", "endpoints",
                      "host_model_month", "host_family_months", "model_catalog_raw")
        }
    assert tables["many"] == tables["one"]
    assert len(tables["one"]["host_months"]) == 7 and len(tables["one"]["model_catalog_raw"]) == 2
