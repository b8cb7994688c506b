"""A pseudonymised copy of the observations, for sharing with other researchers (``llmcensus export``, issue #21).

The copy has the layout of a data folder's observations (``observations/YYYY-MM-DD/part-*.parquet``, whatever
layout the source used, in the current schema, model lists inline rather than in an inventory store) so pandas,
pyarrow, DuckDB and Polars load it as they load the original, and ``llmcensus`` itself reads it as a data folder.
Beside it: ``manifest.json`` and ``README.txt`` (scheme, source, window, counts). Every part is written atomically
(``writer.write_parquet_atomic``); the manifest is written last, so an export without one was interrupted.

Where an address can be, and what is done there (``docs/dashboard.md``, "Sharing data"):

* ``ip`` and ``dial_ip``: the address itself, replaced by its Crypto-PAn pseudonym under the data folder's key
  (``llmcensus.pseudonym``: the dashboard's pseudonyms, so a host has one name in both). A value that is not an
  address becomes ``not-an-address-<keyed hash>`` (distinct values stay distinct, none is shown).
* ``observation_id``: ``sha1(sweep_id|ip|port)[:24]``, a hash of the address that anyone can reverse by trying the
  address space; recomputed over the pseudonym, so it stays unique and stable across exports with the same key.
* Free text, where a host or a library can quote an address (``error``, ``server_header``, ``runtime_data``, the
  string fields of ``models``, ``running`` and ``exchanges``): every IPv4 or IPv6 literal in it is replaced by its
  pseudonym. ``version`` is left alone (a software version can look like a dotted quad, and is never an address).
* Raw reply bodies are not copied: the ``bodies/`` store is left behind and the inline ``exchanges.body_zstd`` of
  older rows is emptied (null); ``body_hash`` stays, naming a body that is not in the export. A body can hold
  anything a host chose to say, addresses included. ``show/``, ``enrich/`` and the store are not exported either.

Host names that embed an address (``1-2-3-4.example.net``, reverse-DNS names) are not recognised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from llmcensus.errors import DataError, UsageError
from llmcensus.observations.inventories import Inventories
from llmcensus.observations.reader import check_parts
from llmcensus.observations.schema import OBSERVATION_SCHEMA, SCHEMA_VERSION
from llmcensus.observations.writer import _fsync_dir, write_parquet_atomic
from llmcensus.pseudonym import Pseudonymizer, load_or_create_key, map_strings, text_scrubber
from llmcensus.store.layout import Layout

SCHEME = ("Crypto-PAn (Xu, Fan, Ammar and Moon, 2002) via yacryptopan: keyed, deterministic, prefix-preserving; "
          "the key is the source data folder's pseudonym.key and is not exported")
RAW_WARNING = "RAW ADDRESSES: this export holds the real IP addresses of the hosts. Do not publish or share it."
ADDRESS_COLUMNS = ("ip", "dial_ip")
# Left as they are: never an address, and a dotted-quad-looking version must stay what the host said.
NOT_TEXT = frozenset({"version", "ip", "dial_ip", "observation_id", "sweep_id", "source", "scheme", "status",
                      "auth", "runtime", "day"})
_META = {b"llmcensus.schema_version": str(SCHEMA_VERSION).encode()}


@dataclass
class ExportResult:
    """What ``export_observations`` wrote."""

    out: Path
    observations: int = 0
    parts: int = 0
    days: list[str] = field(default_factory=list)
    sweeps: list[str] = field(default_factory=list)
    addresses: int = 0  # distinct values of ``ip`` exported
    raw_addresses: bool = False
    since: str | None = None
    until: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"out": str(self.out), "observations": self.observations, "parts": self.parts, "days": self.days,
                "sweeps": self.sweeps, "addresses": self.addresses, "raw_addresses": self.raw_addresses,
                "since": self.since, "until": self.until}


class _Mapper:
    """Address -> pseudonym (and free text -> free text with its address literals replaced), cached per value."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._pan = Pseudonymizer(key)

    def address(self, value: str) -> str:
        try:
            return self._pan.pseudonym(value)
        except ValueError:
            digest = hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:16]
            return f"not-an-address-{digest}"

    def text(self, value: str) -> str:
        return self._pan.in_text(value)


