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
SELECT i.ip, list(DISTINCT i.port ORDER BY i.port) AS ports, min(d.day) AS first_day, max(d.day) AS last_day,
       count(DISTINCT d.day) AS days, arg_max(d.runtime, d.day) AS runtime, arg_max(d.version, d.day) AS version
FROM endpoint_ids i JOIN endpoint_days d USING (endpoint, host)
GROUP BY i.ip ORDER BY last_day DESC, first_day, i.ip
"""
_HISTORY_SQL = """
SELECT d.day, i.port, d.status, d.runtime, d.version, d.auth, d.models, d.proxy
FROM endpoint_days d JOIN endpoint_ids i USING (endpoint, host) WHERE i.ip = $ip ORDER BY d.day, i.port
"""
_EVENTS_SQL = """
SELECT day, port, kind, runtime, subject, previous FROM events WHERE ip = $ip ORDER BY day, port, kind, subject
"""
_ACTIVITY_SQL = """
SELECT s.day, s.visits AS observations, coalesce(h.hosts, 0) AS hosts
FROM sweep_days s LEFT JOIN (SELECT day, count(DISTINCT host) AS hosts FROM endpoint_days GROUP BY day) h USING (day)
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
        self._cache: OrderedDict[tuple[str, tuple[tuple[str, ParamValue], ...]], pa.Table] = OrderedDict()
        self.pseudonymizer = None if options.raw_addresses else Pseudonymizer.for_data(options.data_dir)
        with self.cursor() as cur:
            addresses = [r[0] for r in cur.sql("SELECT DISTINCT ip FROM endpoint_ids WHERE ip IS NOT NULL").fetchall()]
        self._known = frozenset(addresses)
        self._by_pseudonym: dict[str, str] = {}
        if self.pseudonymizer is not None:
            for ip in addresses:
                try:
                    self._by_pseudonym[self.pseudonymizer.pseudonym(ip)] = ip
                except ValueError:
                    continue  # not an address (a store written by a test or another tool): never served

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
        return self._by_pseudonym.get(shown)

    def scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.show_address(value) if value in self._known else value
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
    def hosts(self) -> list[dict[str, Any]]:
        """Every address the store knows, newest last day first: shown address, ports, first and last day, days
        with a runtime verdict, the latest runtime and version."""
        with self.cursor() as cur:
            rows: list[dict[str, Any]] = cur.sql(_HOSTS_SQL).to_arrow_table().to_pylist()
        for r in rows:
            r["host"] = self.show_address(r.pop("ip"))
        return rows

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
        """Per sweep day: observations (visits, every status) and hosts with a runtime verdict."""
        with self.cursor() as cur:
            rows: list[dict[str, Any]] = cur.sql(_ACTIVITY_SQL).to_arrow_table().to_pylist()
        return rows

    def alerts(self) -> list[dict[str, Any]]:
        """The monitor's alerts (``<data>/monitor/alerts.jsonl``), read on each call: the monitor appends to it."""
        try:
            rows = read_alerts(Layout(self.options.data_dir).monitor / "alerts.jsonl")
        except OSError as exc:
            raise DataError(f"cannot read the alerts: {exc.strerror}") from None
        scrubbed: list[dict[str, Any]] = self.scrub_value(rows)
        return scrubbed
