"""The DuckDB -> Spark translation alone (no Spark, no Java): every named SQL translates, and each rewrite of
``llmcensus/spark/dialect.py`` does what its reason says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

sqlglot = pytest.importorskip("sqlglot")

from llmcensus.analyze.registry import load_registry  # noqa: E402
from llmcensus.cli.main import main  # noqa: E402
from llmcensus.enrich.capabilities import capabilities_sql  # noqa: E402
from llmcensus.errors import ConfigError  # noqa: E402
from llmcensus.spark import dialect  # noqa: E402
from llmcensus.spark.session import check_engine, parse_conf  # noqa: E402
from llmcensus.store import derive, events, ingest, lineage, relations  # noqa: E402


def spark_sql(sql: str, params: dict[str, object] | None = None) -> str:
    return ";\n".join(dialect.to_spark(dialect.rewrite(t, params)) for t in dialect.parse(sql))


def _scripts() -> dict[str, str]:
    scripts = {
        "per_batch": ingest._PER_BATCH.format(host_expr="hash(ip)", model_key=ingest._MODEL_KEY,
                                              cap_key=ingest._CAP_KEY, day_bit=ingest.DAY_BIT,
                                              stamp_re=ingest.STAMP_RE),
        "fold": ingest._FOLD, "finish": ingest._FINISH, "derived": derive._DERIVED_SQL,
        "store_views": derive._STORE_VIEWS, "host_stats": derive._HOST_STATS_SQL,
        "host_capabilities": derive._HOST_CAPABILITIES_SQL, "lineage": lineage._SQL, "events": events._EVENTS,
        "capabilities": capabilities_sql("capability_input"),
        "flags": derive._FLAGS_SQL.format(clone_farm_min_hosts=5, shared_stamp_min_hosts=5, fake_min_score=2,
                                          multi_port_min_ports=3),
    }  # fmt: skip
    scripts.update({f"derived_{k}": ";\n".join(v) for k, v in relations.DERIVED.items()})
    scripts.update({f"query_{q.name}": q.sql for q in load_registry().values()})
    return scripts


@pytest.mark.parametrize(("name", "sql"), sorted(_scripts().items()), ids=lambda v: v if len(v) < 40 else "")
def test_every_named_sql_translates(name: str, sql: str) -> None:
    out = spark_sql(sql)
    # nothing DuckDB-only is left for Spark to refuse
    for word in ("UBIGINT", "HUGEINT", "INT128", "QUALIFY", "STRUCT_PACK", "TRY_STRPTIME", "REGEXP_FULL_MATCH",
                 "MATERIALIZED", "LIST_", "HASH("):
        end = "" if word[-1] in "_(" else r"(?!\w)"
        assert not re.search(rf"\b{re.escape(word)}{end}", out.upper()), (name, word)


def test_hash_marks_nulls_so_argument_positions_stay_apart() -> None:
    out = spark_sql("SELECT hash(a, b) FROM t")
    assert out == "SELECT XXHASH64(a, a IS NULL, b, b IS NULL) FROM t"


def test_division_and_avg_are_double_and_unsigned_types_fit() -> None:
    out = spark_sql("SELECT a / b, avg(c), CAST(d AS UBIGINT), CAST(e AS HUGEINT), CAST(1 AS UINTEGER) << 3 FROM t")
    assert "CAST(a AS DOUBLE) / b" in out and "AVG(CAST(c AS DOUBLE))" in out
    assert "CAST(d AS BIGINT)" in out and "CAST(e AS DECIMAL(38, 0))" in out and "CAST(1 AS BIGINT)" in out


def test_qualify_keeps_every_column_but_the_window() -> None:
    out = spark_sql("SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY k ORDER BY o) = 1")
    assert out.startswith("SELECT * EXCEPT (_qualify0) FROM (SELECT *, ROW_NUMBER() OVER")
    assert out.endswith("WHERE _qualify0 = 1")


def test_duckdb_null_ordering_is_written_out() -> None:
    assert spark_sql("SELECT a FROM t ORDER BY a, b DESC") == "SELECT a FROM t ORDER BY a NULLS LAST, b DESC"


def test_parameters_become_typed_literals() -> None:
    out = spark_sql("SELECT * FROM t WHERE a > $n AND b >= $share AND c = $name",
                    {"n": 3, "share": 0.5, "name": "x"})  # fmt: skip
    assert out == "SELECT * FROM t WHERE a > 3 AND b >= CAST(0.5 AS DOUBLE) AND c = 'x'"


def test_string_agg_is_sorted_collected_and_null_when_empty() -> None:
    out = spark_sql("SELECT string_agg(DISTINCT d, ',' ORDER BY d) FROM t")
    assert out == ("SELECT CASE WHEN SIZE(ARRAY_SORT(COLLECT_SET(d))) > 0 "
                   "THEN ARRAY_JOIN(ARRAY_SORT(COLLECT_SET(d)), ',') END FROM t")  # fmt: skip


def test_date_minus_date_is_datediff_by_column_name() -> None:
    assert spark_sql("SELECT e.day - f.first_day, x - y FROM t") == "SELECT DATEDIFF(e.day, f.first_day), x - y FROM t"


def test_unnests_side_by_side_are_zipped() -> None:
    out = spark_sql("SELECT a, unnest(l1) AS x, unnest(l2) AS y FROM t")
    assert out == "SELECT a, x, y FROM t LATERAL VIEW INLINE(ARRAYS_ZIP(l1, l2)) _zipped AS x, y"


def test_list_contains_null_and_len() -> None:
    out = spark_sql("SELECT list_contains(v, NULL), len(v) FROM t")
    assert out == "SELECT EXISTS(v, _e -> _e IS NULL), SIZE(v) FROM t"


def test_every_rewrite_has_a_reason() -> None:
    names = [r.name for r in (*dialect.TEXT_REWRITES, *dialect.REWRITES)]
    assert len(names) == len(set(names))
    assert all(len(r.why) > 40 for r in (*dialect.TEXT_REWRITES, *dialect.REWRITES))


def test_spark_settings_and_engine_errors() -> None:
    assert parse_conf(["spark.executor.memory=4g", "a.b = c"]) == {"spark.executor.memory": "4g", "a.b": "c"}
    with pytest.raises(ConfigError, match="key=value"):
        parse_conf(["nonsense"])
    with pytest.raises(ConfigError, match="fixed by llmcensus"):
        parse_conf(["spark.sql.session.timeZone=Europe/Paris"])
    with pytest.raises(ConfigError, match="engine must be one of duckdb, spark, not 'polars'"):
        check_engine("polars")
    with pytest.raises(ConfigError, match="need --engine spark"):
        check_engine("duckdb", spark_options=True)


def test_the_cli_reports_an_unknown_engine_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--engine", "polars"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "engine must be one of duckdb, spark" in err
