"""Geo, ASN and tier labels: the bundled plevin database, MaxMind precedence, the tier rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcensus.enrich.geo import GeoLookup, geo_table, plevin_label
from llmcensus.enrich.schema import ASN_TYPES, GEO_SCHEMA, TIERS
from llmcensus.enrich.tiers import _ASN_TYPE_BY_CATEGORY, _TIER_BY_CATEGORY, classify, tier_asns
from llmcensus.errors import DataError


@pytest.fixture(scope="module")
def look() -> GeoLookup:
    return GeoLookup()


@pytest.mark.parametrize(
    ("ip", "country", "subdivision", "asn", "tier"),
    [
        ("1.1.1.1", "AU", "AU-QLD", 13335, "indie_cloud"),  # Cloudflare: hosting, not a listed hyperscaler
        ("8.8.8.8", "US", "US-CA", 15169, "hyperscaler"),  # Google: in network_tiers.csv
        ("52.95.110.1", "US", "US-WA", 16509, "hyperscaler"),  # AWS, categorised "business" by its registrant
        ("129.97.1.1", "CA", "CA-ON", 12093, "academic"),  # University of Waterloo
    ],
)
def test_real_addresses(look: GeoLookup, ip: str, country: str, subdivision: str, asn: int, tier: str) -> None:
    row = look.lookup(ip)
    assert (row["country"], row["subdivision"], row["asn"], row["tier"]) == (country, subdivision, asn, tier)
    assert row["geo_source"] == plevin_label() and row["geo_source"].startswith("plevin-db 20")
    assert row["as_org"] and row["city"]


def test_unknowns_are_explicit(look: GeoLookup) -> None:
    for ip in ("10.0.0.1", "not-an-ip", "127.0.0.1"):
        row = look.lookup(ip)
        assert row["country"] is None and row["asn"] is None
        assert (row["tier"], row["tier_source"], row["asn_type"], row["asn_type_source"]) == (
            "unknown", "none", "unknown", "none")


def test_each_distinct_record_is_looked_up_once() -> None:
    look = GeoLookup()
    first = look.lookup("1.1.1.1")
    for _ in range(3):
        assert look.lookup("1.1.1.1") == first
    look.lookup("1.1.1.2")  # same database record as 1.1.1.1
    assert look.lookups == 1


def test_tier_rules() -> None:
    assert classify(16509, "business") == ("hyperscaler", "asn_list", "hosting", "asn_list")
    assert classify(64500, "hosting") == ("indie_cloud", "category_rule", "hosting", "category_rule")
    assert classify(64500, "residential") == ("telecom_residential", "category_rule", "fixed_access_telecom",
                                              "category_rule")
    assert classify(64500, "cellular")[::2] == ("telecom_residential", "mobile")
    assert classify(64500, "transit")[::2] == ("telecom_residential", "transit")
    assert classify(64500, "education")[::2] == ("academic", "education")
    assert classify(64500, "government")[::2] == ("enterprise", "government")
    assert classify(64500, "business")[::2] == ("enterprise", "business")
    assert classify(None, None) == ("unknown", "none", "unknown", "none")
    assert classify(64500, "something-new") == ("unknown", "none", "unknown", "none")
    assert set(_TIER_BY_CATEGORY.values()) <= set(TIERS)
    assert set(_ASN_TYPE_BY_CATEGORY.values()) <= set(ASN_TYPES)
    assert set(tier_asns().values()) <= set(TIERS) and 16509 in tier_asns()


def _mmdb(tmp: Path) -> tuple[Path, Path]:
    from mmdb_writer import MmdbU32, MMDBWriter
    from netaddr import IPSet

    city = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City", languages=["en"])
    city.insert_network(
        IPSet(["1.1.1.0/24"]),
        {
            "country": {"iso_code": "NZ"},
            "subdivisions": [{"iso_code": "AUK", "names": {"en": "Auckland"}}],
            "city": {"names": {"en": "Auckland"}},
        },
    )
    asn = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN", languages=["en"])
    asn.insert_network(
        IPSet(["1.1.1.0/24"]),
        {"autonomous_system_number": MmdbU32(15169), "autonomous_system_organization": "Example Org"},
    )
    paths = tmp / "City.mmdb", tmp / "ASN.mmdb"
    city.to_db_file(str(paths[0]))
    asn.to_db_file(str(paths[1]))
    return paths


def test_maxmind_files_take_precedence(tmp_path: Path) -> None:
    city, asn = _mmdb(tmp_path)
    look = GeoLookup(city, asn)
    row = look.lookup("1.1.1.1")
    assert (row["country"], row["subdivision"], row["subdivision_name"], row["city"]) == (
        "NZ", "NZ-AUK", "Auckland", "Auckland")
    assert (row["asn"], row["as_org"]) == (15169, "Example Org")
    assert row["as_category"] == "hosting"  # plevin's category for the MaxMind ASN
    assert row["tier"] == "hyperscaler"
    assert row["geo_source"] == "maxmind:City.mmdb+maxmind-asn:ASN.mmdb"
    other = look.lookup("8.8.8.8")  # not in the MaxMind files: plevin answers, and says so
    assert other["country"] == "US" and other["geo_source"] == plevin_label()
    look.close()


def test_bad_mmdb_is_a_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a database")
    with pytest.raises(DataError):
        GeoLookup(bad)


def test_geo_table_schema() -> None:
    table = geo_table(["1.1.1.1", "8.8.8.8", "bogus"])
    assert table.schema == GEO_SCHEMA and table.num_rows == 3


def test_parallel_lookups_equal_sequential_ones_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmcensus.enrich import geo

    ips = sorted({f"{a}.{b}.7.1" for a in (1, 8, 23, 45, 61, 104, 151, 185, 203, 218) for b in (3, 77, 130)})
    sequential = [geo.GeoLookup().lookup(ip) for ip in ips]
    monkeypatch.setattr(geo, "PARALLEL_MIN_ADDRESSES", 0)
    look = geo.GeoLookup()
    parallel = geo.lookup_many(ips, look, workers=2)
    assert parallel == sequential
    assert look.lookups > 0
