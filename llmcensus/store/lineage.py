"""Relations for monitoring model lineages over time (issue #18), derived for each report from the store.

* ``lineage_catalog``      one row per catalogued lineage: lab, lab_country, upstream lineages, first public release
                           (``released``, null when no dated source was found) — from ``reference/data/lineages.csv``
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

CREATE OR REPLACE VIEW host_inv_spans AS
SELECT *, {FIRST_DAY} AS first_day, {LAST_DAY} AS last_day FROM host_inv_months;
"""


def catalog_table() -> pa.Table:
    """The lineage catalogue as a table (``released`` null where the catalogue has no dated source)."""
    rows = [{"lineage": lin.name, "lab": lin.lab, "lab_country": lin.country, "upstream": list(lin.upstream),
             "released": getattr(lin, "released", None)} for lin in lineages().values()]  # fmt: skip
    schema = pa.schema([("lineage", pa.string()), ("lab", pa.string()), ("lab_country", pa.string()),
                        ("upstream", pa.list_(pa.string())), ("released", pa.date32())])  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def create_lineage_relations(con: duckdb.DuckDBPyConnection) -> None:
    """Create this module's relations on ``con`` (which has the store's relations and ``models_enriched``)."""
    con.register("_lineage_catalog", catalog_table())
    con.execute("CREATE OR REPLACE TABLE lineage_catalog AS SELECT * FROM _lineage_catalog")
    con.unregister("_lineage_catalog")
    con.execute(_SQL)
