"""The store's persisted relations, kept current incrementally: ``<data>/store/<host_key>.duckdb``.

``update`` folds only the observation files the store has not seen into its relations, in one DuckDB transaction
with the list of folded files (``folded_parts``) and the events they cause (``events.py``). A ``kill -9`` during an
update leaves the store as it was before it (DuckDB discards an uncommitted transaction when the file is opened
again); the next update folds the same files again, once. ``rebuild`` folds every file straight into a new database
file (no copy in memory) and swaps it in. The two give the same relations: every relation below merges by sums,
bit-ors, minima, maxima, set union or "the latest visit of the day", none of which depends on the order or grouping
of files (tested by ``tests/test_store_incremental.py`` after fourteen steps with a late sweep, a resumed sweep and
an empty day).

Relations (keys are 64-bit hashes: ``host`` of ip or ip:port by ``host_key``, ``endpoint`` of ip:port; see
``ingest.py`` for how each is computed from the observations):

* ``sweep_days``          day, visits: every visit, whatever its status
* ``endpoints``           distinct (ip, port, host) of successful Ollama visits
* ``runtime_host_months`` host, month, runtime, auth, status, observations, days (bit set): visits with a runtime
                          verdict other than successful open Ollama (those are in ``host_months``)
* ``host_months``         host, month: the month's successful Ollama observations as partials (``days`` is a bit
                          set of the days of the month)
* ``host_versions``       host, version: observations, local models, local models without capabilities
* ``host_inventories``    distinct (host, inventory signature of (digest, modified_at) pairs)
* ``month_model_counts``  month, model_count, observations (a histogram)
* ``host_model_month``    host, month, model_key: instances, days (bit set)
* ``host_model_caps``     distinct (host, model_key, cap_key)
* ``host_family_months``  host, month, family: observations, days (bit set), instances
* ``model_catalog_raw``   one row per model_key: the model fields of the key
* ``capability_input``    one row per cap_key: version and the model fields the capability SQL reads
* ``endpoint_days``       every runtime: one row per (endpoint, day) with a runtime verdict (success or
                          auth_required): the day's last such visit (``observed_at``, then ``visit``, a hash of
                          its observation id) with its runtime, auth, status, version, inventory (``inv``: hash of
                          its (name, digest) set) and model count
* ``endpoint_ids``        distinct (endpoint, host, ip, port)
* ``inventory_names``     distinct (inv, name, digest): the members of every inventory
* ``host_inv_months``     every runtime: host, month, runtime, inv, days (bit set of the days of the month on which
                          a successful visit listed that inventory): what per-lineage adoption over time reads
* ``host_inv_weeks``      the same per ISO week: host, week (its Monday), runtime, inv, days (UTINYINT bit set of
                          the week's days, Monday = bit 0): what adoption per week reads (a week can straddle two
                          months, and merging a host's two month bit sets at report time cost 3-4 s at seed scale)
* ``host_markers``        host, ip, marker, visits: the probe's markers on successful Ollama visits
                          (``runtime_evidence``: tags_ps_fields, tags_extra_keys, ...) and ``server_header`` (a Server
                          header no reverse proxy explains): honeypot evidence
* ``host_sig_visits``     host, ip, sig, visits: successful Ollama visits per inventory signature (the order-free hash
                          of the visit's (digest, modified_at) pairs)
* ``sig_members``         distinct (sig, name, digest, modified_at, stamp, frac): the members of every signature,
                          modified_at exactly as the host sent it (time zone and nanoseconds), ``stamp`` the same
                          instant as UTC seconds and nine fraction digits, ``frac`` the fraction as sent: what
                          clone-farm evidence reads
* ``endpoint_months``     ``endpoint_days`` by month: endpoint, host, month, runtime, version, auth, status, proxy,
                          days (bit set), first_day, last_day; recomputed for the months an update touches
* ``sig_stats``           per inventory signature: members, the order-free hash of its (digest, UTC stamp) pairs,
                          fractions, digest shapes (what clone-farm evidence reads); added for new signatures
* ``events``              see ``events.py``
* ``folded_parts``        path (relative to the data folder), bytes: every file folded in
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from llmcensus.errors import DataError
from llmcensus.observations.inventories import Inventories
from llmcensus.observations.reader import check_parts
from llmcensus.store import db
from llmcensus.store.events import EVENTS_DDL, read_outbox, refresh_events
from llmcensus.store.ingest import ingest
from llmcensus.store.layout import Layout

log = logging.getLogger(__name__)

STORE_VERSION = 6  # bump when a relation's definition changes: an older store is then rebuilt, never misread
HOST_KEYS = {"ip": "hash(ip)", "ip_port": "hash(ip, port)"}


@dataclass(frozen=True)
class Merge:
    """How a relation takes in new rows: ``sum`` (group by ``keys``, aggregate with ``aggs``), ``distinct`` (set
    union), ``first`` (one row per key; the row is a function of its key), ``latest`` (one row per key: the
    greatest ``order``)."""

    kind: str
    keys: tuple[str, ...] = ()
    aggs: str = ""
    order: str = ""


MERGES: dict[str, Merge] = {
    "sweep_days": Merge("sum", ("day",), "CAST(sum(visits) AS BIGINT) AS visits"),
    "endpoints": Merge("distinct"),
    "runtime_host_months": Merge("sum", ("host", "month", "runtime", "auth", "status"),
                                 "CAST(sum(observations) AS BIGINT) AS observations, "
                                 "CAST(bit_or(days) AS BIGINT) AS days"),
    "host_months": Merge("sum", ("host", "month"),
                         "CAST(sum(observations) AS BIGINT) AS observations, bit_or(days) AS days, "
                         "min(first_day) AS first_day, max(last_day) AS last_day, max(max_models) AS max_models, "
                         "CAST(sum(models_sum) AS HUGEINT) AS models_sum, CAST(sum(models_n) AS BIGINT) AS models_n, "
                         "CAST(sum(running_sum) AS HUGEINT) AS running_sum, "
                         "CAST(sum(running_n) AS BIGINT) AS running_n, "
                         "CAST(sum(running_positive) AS BIGINT) AS running_positive"),
    "host_versions": Merge("sum", ("host", "version"),
                           "CAST(sum(observations) AS BIGINT) AS observations, "
                           "CAST(sum(local_models) AS HUGEINT) AS local_models, "
                           "CAST(sum(local_without_capabilities) AS HUGEINT) AS local_without_capabilities"),
    "host_inventories": Merge("distinct"),
    "month_model_counts": Merge("sum", ("month", "model_count"), "CAST(sum(observations) AS BIGINT) AS observations"),
    "host_model_month": Merge("sum", ("host", "month", "model_key"),
                              "CAST(sum(instances) AS HUGEINT) AS instances, bit_or(days) AS days"),
    "host_model_caps": Merge("distinct"),
    "host_family_months": Merge("sum", ("host", "month", "family"),
                                "CAST(sum(observations) AS HUGEINT) AS observations, bit_or(days) AS days, "
                                "CAST(sum(instances) AS HUGEINT) AS instances"),
    "model_catalog_raw": Merge("first", ("model_key",)),
    "capability_input": Merge("first", ("cap_key",)),
    "endpoint_days": Merge("latest", ("endpoint", "day"), order="observed_at DESC, visit DESC"),
    "endpoint_ids": Merge("distinct"),
    "inventory_names": Merge("distinct"),
    "host_inv_months": Merge("sum", ("host", "month", "runtime", "inv"), "bit_or(days) AS days"),
    "host_inv_weeks": Merge("sum", ("host", "week", "runtime", "inv"), "bit_or(days) AS days"),
    "host_markers": Merge("sum", ("host", "ip", "marker"), "CAST(sum(visits) AS BIGINT) AS visits"),
    "host_sig_visits": Merge("sum", ("host", "ip", "sig"), "CAST(sum(visits) AS BIGINT) AS visits"),
    "sig_members": Merge("distinct"),
}  # fmt: skip

# Relations derived from the merged ones inside the update's transaction: each is a function of store relations
# only, recomputed for what the update touched (the months of its endpoint-days; its new inventory signatures), so
# an update costs what it adds and a report reads them ready-made.
_TOUCHED_MONTHS = "(SELECT DISTINCT CAST(date_trunc('month', day) AS DATE) FROM main.endpoint_days)"
DERIVED: dict[str, tuple[str, ...]] = {
    # endpoint_days by month: each endpoint-day is in exactly one row (its verdict of that day), so sums of bit
    # counts are endpoint-days and the row holding an endpoint's last day is unique
    "endpoint_months": (
        "CREATE TABLE IF NOT EXISTS s.endpoint_months (endpoint UBIGINT, host UBIGINT, month DATE, runtime VARCHAR, "
        "version VARCHAR, auth VARCHAR, status VARCHAR, proxy VARCHAR, days UINTEGER, first_day DATE, last_day DATE)",
        f"DELETE FROM s.endpoint_months WHERE month IN {_TOUCHED_MONTHS}",
        "INSERT INTO s.endpoint_months "
        "SELECT endpoint, host, CAST(date_trunc('month', day) AS DATE) AS month, runtime, version, auth, status, "
        "proxy, bit_or(CAST(1 AS UINTEGER) << (dayofmonth(day) - 1)), min(day), max(day) FROM s.endpoint_days "
        "WHERE day >= (SELECT CAST(date_trunc('month', min(day)) AS DATE) FROM main.endpoint_days) "
        f"AND CAST(date_trunc('month', day) AS DATE) IN {_TOUCHED_MONTHS} GROUP BY ALL",
    ),
    # per inventory signature, what clone-farm evidence reads of its members (store/derive.py, _FLAGS_SQL): a
    # signature is the hash of its whole member set, so a batch that holds it holds all its members
    "sig_stats": (
        "CREATE TABLE IF NOT EXISTS s.sig_stats (sig UBIGINT, n BIGINT, utc_sig HUGEINT, fracs BIGINT, "
        "with_frac BIGINT, non_hex BOOLEAN, hex_digests BIGINT, prefixes BIGINT)",
        "INSERT INTO s.sig_stats "
        "WITH m AS (SELECT * FROM main.sig_members WHERE sig NOT IN (SELECT sig FROM s.sig_stats)), "
        "hexd AS (SELECT digest, regexp_full_match(coalesce(digest, ''), '[0-9a-f]{64}') AS hex "
        "  FROM (SELECT DISTINCT digest FROM m)) "
        "SELECT m.sig, count(*), sum(hash(coalesce(m.digest, ''), coalesce(m.stamp, '?'))), count(DISTINCT m.frac), "
        "count(*) FILTER (WHERE m.frac <> ''), bool_or(NOT h.hex), count(DISTINCT m.digest) FILTER (WHERE h.hex), "
        "count(DISTINCT left(m.digest, 48)) FILTER (WHERE h.hex) "
        "FROM m JOIN hexd h ON h.digest IS NOT DISTINCT FROM m.digest GROUP BY m.sig",
    ),
}

_META_DDL = """
CREATE TABLE IF NOT EXISTS s.store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS s.folded_parts (path VARCHAR, bytes BIGINT, rows BIGINT, folded_at TIMESTAMPTZ);
"""


@dataclass
class UpdateSummary:
    """What one ``update`` did: files and visits folded in, events added, whether it rebuilt, and its seconds."""

    files: int = 0
    visits: int = 0
    events: int = 0
    rebuilt: bool = False
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds: ingest, merge, events, commit

    def as_dict(self) -> dict[str, object]:
        return {"files": self.files, "visits": self.visits, "events": self.events, "rebuilt": self.rebuilt,
                "seconds": round(self.seconds, 3), "phases": {k: round(v, 3) for k, v in self.phases.items()}}


def store_path(data_dir: str | Path, host_key: str = "ip") -> Path:
    """The store of ``data_dir``: ``<data>/store/<host_key>.duckdb``, or, when the data folder is read-only (a
    dataset someone shared, a mounted snapshot), a private copy under the system temp directory keyed by the
    folder's resolved path, so that a report never needs to write into the data it reads."""
    _host_expr(host_key)
    layout = Layout(data_dir)
    if layout.root.is_dir() and not os.access(layout.root, os.W_OK):
        key = hashlib.sha256(str(layout.root.resolve()).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "llmcensus-store" / key / f"{host_key}.duckdb"
    return layout.store_db(host_key)


def _host_expr(host_key: str) -> str:
    try:
        return HOST_KEYS[host_key]
    except KeyError:
        raise DataError(f"host_key must be one of {', '.join(HOST_KEYS)}, not {host_key!r}") from None


def _relative(layout: Layout, path: Path) -> str:
    return path.relative_to(layout.root).as_posix()


def update(data_dir: str | Path, host_key: str = "ip", *, rebuild: bool = False,
           progress: Callable[[str, int, int | None], None] | None = None) -> UpdateSummary:
    """Fold every observation file the store has not folded yet into its relations (the caller holds the data
    folder's writer lock). Rebuilds from scratch when asked, when the store was made by another ``STORE_VERSION``,
    or when a folded file has changed or gone (the store must never describe data that is not there).
    ``progress("store", done, total)`` is called as each observation file is taken to be folded."""
    t0 = time.perf_counter()
    layout = Layout(data_dir)
    path = store_path(data_dir, host_key)
    files = layout.observation_files()
    reason, folded = ("asked", set()) if rebuild else _stale(path, layout, files)
    # a newer or broken file stops the update before anything is written; a folded file was checked when it was
    # folded and has not changed since (_stale compares sizes), so only the files to fold are read again
    todo = files if reason else [f for f in files if _relative(layout, f) not in folded]
    check_parts(todo)
    if reason:
        summary = _rebuild(layout, path, host_key, files, handed=reason != "new store", progress=progress)
        log.info("store %s rebuilt (%s): %d files", path, reason, summary.files)
    else:
        con = _open(path)
        try:
            summary = _fold(con, layout, todo, host_key, fresh=False, progress=progress)
        finally:
            con.close()
    summary.seconds = time.perf_counter() - t0
    return summary


def hand_on(data_dir: str | Path, consume: Callable[[list[dict[str, object]]], object],
            host_key: str = "ip") -> int:
    """Give ``consume`` the events not handed on yet (the outbox past the store's ``handed_seq``), then advance
    ``handed_seq``; returns how many. At least once: a crash between the two hands the same events on again, each
    with its ``seq`` so that a consumer can tell."""
    path = store_path(data_dir, host_key)
    if not path.exists():
        return 0
    con = _open(path)
    try:
        with db.errors(f"store {path}"):
            rows = con.execute("SELECT value FROM s.store_meta WHERE key = 'handed_seq'").fetchall()
            events = read_outbox(con, int(rows[0][0]) if rows else 0)
            if events:
                consume(events)
                con.execute("INSERT OR REPLACE INTO s.store_meta VALUES ('handed_seq', ?)", [str(events[-1]["seq"])])
    finally:
        con.close()
    return len(events)


def read_events(data_dir: str | Path, host_key: str = "ip", *, kinds: list[str] | None = None,
                since: date | None = None, limit: int = 100) -> list[dict[str, object]]:
    """The store's events, newest first, with each endpoint's ip and port (filters bound, never pasted)."""
    path = store_path(data_dir, host_key)
    if not path.exists():
        raise DataError(f"{path}: no store yet; run 'llmcensus store update --data {data_dir}'")
    con = db.connect(path, read_only=True)
    try:
        with db.errors(f"store {path}"):
            table = con.sql(
                "SELECT e.day, e.kind, e.runtime, e.subject, e.previous, i.ip, i.port FROM events e "
                "LEFT JOIN endpoint_ids i USING (endpoint, host) "
                "WHERE ($kinds IS NULL OR list_contains($kinds, e.kind)) AND ($since IS NULL OR e.day >= $since) "
                "ORDER BY e.day DESC, e.kind, i.ip, i.port, e.subject LIMIT $limit",
                params={"kinds": kinds, "since": since, "limit": limit},
            ).to_arrow_table()
    finally:
        con.close()
    out: list[dict[str, object]] = table.to_pylist()
    return out


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    con = db.connect()
    with db.errors(f"cannot open the store {path}"):
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"ATTACH {db.quote(path)} AS s")
        con.execute(_META_DDL)
        con.execute(EVENTS_DDL)
    return con


