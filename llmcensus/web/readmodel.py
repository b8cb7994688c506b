"""What the server reads: a snapshot of the store with the analysis relations, the pseudonym index, the alerts.

The relations live in one in-memory DuckDB connection over a private copy of the store (``snapshot.py``: the
server never holds a lock on the store file, so ``store update`` and ``run`` work while it serves). Every
``reload_seconds`` a background thread compares the store file with the copy; when a writer has changed it, a new
snapshot is taken and swapped in whole (requests in flight finish on the old one, which is closed after them), so a
response never mixes two states of the store. The pseudonym index is extended with the new addresses first.

DuckDB connections are not safe to share between threads, and FastAPI runs each request in a worker thread: every
query goes through ``cursor()``, a new DuckDB cursor (its own connection to the same in-memory database) per call.
Whatever is computed from a snapshot (metric results by name and parameters, the host list, the activity, the
dossier pages) is kept with that snapshot: it is the answer until the next reload.

Addresses: ``endpoint_ids`` lists every (ip, port) the store knows; the pseudonym index (``pseudoindex.py``) maps
each address's pseudonym back to it so that ``/api/hosts/{pseudonym}`` can find a host without ever taking a raw
address from the client. ``scrub`` replaces every value in an address column, and any string equal to a known
address anywhere else, by its pseudonym, unless the server runs with raw addresses.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from llmcensus.analyze.registry import ParamValue, Query, load_registry
from llmcensus.analyze.run import run_query
from llmcensus.errors import DataError, LLMCensusError
from llmcensus.monitor.alerts import read_alerts
from llmcensus.pseudonym import Pseudonymizer
from llmcensus.store import db
from llmcensus.store.derive import ViewParams
from llmcensus.store.layout import Layout
from llmcensus.web.pseudoindex import PseudonymIndex
from llmcensus.web.snapshot import Snapshot, take

log = logging.getLogger(__name__)
T = TypeVar("T")
RELOAD_SECONDS = 30.0  # how often the store file is compared with the snapshot (a stat: costs nothing)
ADDRESS_COLUMNS = frozenset({"ip", "address", "addr", "src_ip", "dst_ip"})
CACHE_ENTRIES = 256  # metric results kept (by name and parameters)

_HOSTS_SQL = """
WITH per_month AS (  -- endpoint_months: one row per endpoint, month and verdict, its days as a bit set
  SELECT i.ip, m.month, bit_or(m.days) AS days FROM endpoint_months m JOIN endpoint_ids i USING (endpoint, host)
  GROUP BY ALL
),
days AS (SELECT ip, CAST(sum(bit_count(days)) AS BIGINT) AS days FROM per_month GROUP BY ip),
spans AS (
  SELECT i.ip, list(DISTINCT i.port ORDER BY i.port) AS ports, min(m.first_day) AS first_day,
         max(m.last_day) AS last_day, arg_max(m.runtime, m.last_day) AS runtime,
         arg_max(m.version, m.last_day) AS version
  FROM endpoint_months m JOIN endpoint_ids i USING (endpoint, host) GROUP BY i.ip
)
SELECT s.ip, s.ports, s.first_day, s.last_day, d.days, s.runtime, s.version FROM spans s JOIN days d USING (ip)
ORDER BY s.last_day DESC, s.first_day, s.ip
"""
# A host page reads one address's rows of endpoint_days (13.5 M rows at seed scale, in fold order: a lookup scans
# them all, 100-600 ms) and of events. The snapshot keeps both sorted by endpoint in a DuckDB file of its own private
# folder (58 MB at seed scale): a lookup by endpoint then reads one or two row groups (1-2 ms). endpoint_days is
# sorted in SORT_SLICES slices of the endpoint range (a hash: uniform), appended in order: the whole is sorted, and
# one sort at a time holds 1/8 of the rows (sorting all at once took the server from 1.5 to 2.8 GB at seed scale).
SORT_SLICES = 8
_HOST_TABLES_SQL = """
ATTACH {path} AS h;
CREATE TABLE h.ids AS SELECT ip, endpoint, port FROM endpoint_ids WHERE ip IS NOT NULL ORDER BY ip;
CREATE TABLE h.days AS SELECT endpoint, day, status, runtime, version, auth, models, proxy FROM endpoint_days LIMIT 0;
CREATE TABLE h.events AS SELECT endpoint, day, kind, runtime, subject, previous FROM events ORDER BY endpoint, day;
"""
_HOST_DAYS_SLICE_SQL = """
INSERT INTO h.days SELECT endpoint, day, status, runtime, version, auth, models, proxy FROM endpoint_days
WHERE endpoint >= $lo AND endpoint <= $hi ORDER BY endpoint, day
"""
_IDS_SQL = "SELECT endpoint, port FROM h.ids WHERE ip = $ip"
# {endpoints}: the address's endpoint ids as integer literals (from h.ids, never from a request): a constant filter
# lets DuckDB skip every row group whose endpoint range does not hold them
_HISTORY_SQL = """
SELECT d.day, p.port, d.status, d.runtime, d.version, d.auth, d.models, d.proxy
FROM h.days d JOIN (VALUES {pairs}) p(endpoint, port) USING (endpoint)
WHERE d.endpoint IN ({endpoints}) ORDER BY d.day, p.port
"""
_EVENTS_SQL = """
SELECT e.day, p.port, e.kind, e.runtime, e.subject, e.previous
FROM h.events e JOIN (VALUES {pairs}) p(endpoint, port) USING (endpoint)
WHERE e.endpoint IN ({endpoints}) ORDER BY e.day, p.port, e.kind, e.subject
"""
_ACTIVITY_SQL = """
WITH hm AS (SELECT host, month, bit_or(days) AS days FROM endpoint_months GROUP BY ALL),
per_day AS (  -- hosts sharing a month's day set are counted together, then the set is spread over its days
  SELECT month + CAST(i AS INTEGER) AS day, CAST(sum(n) AS BIGINT) AS hosts
  FROM (SELECT month, days, count(*) AS n FROM hm GROUP BY ALL), range(31) r(i)
  WHERE (days >> i) & 1 = 1 GROUP BY ALL
)
SELECT s.day, s.visits AS observations, coalesce(h.hosts, 0) AS hosts
FROM sweep_days s LEFT JOIN per_day h USING (day)
ORDER BY s.day
"""


@dataclass(frozen=True)
class ServeOptions:
    """How the server reads and shows the data: the data folder, the host identity, whether addresses are shown
    raw (``--raw-addresses``) instead of pseudonymised, how often (seconds) the store is checked for an update
    (None: never; the data as of start-up)."""

    data_dir: Path
    host_key: str = "ip"
    raw_addresses: bool = False
    reload_seconds: float | None = RELOAD_SECONDS


class _State:
    """One snapshot and what was computed from it; closed once retired and no request uses it."""

    def __init__(self, snap: Snapshot, known: frozenset[str], generation: int) -> None:
        self.snap = snap
        self.known = known
        self.generation = generation
        self.cache: OrderedDict[tuple[str, tuple[tuple[str, ParamValue], ...]], pa.Table] = OrderedDict()
        self.memo: dict[str, Any] = {}
        self.users = 0
        self.retired = False

    def close(self) -> None:
        self.snap.close()


class ReadModel:
    """The server's read-only view of one data folder."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.registry: dict[str, Query] = load_registry()
        self._params = ViewParams(host_key=options.host_key)
        self._lock = threading.Lock()  # guards the state swap, the users counts and cursor creation
        self._memo_lock = threading.RLock()  # one computation of a memo at a time (a cursor inside takes _lock)
        self._reload_lock = threading.Lock()
        self._closed = threading.Event()
        self.index: PseudonymIndex | None = None
        if not options.raw_addresses:
            self.index = PseudonymIndex(options.data_dir, Layout(options.data_dir).pseudonym_index)
        self._state = self._load(0)
        # the index costs about 0.2 ms an address (35 s to minutes at seed scale) unless an earlier run saved it: it
        # is built in the background, so the server answers at once; only a lookup by pseudonym (a host page) waits
        if self.index is not None:
            threading.Thread(target=self.index.extend, args=(sorted(self._state.known),), name="pseudonym-index",
                             daemon=True).start()  # fmt: skip
        self._warming = threading.Thread(target=self._warm, args=(self._state,), name="metric-warm-up", daemon=True)
        self._warming.start()
        if options.reload_seconds is not None:
            threading.Thread(target=self._watch, args=(options.reload_seconds,), name="store-reload",
                             daemon=True).start()  # fmt: skip

    def _load(self, generation: int) -> _State:
        snap = take(self.options.data_dir, self._params)
        try:
            with db.errors("dashboard start-up"):
                snap.con.execute(_HOST_TABLES_SQL.format(path=db.quote(snap.folder / "hosts.duckdb")))
                step = 2**64 // SORT_SLICES
                for k in range(SORT_SLICES):
                    hi = 2**64 - 1 if k == SORT_SLICES - 1 else (k + 1) * step - 1
                    snap.con.execute(_HOST_DAYS_SLICE_SQL, {"lo": k * step, "hi": hi})
                snap.con.execute("CHECKPOINT h")
                known = frozenset(r[0] for r in snap.con.sql("SELECT DISTINCT ip FROM h.ids").fetchall())
        except BaseException:
            snap.close()
            raise
        return _State(snap, known, generation)

    def _warm(self, state: _State) -> None:
        """Compute every metric with its default parameters into ``state``'s cache (at seed scale a metric takes up
        to 2.4 s the first time: the first visitor of each page would wait for it)."""
        with self._using(state):
            for name in self.registry:
                if self._closed.is_set() or state.retired:
                    return
                try:
                    self._metric(state, name, None)
                except LLMCensusError as exc:  # the page will show the error when asked; the others are warmed
                    log.warning("dashboard: metric %s failed: %s", name, exc)

    # --- reloading -------------------------------------------------------------------------------------------------
    def _watch(self, every: float) -> None:
        while not self._closed.wait(every):
            try:
                self.reload()
            except LLMCensusError as exc:  # the next check tries again; the old snapshot keeps serving
                log.warning("dashboard: cannot reload the store: %s", exc)

    def reload(self, *, force: bool = False) -> bool:
        """Take a new snapshot when the store changed since the current one (or ``force``) and swap it in; returns
        whether it did. Called every ``reload_seconds`` by a background thread."""
        with self._reload_lock:
            old = self._state
            if self._closed.is_set() or not (force or old.snap.changed()):
                return False
            new = self._load(old.generation + 1)
            try:
                self._warm(new)  # before the swap, like the index: the new snapshot answers as fast as the old one
                if self.index is not None:
                    self.index.extend(sorted(new.known - old.known))  # before the swap: every host page is found
            except BaseException:
                new.close()
                raise
            with self._lock:
                self._state = new
                old.retired = True
                idle = old.users == 0
            if idle:
                old.close()
            log.info("dashboard: store reloaded (generation %d)", new.generation)
            return True

    @property
    def generation(self) -> int:
        """How many times the store was reloaded since start-up."""
        return self._state.generation

    @contextmanager
    def _using(self, state: _State | None = None) -> Iterator[_State]:
        """The current snapshot (or ``state``), kept open until the block ends."""
        with self._lock:
            state = state or self._state
            state.users += 1
        try:
            yield state
        finally:
            with self._lock:
                state.users -= 1
                last = state.retired and state.users == 0
            if last:
                state.close()

    def close(self) -> None:
        self._closed.set()
        self._warming.join()  # it stops after the metric it is computing: then the snapshot can go
        with self._reload_lock, self._lock:
            self._state.retired = True
            idle = self._state.users == 0
        if idle:
            self._state.close()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB cursor of its own for one request, on the current snapshot (DuckDB errors become
        ``DataError``)."""
        with self._using() as state:
            with self._lock:  # creating a cursor touches the parent connection: one thread at a time
                cur = state.snap.con.cursor()
            try:
                with db.errors("dashboard query"):
                    yield cur
            finally:
                cur.close()

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()``, once per snapshot (the host list, the activity, the dossier pages)."""
        with self._memo_lock:
            state = self._state
            if name not in state.memo:
                state.memo[name] = compute()
            value: T = state.memo[name]
            return value

    # --- addresses -----------------------------------------------------------------------------------------------
    @property
    def addresses(self) -> str:
        return "raw" if self.index is None else "pseudonymised"

    @property
    def pseudonymizer(self) -> Pseudonymizer | None:
        return None if self.index is None else self.index.pseudonymizer

    def show_address(self, ip: str) -> str:
        """``ip`` as every response shows it: its pseudonym (or ``ip`` itself in raw mode)."""
        if self.index is None:
            return ip
        try:
            return self.index.pseudonym(ip)
        except ValueError:
            return "(not an address)"

    def address_of(self, shown: str) -> str | None:
        """The address behind a pseudonym (in raw mode: the address itself, when the store knows it)."""
        if self.index is None:
            return shown if shown in self._state.known else None
        ip = self.index.address_of(shown)
        return ip if ip is not None and ip in self._state.known else None

    def scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            if value in self._state.known:
                return self.show_address(value)
            # an address inside text a host sent (an error, a header): the same pseudonym as everywhere
            return value if self.index is None else self.index.in_text(value)
        if isinstance(value, dict):
            return {k: self.show_address(v) if k in ADDRESS_COLUMNS and isinstance(v, str) else self.scrub_value(v)
                    for k, v in value.items()}  # fmt: skip
        if isinstance(value, list | tuple):
            return [self.scrub_value(v) for v in value]
        return value

    def scrub_table(self, table: pa.Table) -> pa.Table:
        """``table`` with every address column and every known address in a string column pseudonymised."""
        if self.index is None:
            return table
        columns = []
        for field, column in zip(table.schema, table.columns, strict=True):
            if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                values = column.to_pylist()
                if field.name in ADDRESS_COLUMNS:
                    new = [None if v is None else self.show_address(v) for v in values]
                else:
                    new = [self.scrub_value(v) for v in values]
                columns.append(column if new == values else pa.chunked_array([pa.array(new, type=field.type)]))
            elif pa.types.is_nested(field.type):
                values = column.to_pylist()
                new = [self.scrub_value(v) for v in values]
                columns.append(column if new == values else pa.chunked_array([pa.array(new, type=field.type)]))
            else:
                columns.append(column)
        return pa.Table.from_arrays(columns, schema=table.schema)

    # --- metrics ---------------------------------------------------------------------------------------------------
    def metric(self, name: str, params: dict[str, ParamValue] | None = None) -> pa.Table:
        """The result of metric ``name`` with ``params`` bound (defaults for the rest), addresses scrubbed; cached
        with the snapshot."""
        with self._using() as state:
            return self._metric(state, name, params)

    def _metric(self, state: _State, name: str, params: dict[str, ParamValue] | None) -> pa.Table:
        query = self.registry[name]
        key = (name, tuple(sorted((params or {}).items())))
        with self._lock:
            hit = state.cache.get(key)
            if hit is not None:
                state.cache.move_to_end(key)
                return hit
            cur = state.snap.con.cursor()
        try:
            with db.errors("dashboard query"):
                table = self.scrub_table(run_query(cur, query, params).table)
        finally:
            cur.close()
        with self._lock:
            state.cache[key] = table
            while len(state.cache) > CACHE_ENTRIES:
                state.cache.popitem(last=False)
        return table

    def rows(self, name: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.metric(name).to_pylist()
        return rows

    # --- hosts, activity, alerts -----------------------------------------------------------------------------------
    def _query(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        with self.cursor() as cur:
            table: pa.Table = cur.sql(sql, params=params).to_arrow_table()
            return table

    def hosts(self, limit: int, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """(how many addresses the store knows, one page of them), newest last day first: shown address, ports,
        first and last day, days with a runtime verdict, the latest runtime and version. The list is computed once
        per snapshot; only the page's addresses are pseudonymised."""
        table = self.memo("hosts", lambda: self._query(_HOSTS_SQL))
        rows: list[dict[str, Any]] = table.slice(offset, limit).to_pylist()
        for r in rows:
            r["host"] = self.show_address(r.pop("ip"))
        return table.num_rows, rows

    def host(self, shown: str) -> dict[str, Any] | None:
        """One host's history (per day and port: status, runtime, version, auth, model count) and its events; None
        when no host has that pseudonym."""
        ip = self.address_of(shown)
        if ip is None:
            return None
        with self.cursor() as cur:
            ids = [(int(e), int(p)) for e, p in cur.sql(_IDS_SQL, params={"ip": ip}).fetchall()]
            if not ids:
                return None
            sql = {"pairs": ", ".join(f"({e}, {p})" for e, p in ids), "endpoints": ", ".join(str(e) for e, _ in ids)}
            days = cur.sql(_HISTORY_SQL.format(**sql)).to_arrow_table().to_pylist()
            events = cur.sql(_EVENTS_SQL.format(**sql)).to_arrow_table().to_pylist()
        return {"host": self.show_address(ip), "days": self.scrub_value(days), "events": self.scrub_value(events)}

    def activity(self) -> list[dict[str, Any]]:
        """Per sweep day: observations (visits, every status) and hosts with a runtime verdict (once per
        snapshot)."""
        rows: list[dict[str, Any]] = self.memo("activity", lambda: self._query(_ACTIVITY_SQL).to_pylist())
        return list(rows)

    def alerts(self) -> list[dict[str, Any]]:
        """The monitor's alerts (``<data>/monitor/alerts.jsonl``), read on each call: the monitor appends to it."""
        try:
            rows = read_alerts(Layout(self.options.data_dir).monitor / "alerts.jsonl")
        except OSError as exc:
            raise DataError(f"cannot read the alerts: {exc.strerror}") from None
        scrubbed: list[dict[str, Any]] = self.scrub_value(rows)
        return scrubbed
