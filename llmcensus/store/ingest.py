"""Read the observation Parquet files once, file by file, into narrow DuckDB tables.

Why file by file: decoding the nested ``models`` column is by far the dominant cost of the whole study (DuckDB
does not push a projection into a list of structs, so every one of ~30 model fields would be decoded on every
scan). Here pyarrow decodes only the leaves the metrics need, each file exactly once (``decode.py``), and every
table below is filled from that one in-memory batch by set-based SQL. Model instances do not outlive their batch: each
observation keeps the key of its inventory, and each distinct inventory its members, once. Observations do not
outlive their month: a worker folds them into per-(host, month, ...) partials as it goes, expanding inventories
into models and families only then, so no table grows with the number of observations (at 10x the seed data a
per-observation table alone took about 4 GB, and the per-instance rows of a month more than that). What a batch
groups by host (endpoint ids, visits per signature, inventories by month and week, markers, other runtimes' months)
is grouped again at the fold: a batch of 100,000 visits spans days at seed scale but hours at 10x, so per-batch rows
alone were one per visit there (four tables of 66 million rows, about 10 GB, past the memory budget).

Two workers run side by side, each on its own DuckDB cursor: one reads a file while the other runs its batch's
SQL. Batches therefore hold files in any order, and nothing below depends on that order or on where batches
begin: partials merge by sums and bit sets, and "the first row of a model" means the lowest ``ord`` (file
number, then position in the file), as a single reader in file order would have met it.

Tables filled (``host`` = hash of ip or ip:port, ``model_key`` = hash of every model field the metrics read,
``cap_key`` = hash of version + model_key; hashes are grouped and joined, never shown):

* ``sweep_days``         day, visits (all statuses)
* ``host_months``        host, month: the month's successful Ollama observations (``status = 'success' AND
                         runtime = 'ollama'``) as partials: ``observations``, ``days`` (bit set of the days of the
                         month), ``first_day``, ``last_day``, ``max_models``, ``models_sum``/``models_n`` and
                         ``running_sum``/``running_n`` (sums and counts of the non-null ``model_count`` and
                         ``running_count``; null ``running_count`` = /api/ps not read), ``running_positive``
* ``host_versions``      host, version: ``observations``, ``local_models``, ``local_without_capabilities`` (sums)
* ``host_inventories``   distinct (host, ``inventory_sig``): the order-free hash of an observation's (digest,
                         modified_at) pairs, for non-empty inventories
* ``month_model_counts`` month, model_count: ``observations`` listing that many models (a histogram, for medians)
* ``endpoints``          distinct (ip, port, host)
* ``runtime_host_months`` host, month, runtime, auth, status: ``observations`` and ``days`` (bit set of the days of
                         the month), for every *other* visit with a runtime verdict (``status = 'success'`` of any
                         runtime but Ollama with ``auth = 'open'``, and every ``status = 'auth_required'`` visit,
                         whatever its runtime; null runtime or auth = ``unknown``). With ``host_months`` (the
                         successful Ollama host-days) it gives the runtime mix and the auth posture per runtime
* ``host_model_month``   host, month, model_key: ``instances`` (model instances over the month's observations)
                         and ``host_days`` (distinct days listing the model)
* ``host_model_caps``    distinct (host, model_key, cap_key)
* ``host_family_months`` host, month, local family: ``observations`` listing it, ``host_days``, ``instances``
                         (cloud stubs left out)
* ``model_catalog_raw``  one row per distinct model_key with the model's fields
* ``capability_input``   one row per distinct cap_key, shaped like ``observations`` for enrichment's capability SQL
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from llmcensus.observations.inventories import Inventories
from llmcensus.store.decode import OBS_TYPES, ORD_SHIFT, batch, empty, read_file

# What enrichment's capability SQL reads from a model (equal values and version give equal labels).
CAP_FIELDS = ("name", "digest", "family", "families", "capabilities", "tags_capabilities", "template_flags",
              "has_projector", "parameter_size")  # fmt: skip
# Every field the metrics read joins name and digest in the key: what /api/show gave depends on the visit
# (fetched, skipped, failed), and what /api/tags says of one digest depends on the host's version (no
# details before v0.1.15; hf.co pulls report quantization "unknown" before v0.30). A narrower key let
# the catalogue keep whichever variant it met first, so metrics depended on file order.
CATALOG_FIELDS = ("name", "digest", "show_status", "capabilities", "system", "template_flags", "family", "families",
                  "parameter_size", "quantization_level", "remote_host")  # fmt: skip
_MODEL_KEY = f"hash({', '.join(CATALOG_FIELDS)})"
# A capability class is a function of its key: the version and every model field enrichment's capability SQL reads
# (``CAP_FIELDS``), so the class row kept does not depend on which file met it first. Likewise the catalogue keeps
# only the fields of ``model_key``. Nothing in the store depends on the order files are folded in: incremental
# updates and a full rebuild give the same relations.
_CAP_KEY = "hash(o.version, i.model_key, i.tags_capabilities, i.has_projector)"
_CAP_STRUCT = ", ".join(f"{f} := {f}" for f in CAP_FIELDS)
WORKERS = 2  # the study's reference machine has two cores; a third worker would only add memory
# A worker folds its held rows into per-month partials when a later month starts, or earlier when they would take
# more than a quarter of DuckDB's memory budget across workers (``fold_rows``). Folding once a month keeps the work
# linear in the data: with a fixed cap, ten times the data meant four or five folds a month per worker, each
# reducing less, and the fold grew 17x (bench/RESULTS.md).
HELD_ROW_BYTES = 240  # one held observation: its obs_cur row, its share of the endpoint and inventory rows, and
# its rows in the per-batch tables grouped again at the fold (endpoint ids, signatures, inventories by month and week)
FOLD_MEMORY_SHARE = 4
MIN_FOLD_ROWS = 1_000_000
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50, "E": 2**60}
# an RFC 3339 stamp as Ollama sends it: seconds, an optional 1-9 digit fraction, Z or an offset
STAMP_RE = r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$"

_CREATE = """
CREATE OR REPLACE TABLE sweep_days_acc (day DATE, visits BIGINT);
CREATE OR REPLACE TABLE host_months_acc (host UBIGINT, month DATE, observations BIGINT, days BIGINT,
  first_day DATE, last_day DATE, max_models INTEGER, models_sum HUGEINT, models_n BIGINT, running_sum HUGEINT,
  running_n BIGINT, running_positive BIGINT);