def _stale(path: Path, layout: Layout, files: list[Path]) -> tuple[str, set[str]]:
    """Why the store at ``path`` cannot be updated in place ('' when it can), and the files it has folded."""
    if not path.exists():
        return "new store", set()
    con = db.connect(path, read_only=True)
    try:
        try:
            version = con.execute("SELECT value FROM store_meta WHERE key = 'store_version'").fetchone()
            folded = dict(con.execute("SELECT path, bytes FROM folded_parts").fetchall())
        except duckdb.Error:
            return "unreadable store", set()
    finally:
        con.close()
    if version is None or version[0] != str(STORE_VERSION):
        return f"store version {version[0] if version else 'none'} -> {STORE_VERSION}", set()
    present = {_relative(layout, f): f for f in files}
    for rel, size in folded.items():
        f = present.get(rel)
        if f is None:
            return f"{rel} is gone", set()
        if f.stat().st_size != size:
            return f"{rel} has changed", set()
    return "", set(folded)


def _rebuild(layout: Layout, path: Path, host_key: str, files: list[Path], *, handed: bool,
             progress: Callable[[str, int, int | None], None] | None = None) -> UpdateSummary:
    """Fold ``files`` into a new database and swap it in. ``handed``: the events it derives were known before the
    rebuild (it replaces an existing store), so they are marked handed on rather than handed on again."""
    tmp = path.with_name(f".{path.name}.rebuild")
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        p.unlink(missing_ok=True)
    con = _open(tmp)
    try:
        summary = _fold(con, layout, files, host_key, fresh=True, progress=progress)
        if handed:
            con.execute("INSERT OR REPLACE INTO s.store_meta "
                        "SELECT 'handed_seq', CAST(coalesce(max(seq), 0) AS VARCHAR) FROM s.events_outbox")
        con.execute("CHECKPOINT s")
    finally:
        con.close()
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    os.replace(tmp, path)
    summary.rebuilt = True
    return summary


