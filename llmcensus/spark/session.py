"""The Spark session of a report: master, the user's settings, and the settings that make Spark compute as DuckDB.

Imported by ``api.report`` whatever the engine: PySpark and SQLGlot are imported only when Spark is used."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from typing import Any

from llmcensus.errors import ConfigError

DEFAULT_MASTER = "local[*]"
# On one machine the default 200 shuffle partitions turn every small GROUP BY into 200 tasks; a cluster user passes
# --spark-conf spark.sql.shuffle.partitions=... for big data.
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def parse_conf(items: Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``key=value`` strings (as ``--spark-conf`` takes them) or a mapping, as a dict; a malformed one is a
    ``ConfigError``, and so is a setting that ``SESSION_CONF`` fixes (the numbers would differ from DuckDB's)."""
    from llmcensus.spark.dialect import SESSION_CONF

    if items is None:
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(items, str):
        items = [items]
    if isinstance(items, Mapping):
        pairs = [(str(k), str(v)) for k, v in items.items()]
    else:
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"--spark-conf takes key=value, not {item!r}")
            pairs.append((key.strip(), value.strip()))
    fixed = [k for k, v in pairs if k in SESSION_CONF and v != SESSION_CONF[k]]
    if fixed:
        raise ConfigError(f"{', '.join(fixed)} is fixed by llmcensus (Spark must compute as DuckDB does)")
    return dict(pairs)


def available() -> None:
    """Raise one ``ConfigError`` line when PySpark or Java is missing."""
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        raise ConfigError("--engine spark needs PySpark and SQLGlot: pip install 'llmcensus[spark]'") from None
    if shutil.which("java") is None:
        raise ConfigError("--engine spark needs Java 17 or later on the PATH")


def make_session(master: str = DEFAULT_MASTER, conf: Mapping[str, str] | None = None) -> Any:
    """A Spark session (the running one if any: Spark allows one per process) with ``conf`` applied."""
    available()
    from pyspark.sql import SparkSession

    from llmcensus.spark.dialect import SESSION_CONF

    builder = SparkSession.builder.master(master).appName("llmcensus")
    local: dict[str, str] = {}
    if master.startswith("local"):
        # Spark's 1 GB driver cannot broadcast the joins of a 1/20-seed study (it fails, "Not enough memory to build
        # and broadcast"); on one machine the driver does all the work: give it DuckDB's budget (store/db.py)
        from llmcensus.store.db import default_memory_limit

        local = {**LOCAL_DEFAULTS, "spark.driver.memory": default_memory_limit().lower().removesuffix("b")}
    settings = {**local, **(conf or {}), **SESSION_CONF}
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in settings.items():  # getOrCreate returns a running session as it is: set what can be set
        if key.startswith("spark.sql."):
            spark.conf.set(key, value)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


ENGINES = ("duckdb", "spark")


def check_engine(engine: str, *, spark_options: bool = False) -> None:
    """One ``ConfigError`` line for an unknown engine, Spark options without ``spark``, or Spark not installed."""
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine != "spark" and spark_options:
        raise ConfigError("--master and --spark-conf need --engine spark")
    if engine == "spark":
        available()