CREATE OR REPLACE TABLE host_versions_acc (host UBIGINT, version VARCHAR, observations BIGINT, local_models HUGEINT,
  local_without_capabilities HUGEINT);
CREATE OR REPLACE TABLE host_inventories_acc (host UBIGINT, inventory_sig UBIGINT);
CREATE OR REPLACE TABLE month_model_counts_acc (month DATE, model_count INTEGER, observations BIGINT);
CREATE OR REPLACE TABLE endpoints_acc (ip VARCHAR, port INTEGER, host UBIGINT);
CREATE OR REPLACE TABLE runtime_months_acc (host UBIGINT, month DATE, runtime VARCHAR, auth VARCHAR,
  status VARCHAR, observations BIGINT, days BIGINT);
CREATE OR REPLACE TABLE hmc_acc (host UBIGINT, month DATE, model_key UBIGINT, cap_key UBIGINT, instances BIGINT,
  days UINTEGER);
CREATE OR REPLACE TABLE fam_acc (host UBIGINT, month DATE, family VARCHAR, observations HUGEINT, instances HUGEINT,
  days UINTEGER);
CREATE OR REPLACE TABLE model_catalog_acc AS
  SELECT 0::UBIGINT AS model_key, 0::BIGINT AS ord, {catalog_fields} FROM _empty_models;
CREATE OR REPLACE TABLE endpoint_days_acc (endpoint UBIGINT, host UBIGINT, day DATE, observed_at TIMESTAMPTZ,
  visit UBIGINT, runtime VARCHAR, auth VARCHAR, status VARCHAR, version VARCHAR, inv UBIGINT,
  models INTEGER, proxy VARCHAR);
CREATE OR REPLACE TABLE host_markers_acc (host UBIGINT, ip VARCHAR, marker VARCHAR, visits BIGINT);
CREATE OR REPLACE TABLE host_sig_visits_acc (host UBIGINT, ip VARCHAR, sig UBIGINT, visits BIGINT);
CREATE OR REPLACE TABLE sig_members_acc (sig UBIGINT, name VARCHAR, digest VARCHAR, modified_at VARCHAR,
  stamp VARCHAR, frac VARCHAR);
CREATE OR REPLACE TABLE endpoint_ids_acc (endpoint UBIGINT, host UBIGINT, ip VARCHAR, port INTEGER);
CREATE OR REPLACE TABLE host_inv_months_acc (host UBIGINT, month DATE, runtime VARCHAR, inv UBIGINT, days UINTEGER);
CREATE OR REPLACE TABLE host_inv_weeks_acc (host UBIGINT, week DATE, runtime VARCHAR, inv UBIGINT, days UTINYINT);
CREATE OR REPLACE TABLE inventory_names_acc (inv UBIGINT, name VARCHAR, digest VARCHAR);
CREATE OR REPLACE TABLE capability_input_acc AS
  SELECT 0::UBIGINT AS cap_key, 0::BIGINT AS ord, NULL::VARCHAR AS version, struct_pack({cap_struct}) AS mp
  FROM _empty_models;
