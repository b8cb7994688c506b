"""Relations for monitoring model lineages over time (issue #18), derived for each report from the store.

* ``lineage_catalog``      one row per catalogued lineage: lab, lab_country, upstream lineages, first public release
                           (``released``, null when no dated source was found; ``release_precision`` ``day`` or
                           ``month``, a month stored as its 1st) — from ``reference/data/lineages.csv``
* ``inventory_models``     one row per (inventory, model name, digest) of the store's ``inventory_names``, every
                           runtime, with enrichment's labels (lineage, lab, lab_country, uncensored_name, param_b,
                           param_band, quant_bits; 'unknown' lineage when a name resolves to none) and ``cloud``:
                           the one join of inventories with enrichment that the lineage metrics read
* ``runtime_host_models``  distinct (host, runtime, model name, digest) listed on a successful visit, with lineage,
                           lab and lab_country; cloud stubs out
* ``inventory_lineages``   distinct (inventory, lineage) of local models (cloud stubs out; 'unknown' when a name
                           resolves to no lineage), every runtime
* ``host_lineage_months``  one row per (host, month, lineage, runtime): ``days``, the bit set of the days of the month
                           on which a successful visit listed a model of the lineage (from the store's
                           ``host_inv_months``; a day count is its bit count), and ``first_day``/``last_day``, the
                           first and last of those days
* ``lineage_host_months``  the same with the runtimes merged: one row per (lineage, host, month) with ``days``,
                           ``first_day`` and ``last_day``: what per-lineage counts of hosts read (no de-duplication
                           left to do)
* ``lineage_month_hosts``  one row per month: ``month_hosts``, the hosts of any runtime listing a local model
* ``host_inv_spans``       the store's ``host_inv_months`` with the same ``first_day`` and ``last_day``
* ``lineage_host_weeks``   one row per (lineage, host, ISO week) with ``days``, the bit set of the days of the week
                           (Monday = bit 0) on which a successful visit of any runtime listed a model of the lineage
                           (from the store's ``host_inv_weeks``): what adoption per week reads
* ``lineage_week_hosts``   one row per week: ``week_hosts``, the hosts of any runtime listing a local model

The weekly two are views, not tables: only ``lineage_adoption_by_week`` reads them, so a report or a monitor check
that does not ask for it pays nothing for them (the monthly tables are read by a dozen metrics and the alerts).
Adoption per day reads the monthly tables: a day lies in one month, so they hold it exactly.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from llmcensus.reference.catalog import lineages

# The first and last day of a month's day set: the month's first day plus the position of its lowest / highest bit.
FIRST_DAY = "month + CAST(strlen(bin(days)) - strlen(rtrim(bin(days), '0')) AS INTEGER)"
LAST_DAY = "month + CAST(strlen(bin(days)) - 1 AS INTEGER)"

_SQL = f"""
CREATE OR REPLACE TABLE inventory_models AS
SELECT n.inv, n.name, n.digest, coalesce(e.lineage, 'unknown') AS lineage, coalesce(e.lab, 'unknown') AS lab,
       coalesce(e.lab_country, 'unknown') AS lab_country, coalesce(e.uncensored_name, false) AS uncensored_name,
       e.param_b, e.param_band, e.quant_bits,
       (n.name LIKE '%:cloud' OR n.name LIKE '%-cloud' OR coalesce(e.is_cloud, false)) AS cloud
FROM inventory_names n LEFT JOIN models_enriched e ON e.name = n.name AND e.digest IS NOT DISTINCT FROM n.digest;

CREATE OR REPLACE TABLE inventory_lineages AS SELECT DISTINCT inv, lineage FROM inventory_models WHERE NOT cloud;

-- Every runtime: distinct (host, runtime, model) listed on a successful visit, with the model's lineage; cloud stubs
-- left out. Inventories are expanded once per distinct (host, runtime, inventory), not per day.
CREATE OR REPLACE TABLE runtime_host_models AS
SELECT DISTINCT d.host, d.runtime, m.name, m.digest, m.lineage, m.lab, m.lab_country
FROM (SELECT DISTINCT host, runtime, inv FROM host_inv_months) d JOIN inventory_models m USING (inv)
WHERE NOT m.cloud;

