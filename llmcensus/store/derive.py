"""The relations every metric query reads: the store's persisted relations plus what is derived from them.

``attach`` brings the store up to date (``relations.update``: only files not folded yet are decoded), attaches it
read-only to an in-memory connection, and derives the relations below from it and from the enrichment datasets.
Nothing here reads raw observations except the ad-hoc ``observations`` view. Relations (``T`` = table derived on
each attach; ``V`` = view; ``S`` = the store's persisted relation, see ``relations.py``):

* ``observations``     V  every visit (all statuses) straight from Parquet, without raw ``exchanges``; adds ``host``
                          and ``month``. For ad-hoc use: the metrics read the tables below.
* ``sweep_days``       T  one row per UTC day with any visit (whatever its status): ``day, visits``.
* successful Ollama observations (``status = 'success' AND runtime = 'ollama'``; look-alike runtimes are already
  excluded by their runtime verdict) are never kept one row each: the ingest folds them, month by month, into
  ``host_months``, ``host_versions``, ``host_inventories`` and ``month_model_counts`` (below).
* ``endpoints``        T  distinct ``(ip, port, host)`` of those observations.
* ``runtime_host_months`` S one row per (host, month, runtime, auth, status) of every other visit with a runtime
                          verdict (successful visits of other runtimes or with a non-open auth, and ``auth_required``
                          visits whatever their runtime): ``observations`` and ``days`` (bit set). What the runtime
                          metrics read beside ``host_months``; the study's metrics never read it.
* ``endpoint_days``    S  every runtime: an endpoint's verdict of each day (see ``relations.py``).
* ``endpoint_months``  S  ``endpoint_days`` folded by month: one row per (endpoint, host, month, runtime, version,
                          auth, status, proxy) with ``days`` (bit set), ``first_day`` and ``last_day``; each
                          endpoint-day is in exactly one row. What the auth, advisory and change metrics read:
                          about one row per endpoint and month instead of one per endpoint and day.
* ``host_version_months`` T one row per (host, month, runtime, version, open): the days (bit set) an endpoint of
                          the host reported that version; ``open`` = a successful visit without credentials.
* ``model_catalog``    T  one row per distinct model (``model_key``): name, digest, family, quantization_level,
                          has_capabilities, prompt_sha, cloud, and enrichment's lineage, lab, lab_country,
                          quant_bits, param_band, uncensored_name, uncensored_marker (``unknown`` filled).
* ``host_model_month`` T  one row per (host, month, model_key): ``instances`` (the model listed, counted over the
                          month's observations) and ``host_days`` (distinct days it was listed). Built during the
                          ingest from per-batch partials; no per-instance table is ever kept.
* ``host_model_months`` V ``host_model_month`` plus the catalogue's columns: what per-month model metrics read.
* ``host_model``       T  one row per (host, model_key): ``instances`` and ``host_days`` over the whole window (months
                          are disjoint, so the sums are exact).
* ``host_models``      V  ``host_model`` plus the catalogue's columns: what whole-window model metrics read.
* ``host_model_caps``  T  distinct (host, model_key, cap_key): which capability classes each host's models had.
* ``host_family_months`` T one row per (host, month, local family): ``observations`` (listing the family),
                          ``host_days``, ``instances``.
* ``host_families``    T  one row per (host, local family) over the whole window: the sums of ``host_family_months``.
* ``geo``, ``models_enriched``, ``prompts``  T  the enrichment datasets, one row per key; an absent dataset is an
                          empty table of its schema, so every label becomes ``unknown``.
* ``host_geo``         T  one row per host: ``country, subdivision, asn, tier, asn_type`` (``unknown`` filled).
* ``model_capabilities``  V  enrichment's view (``llmcensus/enrich/sql/model_capabilities.sql``), evaluated over
                          one row per distinct capability class (version + model fields), not once per instance.
* ``capability_classes`` T  ``cap_key`` -> each capability as the word yes / no / unknown.
* ``host_months``      T  one row per (host, month) with successful Ollama observations: ``observations``,
                          ``days`` (bit set of the days of the month), ``first_day``, ``last_day``, ``max_models``,
                          ``models_sum``/``models_n`` and ``running_sum``/``running_n`` (sums and counts of the
                          non-null ``model_count``/``running_count``; ``running_count`` null = /api/ps not read),
                          ``running_positive`` (observations running a model): what per-host and per-month figures
                          read instead of every observation. Built by the ingest.
* ``host_versions``    T  one row per (host, version): ``observations``, ``local_models``,
                          ``local_without_capabilities`` (sums over the host's observations with that version).
* ``host_inventories`` T  distinct (host, ``inventory_sig``): ``inventory_sig`` = order-free hash of an
                          observation's (digest, modified_at) pairs, non-empty inventories only.
* ``month_model_counts`` T one row per (month, model_count): ``observations`` listing that many models.
* ``host_stats``       T  one row per host: observations, host_days, first/last seen, opportunities, uptime,
                          max_models, mean_running.
* ``host_cap_keys``    T  distinct (host, cap_key) of local models (``host_model_caps`` without cloud models).
* ``host_capabilities`` T  one row per (host, capability): ``label`` yes/no/unknown over the host's local models.
* ``host_reported_capabilities`` T distinct (host, capability) where a local model's own list (``/api/show``
                          ``capabilities``, v0.6.4+; ``/api/tags`` from v0.30) says yes: no inference, the reading
                          of the study, whose shares depend on the version mix for that reason.
* ``advisories``       T  the bundled advisory table (``reference/advisories.py``), the advisories that count.
* ``advisory_versions`` T one row per (runtime, version of ``endpoint_months``, advisory of that runtime): ``verdict``
                          affected / fixed / not_affected / unknown (no readable version, or an ambiguous range).
* ``honeypot_evidence`` T one row per (host, evidence): the named evidence of a fake Ollama host and its weight
                          (``_FLAGS_SQL`` lists them; successful Ollama visits only).
* ``flags``            T  one row per (host, flag): ``clone_farm``, ``fake_ollama`` and ``multi_port``
                          (see ``ViewParams`` and ``_FLAGS_SQL``).

Keys are 64-bit hashes (``host`` = hash of ip or ip:port, ``model_key``, ``cap_key``: see ``ingest.py``): they are
only ever grouped, counted and joined, never shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from llmcensus.datalock import writer_lock
from llmcensus.enrich.capabilities import capabilities_sql
from llmcensus.enrich.schema import GEO_SCHEMA, MODELS_SCHEMA, PROMPTS_SCHEMA
from llmcensus.errors import BusyError, ConfigError, DataError
from llmcensus.observations.inventories import create_view
from llmcensus.reference.advisories import advisory_table, verdict_table
from llmcensus.store import db
from llmcensus.store.layout import Layout
from llmcensus.store.lineage import create_lineage_relations
from llmcensus.store.relations import DERIVED, MERGES, store_path, update

log = logging.getLogger(__name__)

CAPABILITY_COLUMNS = ("completion", "tools", "insert", "vision", "embedding", "thinking")
HOST_KEYS = ("ip", "ip_port")


@dataclass(frozen=True)
class ViewParams:
    """Settings that shape the relations themselves (query parameters live in each query's header).

    host_key: ``ip`` (the default; one address = one host) or ``ip_port`` (each listening port is a host).
    clone_farm_min_hosts: a non-empty inventory whose (digest, ``modified_at`` in UTC) set appears on at least
        this many distinct addresses marks all of them ``clone_farm``: real Ollama stamps each pull with the
        local file time to the nanosecond, so identical stamps across unrelated machines mean copied images.
    shared_stamp_min_hosts: one (digest, UTC nanosecond stamp) pair on at least this many addresses marks them
        ``clone_farm`` too (farms serving different subsets of one pool). An installation that moves keeps its
        stamps, so two or three addresses can share them honestly.
    fake_min_score: a host whose own evidence weighs at least this much is ``fake_ollama`` (weights in
        ``_FLAGS_SQL``: a schema slip or an impossible digest weighs 2, a Server header 1).
    multi_port_min_ports: an address answering as Ollama on at least this many ports is flagged ``multi_port``.
    """

    host_key: str = "ip"
    clone_farm_min_hosts: int = 5
    shared_stamp_min_hosts: int = 5
    fake_min_score: int = 2
    multi_port_min_ports: int = 3

    def __post_init__(self) -> None:
        if self.host_key not in HOST_KEYS:
            raise ConfigError(f"host_key must be one of {', '.join(HOST_KEYS)}, not {self.host_key!r}")
        for name in ("clone_farm_min_hosts", "shared_stamp_min_hosts", "fake_min_score", "multi_port_min_ports"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 2:
                raise ConfigError(f"{name} must be an integer >= 2, not {value!r}")


def _parquet_or_empty(con: duckdb.DuckDBPyConnection, name: str, folder: Path, schema: pa.Schema, key: str) -> None:
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if files:
        src = f"read_parquet({db.quote(folder / '*.parquet')}, union_by_name = true)"
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT DISTINCT ON ({key}) * FROM {src}")
    else:
        con.register(f"_empty_{name}", schema.empty_table())
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _empty_{name}")
        con.unregister(f"_empty_{name}")


_PARQUET_VIEWS = """
CREATE OR REPLACE VIEW observations AS
SELECT *, {host_expr} AS host, CAST(date_trunc('month', day) AS DATE) AS month FROM obs_raw;
"""

# The store's relations as the metrics read them: persisted bit sets of days become day counts, and the capability
# classes take the shape of observations for enrichment's capability SQL (one model per class).
_STORE_VIEWS = """
CREATE OR REPLACE VIEW host_model_month AS
  SELECT host, month, model_key, instances, CAST(bit_count(days) AS BIGINT) AS host_days FROM s.host_model_month;
CREATE OR REPLACE VIEW host_family_months AS
  SELECT host, month, family, observations, CAST(bit_count(days) AS BIGINT) AS host_days, instances
  FROM s.host_family_months;
CREATE OR REPLACE VIEW capability_input AS
  SELECT CAST(cap_key AS VARCHAR) AS observation_id, NULL::VARCHAR AS sweep_id, NULL::VARCHAR AS ip,
         NULL::INTEGER AS port, NULL::DATE AS day, version, [mp] AS models
  FROM s.capability_input;
CREATE OR REPLACE VIEW events AS
  SELECT e.*, i.ip, i.port FROM s.events e LEFT JOIN s.endpoint_ids i USING (endpoint, host);
"""
_RENAMED = {"host_model_month", "host_family_months", "capability_input"}

# Derived once after ingest: the enriched model catalogue, the views over it, and host geography.
_DERIVED_SQL = """
CREATE OR REPLACE TABLE model_catalog AS
SELECT c.model_key, c.name, c.digest, c.family, c.quantization_level,
       c.capabilities IS NOT NULL AS has_capabilities,
       CASE WHEN c.system IS NOT NULL AND c.system <> '' THEN sha256(c.system) END AS prompt_sha,
       (coalesce(c.remote_host, '') <> '' OR c.name LIKE '%:cloud' OR c.name LIKE '%-cloud'
        OR coalesce(e.is_cloud, false)) AS cloud,
       coalesce(e.lineage, 'unknown') AS lineage, coalesce(e.lab, 'unknown') AS lab,
       coalesce(e.lab_country, 'unknown') AS lab_country, e.quant_bits, coalesce(e.param_band, 'unknown') AS param_band,
       coalesce(e.uncensored_name, false) AS uncensored_name, e.uncensored_marker
FROM model_catalog_raw c LEFT JOIN models_enriched e ON e.name = c.name AND e.digest IS NOT DISTINCT FROM c.digest;

CREATE OR REPLACE VIEW host_model_months AS
SELECT h.host, h.month, h.instances, h.host_days, c.* FROM host_model_month h JOIN model_catalog c USING (model_key);

-- The same without the month: what every whole-window model metric reads (at 10x data 6.9 M rows against 16.5 M).
CREATE OR REPLACE TABLE host_model AS
SELECT host, model_key, CAST(sum(instances) AS HUGEINT) AS instances, CAST(sum(host_days) AS BIGINT) AS host_days
FROM host_model_month GROUP BY host, model_key;

CREATE OR REPLACE VIEW host_models AS
SELECT h.host, h.instances, h.host_days, c.* FROM host_model h JOIN model_catalog c USING (model_key);

-- Per (host, local family) over the whole window: what rankings and co-deployment read.
CREATE OR REPLACE TABLE host_families AS
SELECT host, family, CAST(sum(observations) AS HUGEINT) AS observations, CAST(sum(host_days) AS BIGINT) AS host_days,
       CAST(sum(instances) AS HUGEINT) AS instances
FROM host_family_months GROUP BY host, family;

-- Distinct (host, capability class) pairs of local models: what host-level capability metrics read.
CREATE OR REPLACE TABLE host_cap_keys AS
SELECT DISTINCT host, cap_key FROM host_model_caps JOIN model_catalog USING (model_key) WHERE NOT cloud;

-- Per (host, month, runtime, version, open): the days (bit set) an endpoint of the host reported that version with a
-- runtime verdict; ``open`` = a successful visit without credentials. What the advisory metrics read: a few rows
-- per host and month instead of one per endpoint and day.
CREATE OR REPLACE TABLE host_version_months AS
SELECT host, month, runtime, version, (status = 'success' AND coalesce(auth, '') = 'open') AS open,
       bit_or(days) AS days
FROM endpoint_months GROUP BY ALL;

CREATE OR REPLACE TABLE host_geo AS
SELECT h.host, coalesce(g.country, 'unknown') AS country, coalesce(g.subdivision, 'unknown') AS subdivision,
       g.asn, coalesce(g.tier, 'unknown') AS tier, coalesce(g.asn_type, 'unknown') AS asn_type
FROM (SELECT host, min(ip) AS ip FROM endpoints GROUP BY host) h LEFT JOIN geo g ON g.ip = h.ip;
"""

# Per host: its observations, distinct UTC days, first/last seen and uptime. Uptime is the share of sweep days
# (days on which any visit happened, whatever its status) from the host's first successful day to the end of the
# window on which it answered as Ollama: a daily scanner's "scan opportunities after first seen".
_HOST_STATS_SQL = """
CREATE OR REPLACE TABLE host_stats AS
WITH per_host AS (
  SELECT host, CAST(sum(observations) AS BIGINT) AS observations, CAST(sum(bit_count(days)) AS BIGINT) AS host_days,
         min(first_day) AS first_seen, max(last_day) AS last_seen, max(max_models) AS max_models,
         sum(running_sum) / sum(running_n) AS mean_running
  FROM host_months GROUP BY host
),
firsts AS (SELECT first_seen, count(*) AS n FROM per_host GROUP BY first_seen),
opportunities AS (
  SELECT f.first_seen, count(s.day) AS opportunities FROM firsts f JOIN sweep_days s ON s.day >= f.first_seen
  GROUP BY f.first_seen
)
SELECT p.*, o.opportunities, p.host_days / o.opportunities AS uptime
FROM per_host p JOIN opportunities o USING (first_seen);
"""

# Per (month, lineage, host): an Ollama host that served a local model of the lineage with both the tools and the
# thinking capability 'yes' in a month it answered without credentials, with its uptime. The exposure measure of
# lineage_risk_by_month and of the monitor's risk_jump rule (both filter uptime >= exposure_min_uptime): one
# definition for the two. A view: only what reads it pays for it.
_LINEAGE_EXPOSURE_SQL = """
CREATE OR REPLACE VIEW lineage_exposure AS
WITH tool_thinking AS (
  SELECT DISTINCT k.host, k.model_key FROM host_model_caps k JOIN capability_classes c USING (cap_key)
  WHERE c.tools = 'yes' AND c.thinking = 'yes'
),
open_months AS (SELECT DISTINCT host, month FROM host_version_months WHERE open)
SELECT DISTINCT h.month, c.lineage, h.host, s.uptime
FROM host_model_month h JOIN tool_thinking t USING (host, model_key) JOIN model_catalog c USING (model_key)
JOIN open_months o USING (host, month) JOIN host_stats s USING (host)
WHERE NOT c.cloud
"""

# Host-level capability label, long format (host, capability, label) over local models: yes if any model says
# yes; otherwise unknown if any model's label is unknown (e.g. versions before v0.6.4 report no capabilities);
# otherwise no. A host without local models is 'no' for every capability. The labels are ranked (yes 2 > unknown
# 1 > no 0) so that one GROUP BY host takes every capability's maximum at once; the wide rows are then unpivoted.
_RANK = "CASE {c} WHEN 'yes' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END"
_HOST_CAPABILITIES_SQL = (
    "CREATE OR REPLACE TABLE host_capabilities AS "
    "WITH ranked AS (SELECT cap_key, "
    + ", ".join(f"CAST({_RANK.format(c=c)} AS UTINYINT) AS {c}" for c in CAPABILITY_COLUMNS)
    + " FROM capability_classes), "
    "per_host AS (SELECT k.host, "
    + ", ".join(f"max(r.{c}) AS {c}" for c in CAPABILITY_COLUMNS)
    + " FROM host_cap_keys k JOIN ranked r USING (cap_key) GROUP BY k.host), "
    "wide AS (SELECT h.host, "
    + ", ".join(f"coalesce(p.{c}, 0) AS {c}" for c in CAPABILITY_COLUMNS)
    + " FROM host_stats h LEFT JOIN per_host p USING (host)) "
    "SELECT host, capability, CASE r WHEN 2 THEN 'yes' WHEN 1 THEN 'unknown' ELSE 'no' END AS label "
    f"FROM wide UNPIVOT (r FOR capability IN ({', '.join(CAPABILITY_COLUMNS)}))"
)

_HOST_REPORTED_SQL = (
    "CREATE OR REPLACE TABLE host_reported_capabilities AS "
    "SELECT DISTINCT k.host, u.capability FROM host_cap_keys k JOIN (SELECT cap_key, capability FROM "
    "capability_classes UNPIVOT (r FOR capability IN ("
    + ", ".join(f"{c}_reported AS '{c}'" for c in CAPABILITY_COLUMNS)
    + ")) WHERE r) u USING (cap_key)"
)

# Fake Ollama hosts (issue #19; docs/security.md "Honeypots and clone farms"). Evidence is read from the store: each
# host's inventories of successful Ollama visits (``host_sig_visits`` and ``sig_members``, modified_at as sent, so that
# a stamp keeps its nanoseconds; one "visit" below is one distinct inventory) and the probe's markers
# (``host_markers``), one row per (host, evidence) with a weight; a stamp is normalised to UTC seconds and a
# 9-digit fraction, so that the same file time rendered in two time zones compares equal.
# Farm evidence (many addresses):
#   identical_inventory_utc  2  the same (digest, UTC stamp) set on >= clone_farm_min_hosts addresses
#   shared_stamp             2  a (digest, UTC nanosecond stamp) pair on >= shared_stamp_min_hosts addresses: real
#                               Ollama stamps each pull with the local file time, so a shared one is a copied image
#   pool_subset              1  every stamped model of the host is such a shared pair (a subset of a shared pool)
# One host's own evidence:
#   sequential_digest        2  two digests of one reply share their first 48 hex digits (counting up)
#   non_hex_digest           2  a digest that is not 64 lowercase hex (Ollama's manifests always are)
#   same_fraction            2  >= 3 models, every stamp with the same fractional second
#   tags_ps_fields, tags_extra_keys, tags_key_order, tags_unsorted  2  schema slips the probe recorded
#   volatile_stamps          2  >= 3 visits and every model's stamp differs on every visit (digests unchanged)
#   server_header            1  a Server header no reverse proxy sent (Ollama sends none; an unlisted proxy might)
# Flags: clone_farm (identical_inventory_utc or shared_stamp), fake_ollama (the host's own evidence weighs
# >= fake_min_score), multi_port (one address answering as Ollama on many ports). A host may carry several.
_FLAGS_SQL = """
-- each host's distinct stamped (digest, UTC stamp) pairs, as one hash each
CREATE OR REPLACE TEMP TABLE hp_pairs AS
  SELECT DISTINCT v.host, v.ip, hash(coalesce(m.digest, ''), m.stamp) AS ds, m.frac <> '' AS fr
  FROM host_sig_visits v JOIN sig_members m USING (sig) WHERE m.stamp IS NOT NULL;
CREATE OR REPLACE TABLE honeypot_evidence AS
WITH per_obs AS (SELECT v.host, v.ip, s.* FROM host_sig_visits v JOIN sig_stats s USING (sig)),
farm_sigs AS (SELECT utc_sig FROM per_obs GROUP BY utc_sig HAVING count(DISTINCT ip) >= {clone_farm_min_hosts}),
shared AS (SELECT ds FROM hp_pairs WHERE fr GROUP BY ds HAVING count(DISTINCT ip) >= {shared_stamp_min_hosts}),
host_shared AS (
  SELECT i.host, count(DISTINCT i.ds) FILTER (WHERE s.ds IS NOT NULL) AS shared_n, count(DISTINCT i.ds) AS stamped_n
  FROM hp_pairs i LEFT JOIN shared s USING (ds) GROUP BY i.host
),
per_model AS (
  SELECT v.host, hash(m.name, m.digest) AS model, sum(v.visits) AS visits, count(DISTINCT m.stamp) AS stamps
  FROM host_sig_visits v JOIN sig_members m USING (sig) GROUP BY ALL
),
-- genuine 0.1.38-0.1.41 hosts send expires_at inside /api/tags: probes before issue #19 marked them tags_ps_fields,
-- and such records stay in the data, so that marker counts only for a host seen on another version
markers AS (
  SELECT DISTINCT m.host, m.marker AS evidence FROM host_markers m
  WHERE m.marker <> 'tags_ps_fields' OR EXISTS (
    SELECT 1 FROM host_versions v WHERE v.host = m.host
      AND coalesce(v.version, '') NOT IN ('0.1.38', '0.1.39', '0.1.40', '0.1.41'))
)
SELECT DISTINCT host, 'identical_inventory_utc' AS evidence, 2 AS weight FROM per_obs
  WHERE utc_sig IN (SELECT utc_sig FROM farm_sigs)
UNION ALL SELECT host, 'shared_stamp', 2 FROM host_shared WHERE shared_n > 0
UNION ALL SELECT host, 'pool_subset', 1 FROM host_shared WHERE shared_n > 0 AND shared_n = stamped_n
UNION ALL SELECT DISTINCT host, 'sequential_digest', 2 FROM per_obs WHERE prefixes < hex_digests
UNION ALL SELECT DISTINCT host, 'non_hex_digest', 2 FROM per_obs WHERE non_hex
UNION ALL SELECT DISTINCT host, 'same_fraction', 2 FROM per_obs WHERE n >= 3 AND with_frac = n AND fracs = 1
UNION ALL SELECT host, evidence, 2 FROM markers
  WHERE evidence IN ('tags_ps_fields', 'tags_extra_keys', 'tags_key_order', 'tags_unsorted')
UNION ALL SELECT host, 'volatile_stamps', 2 FROM per_model GROUP BY host
  HAVING min(visits) >= 3 AND bool_and(stamps = visits)
UNION ALL SELECT DISTINCT host, 'server_header', 1 FROM host_markers WHERE marker = 'server_header';
DROP TABLE hp_pairs;
CREATE OR REPLACE TABLE flags AS
WITH multi_ips AS (SELECT ip FROM endpoints GROUP BY ip HAVING count(DISTINCT port) >= {multi_port_min_ports})
SELECT DISTINCT host, 'clone_farm' AS flag FROM honeypot_evidence
  WHERE evidence IN ('identical_inventory_utc', 'shared_stamp')
UNION
SELECT host, 'fake_ollama' FROM honeypot_evidence
  WHERE evidence NOT IN ('identical_inventory_utc', 'shared_stamp', 'pool_subset')
  GROUP BY host HAVING sum(weight) >= {fake_min_score}
UNION
SELECT DISTINCT host, 'multi_port' AS flag FROM endpoints WHERE ip IN (SELECT ip FROM multi_ips);
"""


def _advisories(con: duckdb.DuckDBPyConnection) -> None:
    """``advisories`` (the bundled table, ``reference/advisories.py``) and ``advisory_versions``: the verdict
    (affected / fixed / not_affected / unknown) of each advisory for each (runtime, version) of ``endpoint_months``."""
    versions = con.execute(
        "SELECT DISTINCT runtime, version FROM endpoint_months WHERE runtime IS NOT NULL").fetchall()
    for name, table in (("advisories", advisory_table()), ("advisory_versions", verdict_table(versions))):
        con.register(f"_{name}", table)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name}")
        con.unregister(f"_{name}")


def _create_capabilities(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(capabilities_sql("capability_input"))
    cols = {r[0] for r in con.execute("DESCRIBE model_capabilities").fetchall()}
    missing = [c for c in ("observation_id", *CAPABILITY_COLUMNS) if c not in cols]
    if missing:
        raise DataError(f"model_capabilities lacks columns {', '.join(missing)}")
    # BOOLEAN true/false/NULL (NULL only when the source is unknown) becomes the words yes/no/unknown, so that
    # unknown is a value GROUP BY and shares keep.
    labels = ", ".join(
        f"CASE WHEN {c} IS NULL THEN 'unknown' WHEN {c} THEN 'yes' ELSE 'no' END AS {c}" for c in CAPABILITY_COLUMNS
    )
    reported = ", ".join(f"{c} IS TRUE AND {c}_source = 'reported' AS {c}_reported" for c in CAPABILITY_COLUMNS)
    con.execute(
        "CREATE OR REPLACE TABLE capability_classes AS "
        f"SELECT CAST(observation_id AS UBIGINT) AS cap_key, {labels}, {reported} FROM model_capabilities"
    )


def create_analysis_relations(con: Any, p: ViewParams, *, security: bool = True) -> None:
    """The analysis relations, in order, over the store's relations, ``_STORE_VIEWS`` and the enrichment tables.

    Both engines run exactly these steps: ``con`` is a DuckDB connection (``attach``) or ``spark.engine.SparkSQL``,
    which offers the few connection methods the helpers call."""
    con.execute(_DERIVED_SQL)
    create_lineage_relations(con)
    _create_capabilities(con)
    con.execute(_HOST_STATS_SQL)
    con.execute(_LINEAGE_EXPOSURE_SQL)
    if not security:
        return
    _advisories(con)
    con.execute(_HOST_CAPABILITIES_SQL)
    con.execute(_HOST_REPORTED_SQL)
    con.execute(_FLAGS_SQL.format(clone_farm_min_hosts=p.clone_farm_min_hosts,
                                  shared_stamp_min_hosts=p.shared_stamp_min_hosts,
                                  fake_min_score=p.fake_min_score,
                                  multi_port_min_ports=p.multi_port_min_ports))  # fmt: skip


def attach(con: duckdb.DuckDBPyConnection, data_dir: str | Path, params: ViewParams | None = None,
           *, refresh: bool = True, security: bool = True) -> None:
    """Create every relation of this module on ``con`` from the store of ``data_dir``.

    ``security=False`` leaves out what only the security and population metrics read: the advisory verdicts, the
    per-host capability labels and the honeypot evidence and flags (a third of the time at seed scale). The lineage
    monitor, which runs after every store update, reads none of them.

    With ``refresh`` the store first folds in what is new, under the data folder's writer lock; when another
    writer holds it (a ``run`` in progress), the store is read as of its last update and a warning is logged."""
    p = params or ViewParams()
    layout = Layout(data_dir)
    files = layout.observation_files()
    if not files:
        raise DataError(f"{layout.observations}: no observation Parquet files (YYYY-MM-DD/part-*.parquet)")
    path = store_path(data_dir, p.host_key)
    if refresh:
        try:
            private = not path.is_relative_to(layout.root)  # a read-only data folder: the store is a private copy
            with writer_lock(path.parent if private else layout.root, "store update", create=private):
                update(data_dir, p.host_key)
        except BusyError:
            if not path.exists():
                raise
            log.warning("another writer holds %s: reading the store as of its last update", layout.root)
    if not path.exists():
        raise DataError(f"{path}: no store yet; run 'llmcensus store update --data {layout.root}'")
    host_expr = "hash(ip)" if p.host_key == "ip" else "hash(ip, port)"
    try:
        con.execute(f"ATTACH {db.quote(path)} AS s (READ_ONLY)")
        for name in [*MERGES, *DERIVED]:
            if name not in _RENAMED:
                con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM s.{name}")
        con.execute(_STORE_VIEWS)
        _parquet_or_empty(con, "geo", layout.enrich_geo, GEO_SCHEMA, "ip")
        _parquet_or_empty(con, "models_enriched", layout.enrich_models, MODELS_SCHEMA, "name, digest")
        _parquet_or_empty(con, "prompts", layout.enrich_prompts, PROMPTS_SCHEMA, "prompt_sha")
        listed = "[" + ", ".join(db.quote(f) for f in files) + "]"
        source = ("(SELECT COLUMNS(lambda c: c <> 'exchanges') FROM "
                  f"read_parquet({listed}, hive_partitioning = false, union_by_name = true))")
        create_view(con, "obs_raw", source, layout.inventories)
        con.execute(_PARQUET_VIEWS.format(host_expr=host_expr))
        create_analysis_relations(con, p, security=security)
    except duckdb.Error as exc:
        raise DataError(f"{layout.root}: cannot build the analysis relations: {exc}") from exc