"""

# Each worker's own rows since its last fold (temporary tables belong to one cursor).
_WORKER_TABLES = """
CREATE OR REPLACE TEMP TABLE ep_cur (ip VARCHAR, port INTEGER, host UBIGINT);
CREATE OR REPLACE TEMP TABLE obs_cur (host UBIGINT, day DATE, version VARCHAR, model_count INTEGER,
  running_count INTEGER, inventory_sig UBIGINT, local_models INTEGER, local_without_capabilities INTEGER,
  inv_key UBIGINT);
CREATE OR REPLACE TEMP TABLE inv_cur (inv_key UBIGINT, model_key UBIGINT, cap_key UBIGINT, family VARCHAR,
  local BOOLEAN, mult BIGINT);
CREATE OR REPLACE TEMP TABLE prev_keys (inv_key UBIGINT);
CREATE OR REPLACE TEMP TABLE runtime_months_cur (host UBIGINT, month DATE, runtime VARCHAR, auth VARCHAR,
  status VARCHAR, observations BIGINT, days BIGINT);
CREATE OR REPLACE TEMP TABLE host_markers_cur (host UBIGINT, ip VARCHAR, marker VARCHAR, visits BIGINT);
CREATE OR REPLACE TEMP TABLE host_sig_visits_cur (host UBIGINT, ip VARCHAR, sig UBIGINT, visits BIGINT);
CREATE OR REPLACE TEMP TABLE endpoint_ids_cur (endpoint UBIGINT, host UBIGINT, ip VARCHAR, port INTEGER);
CREATE OR REPLACE TEMP TABLE host_inv_months_cur (host UBIGINT, month DATE, runtime VARCHAR, inv UBIGINT,
  days UINTEGER);
CREATE OR REPLACE TEMP TABLE host_inv_weeks_cur (host UBIGINT, week DATE, runtime VARCHAR, inv UBIGINT, days UTINYINT);
CREATE TEMP TABLE IF NOT EXISTS seen_inv (inv UBIGINT);
CREATE TEMP TABLE IF NOT EXISTS seen_sig (sig UBIGINT);
"""

# Per batch: ``obs`` (every visit of the batch, ``parent`` = its row) and ``inst`` (the models of every visit,
# flattened by pyarrow: ``rid`` = its row, ``ord``, and ``parent``, the row of its visit). ``inst`` is scanned
# once, into the narrow ``bi`` (one row per model of a successful Ollama observation, every hash computed there),
# and ``bi`` once, into the per-observation ``bp``. Model instances are not kept: an observation keeps the key of
# its inventory (``inv_key``, an order-free hash of its (model_key, cap_key) multiset), and a worker keeps each
# inventory's members once (``inv_cur``) until its fold. A host's inventory rarely changes from one day to the
# next, so the fold groups observations, about a fifth as many rows as instances, before expanding inventories.
_PER_BATCH = """
INSERT INTO sweep_days_acc SELECT day, count(*) FROM obs GROUP BY day;
-- the visits with a runtime verdict that host_months does not hold (successful open Ollama ones are there)
INSERT INTO runtime_months_cur
  SELECT {host_expr}, CAST(date_trunc('month', day) AS DATE), coalesce(runtime, 'unknown'),
         coalesce(auth, 'unknown'), status, count(*), {day_bit}
  FROM obs
  WHERE status = 'auth_required'
     OR (status = 'success' AND NOT (coalesce(runtime, '') = 'ollama' AND coalesce(auth, '') = 'open'))
  GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE bo AS
  SELECT parent, {host_expr} AS host, ip, port, day, version, model_count, running_count, models_len, running_len
  FROM obs WHERE status = 'success' AND runtime = 'ollama';
CREATE OR REPLACE TEMP TABLE bi AS
  SELECT i.rid, i.parent, i.model_key, {cap_key} AS cap_key, i.inv, i.nd, i.local, i.family, i.no_caps
  FROM (SELECT rid, parent, {model_key} AS model_key, hash(coalesce(digest, ''), coalesce(modified_at, '')) AS inv,
               hash(name, digest) AS nd, tags_capabilities, has_projector,
               NOT (coalesce(remote_host, '') <> '' OR name LIKE '%:cloud' OR name LIKE '%-cloud') AS local,
               coalesce(nullif(family, ''), 'unknown') AS family, capabilities IS NULL AS no_caps FROM inst) i
  JOIN bo o USING (parent);
