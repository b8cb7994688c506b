"""The address pool: public /24 blocks the bundled geo/ASN database places in known cells.

Simulated hosts get *real public addresses* so that enrichment recovers their geography honestly,
by looking the address up in the same database a user would. The simulator must therefore know,
before it places a host, which blocks the database puts in which (country, subdivision, ASN,
tier) cell. Looking addresses up costs ~0.3 ms each, so the pool is built once by
``build_pool`` (``llmcensus simulate build-pool``) and shipped in the package as
``simulate/data/geopool.parquet``; it is valid for the pinned ``plevin-db`` build recorded in its
metadata.

How it is built: for a curated list of networks that matter for the study's cells (hyperscalers,
the large Chinese, US and European access networks, academic networks) we sample addresses from
the prefixes each ASN announces; for the long tail we sample addresses uniformly from the public
IPv4 space. Each sampled address is looked up and its /24 recorded with the answer. A host placed
in a block gets an address inside that /24; geo databases label whole /24s alike in the vast
majority of cases, and the ground truth records what the database said for the sampled address
(``docs/simulation.md`` discusses the residual mismatch).

The simulator's *tier* of a block uses the same published rule as enrichment (hyperscaler ASN list,
then the database's network category), implemented here independently so that the enrichment
code is checked against it rather than copied from it.
"""

from __future__ import annotations

import csv
import ipaddress
import random
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.targets.blocklist import Blocklist

POOL_FILE = "data/geopool.parquet"

# ASNs sampled directly (beyond the hyperscaler list in reference/data/network_tiers.csv).
# Chosen for the study's cells: China's provinces, US states, the top-10 countries' access and VPS networks.
CURATED_ASNS: tuple[int, ...] = (
    # China: telecom/unicom/mobile backbones and provincial networks, CERNET
    4134,
    4837,
    4808,
    9808,
    4812,
    17621,
    17816,
    4538,
    24400,
    56046,
    58461,
    137697,
    134756,
    # United States: access, VPS, academic
    7922,
    7018,
    701,
    20115,
    22773,
    209,
    20001,
    14061,
    63949,
    20473,
    36352,
    46606,
    2152,
    1312,
    40387,
    54290,
    # Europe and the rest of the top 10
    3320,
    24940,
    51167,
    16276,
    12876,
    3215,
    5410,
    4766,
    9318,
    3786,
    17676,
    7545,
    4755,
    9829,
    24560,
    12389,
    8359,
    3216,
    12714,
    4657,
    7473,
    9506,
    45102,
    28573,
    18881,
    26599,
    2856,
    5089,
    5607,
    680,
    2200,
    786,
    14080,
)

BLOCK_FIELDS: list[pa.Field[Any]] = [
    pa.field("block", pa.uint32()),  # network address of the /24 as an integer
    pa.field("country", pa.string()),
    pa.field("subdivision", pa.string()),  # ISO 3166-2 (e.g. "CN-BJ"); null when the database has none
    pa.field("city", pa.string()),
    pa.field("asn", pa.int64()),
    pa.field("as_org", pa.string()),
    pa.field("category", pa.string()),  # the database's network category, verbatim
    pa.field("tier", pa.string()),
    pa.field("utc_offset_min", pa.int32()),  # the block's zone offset, for timestamps "in the host's zone"
]
POOL_SCHEMA = pa.schema(BLOCK_FIELDS)

CATEGORY_TIER = {
    "hosting": "indie_cloud",
    "cdn": "indie_cloud",
    "content": "indie_cloud",
    "residential": "telecom_residential",
    "cellular": "telecom_residential",
    "transit": "telecom_residential",
    "education": "academic",
    "business": "enterprise",
    "government": "enterprise",
    "military": "enterprise",
}


@lru_cache(maxsize=1)
def hyperscaler_asns() -> frozenset[int]:
    text = resources.files("llmcensus.reference").joinpath("data/network_tiers.csv").read_text()
    return frozenset(int(r["asn"]) for r in csv.DictReader(text.splitlines()) if r["tier"] == "hyperscaler")


