"""Events: what changed on an endpoint from one day it was seen to the next, derived when the store updates.

One row per event in the store's ``events`` relation:

* ``endpoint``, ``host``  the endpoint (hash of ip:port) and its host (by the store's ``host_key``)
* ``day``                 the UTC day the change was first seen (a change made while the endpoint was unreachable
                          is dated to the next day it answered)
* ``kind``                ``first_seen`` (the first day with a runtime verdict), ``runtime_changed``,
                          ``version_upgrade`` / ``version_downgrade`` (same runtime, both versions readable, compared
                          as numbers part by part; ``version_changed`` when either is not numeric), ``auth_changed``
                          (``open`` <-> ``required`` and the like), ``model_added`` / ``model_removed`` (a model
                          name enters or leaves the listed inventory), ``model_updated`` (same name, other digest)
* ``runtime``             the endpoint's runtime that day
* ``subject``             what the event is about: the model name, the new version, the new auth posture, the new
                          runtime (null for first_seen)
* ``previous``            the value before: the old version, auth posture, runtime or digest

Model events compare two consecutive days on which the endpoint's inventory was read (``status = 'success'``): a
day behind authentication says nothing about the models, so it neither adds nor removes any. An endpoint's first
inventory is its baseline, not a list of additions.

Incremental: an update recomputes the events of the endpoints it touched, from the first new day of each (and the
state of the day before it), and replaces their events from that day on. A late sweep for an earlier day therefore
moves events exactly as a full rebuild would place them.
"""

from __future__ import annotations

import duckdb

EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS s.events (endpoint UBIGINT, host UBIGINT, day DATE, kind VARCHAR, runtime VARCHAR,
  subject VARCHAR, previous VARCHAR);
CREATE TABLE IF NOT EXISTS s.events_outbox (seq BIGINT, endpoint UBIGINT, host UBIGINT, day DATE, kind VARCHAR,
  runtime VARCHAR, subject VARCHAR, previous VARCHAR);
"""
EVENT_COLUMNS = ("endpoint", "host", "day", "kind", "runtime", "subject", "previous")

# Versions as comparable integer lists ("v0.12.3" -> [0, 12, 3]); null when not numeric.
_VERSION_PARTS = """CASE WHEN regexp_matches(coalesce({v}, ''), '^v?[0-9]+(\\.[0-9]+)*')
  THEN list_transform(string_split(regexp_extract({v}, '^v?([0-9]+(\\.[0-9]+)*)', 1), '.'),
                      lambda x: TRY_CAST(x AS BIGINT)) END"""

# Rows of ``s.endpoint_days`` for the endpoints in the update (``main.endpoint_days``, the delta), from the last
# day before each one's first new day; then each row beside the previous one. A rebuild reads every row
# (``_SPAN_ALL``): finding the affected endpoints and their prior days would join every endpoint-day twice.
_SPAN_ALL = "span AS (SELECT *, DATE '0001-01-01' AS lo FROM s.endpoint_days),"
_SPAN_UPDATE = """
affected AS (SELECT endpoint, min(day) AS lo FROM main.endpoint_days GROUP BY endpoint),
prior AS (
  SELECT d.endpoint, max(d.day) AS pday FROM s.endpoint_days d JOIN affected a USING (endpoint)
  WHERE d.day < a.lo GROUP BY d.endpoint
),
span AS (
  SELECT d.*, a.lo FROM s.endpoint_days d JOIN affected a USING (endpoint) LEFT JOIN prior p USING (endpoint)
  WHERE d.day >= coalesce(p.pday, a.lo)
),"""
_SEQ = """
seq AS (
  SELECT *, lag(day) OVER w AS p_day, lag(runtime) OVER w AS p_runtime, lag(version) OVER w AS p_version,
         lag(auth) OVER w AS p_auth, lag(status) OVER w AS p_status, lag(inv) OVER w AS p_inv
  FROM span WINDOW w AS (PARTITION BY endpoint ORDER BY day)
),
cur AS (SELECT * FROM seq WHERE day >= lo),
changed AS (
  SELECT * FROM cur WHERE p_day IS NOT NULL AND status = 'success' AND p_status = 'success'
    AND inv IS DISTINCT FROM p_inv
),
now_names AS (SELECT c.endpoint, c.day, n.name, n.digest FROM changed c JOIN s.inventory_names n ON n.inv = c.inv),
was_names AS (SELECT c.endpoint, c.day, n.name, n.digest FROM changed c JOIN s.inventory_names n ON n.inv = c.p_inv)
"""

_EVENTS_OF = """
SELECT endpoint, host, day, 'first_seen' AS kind, runtime, NULL AS subject, NULL AS previous
FROM cur WHERE p_day IS NULL
UNION ALL
SELECT endpoint, host, day, 'runtime_changed', runtime, runtime, p_runtime
FROM cur WHERE p_day IS NOT NULL AND runtime IS DISTINCT FROM p_runtime
UNION ALL
SELECT endpoint, host, day,
       CASE WHEN vparts IS NULL OR p_vparts IS NULL OR list_contains(vparts, NULL) OR list_contains(p_vparts, NULL)
            THEN 'version_changed' WHEN vparts > p_vparts THEN 'version_upgrade'
            WHEN vparts < p_vparts THEN 'version_downgrade' ELSE 'version_changed' END,
       runtime, version, p_version