-- order-free signatures: the same (digest, modified_at) set gives the same inventory_sig in any order, the same
-- (model_key, cap_key) multiset the same inv_key
CREATE OR REPLACE TEMP TABLE bp AS
  SELECT parent, hash(sum(inv::HUGEINT), count(*)) AS sig,
         hash(sum(hash(model_key, cap_key)::HUGEINT), count(*)) AS inv_key,
         count(*) FILTER (WHERE local) AS local_models, count(*) FILTER (WHERE local AND no_caps) AS without,
         hash(sum(nd::HUGEINT), count(*)) AS names
  FROM bi GROUP BY parent;
-- members of the batch's inventories, except those the worker's previous batch already had (a host's inventory
-- rarely changes from one day to the next); an inventory met again later is stored again, and the fold keeps one
-- copy: its members are the same whenever it is met. (Looking every key up among all the month's inventories cost
-- time in proportion to the month's inventories per batch: 20x for 10x the data.)
CREATE OR REPLACE TEMP TABLE bk AS SELECT inv_key, min(parent) AS parent FROM bp GROUP BY inv_key;
INSERT INTO inv_cur
  SELECT n.inv_key, b.model_key, b.cap_key, b.family, b.local, count(*)
  FROM (SELECT * FROM bk WHERE inv_key NOT IN (SELECT inv_key FROM prev_keys)) n JOIN bi b USING (parent)
  GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE prev_keys AS SELECT inv_key FROM bk;
INSERT INTO obs_cur
  SELECT o.host, o.day, o.version,
         CAST(coalesce(o.model_count, o.models_len, 0) AS INTEGER),
         CAST(CASE WHEN o.running_len IS NULL THEN NULL ELSE coalesce(o.running_count, o.running_len) END AS INTEGER),
         p.sig, coalesce(p.local_models, 0), coalesce(p.without, 0), p.inv_key
  FROM bo o LEFT JOIN bp p USING (parent);
INSERT INTO ep_cur SELECT DISTINCT ip, port, host FROM bo;
-- every runtime: one state per visit with a runtime verdict, its inventory an order-free hash of (name, digest)
-- pairs: from bp for successful Ollama visits (most of them), from inst for the other runtimes' successes
CREATE OR REPLACE TEMP TABLE binv AS
  SELECT parent, names AS inv FROM bp
  UNION ALL
  SELECT parent, hash(sum(hash(name, digest)::HUGEINT), count(*)) FROM inst
  SEMI JOIN (SELECT parent FROM obs WHERE status = 'success' AND runtime IS DISTINCT FROM 'ollama') USING (parent)
  GROUP BY parent;
INSERT INTO endpoint_days_acc
  SELECT hash(o.ip, o.port), {host_expr}, o.day, o.observed_at,
         hash(o.status, o.runtime, o.auth, o.version, v.inv, o.model_count, o.models_len), o.runtime, o.auth, o.status,
         o.version, v.inv, CAST(coalesce(o.model_count, o.models_len) AS INTEGER),
         CASE WHEN coalesce(o.proxied, false)
              THEN coalesce(nullif(lower(split_part(o.server_header, '/', 1)), ''), 'unnamed') ELSE 'none' END
  FROM obs o LEFT JOIN binv v USING (parent) WHERE o.status IN ('success', 'auth_required');
-- honeypot evidence (store/derive.py _FLAGS_SQL): the markers the probe recorded on successful Ollama visits (and a
-- Server header no proxy explains), and each host's (digest, modified_at) inventories with their members
INSERT INTO host_markers_cur
  SELECT host, ip, marker, count(*) FROM (
    SELECT {host_expr} AS host, ip, unnest(coalesce(runtime_evidence, [])) AS marker FROM obs
    WHERE status = 'success' AND runtime = 'ollama'
    UNION ALL
    SELECT {host_expr}, ip, 'server_header' FROM obs
    WHERE status = 'success' AND runtime = 'ollama' AND server_header IS NOT NULL AND NOT coalesce(proxied, false)
  ) GROUP BY ALL;
INSERT INTO host_sig_visits_cur SELECT o.host, o.ip, p.sig, count(*) FROM bo o JOIN bp p USING (parent) GROUP BY ALL;
-- (an ANTI JOIN, not NOT IN: NOT IN's null semantics make DuckDB hash the whole seen set on every batch, which grows
-- with the data, so the ingest grew quadratically; the anti join hashes the batch and scans the set; keys are hashes,
-- never null)
CREATE OR REPLACE TEMP TABLE new_sig AS
  SELECT sig, min(parent) AS parent FROM bp ANTI JOIN seen_sig USING (sig) WHERE sig IS NOT NULL GROUP BY sig;
INSERT INTO seen_sig SELECT sig FROM new_sig;
-- stamp: modified_at as UTC epoch seconds and a 9-digit fraction (the same file time rendered in two time zones
-- compares equal; null when unparsable); frac: the fraction as sent
INSERT INTO sig_members_acc
  SELECT sig, name, digest, modified_at,
         CAST(date_diff('second', TIMESTAMP '1970-01-01', try_strptime(p.base, '%Y-%m-%dT%H:%M:%S'))
              - CASE WHEN p.tz IN ('Z', '') THEN 0
                     ELSE (CASE left(p.tz, 1) WHEN '-' THEN -1 ELSE 1 END)
                          * (CAST(substr(p.tz, 2, 2) AS INTEGER) * 3600 + CAST(substr(p.tz, 5, 2) AS INTEGER) * 60)
                END AS VARCHAR) || '.' || rpad(p.frac, 9, '0'),
         p.frac
  FROM (SELECT DISTINCT k.sig, i.name, i.digest, i.modified_at,
               regexp_extract(i.modified_at, '{stamp_re}', ['base', 'frac', 'tz']) AS p
        FROM inst i JOIN new_sig k USING (parent));
INSERT INTO endpoint_ids_cur
  SELECT DISTINCT hash(ip, port), {host_expr}, ip, port FROM obs WHERE status IN ('success', 'auth_required');
-- every runtime: the days of each month a host listed an inventory (any successful visit that day)
INSERT INTO host_inv_months_cur
  SELECT {host_expr}, CAST(date_trunc('month', o.day) AS DATE), o.runtime, v.inv, {day_bit}
  FROM obs o JOIN binv v USING (parent) WHERE o.status = 'success' GROUP BY ALL;
-- the same per ISO week (its Monday; Monday = bit 0), for adoption per week. The day's bit is its distance from the
-- Monday, not isodow(day) - 1: SQLGlot writes isodow for Spark as a Sunday-first weekday (every day one off).
INSERT INTO host_inv_weeks_cur
  SELECT {host_expr}, CAST(date_trunc('week', o.day) AS DATE), o.runtime, v.inv,
         bit_or(CAST(1 AS UTINYINT)
                << CAST(date_diff('day', CAST(date_trunc('week', o.day) AS DATE), o.day) AS INTEGER))
  FROM obs o JOIN binv v USING (parent) WHERE o.status = 'success' GROUP BY ALL;
-- the members of each distinct inventory the worker has not met yet, read from one visit that listed it
CREATE OR REPLACE TEMP TABLE new_inv AS
  SELECT inv, min(parent) AS parent FROM binv ANTI JOIN seen_inv USING (inv) WHERE inv IS NOT NULL GROUP BY inv;
INSERT INTO seen_inv SELECT inv FROM new_inv;
INSERT INTO inventory_names_acc SELECT DISTINCT k.inv, i.name, i.digest FROM inst i JOIN new_inv k USING (parent);
"""

# The first row (lowest ``rid``, hence lowest ``ord``) of each model and capability class of the batch that no
# earlier file is already known to hold; the catalogue and capability rows are then picked from ``inst`` by row.
_NEW_MODELS = """
SELECT model_key, min(rid) AS rid FROM bi
WHERE model_key NOT IN (SELECT model_key FROM model_catalog_acc WHERE ord < $lo) GROUP BY model_key
"""
_NEW_CAPS = """
SELECT k.cap_key, k.rid, o.version
FROM (SELECT cap_key, min(rid) AS rid FROM bi
      WHERE cap_key NOT IN (SELECT cap_key FROM capability_input_acc WHERE ord < $lo) GROUP BY cap_key) k
JOIN bi USING (rid) JOIN bo o USING (parent)
"""

# Folds a worker's rows since its last fold into per-month partials. Distinct days are a bit set of the day of
# the month, so partials merge by sum and bit_or whatever the batch boundaries: a day whose visits are spread
# over several part files, batches or workers still counts once.
DAY_BIT = "bit_or(CAST(1 AS UINTEGER) << (dayofmonth(day) - 1))"
_FOLD = f"""
CREATE OR REPLACE TEMP TABLE inv_obs AS
  SELECT host, CAST(date_trunc('month', day) AS DATE) AS month, inv_key, count(*) AS n, {DAY_BIT} AS days
  FROM obs_cur WHERE inv_key IS NOT NULL GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE inv_members AS SELECT DISTINCT * FROM inv_cur;
INSERT INTO hmc_acc
  SELECT o.host, o.month, m.model_key, m.cap_key, sum(o.n * m.mult), bit_or(o.days)
  FROM inv_obs o JOIN inv_members m USING (inv_key) GROUP BY ALL;
INSERT INTO fam_acc
  SELECT o.host, o.month, f.family, sum(o.n), sum(o.n * f.instances), bit_or(o.days)
  FROM inv_obs o
  JOIN (SELECT inv_key, family, sum(mult) AS instances FROM inv_members WHERE local GROUP BY ALL) f USING (inv_key)
  GROUP BY ALL;
DROP TABLE inv_obs; DROP TABLE inv_members;
INSERT INTO endpoints_acc SELECT DISTINCT ip, port, host FROM ep_cur;
-- what batches grouped per batch, grouped again per fold: a batch of 100,000 visits holds a few days at seed scale
-- but hours at 10x, so per-batch rows alone grew with the data and the finish's GROUP BYs grew 20-90x for 10x
INSERT INTO runtime_months_acc
  SELECT host, month, runtime, auth, status, sum(observations), bit_or(days) FROM runtime_months_cur GROUP BY ALL;
INSERT INTO host_markers_acc SELECT host, ip, marker, sum(visits) FROM host_markers_cur GROUP BY ALL;
INSERT INTO host_sig_visits_acc SELECT host, ip, sig, sum(visits) FROM host_sig_visits_cur GROUP BY ALL;
INSERT INTO endpoint_ids_acc SELECT DISTINCT * FROM endpoint_ids_cur;
INSERT INTO host_inv_months_acc SELECT host, month, runtime, inv, bit_or(days) FROM host_inv_months_cur GROUP BY ALL;
INSERT INTO host_inv_weeks_acc SELECT host, week, runtime, inv, bit_or(days) FROM host_inv_weeks_cur GROUP BY ALL;
INSERT INTO host_months_acc
  SELECT host, CAST(date_trunc('month', day) AS DATE) AS month, count(*), {DAY_BIT}, min(day), max(day),
         max(model_count), sum(model_count), count(model_count), sum(running_count), count(running_count),
         count(*) FILTER (WHERE running_count > 0)
  FROM obs_cur GROUP BY host, month;
INSERT INTO host_versions_acc
  SELECT host, version, count(*), sum(local_models), sum(local_without_capabilities) FROM obs_cur GROUP BY ALL;
INSERT INTO host_inventories_acc SELECT DISTINCT host, inventory_sig FROM obs_cur WHERE inventory_sig IS NOT NULL;
INSERT INTO month_model_counts_acc
  SELECT CAST(date_trunc('month', day) AS DATE) AS month, model_count, count(*) FROM obs_cur GROUP BY ALL;
{_WORKER_TABLES}
"""

_FINISH = """
CREATE OR REPLACE TABLE sweep_days AS
  SELECT day, CAST(sum(visits) AS BIGINT) AS visits FROM sweep_days_acc GROUP BY day;
CREATE OR REPLACE TABLE endpoints AS SELECT DISTINCT ip, port, host FROM endpoints_acc;
CREATE OR REPLACE TABLE runtime_host_months AS
  SELECT host, month, runtime, auth, status, CAST(sum(observations) AS BIGINT) AS observations,
         CAST(bit_or(days) AS BIGINT) AS days
  FROM runtime_months_acc GROUP BY host, month, runtime, auth, status;
CREATE OR REPLACE TABLE host_months AS
  SELECT host, month, CAST(sum(observations) AS BIGINT) AS observations, bit_or(days) AS days,
         min(first_day) AS first_day, max(last_day) AS last_day, max(max_models) AS max_models,
         CAST(sum(models_sum) AS HUGEINT) AS models_sum, CAST(sum(models_n) AS BIGINT) AS models_n,
         CAST(sum(running_sum) AS HUGEINT) AS running_sum, CAST(sum(running_n) AS BIGINT) AS running_n,
         CAST(sum(running_positive) AS BIGINT) AS running_positive
  FROM host_months_acc GROUP BY host, month;
CREATE OR REPLACE TABLE host_versions AS
  SELECT host, version, CAST(sum(observations) AS BIGINT) AS observations,
         CAST(sum(local_models) AS HUGEINT) AS local_models,
         CAST(sum(local_without_capabilities) AS HUGEINT) AS local_without_capabilities
  FROM host_versions_acc GROUP BY host, version;
CREATE OR REPLACE TABLE host_inventories AS SELECT DISTINCT host, inventory_sig FROM host_inventories_acc;
CREATE OR REPLACE TABLE month_model_counts AS
  SELECT month, model_count, CAST(sum(observations) AS BIGINT) AS observations
  FROM month_model_counts_acc GROUP BY month, model_count;
CREATE OR REPLACE TABLE host_model_month AS
  SELECT host, month, model_key, CAST(sum(instances) AS HUGEINT) AS instances, bit_or(days) AS days
  FROM hmc_acc GROUP BY host, month, model_key;
CREATE OR REPLACE TABLE host_model_caps AS SELECT DISTINCT host, model_key, cap_key FROM hmc_acc;
CREATE OR REPLACE TABLE host_family_months AS
  SELECT host, month, family, CAST(sum(observations) AS HUGEINT) AS observations, bit_or(days) AS days,
         CAST(sum(instances) AS HUGEINT) AS instances
  FROM fam_acc GROUP BY host, month, family;
CREATE OR REPLACE TABLE model_catalog_raw AS
  SELECT * EXCLUDE (ord) FROM model_catalog_acc QUALIFY row_number() OVER (PARTITION BY model_key ORDER BY ord) = 1;
CREATE OR REPLACE TABLE capability_input AS
  SELECT cap_key, version, mp FROM capability_input_acc
  QUALIFY row_number() OVER (PARTITION BY cap_key ORDER BY ord) = 1;
-- one state per endpoint and day: the day's last visit with a runtime verdict (ties, two visits in the same
-- microsecond: the greatest hash of what they recorded, so that equal visits give equal rows in any order)
-- (only the rare (endpoint, day) met twice is ranked: a window over every row was a sort of the whole window)
CREATE OR REPLACE TABLE endpoint_days AS
  WITH dup AS (SELECT endpoint, day FROM endpoint_days_acc GROUP BY endpoint, day HAVING count(*) > 1)
  SELECT a.* FROM endpoint_days_acc a ANTI JOIN dup USING (endpoint, day)
  UNION ALL
  SELECT * FROM (SELECT a.* FROM endpoint_days_acc a SEMI JOIN dup USING (endpoint, day))
  QUALIFY row_number() OVER (PARTITION BY endpoint, day ORDER BY observed_at DESC, visit DESC) = 1;
