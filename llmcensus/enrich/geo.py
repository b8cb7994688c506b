"""Where an address is: country, subdivision, city, ASN, AS organisation, network category.

Sources and precedence (docs/enrichment.md):

* default: the bundled **plevin** database (``plevin-db`` on PyPI, offline, pinned build), which
  answers every field including the operator's network category;
* a user's MaxMind GeoLite2/GeoIP2 **City** ``.mmdb`` replaces country / subdivision / city, and a
  MaxMind **ASN** ``.mmdb`` replaces ASN / AS organisation, for every address they have a record
  for (others keep plevin's answer; ``geo_source`` names the source row by row). MaxMind has no network category, so
  the category is still plevin's, taken for the *MaxMind* ASN (``plevin.system(asn)``) so that
  the category always describes the ASN shown.

Cost: a plevin lookup costs ~0.1-0.3 ms, so enrichment looks up each *distinct* address once and
joins in DuckDB. Inside plevin every answer depends only on the database record the address falls
in; we cache our row per record (exact, unlike a per-/24 cache, which would be faster on sparse
data but would give a whole /24 the answer of its first address where ranges split inside it).

This module is the one boundary where plevin and maxminddb errors become ``DataError``.
"""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa

from llmcensus.enrich.schema import GEO_SCHEMA
from llmcensus.enrich.tiers import classify
from llmcensus.errors import DataError

GeoRow = dict[str, Any]
_LOCATION_FIELDS = ("country", "subdivision", "subdivision_name", "city")
_NETWORK_FIELDS = ("asn", "as_org", "as_category")


def plevin_label() -> str:
    try:
        return f"plevin-db {metadata.version('plevin-db')}"
    except metadata.PackageNotFoundError:
        return "plevin-db unknown"


def _empty() -> GeoRow:
    return {k: None for k in (*_LOCATION_FIELDS, *_NETWORK_FIELDS)}


def _from_plevin_result(result: Any) -> GeoRow:
    row = _empty()
    place = getattr(result, "place", None)
    if place is not None:
        country = getattr(place, "country", None)
        row["country"] = getattr(country, "code", None) or None
        city = getattr(place, "city", None)
        if city is not None:
            row["city"] = city.name or None
            region = getattr(city, "region", None)
            if region is not None:
                row["subdivision"] = region.iso or None
                row["subdivision_name"] = region.name or None
    network = getattr(result, "network", None)
    if network is not None:
        row["asn"] = network.asn or None
        operator = getattr(network, "operator", None)
        # the operator's company, else the network handle; the category is the operator's own
        # (per ASN). carrier.user_type is not used: it is plevin's per-address guess derived from
        # that same category, and mixing the two would make the tier depend on the address.
        row["as_org"] = (operator.company if operator is not None else None) or network.handle or None
        row["as_category"] = (operator.category if operator is not None else None) or None
    return row