def _fold(con: duckdb.DuckDBPyConnection, layout: Layout, files: list[Path], host_key: str,
          fresh: bool, progress: Callable[[str, int, int | None], None] | None = None) -> UpdateSummary:
    """Ingest ``files`` into in-memory delta relations, then merge them into the store in one transaction."""
    summary = UpdateSummary(files=len(files))
    if not files:
        with db.errors("store update"):
            con.execute("INSERT OR REPLACE INTO s.store_meta VALUES ('store_version', ?)", [str(STORE_VERSION)])
        return summary
    t0 = time.perf_counter()
    # A rebuild's relations go straight into the new store: no copy in memory to merge, which at 10x the data
    # was as large as the accumulators it came from (the two together spilled). What reads the update's delta
    # (``main.<name>``: the derived relations, the events) then reads the whole store, through views.
    ingest(con, files, _host_expr(host_key), progress=progress, inventories=Inventories(layout.inventories),
           into="s" if fresh else None)
    summary.phases["ingest"] = time.perf_counter() - t0
    with db.errors("store update"):
        statements: list[str] = []
        for name, merge in MERGES.items():
            if fresh:
                con.execute(f"CREATE OR REPLACE VIEW main.{name} AS SELECT * FROM s.{name}")
            else:
                statements += _merge_statements(con, name, merge)
        summary.visits = int(con.execute("SELECT coalesce(sum(visits), 0) FROM main.sweep_days").fetchone()[0])  # type: ignore[index]
        folded = [(_relative(layout, f), f.stat().st_size) for f in files]
        t1 = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        try:
            for sql in statements:
                con.execute(sql)
            for derived in DERIVED.values():
                for sql in derived:
                    con.execute(sql)
            con.executemany("INSERT INTO s.folded_parts VALUES (?, ?, NULL, now())", folded)
            con.execute("INSERT OR REPLACE INTO s.store_meta VALUES ('store_version', ?)", [str(STORE_VERSION)])
            t2 = time.perf_counter()
            summary.events = refresh_events(con, rebuild=fresh)
            _failpoint("store.before_commit")
            t3 = time.perf_counter()
            con.execute("COMMIT")
            summary.phases.update(merge=t2 - t1, events=t3 - t2, commit=time.perf_counter() - t3)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        for name in MERGES:
            con.execute(f"DROP {'VIEW' if fresh else 'TABLE'} IF EXISTS main.{name}")
            con.execute(f"DROP TABLE IF EXISTS main.merged_{name}")
    return summary


