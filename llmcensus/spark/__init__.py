"""The study on Apache Spark (``llmcensus report --engine spark``): the same relations and metrics as DuckDB's,
from the same Parquet observations and the same named SQL, translated by SQLGlot (``dialect.py``; docs/spark.md).

Optional: PySpark is the ``spark`` extra. Modules: ``dialect`` (every engine difference, no Spark needed),
``session`` (the Spark session), ``engine`` (DuckDB scripts run as Spark temporary views), ``study`` (relations and
metrics). This stage reads the store's and analysis' SQL and returns ``analyze.run.StudyResults``.
"""