CREATE OR REPLACE TABLE host_lineage_months AS
SELECT *, {FIRST_DAY} AS first_day, {LAST_DAY} AS last_day FROM (
  SELECT h.host, h.month, l.lineage, h.runtime, bit_or(h.days) AS days
  FROM host_inv_months h JOIN inventory_lineages l USING (inv) GROUP BY ALL
);

-- Only a host-month with several runtimes can hold a lineage twice: those few are merged, the rest copied.
CREATE OR REPLACE TEMP TABLE multi_runtime AS
  SELECT host, month FROM host_inv_months GROUP BY ALL HAVING count(DISTINCT runtime) > 1;
CREATE OR REPLACE TABLE lineage_host_months AS
SELECT lineage, host, month, days, first_day, last_day FROM host_lineage_months
ANTI JOIN multi_runtime USING (host, month)
UNION ALL
SELECT *, {FIRST_DAY} AS first_day, {LAST_DAY} AS last_day FROM (
  SELECT h.lineage, h.host, h.month, bit_or(h.days) AS days
  FROM host_lineage_months h SEMI JOIN multi_runtime USING (host, month) GROUP BY ALL
);
DROP TABLE multi_runtime;

CREATE OR REPLACE TABLE lineage_month_hosts AS
SELECT month, count(DISTINCT host) AS month_hosts FROM host_lineage_months GROUP BY month;

-- Per ISO week, runtimes and inventories merged. Only a host-week with several (runtime, inventory) rows can hold a
-- lineage twice (6 % of host-weeks at seed scale): those are merged, the rest copied, which halves the cost of
-- grouping every row (2.5 s instead of 4.5 s for the weekly metric at seed scale, measured under load).
CREATE OR REPLACE VIEW lineage_host_weeks AS
WITH multi AS (SELECT host, week FROM host_inv_weeks GROUP BY host, week HAVING count(*) > 1)
SELECT l.lineage, h.host, h.week, h.days
FROM host_inv_weeks h ANTI JOIN multi USING (host, week) JOIN inventory_lineages l USING (inv)
UNION ALL
SELECT l.lineage, h.host, h.week, bit_or(h.days) AS days
FROM host_inv_weeks h SEMI JOIN multi USING (host, week) JOIN inventory_lineages l USING (inv)
GROUP BY l.lineage, h.host, h.week;

CREATE OR REPLACE VIEW lineage_week_hosts AS
SELECT h.week, count(DISTINCT h.host) AS week_hosts
FROM host_inv_weeks h SEMI JOIN inventory_lineages l USING (inv) GROUP BY h.week;

CREATE OR REPLACE VIEW host_inv_spans AS
SELECT *, {FIRST_DAY} AS first_day, {LAST_DAY} AS last_day FROM host_inv_months;
"""


def catalog_table() -> pa.Table:
    """The lineage catalogue as a table (``released`` null where the catalogue has no dated source).

    ``release_precision`` is ``month`` when the source names only the month: ``released`` is then the
    first of it, which day counts (days since release) use as is; show such a date as ``YYYY-MM``.
    """
    rows = [{"lineage": lin.name, "lab": lin.lab, "lab_country": lin.country, "upstream": list(lin.upstream),
             "released": lin.released, "release_precision": lin.release_precision or None}
            for lin in lineages().values()]  # fmt: skip
    schema = pa.schema([("lineage", pa.string()), ("lab", pa.string()), ("lab_country", pa.string()),
                        ("upstream", pa.list_(pa.string())), ("released", pa.date32()),
                        ("release_precision", pa.string())])  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def create_lineage_relations(con: duckdb.DuckDBPyConnection) -> None:
    """Create this module's relations on ``con`` (which has the store's relations and ``models_enriched``)."""
    con.register("_lineage_catalog", catalog_table())
    con.execute("CREATE OR REPLACE TABLE lineage_catalog AS SELECT * FROM _lineage_catalog")
    con.unregister("_lineage_catalog")
    con.execute(_SQL)
