"""Cross-engine: every metric of the registry computed on Spark equals DuckDB's (floats to 1e-9), on the hand-made
fixture (month boundary, NULL versions and capabilities, a clone pair, a multi-port address, an empty inventory),
on a v1 dataset (older schema: fields missing from the files) and on a simulated study; and the report written
from Spark's results equals DuckDB's. Skipped without PySpark or Java (``pip install -e '.[spark]'``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from analyze_data import fixture_advisories, write_tiny
from compare import same

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java", allow_module_level=True)

from llmcensus import api
from llmcensus.analyze.registry import load_registry
from llmcensus.analyze.run import StudyResults, run_study
from llmcensus.errors import DataError
from llmcensus.report.build import build_report
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.world import build_world
from llmcensus.spark import study as spark_study
from llmcensus.spark.compare import differences
from llmcensus.spark.dialect import DATE_COLUMN
from llmcensus.spark.session import make_session
from llmcensus.store import db, derive
from llmcensus.store.derive import ViewParams

TINY_PARAMS: dict[str, Any] = {"persistent_min_obs": 2, "public_library_min_models": 3, "exposure_min_uptime": 0.5,
                               "commodity_weights_gb": 8, "dimension_min_hosts": 2}  # fmt: skip
TINY_VIEW = ViewParams(clone_farm_min_hosts=2, multi_port_min_ports=2)
V1 = Path(__file__).parent / "fixtures" / "v1_study"
# a Spark study takes one to three minutes on two busy cores: more than the suite's default timeout per test
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
VOLATILE = {"generated_at", "llmcensus_version"}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = make_session("local[2]", {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"})
    yield session
    session.stop()


def _both(spark: Any, root: Path, view: ViewParams, params: dict[str, Any]) -> tuple[StudyResults, StudyResults]:
    with fixture_advisories():
        duck = run_study(root, view_params=view, params=params)
        return duck, spark_study.run_study(spark, root, view_params=view, params=params)


def _ordered(sql: str) -> bool:
    """Whether the query's result is ordered (a top-level ORDER BY)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return tree.args.get("order") is not None


def _assert_equal(duck: StudyResults, spark: StudyResults) -> None:
    assert duck.metrics.keys() == spark.metrics.keys()
    failed = {}
    for name, m in duck.metrics.items():
        diff = differences(m.table, spark.metrics[name].table)  # as multisets
        if not diff and _ordered(m.query.sql):
            diff = differences(m.table, spark.metrics[name].table, ordered=True)
        if diff:
            failed[name] = diff
    assert not failed, failed


@pytest.fixture(scope="module")
def tiny(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyResults, StudyResults]:
    root = write_tiny(tmp_path_factory.mktemp("tiny"))
    return _both(spark, root, TINY_VIEW, TINY_PARAMS)


def test_every_metric_equal_on_the_hand_made_fixture(tiny: tuple[StudyResults, StudyResults]) -> None:
    duck, spark = tiny
    assert sum(1 for m in duck.metrics.values() if m.table.num_rows) > len(duck.metrics) * 3 // 4  # filled
    _assert_equal(duck, spark)


def test_the_report_written_from_spark_equals_duckdbs(tiny: tuple[StudyResults, StudyResults],
                                                      tmp_path: Path) -> None:
    docs = []
    for name, results in zip(("duckdb", "spark"), tiny, strict=True):
        with fixture_advisories():
            build_report(results.data_dir, tmp_path / name, results=results)
        doc = json.loads((tmp_path / name / "metrics.json").read_text())
        docs.append({k: v for k, v in doc.items() if k not in VOLATILE})
    duck, spark = docs
    assert duck.keys() == spark.keys()
    for key in duck.keys() - {"metrics"}:
        assert same(duck[key], spark[key]), key
    for name, metric in duck["metrics"].items():
        got = spark["metrics"][name]
        assert metric.keys() == got.keys(), name
        for key in metric.keys() - {"rows", "seconds"}:
            assert same(metric[key], got[key]), (name, key)
        want_rows, got_rows = metric["rows"], got["rows"]
        if not _ordered(load_registry()[name].sql):
            want_rows, got_rows = sorted(want_rows, key=_row_key), sorted(got_rows, key=_row_key)
        assert same(want_rows, got_rows), name


def _row_key(row: dict[str, Any]) -> str:
    return repr({k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()})


def test_date_columns_are_named_as_the_dialect_expects(tiny: tuple[StudyResults, StudyResults], spark: Any) -> None:
    """``dialect.DATE_COLUMN`` recognises a date by its name (for date - date): every DATE column of every relation
    matches it, and no column of another type does."""
    wrong = []
    for table in spark.catalog.listTables():
        for field in spark.table(table.name).schema.fields:
            is_date = field.dataType.simpleString() == "date"
            if is_date != bool(DATE_COLUMN.match(field.name)) and not field.name.startswith(("p_", "_")):
                wrong.append(f"{table.name}.{field.name}: {field.dataType.simpleString()}")
    assert not wrong, wrong


def test_spark_builds_every_relation_duckdb_attaches(tiny: tuple[StudyResults, StudyResults], spark: Any) -> None:
    """Both engines run ``derive.create_analysis_relations``; the store's views and enrichment tables before it are
    set up by each engine: every relation ``attach`` makes exists on Spark too (the ad-hoc views over raw Parquet
    excepted: no metric reads them)."""
    con = db.connect()
    try:
        derive.attach(con, tiny[0].data_dir, TINY_VIEW, refresh=False)
        duck = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_catalog <> 's'").fetchall()}  # fmt: skip
    finally:
        con.close()
    ours = {t.name for t in spark.catalog.listTables()}
    assert duck - ours <= {"obs_raw", "observations"}, sorted(duck - ours)


def test_every_metric_equal_on_a_v1_dataset(spark: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("observations", "show", "sweeps"):
        shutil.copytree(V1 / name, data / name)
    api.enrich(data)
    _assert_equal(*_both(spark, data, ViewParams(), {}))


def test_every_metric_equal_on_a_simulated_study(spark: Any, tmp_path: Path) -> None:
    write_fastpath(build_world(Params(hosts=100, days=8, seed=5)), tmp_path)
    api.enrich(tmp_path)
    duck, spark_results = _both(spark, tmp_path, ViewParams(), {})
    assert duck["headline"].table.num_rows > 0
    _assert_equal(duck, spark_results)


def test_an_empty_data_folder_is_the_same_error_on_both_engines(spark: Any, tmp_path: Path) -> None:
    (tmp_path / "observations").mkdir()
    with pytest.raises(DataError, match="no observation Parquet files"):
        run_study(tmp_path)
    with pytest.raises(DataError, match="no observation Parquet files"):
        spark_study.run_study(spark, tmp_path)