CREATE OR REPLACE TABLE endpoint_ids AS SELECT DISTINCT * FROM endpoint_ids_acc;
CREATE OR REPLACE TABLE host_inv_months AS
  SELECT host, month, runtime, inv, bit_or(days) AS days FROM host_inv_months_acc GROUP BY ALL;
CREATE OR REPLACE TABLE host_inv_weeks AS
  SELECT host, week, runtime, inv, bit_or(days) AS days FROM host_inv_weeks_acc GROUP BY ALL;
CREATE OR REPLACE TABLE host_markers AS
  SELECT host, ip, marker, CAST(sum(visits) AS BIGINT) AS visits FROM host_markers_acc GROUP BY ALL;
CREATE OR REPLACE TABLE host_sig_visits AS
  SELECT host, ip, sig, CAST(sum(visits) AS BIGINT) AS visits FROM host_sig_visits_acc GROUP BY ALL;
CREATE OR REPLACE TABLE sig_members AS SELECT DISTINCT * FROM sig_members_acc;
CREATE OR REPLACE TABLE inventory_names AS SELECT DISTINCT * FROM inventory_names_acc;
DROP TABLE endpoint_days_acc; DROP TABLE endpoint_ids_acc; DROP TABLE inventory_names_acc;
DROP TABLE host_inv_months_acc; DROP TABLE host_inv_weeks_acc; DROP TABLE host_markers_acc;
DROP TABLE host_sig_visits_acc;
DROP TABLE sig_members_acc;
DROP TABLE sweep_days_acc; DROP TABLE endpoints_acc; DROP TABLE model_catalog_acc; DROP TABLE capability_input_acc;
DROP TABLE hmc_acc; DROP TABLE fam_acc; DROP TABLE host_months_acc; DROP TABLE host_versions_acc;
DROP TABLE host_inventories_acc; DROP TABLE month_model_counts_acc; DROP TABLE runtime_months_acc;
"""


class _Worker:
    """One cursor's share of the work: its batches, and its held rows (observations, inventories, endpoints) until
    it folds them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, per_batch: str, max_held: int) -> None:
        self.con = con
        self.per_batch = per_batch
        self.max_held = max_held
        self.month = 0  # latest month (year * 12 + month) seen, to fold when a later one starts
        self.held = 0  # observation rows since the last fold
        con.execute(_WORKER_TABLES)

    def run(self, files: list[tuple[int, pa.Table]]) -> None:
        days: Any = pa.chunked_array([c for _, t in files for c in t.column("day").chunks], type=OBS_TYPES["day"])
        lo, hi = (_month(v) for v in pc.min_max(days).values())
        if self.held and (lo > self.month or self.held >= self.max_held):
            self.fold()
        self.month = max(self.month, hi)
        obs, inst = batch(files)
        con = self.con
        con.register("obs", obs)
        con.register("inst", inst)
        con.execute(self.per_batch)
        self.held += obs.num_rows
        first = {"lo": files[0][0] << ORD_SHIFT}
        new = con.execute(_NEW_MODELS, first).fetchnumpy()
        if len(new["rid"]):
            picked = inst.take(new["rid"]).select(["ord", *CATALOG_FIELDS])
            con.register("_new", picked.add_column(0, "model_key", pa.array(new["model_key"])))
            con.execute("INSERT INTO model_catalog_acc SELECT * FROM _new")
            con.unregister("_new")
        caps = con.sql(_NEW_CAPS, params=first).to_arrow_table()
        if caps.num_rows:
            picked = inst.take(caps.column("rid")).select(["ord", *CAP_FIELDS])
            picked = picked.add_column(1, "version", caps.column("version"))
            con.register("_new", picked.add_column(0, "cap_key", caps.column("cap_key")))
            con.execute(f"INSERT INTO capability_input_acc SELECT cap_key, ord, version, struct_pack({_CAP_STRUCT}) "
                        "FROM _new")  # fmt: skip
            con.unregister("_new")
        con.unregister("obs")
        con.unregister("inst")

    def fold(self) -> None:
        self.con.execute(_FOLD)
        self.held = 0


