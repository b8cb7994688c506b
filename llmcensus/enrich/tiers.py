"""Network labels for an address: ``tier`` (study's coarse grouping) and ``asn_type``.

Both come with their source, and ``unknown`` is an explicit value (the study left 16 % of tier
labels and 19 % of ASN types null; we report our unknown share the same way).

tier, first rule that applies:

1. ``asn_list``       the ASN is in ``reference/data/network_tiers.csv`` -> that row's tier
                      (hyperscalers: AWS, Google, Azure, Oracle, IBM, Alibaba, Tencent, Huawei, Baidu).
2. ``category_rule``  the geo source's network category:
                      hosting / cdn / content -> ``indie_cloud``;
                      residential / cellular / transit / isp / mobile -> ``telecom_residential``;
                      education -> ``academic``; business / government / military -> ``enterprise``.
                      Other categories (infrastructure, non-profit, exchange …) stay ``unknown``:
                      none of the study's tiers fits them.
3. ``none``           nothing known -> ``unknown``.

asn_type: a listed hyperscaler ASN is ``hosting`` (``asn_list``: registrants often categorise cloud
ASNs as "business"); otherwise the category mapped onto ``ASN_TYPES`` (``category_rule``:
residential/isp -> fixed_access_telecom, cellular -> mobile, hosting/content/infrastructure ->
hosting, cdn, education, government/military -> government, business/non-profit -> business,
transit); ``none`` when absent.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

from llmcensus.enrich.schema import TIERS
from llmcensus.errors import DataError

_TIER_BY_CATEGORY: dict[str, str] = {
    "hosting": "indie_cloud",
    "cdn": "indie_cloud",
    "content": "indie_cloud",
    "residential": "telecom_residential",
    "cellular": "telecom_residential",
    "mobile": "telecom_residential",
    "isp": "telecom_residential",
    "transit": "telecom_residential",
    "education": "academic",
    "business": "enterprise",
    "government": "enterprise",
    "military": "enterprise",
}

_ASN_TYPE_BY_CATEGORY: dict[str, str] = {
    "residential": "fixed_access_telecom",
    "isp": "fixed_access_telecom",
    "cellular": "mobile",
    "mobile": "mobile",
    "hosting": "hosting",
    "content": "hosting",
    "infrastructure": "hosting",
    "cdn": "cdn",
    "education": "education",
    "government": "government",
    "military": "government",
    "business": "business",
    "non-profit": "business",
    "transit": "transit",
}

@lru_cache(maxsize=1)
def tier_asns() -> dict[int, str]:
    """ASN -> tier from ``network_tiers.csv`` (the simulator places cloud hosts in these ASNs)."""
    text = resources.files("llmcensus.reference").joinpath("data/network_tiers.csv").read_text(encoding="utf-8")
    out: dict[int, str] = {}
    for i, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            asn = int(row["asn"])
        except (KeyError, ValueError) as exc:
            raise DataError(f"network_tiers.csv:{i}: bad asn {row.get('asn')!r}") from exc
        tier = row.get("tier") or ""
        if tier not in TIERS:
            raise DataError(f"network_tiers.csv:{i}: unknown tier {tier!r}")
        out[asn] = tier
    return out


def classify(asn: int | None, category: str | None) -> tuple[str, str, str, str]:
    """(tier, tier_source, asn_type, asn_type_source) for one network."""
    cat = (category or "").strip().lower()
    listed = tier_asns().get(asn) if asn is not None else None
    if listed is not None:
        tier, tier_source = listed, "asn_list"
    elif cat in _TIER_BY_CATEGORY:
        tier, tier_source = _TIER_BY_CATEGORY[cat], "category_rule"
    else:
        tier, tier_source = "unknown", "none"
    if listed == "hyperscaler":  # cloud ASNs are often categorised "business" by their registrant
        asn_type, asn_type_source = "hosting", "asn_list"
    elif cat in _ASN_TYPE_BY_CATEGORY:
        asn_type, asn_type_source = _ASN_TYPE_BY_CATEGORY[cat], "category_rule"
    else:
        asn_type, asn_type_source = "unknown", "none"
    return tier, tier_source, asn_type, asn_type_source
