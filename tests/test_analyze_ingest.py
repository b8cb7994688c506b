"""Reading observation files: older schemas, odd inputs, and invariants that hold for any dataset."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analyze_data import model, observation, write_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcensus.analyze.run import run_study
from llmcensus.errors import DataError

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