def _pseudonymise(table: pa.Table, mapper: _Mapper) -> pa.Table:
    for name in ADDRESS_COLUMNS:
        col = table.column(name)
        uniq = pc.unique(col).drop_null()
        mapped = pa.array([mapper.address(str(v)) for v in uniq.to_pylist()], type=pa.string())
        new = pc.take(mapped, pc.index_in(col, value_set=uniq))
        table = table.set_column(table.schema.get_field_index(name), table.schema.field(name), new)
    ids = [hashlib.sha1(f"{s}|{ip}|{p}".encode()).hexdigest()[:24] for s, ip, p in zip(
        table.column("sweep_id").to_pylist(), table.column("ip").to_pylist(), table.column("port").to_pylist(),
        strict=True)]  # the writer's observation_id, over the pseudonym (writer.observation_id)
    i = table.schema.get_field_index("observation_id")
    table = table.set_column(i, table.schema.field(i), pa.array(ids, pa.string()))
    scrub = text_scrubber(mapper.text, NOT_TEXT)
    for i, f in enumerate(table.schema):
        if f.name not in NOT_TEXT:
            chunks = [map_strings(c, scrub, f.name, drop_binary=True) for c in table.column(i).chunks]
            table = table.set_column(i, f, pa.chunked_array(chunks, type=f.type))
    return table


def _without_bodies(table: pa.Table) -> pa.Table:
    i = table.schema.get_field_index("exchanges")
    chunks = [map_strings(c, lambda _p, a: a, "exchanges", drop_binary=True) for c in table.column(i).chunks]
    return table.set_column(i, table.schema.field(i), pa.chunked_array(chunks, type=table.schema.field(i).type))


def _inline_models(table: pa.Table, inventories: Inventories) -> pa.Table:
    """Model lists inline, as v1 and v2 rows hold them: the export is self-contained (no inventory store) and its
    model strings are pseudonymised like every other free text."""
    table = inventories.resolve(table)
    for name in ("inventory_hash", "model_show_status"):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, table.schema.field(i), pa.nulls(table.num_rows, table.schema.field(i).type))
    return table


def check_destination(data_dir: Path, out: Path) -> None:
    """Refuse (``UsageError``, nothing written) an ``out`` that is the data folder, inside it, or not empty."""
    src, dst = data_dir.resolve(), out.resolve()
    if dst == src or src in dst.parents:
        raise UsageError(f"--out {out} is inside the data folder {data_dir}: export to a folder of its own")
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise UsageError(f"--out {out} exists and is not an empty folder: export to a new or empty folder")