def tier_of(asn: int | None, category: str | None) -> str:
    """The published tier rule: hyperscaler ASN list first, then the database's category."""
    if asn is not None and asn in hyperscaler_asns():
        return "hyperscaler"
    if category is None:
        return "unknown"
    return CATEGORY_TIER.get(category, "unknown")


def _offset_minutes(text: str | None) -> int:
    if not text or len(text) < 6:
        return 0
    sign = -1 if text[0] == "-" else 1
    return sign * (int(text[1:3]) * 60 + int(text[4:6]))


def _record(found: Any) -> dict[str, Any] | None:
    place = found.place
    net = found.network
    if place is None or place.country is None or place.country.code is None:
        return None
    city = place.city
    region = city.region if city is not None else None
    op = net.operator if net is not None else None
    asn = net.asn if net is not None else None
    category = op.category if op is not None else None
    return {
        "block": (found.number >> 8) << 8,
        "country": place.country.code,
        "subdivision": region.iso if region is not None else None,
        "city": city.name if city is not None else None,
        "asn": asn,
        "as_org": (op.company if op is not None else None) or (net.handle if net is not None else None),
        "category": category,
        "tier": tier_of(asn, category),
        "utc_offset_min": _offset_minutes(place.time.utc_offset if place.time is not None else None),
    }


def _sample_routes(asn: int, k: int, rnd: random.Random) -> Iterable[int]:
    import plevin

    spans = plevin.routes(asn).ipv4
    total = sum(s.addresses for s in spans)
    if total == 0:
        return []
    starts = [int(ipaddress.ip_address(s.start)) for s in spans]
    sizes = [s.addresses for s in spans]
    out = []
    for _ in range(k):
        x = rnd.randrange(total)
        for start, size in zip(starts, sizes, strict=True):
            if x < size:
                out.append(start + x)
                break
            x -= size
    return out


def build_pool(out: Path, *, per_asn: int = 400, random_samples: int = 150_000, seed: int = 20261004) -> int:
    """Sample, look up and write the pool. Returns the number of distinct blocks written."""
    import plevin

    db = plevin.database()
    rnd = random.Random(seed)
    blocklist = Blocklist.default()
    asns = sorted(set(CURATED_ASNS) | hyperscaler_asns())
    candidates: list[int] = []
    for asn in asns:
        candidates.extend(_sample_routes(asn, per_asn, rnd))
    while len(candidates) < len(asns) * per_asn + random_samples:
        x = rnd.getrandbits(32)
        if not blocklist.contains_int(x):
            candidates.append(x)
    seen: dict[int, dict[str, Any]] = {}
    for number in candidates:
        block = (number >> 8) << 8
        if block in seen:
            continue
        rec = _record(db.lookup(block + 1 + (number & 0xFF) % 254))
        if rec is not None:
            rec["block"] = block
            seen[block] = rec
    rows = sorted(seen.values(), key=lambda r: r["block"])
    table = pa.Table.from_pylist(rows, schema=POOL_SCHEMA)
    meta = {b"plevin_db": str(db.built).encode(), b"seed": str(seed).encode()}
    table = table.replace_schema_metadata(meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(out)
    return len(rows)


def asns_of(addresses: Iterable[int]) -> list[int | None]:
    """The ASN the bundled database gives for each IPv4 address (an int), as enrichment reads it (None when it has
    none). A pool block carries the answer for one sampled address of its /24; a more specific announcement inside
    the block (a /29 of another network inside a /13, say) answers for its own addresses. About 0.4 ms an address:
    the ground truth looks up the hosts it counts ASNs of, nothing else does."""
    import plevin

    db = plevin.database()
    out: list[int | None] = []
    for number in addresses:
        net = db.lookup(int(number)).network
        out.append(int(net.asn) if net is not None and net.asn else None)
    return out


@lru_cache(maxsize=1)
def load_pool() -> pa.Table:
    """The bundled pool (read once per process)."""
    with resources.as_file(resources.files("llmcensus.simulate").joinpath(POOL_FILE)) as path:
        return pq.read_table(path)


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / POOL_FILE
    print(build_pool(target), "blocks written to", target)
