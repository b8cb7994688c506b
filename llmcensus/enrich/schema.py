"""Enrichment datasets: derived, keyed, never rewriting observations.

Enrichment computes each answer once per *distinct key* (an address, a model identity, a prompt)
and writes it as its own Parquet dataset under ``<data>/enrich/<name>/``; analytics join them to
observations in DuckDB. Keys:

* ``geo``     one row per distinct ``ip``                -> observations.ip
* ``models``  one row per distinct ``(name, digest)``    -> unnest(observations.models).{name, digest}
* ``prompts`` one row per distinct system-prompt sha256  -> sha256(unnest(observations.models).system)

Capability labels per model instance are a SQL view over observations (``enrich/sql/``), because
they depend only on columns already in the observation (reported list, template flags, families).

Every label carries its source; ``unknown`` is a value, never a silent null, so that shares can
report their unknown part explicitly.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

ENRICH_SCHEMA_VERSION = 1

TIERS = ("hyperscaler", "indie_cloud", "telecom_residential", "academic", "enterprise", "unknown")
ASN_TYPES = (
    "fixed_access_telecom",
    "mobile",
    "hosting",
    "cdn",
    "education",
    "government",
    "business",
    "transit",
    "unknown",
)
PARAM_BANDS = ("<1B", "1-3B", "4-7B", "8-14B", "15-34B", "35-70B", ">70B", "unknown")
CAPABILITIES = ("completion", "tools", "insert", "vision", "embedding", "thinking", "image", "audio")

_GEO: list[pa.Field[Any]] = [
    pa.field("ip", pa.string(), nullable=False),
    pa.field("country", pa.string()),  # ISO 3166-1 alpha-2; null = unknown
    pa.field("subdivision", pa.string()),  # ISO 3166-2, e.g. "CN-BJ", "US-VA"; null = unknown
    pa.field("subdivision_name", pa.string()),
    pa.field("city", pa.string()),
    pa.field("asn", pa.int64()),
    pa.field("as_org", pa.string()),
    pa.field("as_category", pa.string()),  # the source's own network category, verbatim
    pa.field("tier", pa.string(), nullable=False),  # one of TIERS
    pa.field("tier_source", pa.string(), nullable=False),  # asn_list | category_rule | none
    pa.field("asn_type", pa.string(), nullable=False),  # one of ASN_TYPES
    pa.field("asn_type_source", pa.string(), nullable=False),
    pa.field("geo_source", pa.string(), nullable=False),  # "plevin-db 2026.10.4.2" | "maxmind:<file>"
]
GEO_SCHEMA = pa.schema(_GEO)

_MODELS: list[pa.Field[Any]] = [
    pa.field("name", pa.string(), nullable=False),
    pa.field("digest", pa.string()),
    pa.field("namespace", pa.string()),  # library | user namespace | hf org | null for local models
    pa.field("registry", pa.string()),  # registry.ollama.ai | hf.co | huggingface.co | other host
    pa.field("base_name", pa.string()),  # model part without namespace and tag
    pa.field("tag", pa.string()),
    pa.field("lineage", pa.string(), nullable=False),  # e.g. "deepseek-r1", "qwen2.5-coder"; "unknown"
    pa.field("lineage_confidence", pa.float32(), nullable=False),  # 0..1
    pa.field("lineage_evidence", pa.list_(pa.string())),  # e.g. ["digest:library", "name:base"]
    pa.field("lab", pa.string(), nullable=False),  # e.g. "Meta"; "unknown"
    pa.field("lab_country", pa.string(), nullable=False),  # ISO alpha-2 or "unknown"
    pa.field("is_derivative", pa.bool_(), nullable=False),
    pa.field("derivative_kind", pa.string()),  # namespace | hf | local | null (official)
    pa.field("is_official", pa.bool_(), nullable=False),  # digest matches the library's tag hash
    pa.field("is_cloud", pa.bool_(), nullable=False),  # :cloud / -cloud / remote_host
    pa.field("quant_bits", pa.float32()),  # 4 for Q4_K_M, 16 for F16, 4.25 for MXFP4? -> see docs; null unknown
    pa.field("param_b", pa.float64()),  # parameters in billions; null unknown
    pa.field("param_band", pa.string(), nullable=False),  # one of PARAM_BANDS
    pa.field("uncensored_name", pa.bool_(), nullable=False),  # name marker (abliterated, uncensored, dolphin…)
    pa.field("uncensored_marker", pa.string()),
    pa.field("upstream_lineage", pa.string()),  # what the lineage was tuned/distilled from; null = none/unknown
]
MODELS_SCHEMA = pa.schema(_MODELS)

_PROMPTS: list[pa.Field[Any]] = [
    pa.field("prompt_sha", pa.string(), nullable=False),  # sha256 hex of the exact system prompt text
    pa.field("cluster_id", pa.string(), nullable=False),  # stable id of its exact/near-duplicate cluster
    pa.field("cluster_kind", pa.string(), nullable=False),  # singleton | exact | near
    pa.field("guardrail_removal", pa.bool_(), nullable=False),
    pa.field("misuse_categories", pa.list_(pa.string())),  # hacking, hate_harassment, violence_gore, …
    pa.field("rule_ids", pa.list_(pa.string())),  # which documented rules fired
    pa.field("length", pa.int32(), nullable=False),
    pa.field("hosts", pa.int64(), nullable=False),  # distinct ips showing this exact prompt
    pa.field("cluster_size", pa.int32(), nullable=False),  # distinct prompt texts in the cluster
    pa.field("cluster_hosts", pa.int64(), nullable=False),  # sum of hosts over the cluster's texts
]
PROMPTS_SCHEMA = pa.schema(_PROMPTS)

MISUSE_CATEGORIES = (
    "hacking",
    "hate_harassment",
    "violence_gore",
    "personal_data_theft",
    "scams_fraud",
    "csam",  # detect and report only; the project never generates such content
)
