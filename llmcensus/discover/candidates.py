"""The candidates dataset: every (ip, port) any channel told us about, with where it came from.

Layout: ``<data>/candidates/part-<UTC time>-<channel>-<id>.parquet``. Each import or sweep adds
parts and never rewrites one (written to a hidden temp file, then renamed, so a reader never sees
half a part). Within a part (ip, port) is unique; across parts it is not: readers deduplicate with
``CANDIDATES_SQL`` (``read_candidates`` does), merging ``sources`` and ``labels`` and keeping the
earliest ``first_seen``.

Columns (``CANDIDATE_SCHEMA``), and how to read them:
* ``ip`` — canonical text form (IPv4-mapped IPv6 folded to IPv4); the public identity to probe.
* ``port`` — TCP port.
* ``scheme`` — ``http`` / ``https`` when a source said so (TLS seen, ``HTTPS`` service name, an
  ``https://`` URL); null = no hint, the probe decides.
* ``sources`` — channel names that reported this (ip, port): censys, shodan, fofa, masscan, zmap,
  list, sweep. Sorted, distinct.
* ``first_seen`` — UTC; the earliest time any source says it saw the service, or the import time
  when the source gives none.
* ``labels`` — what the sources said: ``{source, key, value}`` (product, title, banner, …).

The probe reads only ``ip``, ``port`` and ``scheme``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.discover.formats import Candidate
from llmcensus.errors import DataError
from llmcensus.store.db import connect, errors, quote
from llmcensus.store.layout import Layout

LABEL = pa.struct([pa.field("source", pa.string()), pa.field("key", pa.string()), pa.field("value", pa.string())])

_FIELDS: list[pa.Field[Any]] = [
    pa.field("ip", pa.string(), nullable=False),
    pa.field("port", pa.int32(), nullable=False),
    pa.field("scheme", pa.string()),
    pa.field("sources", pa.list_(pa.string()), nullable=False),
    pa.field("first_seen", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("labels", pa.list_(LABEL)),
]
CANDIDATE_SCHEMA = pa.schema(_FIELDS)

# Parts past this many distinct (ip, port) are flushed, so a huge export never sits in memory whole.
MAX_ROWS_PER_PART = 500_000


def candidates_dir(data_dir: str | Path) -> Path:
    return Layout(data_dir).candidates


def candidates_glob(data_dir: str | Path) -> str:
    return str(candidates_dir(data_dir) / "part-*.parquet")


# The deduplicated view over every part; ``{glob}`` is the parts glob as a SQL literal (``store.db.quote``).
# Shared by the probe's reader, the channel report and tests so that "one candidate" means the same thing
# everywhere.
CANDIDATES_SQL = """
SELECT
    ip,
    port,
    arg_min(scheme, first_seen) FILTER (WHERE scheme IS NOT NULL) AS scheme,
    list_sort(list_distinct(flatten(list(sources)))) AS sources,
    min(first_seen) AS first_seen,
    list_distinct(flatten(list(labels))) AS labels
FROM read_parquet({glob})
GROUP BY ip, port
"""


def candidates_view_sql(data_dir: str | Path, name: str = "candidates") -> str:
    """``CREATE VIEW <name>`` over the deduplicated candidates of ``data_dir``."""
    return f"CREATE OR REPLACE VIEW {name} AS {CANDIDATES_SQL.format(glob=quote(candidates_glob(data_dir)))}"


@dataclass(slots=True)
class _Acc:
    scheme: str | None
    first_seen: datetime
    sources: set[str]
    labels: dict[tuple[str, str, str], None] = field(default_factory=dict)  # ordered set


class CandidateWriter:
    """Deduplicates candidates on (ip, port) and writes them as new parts of the dataset.

    ``add`` merges: sources and labels accumulate, the earliest ``first_seen`` wins, the first
    non-null scheme hint wins. ``close`` (or leaving the ``with`` block) writes what is pending.
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        tag: str = "import",
        now: datetime | None = None,
        max_rows_per_part: int = MAX_ROWS_PER_PART,
    ) -> None:
        self.directory = candidates_dir(data_dir)
        self.tag = "".join(c if c.isalnum() or c in "-_" else "_" for c in tag)[:40] or "import"
        self.now = (now or datetime.now(UTC)).astimezone(UTC)
        self.max_rows = max_rows_per_part
        self.parts: list[Path] = []
        self.rows_written = 0
        self._pending: dict[tuple[str, int], _Acc] = {}

    def __enter__(self) -> CandidateWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, cand: Candidate) -> None:
        key = (cand.ip, cand.port)
        seen = cand.first_seen or self.now
        acc = self._pending.get(key)
        if acc is None:
            acc = self._pending[key] = _Acc(cand.scheme, seen, {cand.source})
        else:
            acc.sources.add(cand.source)
            if seen < acc.first_seen:
                acc.first_seen = seen
            if acc.scheme is None:
                acc.scheme = cand.scheme
        for k, v in cand.labels:
            acc.labels[(cand.source, k, v)] = None
        if len(self._pending) >= self.max_rows:
            self.flush()

    def add_all(self, cands: Iterable[Candidate]) -> None:
        for cand in cands:
            self.add(cand)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> Path | None:
        if not self._pending:
            return None
        items = sorted(self._pending.items())
        self._pending = {}
        table = pa.Table.from_pydict(_columns(items), schema=CANDIDATE_SCHEMA)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = self.now.strftime("%Y%m%dT%H%M%SZ")
        final = self.directory / f"part-{stamp}-{self.tag}-{uuid.uuid4().hex[:12]}.parquet"
        tmp = self.directory / f".tmp-{final.name}"
        try:
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DataError(f"cannot write candidates part {final}: {exc.strerror or exc}") from None
        self.parts.append(final)
        self.rows_written += table.num_rows
        return final

    def close(self) -> list[Path]:
        self.flush()
        return self.parts


def _columns(items: list[tuple[tuple[str, int], _Acc]]) -> dict[str, list[Any]]:
    return {
        "ip": [ip for (ip, _), _ in items],
        "port": [port for (_, port), _ in items],
        "scheme": [acc.scheme for _, acc in items],
        "sources": [sorted(acc.sources) for _, acc in items],
        "first_seen": [acc.first_seen for _, acc in items],
        "labels": [[{"source": s, "key": k, "value": v} for s, k, v in acc.labels] for _, acc in items],
    }


def read_candidates(data_dir: str | Path, columns: Iterable[str] | None = None) -> pa.Table:
    """Deduplicated candidates of ``data_dir`` (empty table with the schema when there are none)."""
    if not any(candidates_dir(data_dir).glob("part-*.parquet")):
        table = CANDIDATE_SCHEMA.empty_table()
        return table.select(list(columns)) if columns is not None else table
    cols = ", ".join(columns) if columns is not None else "*"
    sql = CANDIDATES_SQL.format(glob=quote(candidates_glob(data_dir)))
    con = connect()
    try:
        with errors(f"cannot read candidates in {candidates_dir(data_dir)}"):
            result: pa.Table = con.sql(f"SELECT {cols} FROM ({sql}) ORDER BY ip, port").to_arrow_table()
    finally:
        con.close()
    return result