FAILPOINT_ENV = "LLMCENSUS_FAILPOINT"


def _failpoint(name: str) -> None:
    """Crash-test hook: ``LLMCENSUS_FAILPOINT=<name>`` kills this process with SIGKILL here (``kill -9`` at the
    worst moment, deterministically: tests/test_run.py). Unset, it costs one environment lookup per update."""
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _merge_statements(con: duckdb.DuckDBPyConnection, name: str, merge: Merge) -> list[str]:
    """Create the store's table ``name`` if new; compute what it becomes (reading only); return the statements
    that write it, run later inside the update's transaction (which may write one database only)."""
    con.execute(f"CREATE TABLE IF NOT EXISTS s.{name} AS SELECT * FROM main.{name} LIMIT 0")
    if merge.kind == "distinct":
        return [f"INSERT INTO s.{name} SELECT * FROM main.{name} EXCEPT SELECT * FROM s.{name}"]
    keys = ", ".join(merge.keys)
    on = " AND ".join(f"t.{k} IS NOT DISTINCT FROM d.{k}" for k in merge.keys)
    if merge.kind == "first":
        return [f"INSERT INTO s.{name} SELECT * FROM main.{name} d WHERE NOT EXISTS "
                f"(SELECT 1 FROM s.{name} t WHERE {on})"]
    con.execute(f"CREATE OR REPLACE TEMP TABLE affected_{name} AS SELECT DISTINCT {keys} FROM main.{name}")
    old = f"SELECT t.* FROM s.{name} t SEMI JOIN affected_{name} d ON {on}"
    both = f"SELECT * FROM ({old}) UNION ALL BY NAME SELECT * FROM main.{name}"
    if merge.kind == "sum":
        select = f"SELECT {keys}, {merge.aggs} FROM ({both}) GROUP BY {keys}"
    elif merge.kind == "latest":
        select = f"SELECT * FROM ({both}) QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {merge.order}) = 1"
    else:
        raise ValueError(f"unknown merge kind {merge.kind!r}")
    columns = [r[0] for r in con.execute(f"DESCRIBE s.{name}").fetchall()]
    con.execute(f"CREATE OR REPLACE TEMP TABLE merged_{name} AS SELECT {', '.join(columns)} FROM ({select})")
    return [f"DELETE FROM s.{name} t USING affected_{name} d WHERE {on}",
            f"INSERT INTO s.{name} SELECT * FROM merged_{name}"]
