"""The published study's figures as data, each tied to the metric and cell that recomputes it here.

Source: SentinelLABS + Censys, "Silent Brothers | Ollama Hosts Form Anonymous AI Network Beyond Platform
Guardrails" (2026-01-29) and its press coverage; see ``../shared/reference/study.md`` §1 for row numbers. A
``where`` selects the result row (column -> value); ``rank`` selects the n-th row instead (1-based) for rankings.
``approx`` marks figures the study gives in words ("nearly", "slightly more than") or that are derived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Published:
    key: str
    label: str
    value: float | str
    metric: str
    column: str
    where: dict[str, Any] = field(default_factory=dict)
    rank: int | None = None
    kind: str = "count"  # count | share | text | number
    approx: bool = False
    study_row: str = ""


PUBLISHED: tuple[Published, ...] = (
    Published("observations", "Observations", 7_230_000, "population_summary", "observations", approx=True,
              study_row="1"),
    Published("unique_hosts", "Unique hosts", 175_108, "population_summary", "unique_hosts", study_row="2"),
    Published("window_days", "Study duration (days)", 293, "population_summary", "window_days", study_row="3"),
    Published("countries", "Countries", 130, "population_summary", "countries", study_row="4"),
    Published("asns", "ASNs", 4_032, "population_summary", "asns", study_row="5"),
    Published("obs_per_host", "Observations per host (mean)", 41.3, "population_summary",
              "mean_observations_per_host", kind="number", approx=True, study_row="6"),
    Published("persistent_host_share", "Hosts with > 100 observations", 0.13, "persistence_buckets", "host_share",
              {"bucket": "over_threshold"}, kind="share", study_row="8"),
    Published("persistent_obs_share", "... their share of observations", 0.76, "persistence_buckets",
              "observation_share", {"bucket": "over_threshold"}, kind="share", approx=True, study_row="8"),
    Published("single_host_share", "Hosts seen exactly once", 0.36, "persistence_buckets", "host_share",
              {"bucket": "exactly_1"}, kind="share", study_row="9"),
    Published("single_obs_share", "... their share of observations (< 1 %)", 0.01, "persistence_buckets",
              "observation_share", {"bucket": "exactly_1"}, kind="share", approx=True, study_row="9"),
    Published("persistent_hosts", "Persistent core (hosts)", 23_000, "headline", "value",
              {"scope": "all", "figure": "persistent_hosts"}, approx=True, study_row="10"),
    Published("fixed_telecom_share", "ASN type fixed-access telecom", 0.56, "asn_types", "host_share",
              {"asn_type": "fixed_access_telecom"}, kind="share", study_row="11"),
    Published("hyperscaler_share", "Tier hyperscaler", 0.32, "tiers", "host_share", {"tier": "hyperscaler"},
              kind="share", study_row="12"),
    Published("telecom_tier_share", "Tier telecom/residential", 0.32, "tiers", "host_share",
              {"tier": "telecom_residential"}, kind="share", study_row="12"),
    Published("tier_unknown_share", "Tier label null", 0.16, "tiers", "host_share", {"tier": "unknown"},
              kind="share", study_row="13"),
    Published("asn_type_unknown_share", "ASN type null", 0.19, "asn_types", "host_share", {"asn_type": "unknown"},
              kind="share", study_row="13"),
    Published("cn_share", "China, share of hosts", 0.30, "countries", "host_share", {"country": "CN"},
              kind="share", approx=True, study_row="15"),
    Published("us_share", "United States, share of hosts", 0.20, "countries", "host_share", {"country": "US"},
              kind="share", approx=True, study_row="15"),
    Published("virginia_share", "Virginia, share of US hosts", 0.18, "subdivision_concentration", "share",
              {"concentration": "virginia"}, kind="share", study_row="16"),
    Published("beijing_share", "Beijing, share of CN hosts", 0.30, "subdivision_concentration", "share",
              {"concentration": "beijing"}, kind="share", study_row="17"),
    Published("shanghai_guangdong_share", "Shanghai + Guangdong, share of CN hosts", 0.21,
              "subdivision_concentration", "share", {"concentration": "shanghai_guangdong"}, kind="share",
              study_row="17"),
    Published("family_1", "Family #1 by hosts", "llama", "family_ranking", "family", rank=1, kind="text",
              study_row="18"),
    Published("family_2", "Family #2 by hosts", "qwen2", "family_ranking", "family", rank=2, kind="text",
              study_row="18"),
    Published("family_3", "Family #3 by hosts", "gemma2", "family_ranking", "family", rank=3, kind="text",
              study_row="18"),
    Published("family_4", "Family #4 by hosts", "qwen3", "family_ranking", "family", rank=4, kind="text",
              study_row="18"),
    Published("family_5", "Family #5 by hosts", "nomic-bert", "family_ranking", "family", rank=5, kind="text",
              study_row="18"),
    Published("portfolio_2_3", "Hosts with 2-3 models", 0.41, "portfolio_size", "host_share", {"portfolio": "2-3"},
              kind="share", study_row="21"),
    Published("public_library", "Public-library hosts (>= 20 models)", 0.0146, "public_library_hosts",
              "host_share", kind="share", study_row="22"),
    Published("llama_qwen2_hosts", "llama + qwen2 hosts", 40_694, "codeployment_pairs", "hosts",
              {"family_a": "llama", "family_b": "qwen2"}, study_row="23"),
    Published("llama_qwen2_share", "... share of multi-family hosts", 0.52, "codeployment_pairs",
              "multi_family_share", {"family_a": "llama", "family_b": "qwen2"}, kind="share", study_row="23"),
    Published("q4_k_m_hosts", "Hosts with a Q4_K_M model", 0.48, "quantization", "host_share",
              {"quantization_level": "Q4_K_M"}, kind="share", study_row="24"),
    Published("bits_4", "4-bit share of instances", 0.72, "bit_width", "instance_share", {"bits": "4"},
              kind="share", study_row="25"),
    Published("bits_16", "16-bit share of instances", 0.19, "bit_width", "instance_share", {"bits": "16"},
              kind="share", study_row="25"),
    Published("band_8_14", "Hosts with an 8-14B model", 0.26, "parameter_bands", "host_share",
              {"param_band": "8-14B"}, kind="share", study_row="27"),
    # capability shares as hosts report them (a model's own list, v0.6.4+), the study's reading: "hosts on older
    # versions return no capabilities, so the shares depend on the version mix" (study.md, /api/show row)
    Published("tools", "Tool-capable hosts", 0.48, "capability_coverage", "share_reported",
              {"capability": "tools"},
              kind="share", approx=True, study_row="28"),
    Published("completion_tools", "[completion, tools] hosts", 0.38, "completion_tools", "share_including",
              kind="share", study_row="29"),
    Published("vision", "Vision-capable hosts", 0.22, "capability_coverage", "share_reported",
              {"capability": "vision"},
              kind="share", study_row="30"),
    Published("thinking", "Thinking-capable hosts", 0.26, "capability_coverage", "share_reported",
              {"capability": "thinking"}, kind="share", study_row="31"),
    Published("guardrail_hosts", "Hosts with guardrail-removal templates (>=)", 201, "headline", "value",
              {"scope": "all", "figure": "guardrail_removal_hosts"}, study_row="34"),
    Published("prompt_visible", "Hosts with a visible system prompt", 0.25, "system_prompt_visibility",
              "host_share", kind="share", approx=True, study_row="35"),
    Published("misuse_share", "Visible prompts with misuse potential", 0.075, "misuse_categories",
              "share_of_visible", {"category": "any"}, kind="share", approx=True, study_row="36"),
    # tool-capable as #28 reads it: what hosts report (high_capability_availability's *_reported columns)
    Published("hcha_hosts", "High-capability, high-availability hosts", 5_000, "high_capability_availability",
              "hosts_reported", approx=True, study_row="38"),
    Published("hcha_uptime", "... their mean uptime", 0.87, "high_capability_availability", "mean_uptime_reported",
              kind="share", study_row="38"),
    Published("hcha_running", "... their mean running models", 1.8, "high_capability_availability",
              "mean_running_models_reported", kind="number", study_row="38"),
)  # fmt: skip


def lookup(rows: list[dict[str, Any]], item: Published) -> Any:
    """This dataset's value for a published figure, or None when the result has no such row."""
    if item.rank is not None:
        return rows[item.rank - 1].get(item.column) if len(rows) >= item.rank else None
    for row in rows:
        if all(row.get(k) == v for k, v in item.where.items()):
            return row.get(item.column)
    return None