class GeoLookup:
    """Looks addresses up in plevin, overridden by MaxMind files when given."""

    def __init__(self, geo_mmdb: str | Path | None = None, asn_mmdb: str | Path | None = None) -> None:
        try:
            import plevin

            self._plevin: Any = plevin
            self._db: Any = plevin.database()
        except Exception as exc:  # the one boundary: any failure to open the bundled database
            raise DataError(f"the bundled plevin database cannot be opened: {exc}") from exc
        self._city: Any = self._open(geo_mmdb) if geo_mmdb else None
        self._asn: Any = self._open(asn_mmdb) if asn_mmdb else None
        self._plevin_source = plevin_label()
        self._city_source = f"maxmind:{Path(geo_mmdb).name}" if geo_mmdb else ""
        self._asn_source = f"+maxmind-asn:{Path(asn_mmdb).name}" if asn_mmdb else ""
        # what the dataset as a whole was built from (the manifest compares it between runs)
        self.source = " | ".join(x for x in (self._plevin_source, self._city_source, self._asn_source) if x)
        self._by_record: dict[Any, GeoRow] = {}
        self._category_by_asn: dict[int, str | None] = {}
        self.lookups = 0  # plevin lookups actually made (distinct records), for the summary

    @staticmethod
    def _open(path: str | Path) -> Any:
        import maxminddb

        try:
            return maxminddb.open_database(str(path))
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise DataError(f"{path}: not a readable MaxMind database: {exc}") from exc

    def _plevin_row(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> GeoRow:
        key: Any = None
        try:
            key = (ip.version, self._db.file.locate(int(ip), ip.version == 6))
        except Exception:  # internals moved: fall back to one lookup per address (still correct)
            key = None
        if key is not None and key in self._by_record:
            return dict(self._by_record[key])
        self.lookups += 1
        try:
            row = _from_plevin_result(self._plevin.lookup(str(ip)))
        except Exception as exc:
            raise DataError(f"plevin lookup of {ip} failed: {exc}") from exc
        if key is not None:
            self._by_record[key] = row
        return dict(row)

    def _category(self, asn: int) -> str | None:
        if asn not in self._category_by_asn:
            system = self._plevin.system(asn)
            net = getattr(system, "network", None)
            op = getattr(net, "operator", None)
            self._category_by_asn[asn] = getattr(op, "category", None) or None
        return self._category_by_asn[asn]

    def lookup(self, ip_text: str) -> GeoRow:
        """One row of the geo dataset (every GEO_SCHEMA column).

        A MaxMind file answers every address it covers; addresses it has no record for keep the
        plevin answer, and ``geo_source`` says per row which source answered.
        """
        source = self._plevin_source
        try:
            ip = ipaddress.ip_address(ip_text.strip())
        except ValueError:
            row = _empty()
        else:
            row = self._plevin_row(ip)
            if self._city is not None and self._apply_city(row, self._city.get(str(ip))):
                source = self._city_source
            if self._asn is not None and self._apply_asn(row, self._asn.get(str(ip))):
                source += self._asn_source
        tier, tier_source, asn_type, asn_type_source = classify(row["asn"], row["as_category"])
        row.update(
            ip=ip_text,
            tier=tier,
            tier_source=tier_source,
            asn_type=asn_type,
            asn_type_source=asn_type_source,
            geo_source=source,
        )
        return row

    @staticmethod
    def _apply_city(row: GeoRow, rec: Any) -> bool:
        if not isinstance(rec, dict):
            return False
        country = (rec.get("country") or rec.get("registered_country") or {}).get("iso_code")
        row.update(country=country, subdivision=None, subdivision_name=None, city=None)
        subs = rec.get("subdivisions") or []
        if subs and isinstance(subs[0], dict):
            iso = subs[0].get("iso_code")
            row["subdivision"] = f"{country}-{iso}" if country and iso else None
            row["subdivision_name"] = (subs[0].get("names") or {}).get("en")
        row["city"] = ((rec.get("city") or {}).get("names") or {}).get("en")
        return True

    def _apply_asn(self, row: GeoRow, rec: Any) -> bool:
        if not isinstance(rec, dict):
            return False
        asn = rec.get("autonomous_system_number")
        if not isinstance(asn, int) or asn <= 0:
            return False
        row["asn"] = asn
        row["as_org"] = rec.get("autonomous_system_organization")
        row["as_category"] = self._category(asn)
        return True

    def close(self) -> None:
        for reader in (self._city, self._asn):
            if reader is not None:
                reader.close()


def geo_table(
    ips: Iterable[str], *, geo_mmdb: str | Path | None = None, asn_mmdb: str | Path | None = None
) -> pa.Table:
    """The geo dataset rows for these (distinct) addresses."""
    look = GeoLookup(geo_mmdb, asn_mmdb)
    try:
        rows = [look.lookup(ip) for ip in ips]
    finally:
        look.close()
    return pa.Table.from_pylist(rows, schema=GEO_SCHEMA)


def _lookup_chunk(args: tuple[list[str], str | None, str | None]) -> tuple[list[GeoRow], int]:
    ips, geo_mmdb, asn_mmdb = args
    look = GeoLookup(geo_mmdb, asn_mmdb)
    try:
        return [look.lookup(ip) for ip in ips], look.lookups
    finally:
        look.close()


PARALLEL_MIN_ADDRESSES = 20_000  # below this, starting worker processes costs more than it saves


def lookup_many(ips: list[str], look: GeoLookup, *, geo_mmdb: str | Path | None = None,
                asn_mmdb: str | Path | None = None, workers: int | None = None) -> list[GeoRow]:
    """Look many (sorted) addresses up, one contiguous chunk per core for large sets.

    plevin is pure Python and CPU-bound (~0.3 ms per database record), so the lookups of a first
    enrichment of a big study are spread over worker processes; contiguous chunks keep each worker's
    per-record reuse (sorted addresses share records). Results come back in input order.
    """
    n_workers = workers or os.cpu_count() or 1
    if n_workers < 2 or len(ips) < PARALLEL_MIN_ADDRESSES:
        return [look.lookup(ip) for ip in ips]
    size = -(-len(ips) // n_workers)
    chunks = [(ips[i:i + size], str(geo_mmdb) if geo_mmdb else None, str(asn_mmdb) if asn_mmdb else None)
              for i in range(0, len(ips), size)]
    ctx = multiprocessing.get_context("spawn")
    rows: list[GeoRow] = []
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
        for part, lookups in pool.map(_lookup_chunk, chunks):
            rows.extend(part)
            look.lookups += lookups
    return rows
