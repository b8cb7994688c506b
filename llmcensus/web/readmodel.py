"""What the server reads, built once at start-up: the analysis relations, the pseudonym index, the alerts.

One in-memory DuckDB connection holds every relation the metrics read (``store.derive.attach`` with
``refresh=False``: the server never writes the store, it reads it as of its last update). DuckDB connections are
not safe to share between threads, and FastAPI runs each request in a worker thread: every query goes through
``cursor()``, a new DuckDB cursor (its own connection to the same in-memory database) per call. Metric results are
cached by (name, parameters): the relations do not change while the server runs, so a result computed once is the
answer until restart.

Addresses: ``endpoint_ids`` lists every (ip, port) the store knows; the pseudonym index maps each address's
pseudonym back to it (built at start-up: ~0.2 ms per IPv4 address) so that ``/api/hosts/{pseudonym}`` can find a
host without ever taking a raw address from the client. ``scrub`` replaces every value in an address column, and any
string equal to a known address anywhere else, by its pseudonym, unless the server runs with raw addresses.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from llmcensus.analyze.registry import ParamValue, Query, load_registry
from llmcensus.analyze.run import run_query
from llmcensus.errors import DataError
from llmcensus.monitor.alerts import read_alerts
from llmcensus.pseudonym import Pseudonymizer
from llmcensus.store import db
from llmcensus.store.derive import ViewParams, attach
from llmcensus.store.layout import Layout

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
_HISTORY_SQL = """
SELECT d.day, i.port, d.status, d.runtime, d.version, d.auth, d.models, d.proxy
FROM endpoint_days d JOIN endpoint_ids i USING (endpoint, host) WHERE i.ip = $ip ORDER BY d.day, i.port
"""
_EVENTS_SQL = """
SELECT day, port, kind, runtime, subject, previous FROM events WHERE ip = $ip ORDER BY day, port, kind, subject
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
    raw (``--raw-addresses``) instead of pseudonymised."""

    data_dir: Path
    host_key: str = "ip"
    raw_addresses: bool = False


class ReadModel:
    """The server's read-only view of one data folder."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.registry: dict[str, Query] = load_registry()
        self._con = db.connect()
        try:
            attach(self._con, options.data_dir, ViewParams(host_key=options.host_key), refresh=False)
        except BaseException:
            self._con.close()
            raise
        self._lock = threading.Lock()
        self._hosts: pa.Table | None = None
        self._activity: list[dict[str, Any]] | None = None
        self._cache: OrderedDict[tuple[str, tuple[tuple[str, ParamValue], ...]], pa.Table] = OrderedDict()
        self.pseudonymizer = None if options.raw_addresses else Pseudonymizer.for_data(options.data_dir)
        with self.cursor() as cur:
            addresses = [r[0] for r in cur.sql("SELECT DISTINCT ip FROM endpoint_ids WHERE ip IS NOT NULL").fetchall()]
        self._known = frozenset(addresses)
        self._by_pseudonym: dict[str, str] = {}
        # the reverse index costs about 0.2 ms an address (a minute at seed scale): it is built in the background,
        # so the server answers at once; only a lookup by pseudonym (a host page) waits for it
        self._indexed = threading.Event()
        threading.Thread(target=self._index, args=(addresses,), name="pseudonym-index", daemon=True).start()

    def _index(self, addresses: list[str]) -> None:
        try:
            if self.pseudonymizer is not None:
                for ip in addresses:
                    try:
                        self._by_pseudonym[self.pseudonymizer.pseudonym(ip)] = ip
                    except ValueError:
                        continue  # not an address (a store written by a test or another tool): never served
        finally:
            self._indexed.set()

    def close(self) -> None:
        self._con.close()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB cursor of its own for one request (DuckDB errors become ``DataError``)."""
        with self._lock:  # creating a cursor touches the parent connection: one thread at a time
            cur = self._con.cursor()
        try:
            with db.errors("dashboard query"):
                yield cur
        finally:
            cur.close()

    # --- addresses -----------------------------------------------------------------------------------------------
    @property
    def addresses(self) -> str:
        return "raw" if self.pseudonymizer is None else "pseudonymised"

    def show_address(self, ip: str) -> str:
        """``ip`` as every response shows it: its pseudonym (or ``ip`` itself in raw mode)."""
        if self.pseudonymizer is None:
            return ip
        try:
            return self.pseudonymizer.pseudonym(ip)
        except ValueError:
            return "(not an address)"

    def address_of(self, shown: str) -> str | None:
        """The address behind a pseudonym (in raw mode: the address itself, when the store knows it)."""
        if self.pseudonymizer is None:
            return shown if shown in self._known else None
        self._indexed.wait()
        return self._by_pseudonym.get(shown)

    def scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            if value in self._known:
                return self.show_address(value)
            # an address inside text a host sent (an error, a header): the same pseudonym as everywhere
            return value if self.pseudonymizer is None else self.pseudonymizer.in_text(value)
        if isinstance(value, dict):
            return {k: self.show_address(v) if k in ADDRESS_COLUMNS and isinstance(v, str) else self.scrub_value(v)
                    for k, v in value.items()}  # fmt: skip
        if isinstance(value, list | tuple):
            return [self.scrub_value(v) for v in value]
        return value

    def scrub_table(self, table: pa.Table) -> pa.Table:
        """``table`` with every address column and every known address in a string column pseudonymised."""
        if self.pseudonymizer is None:
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
        """The result of metric ``name`` with ``params`` bound (defaults for the rest), addresses scrubbed; cached."""
        query = self.registry[name]
        key = (name, tuple(sorted((params or {}).items())))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        with self.cursor() as cur:
            table = self.scrub_table(run_query(cur, query, params).table)
        with self._lock:
            self._cache[key] = table
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return table

    def rows(self, name: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.metric(name).to_pylist()
        return rows

    # --- hosts, activity, alerts -----------------------------------------------------------------------------------
    def hosts(self, limit: int, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """(how many addresses the store knows, one page of them), newest last day first: shown address, ports,
        first and last day, days with a runtime verdict, the latest runtime and version. The list is computed once
        (the server never writes the store); only the page's addresses are pseudonymised."""
        with self._lock:
            if self._hosts is None:
                cur = self._con.cursor()
                try:
                    with db.errors("dashboard query"):
                        self._hosts = cur.sql(_HOSTS_SQL).to_arrow_table()
                finally:
                    cur.close()
            table = self._hosts
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
            days = cur.sql(_HISTORY_SQL, params={"ip": ip}).to_arrow_table().to_pylist()
            events = cur.sql(_EVENTS_SQL, params={"ip": ip}).to_arrow_table().to_pylist()
        return {"host": self.show_address(ip), "days": self.scrub_value(days), "events": self.scrub_value(events)}

    def activity(self) -> list[dict[str, Any]]:
        """Per sweep day: observations (visits, every status) and hosts with a runtime verdict (computed once: the
        server never writes the store)."""
        if self._activity is None:
            with self.cursor() as cur:
                self._activity = cur.sql(_ACTIVITY_SQL).to_arrow_table().to_pylist()
        return list(self._activity)

    def alerts(self) -> list[dict[str, Any]]:
        """The monitor's alerts (``<data>/monitor/alerts.jsonl``), read on each call: the monitor appends to it."""
        try:
            rows = read_alerts(Layout(self.options.data_dir).monitor / "alerts.jsonl")
        except OSError as exc:
            raise DataError(f"cannot read the alerts: {exc.strerror}") from None
        scrubbed: list[dict[str, Any]] = self.scrub_value(rows)
        return scrubbed