FROM (
  -- versions are parsed only where they changed (a regex on every endpoint-day was most of a rebuild's events)
  SELECT *, {vparts} AS vparts, {p_vparts} AS p_vparts
  FROM cur WHERE p_day IS NOT NULL AND runtime IS NOT DISTINCT FROM p_runtime AND version IS NOT NULL
    AND p_version IS NOT NULL AND version <> p_version
)
UNION ALL
SELECT endpoint, host, day, 'auth_changed', runtime, coalesce(auth, 'unknown'), coalesce(p_auth, 'unknown')
FROM cur WHERE p_day IS NOT NULL AND coalesce(auth, 'unknown') <> coalesce(p_auth, 'unknown')
UNION ALL
SELECT c.endpoint, c.host, c.day, e.kind, c.runtime, e.name, e.previous
FROM changed c JOIN (
  SELECT endpoint, day, name, 'model_added' AS kind, NULL AS previous FROM (
    SELECT endpoint, day, name FROM now_names EXCEPT SELECT endpoint, day, name FROM was_names)
  UNION ALL
  SELECT endpoint, day, name, 'model_removed', NULL FROM (
    SELECT endpoint, day, name FROM was_names EXCEPT SELECT endpoint, day, name FROM now_names)
  UNION ALL
  SELECT n.endpoint, n.day, n.name, 'model_updated', string_agg(DISTINCT w.digest, ',' ORDER BY w.digest)
  FROM now_names n JOIN was_names w USING (endpoint, day, name)
  GROUP BY n.endpoint, n.day, n.name
  HAVING string_agg(DISTINCT n.digest, ',' ORDER BY n.digest) IS DISTINCT FROM
         string_agg(DISTINCT w.digest, ',' ORDER BY w.digest)
) e USING (endpoint, day)
"""


def events_sql(rebuild: bool = False) -> str:
    """The events of the endpoints in the update (``rebuild``: of every endpoint), as one query."""
    parts = {"vparts": _VERSION_PARTS.format(v="version"), "p_vparts": _VERSION_PARTS.format(v="p_version")}
    return f"WITH {_SPAN_ALL if rebuild else _SPAN_UPDATE}{_SEQ}{_EVENTS_OF.format(**parts)}"


_EVENTS = events_sql()
_AFFECTED = "(SELECT endpoint, min(day) AS lo FROM main.endpoint_days GROUP BY endpoint)"


def refresh_events(con: duckdb.DuckDBPyConnection, rebuild: bool = False) -> int:
    """Replace the events of the endpoints in this update (``main.endpoint_days``) from their first new day on;
    runs inside the update's transaction, after ``s.endpoint_days`` and ``s.inventory_names`` took the delta.
    ``rebuild``: the store was empty before this update, which holds every endpoint-day.

    Events that were not there before (a late sweep re-derives some that were) also go to ``events_outbox`` with
    increasing ``seq``, in the same transaction: whoever consumes events (``llmcensus run`` hands them on) reads
    the outbox past its own cursor, so an event committed just before a crash is still handed on after it.
    Returns the number of new events."""
    cols = ", ".join(EVENT_COLUMNS)
    if rebuild:
        con.execute(f"CREATE OR REPLACE TEMP TABLE events_before AS SELECT {cols} FROM s.events LIMIT 0")
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE events_before AS SELECT {cols} FROM s.events e "
                    f"SEMI JOIN {_AFFECTED} a ON e.endpoint = a.endpoint AND e.day >= a.lo")  # fmt: skip
        con.execute(f"DELETE FROM s.events e USING {_AFFECTED} a WHERE e.endpoint = a.endpoint AND e.day >= a.lo")
    con.execute(f"CREATE OR REPLACE TEMP TABLE events_after AS {events_sql(rebuild)}")
    con.execute("INSERT INTO s.events SELECT * FROM events_after")
    row = con.execute(
        f"INSERT INTO s.events_outbox SELECT (SELECT coalesce(max(seq), 0) FROM s.events_outbox) "
        f"+ row_number() OVER (ORDER BY day, kind, endpoint, subject), * FROM "
        f"(SELECT {cols} FROM events_after EXCEPT ALL SELECT {cols} FROM events_before)"
    ).fetchone()
    con.execute("DROP TABLE events_before")
    con.execute("DROP TABLE events_after")
    return int(row[0]) if row else 0


def read_outbox(con: duckdb.DuckDBPyConnection, after: int) -> list[dict[str, object]]:
    """Events of the outbox with ``seq`` greater than ``after``, in order, with the endpoint's ip and port
    (``con`` has the store attached as ``s``)."""
    rows = con.sql(
        "SELECT o.seq, o.day, o.kind, o.runtime, o.subject, o.previous, i.ip, i.port FROM s.events_outbox o "
        "LEFT JOIN s.endpoint_ids i USING (endpoint, host) WHERE o.seq > $after ORDER BY o.seq",
        params={"after": after},
    ).to_arrow_table()
    out: list[dict[str, object]] = rows.to_pylist()
    return out