def export_observations(data_dir: str | Path, out: str | Path, *, since: dt.date | None = None,
                        until: dt.date | None = None, raw_addresses: bool = False,
                        progress: Callable[[str, int, int | None], None] | None = None) -> ExportResult:
    """Copy the committed observations of ``data_dir`` from ``since`` to ``until`` (inclusive UTC days; open ends
    by default) to ``out`` with every address pseudonymised (the module doc), unless ``raw_addresses``.
    ``progress("export", done, total)`` is called as each part file is written."""
    data, dest = Path(data_dir), Path(out)
    if not Layout(data).observations.is_dir():
        raise UsageError(f"{data}: no observations to export (not a data folder?)")
    if since is not None and until is not None and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    check_destination(data, dest)
    lo, hi = since or dt.date.min, until or dt.date.max
    days = [(day, d) for day, d in Layout(data).day_dirs() if lo.isoformat() <= day <= hi.isoformat()]
    files = [(day, p) for day, d in days for p in sorted(d.glob("*.parquet"))]
    if not files:
        raise UsageError(f"{data}: no observations from {since or 'the first day'} to {until or 'the last day'}")
    check_parts(p for _, p in files)
    mapper = None if raw_addresses else _Mapper(load_or_create_key(data))
    result = ExportResult(dest, raw_addresses=raw_addresses, since=None if since is None else since.isoformat(),
                          until=None if until is None else until.isoformat())  # fmt: skip
    sweeps: set[str] = set()
    addresses: set[str] = set()
    dest.mkdir(parents=True, exist_ok=True)
    layout = Layout(dest)
    inventories = Inventories(Layout(data).inventories)
    for day, path in files:
        try:  # the current schema whatever the file's (a v1 part reads with runtime_data null)
            table = ds.dataset([str(path)], format="parquet", schema=OBSERVATION_SCHEMA).to_table()
        except (OSError, pa.ArrowException) as exc:
            raise DataError(f"{path}: unreadable observation file: {exc}") from None
        table = _inline_models(table, inventories)
        table = _without_bodies(table) if mapper is None else _pseudonymise(table, mapper)
        write_parquet_atomic(table.replace_schema_metadata(_META), layout.day_dir(day) / path.name)
        result.observations += table.num_rows
        result.parts += 1
        if progress is not None:
            progress("export", result.parts, len(files))
        if day not in result.days:
            result.days.append(day)
        sweeps.update(str(v) for v in pc.unique(table.column("sweep_id")).to_pylist())
        addresses.update(str(v) for v in pc.unique(table.column("ip")).to_pylist())
    result.sweeps, result.addresses = sorted(sweeps), len(addresses)
    _write_notes(data, result)
    return result


def _write_notes(data: Path, result: ExportResult) -> None:
    raw = result.raw_addresses
    doc: dict[str, Any] = {
        "producer": "llmcensus export",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "addresses": "RAW" if raw else "pseudonymised",
        "warning": RAW_WARNING if raw else None,
        "scheme": None if raw else SCHEME,
        "pseudonymised": None if raw else ["ip", "dial_ip", "observation_id (recomputed over the pseudonym)",
                                           "address literals in every free-text field (not version)"],
        "not_included": ["raw reply bodies (bodies/, exchanges.body_zstd emptied; body_hash kept)", "show/",
                         "enrich/", "store/", "sweeps/"],
        "source": {"data_folder": data.resolve().name, "sweeps": result.sweeps},
        "window": {"since": result.since, "until": result.until, "days": result.days},
        "counts": {"observations": result.observations, "parts": result.parts, "days": len(result.days),
                   "addresses": result.addresses},
        "schema_version": SCHEMA_VERSION,
        "layout": "observations/YYYY-MM-DD/part-<sweep>-<seq>.parquet (docs/schema.md)",
    }
    window = f"{result.since or 'the first day'} to {result.until or 'the last day'}"
    lines = [
        "llmcensus export: observations of internet-exposed LLM servers",
        "",
        *([RAW_WARNING, ""] if raw else []),
        f"Source: data folder {doc['source']['data_folder']!s}, sweeps {', '.join(result.sweeps) or 'none'}.",
        f"Window: {window} ({len(result.days)} days); {result.observations} observations in {result.parts} parts, "
        f"{result.addresses} distinct addresses.",
        "",
        "Addresses: " + ("RAW (real IP addresses)." if raw else (
            "pseudonymised with " + SCHEME + ". A pseudonym looks like an address and is NOT the host: never probe "
            "one. Two hosts sharing an n-bit prefix have pseudonyms sharing n bits. Pseudonymised: ip, dial_ip, "
            "observation_id (recomputed over the pseudonym) and every address literal in free-text fields.")),
        "Not included: raw reply bodies (they can hold anything a host said, addresses included; body_hash names a "
        "body that is not here), the /api/show data, enrichment and the store.",
        "",
        "Load: pandas.read_parquet('observations'), pyarrow.dataset.dataset('observations'), or in DuckDB "
        "SELECT * FROM read_parquet('observations/**/*.parquet'). Fields: docs/schema.md of llmcensus.",
    ]
    (result.out / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (result.out / "manifest.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    _fsync_dir(result.out)