def fold_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Observation rows one worker may hold before it folds mid-month, from the connection's memory budget."""
    setting = str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[index]
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGTPE]?)i?B\s*", setting, flags=re.IGNORECASE)
    if match is None:
        return MIN_FOLD_ROWS
    budget = float(match.group(1)) * _UNITS[match.group(2).upper()]
    return max(MIN_FOLD_ROWS, int(budget / (FOLD_MEMORY_SHARE * WORKERS * HELD_ROW_BYTES)))


def _month(value: Any) -> int:
    day = value.as_py()
    return 0 if day is None else day.year * 12 + day.month


def ingest(con: duckdb.DuckDBPyConnection, files: list[Path], host_expr: str, batch_rows: int = 100_000,
           max_held: int | None = None, progress: Callable[[str, int, int | None], None] | None = None,
           inventories: Inventories | None = None, into: str | None = None) -> None:
    """Decode each file once and fill the tables above, with ``WORKERS`` workers taking files in turn.

    A worker gathers files until ``batch_rows`` visits, so that the fixed cost of the per-batch statements is paid
    per hundred thousand visits rather than per file, and folds its held rows into per-month partials when
    a batch starts a later month (or when they would outgrow their share of the memory budget, ``fold_rows``): the
    result does not depend on when this happens, only the memory held does. ``max_held`` overrides that share.
    ``progress("store", taken, len(files))`` is called as each file is taken (under the lock: counts never go back).
    ``inventories``: the data folder's inventory store, for files whose model lists are stored there (schema v3).
    ``into``: the attached database the relations are created in (default: the connection's own, in memory).
    """
    if inventories is not None:
        inventories.load()  # once, before the workers share it
    con.register("_empty_models", batch([(0, empty())])[1])
    con.execute(_CREATE.format(cap_struct=_CAP_STRUCT, catalog_fields=", ".join(CATALOG_FIELDS)))
    con.unregister("_empty_models")
    per_batch = _PER_BATCH.format(host_expr=host_expr, model_key=_MODEL_KEY, cap_key=_CAP_KEY, day_bit=DAY_BIT,
                                  stamp_re=STAMP_RE)
    max_held = max_held or fold_rows(con)
    lock = threading.Lock()
    queue = iter(enumerate(files))
    failed = threading.Event()

    def work() -> None:
        worker = _Worker(con.cursor(), per_batch, max_held)
        try:
            gathered: list[tuple[int, pa.Table]] = []
            rows = 0
            while not failed.is_set():
                with lock:
                    item = next(queue, None)
                    if progress is not None and item is not None:
                        progress("store", item[0] + 1, len(files))
                if item is None:
                    break
                table = read_file(item[1], inventories)
                gathered.append((item[0], table))
                rows += table.num_rows
                if rows >= batch_rows:
                    worker.run(gathered)
                    gathered, rows = [], 0
            if gathered and not failed.is_set():
                worker.run(gathered)
            worker.fold()
        except BaseException:
            failed.set()
            raise
        finally:
            worker.con.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for future in [pool.submit(work) for _ in range(WORKERS)]:
            future.result()
    con.execute(finish_sql(into))


def finish_sql(into: str | None = None) -> str:
    """``_FINISH``, creating the relations in database ``into`` (every table it creates is a relation)."""
    return _FINISH if into is None else _FINISH.replace("CREATE OR REPLACE TABLE ", f"CREATE OR REPLACE TABLE {into}.")

