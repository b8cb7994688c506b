"""Every metric query on the tiny hand-made dataset of ``tests/analyze_data.py``, against answers worked out by hand.

The table in ``analyze_data``'s docstring is the whole dataset; the comment above each expectation shows the
arithmetic. Thresholds are lowered so that the tiny dataset exercises every bucket: persistent_min_obs = 2,
public_library_min_models = 3, exposure_min_uptime = 0.5, commodity_weights_gb = 8, dimension_min_hosts = 2,
clone_farm_min_hosts = 2, multi_port_min_ports = 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from analyze_data import fixture_advisories, write_runtimes, write_tiny
from analyze_expected_observatory import OBSERVATORY_EXPECTED, RUNTIME_EXPECTED

from llmcensus.analyze.registry import load_registry
from llmcensus.analyze.run import StudyResults, headline, run_study
from llmcensus.store.derive import ViewParams

M1, M2 = dt.date(2025, 3, 1), dt.date(2025, 4, 1)
# the lineage parameters are lowered so that a host is exposed, a model is too big and a small cell is left out
PARAMS: dict[str, int | float | str] = {"persistent_min_obs": 2, "public_library_min_models": 3,
                                        "exposure_min_uptime": 0.5, "commodity_weights_gb": 8,
                                        "dimension_min_hosts": 2}
VIEW = ViewParams(clone_farm_min_hosts=2, multi_port_min_ports=2)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> StudyResults:
    root = write_tiny(tmp_path_factory.mktemp("tiny"))
    with fixture_advisories():
        return run_study(root, view_params=VIEW, params=PARAMS)


def rows(study: StudyResults, name: str) -> list[dict[str, Any]]:
    return study[name].rows()


def check(actual: list[dict[str, Any]], expected: list[dict[str, Any]], *, ordered: bool = True) -> None:
    """Each expected row must equal the actual row in the given columns (floats to 1e-9)."""
    assert len(actual) == len(expected), actual
    if not ordered:
        key = next(iter(expected[0]))
        actual = sorted(actual, key=lambda r: str(r[key]))
        expected = sorted(expected, key=lambda r: str(r[key]))
    for got, want in zip(actual, expected, strict=True):
        for col, value in want.items():
            assert got[col] == pytest.approx(value, abs=1e-9) if isinstance(value, float) else got[col] == value, (
                col,
                got,
                want,
            )


EXPECTED: dict[str, tuple[list[dict[str, Any]], bool]] = {
    # 14 visits; 12 successful Ollama obs (A4 B2 C1 D1 E1 F1 G2); 7 hosts; countries CN US DE FR; ASNs 100..500;
    # host-days A4 B2 C1 D1 E1 F1 G1 = 11
    "population_summary": (
        [
            {
                "visits": 14,
                "observations": 12,
                "unique_hosts": 7,
                "countries": 4,
                "asns": 5,
                "first_day": dt.date(2025, 3, 30),
                "last_day": dt.date(2025, 4, 2),
                "window_days": 4,
                "mean_observations_per_host": 12 / 7,
                "host_days": 11,
                "mean_host_days_per_host": 11 / 7,
            }
        ],
        True,
    ),
    # exactly 1: C D E F (4 obs); 2..2: B G (4 obs); > 2: A (4 obs)
    "persistence_buckets": (
        [
            {"bucket": "exactly_1", "hosts": 4, "host_share": 4 / 7, "observations": 4, "observation_share": 4 / 12},
            {"bucket": "from_2_to_threshold", "hosts": 2, "host_share": 2 / 7, "observations": 4},
            {
                "bucket": "over_threshold",
                "hosts": 1,
                "host_share": 1 / 7,
                "observations": 4,
                "observation_share": 4 / 12,
            },
        ],
        True,
    ),
    # uptime = host-days / sweep days since first seen: A 4/4, B 2/4, C 1/3, D 1/1, E 1/2, F 1/2, G 1/1
    "uptime_distribution": (
        [
            {"bucket": "from_0_25_to_0_5", "hosts": 1, "mean_uptime": 1 / 3},
            {"bucket": "from_0_5_to_0_75", "hosts": 3, "host_share": 3 / 7, "mean_uptime": 0.5},
            {"bucket": "from_0_75_to_1", "hosts": 3, "mean_uptime": 1.0},
            {"bucket": "all", "hosts": 7, "mean_uptime": (1 + 0.5 + 1 / 3 + 1 + 0.5 + 0.5 + 1) / 7},
        ],
        True,
    ),
    # tools hosts A B E F (all four report it: v0.6.4+); uptime >= 0.8: only A; A's running counts where /api/ps
    # read: 1, 0, 2
    "high_capability_availability": (
        [{"hosts": 1, "host_share": 1 / 7, "mean_uptime": 1.0, "mean_running_models": 1.0, "hosts_reported": 1,
          "host_share_reported": 1 / 7, "mean_uptime_reported": 1.0, "mean_running_models_reported": 1.0}],
        True,
    ),
    # first seen: A B D1, C D2, E F D3, D G D4; last seen: C D2, B E F D3, A D G D4
    "births_deaths": (
        [
            {"day": dt.date(2025, 3, 30), "active_hosts": 2, "births": None, "deaths": 0, "churn": None},
            {"day": dt.date(2025, 3, 31), "active_hosts": 2, "births": 1, "deaths": 1, "churn": 1.0},
            {"day": dt.date(2025, 4, 1), "active_hosts": 4, "births": 2, "deaths": 3, "churn": 5 / 4},
            {"day": dt.date(2025, 4, 2), "active_hosts": 3, "births": 2, "deaths": None},
        ],
        True,
    ),
    # M1 {A B C}; M2 {A B D E F G}: new D E F G, retained A B, lost C, churn 1/3
    "monthly_churn": (
        [
            {"month": M1, "active_hosts": 3, "new_hosts": None, "churn_rate": None},
            {"month": M2, "active_hosts": 6, "new_hosts": 4, "retained_hosts": 2, "lost_hosts": 1, "churn_rate": 1 / 3},
        ],
        True,
    ),
    "countries": (
        [
            {"country": "CN", "hosts": 2, "host_share": 2 / 7, "rank": 1},
            {"country": "DE", "hosts": 2, "rank": 1},
            {"country": "FR", "hosts": 1, "rank": 3},
            {"country": "US", "hosts": 1, "rank": 3},
            {"country": "unknown", "hosts": 1, "rank": 3},
        ],
        True,
    ),
    "subdivisions": (
        [
            {"country": "CN", "subdivision": "CN-BJ", "share_of_country": 0.5},
            {"country": "CN", "subdivision": "CN-SH", "share_of_country": 0.5},
            {"country": "DE", "subdivision": "DE-BE", "share_of_country": 0.5},
            {"country": "DE", "subdivision": "DE-HE", "share_of_country": 0.5},
            {"country": "FR", "subdivision": "unknown", "share_of_country": 1.0},
            {"country": "US", "subdivision": "US-VA", "share_of_country": 1.0},
            {"country": "unknown", "subdivision": "unknown", "hosts": 1},
        ],
        True,
    ),
    "subdivision_concentration": (
        [
            {"concentration": "beijing", "hosts": 1, "country_hosts": 2, "share": 0.5},
            {"concentration": "shanghai_guangdong", "hosts": 1, "share": 0.5},
            {"concentration": "virginia", "hosts": 1, "country_hosts": 1, "share": 1.0},
        ],
        True,
    ),
    # A C hyperscaler, E F indie, B telecom, D (no geo) and G unknown
    "tiers": (
        [
            {"tier": "hyperscaler", "hosts": 2},
            {"tier": "indie_cloud", "hosts": 2},
            {"tier": "unknown", "hosts": 2, "host_share": 2 / 7},
            {"tier": "telecom_residential", "hosts": 1},
        ],
        True,
    ),
    "asn_types": (
        [
            {"asn_type": "hosting", "hosts": 4},
            {"asn_type": "unknown", "hosts": 2},
            {"asn_type": "fixed_access_telecom", "hosts": 1, "host_share": 1 / 7},
        ],
        True,
    ),
    "tier_asn_type": (
        [
            {"tier": "hyperscaler", "asn_type": "hosting", "hosts": 2},
            {"tier": "indie_cloud", "asn_type": "hosting", "hosts": 2},
            {"tier": "unknown", "asn_type": "unknown", "hosts": 2},
            {"tier": "telecom_residential", "asn_type": "fixed_access_telecom", "hosts": 1},
        ],
        True,
    ),
    # hyperscaler: A (4 obs, running read on D1 D2 D3: 1, 0, 2 -> 2 of 3 running) + C (ps not read); models 2,2,2,2,1
    "tier_profile": (
        [
            {
                "tier": "hyperscaler",
                "hosts": 2,
                "observations": 5,
                "mean_observations_per_host": 2.5,
                "running_share": 2 / 3,
                "mean_inventory_size": 9 / 5,
            },
            {"tier": "indie_cloud", "hosts": 2, "running_share": 0.0, "mean_inventory_size": 1.0},
            {"tier": "unknown", "hosts": 2, "observations": 3, "running_share": 0.0, "mean_inventory_size": 1.0},
            {"tier": "telecom_residential", "hosts": 1, "running_share": 0.5, "mean_inventory_size": 2.5},
        ],
        True,
    ),
    # hyperscaler: A llama3 Q4_K_M x4 + nomic F16 x4, C Q4_0 x1; tier hosts A C (D and G are the unknown tier)
    "quantization_by_tier": (
        [
            {"tier": "hyperscaler", "quantization_level": "F16", "instances": 4, "rank": 1},
            {
                "tier": "hyperscaler",
                "quantization_level": "Q4_K_M",
                "instances": 4,
                "instance_share": 4 / 9,
                "host_share": 0.5,
                "rank": 1,
            },
            {"tier": "hyperscaler", "quantization_level": "Q4_0", "rank": 3},
            {"tier": "indie_cloud", "quantization_level": "Q4_K_M", "host_share": 1.0},
            {"tier": "telecom_residential", "quantization_level": "Q4_K_M", "instances": 4, "instance_share": 0.8},
            {"tier": "telecom_residential", "quantization_level": "Q8_0", "rank": 2},
            {"tier": "unknown", "quantization_level": "Q8_0", "instances": 2, "host_share": 0.5},
        ],
        True,
    ),
    # llama on A B C E F G (obs 4+2+1+1+1+2 = 11, host-days 4+2+1+1+1+1 = 10); nomic-bert A (4 obs);
    # qwen2 B (2 obs); gemma2 B (1 obs); the gptoss cloud stub is left out
    "family_ranking": (
        [
            {
                "family": "llama",
                "hosts": 6,
                "host_share": 6 / 7,
                "observations": 11,
                "host_days": 10,
                "instances": 11,
                "rank_hosts": 1,
                "rank_volatility": 0,
            },
            {
                "family": "gemma2",
                "hosts": 1,
                "rank_hosts": 2,
                "rank_observations": 4,
                "rank_host_days": 4,
                "rank_volatility": 2,
            },
            {"family": "nomic-bert", "observations": 4, "host_days": 4, "rank_observations": 2, "rank_volatility": 0},
            {"family": "qwen2", "observations": 2, "rank_observations": 3, "rank_volatility": 1},
        ],
        True,
    ),
    "family_rank_by_month": (
        [
            {"month": M1, "family": "llama", "hosts": 3, "host_share": 1.0, "rank": 1},
            {"month": M1, "family": "nomic-bert", "host_share": 1 / 3, "rank": 2},
            {"month": M1, "family": "qwen2", "rank": 2},
            {"month": M2, "family": "llama", "hosts": 5, "host_share": 5 / 6, "rank": 1},
            {"month": M2, "family": "gemma2", "rank": 2},
            {"month": M2, "family": "nomic-bert", "rank": 2},
            {"month": M2, "family": "qwen2", "rank": 2},
        ],
        True,
    ),
    "family_rank_volatility": (
        [
            {"family": "llama", "overall_rank": 1, "months_present": 2, "rank_range": 0},
            {"family": "gemma2", "overall_rank": 2, "months_present": 1, "best_rank": 2},
            {"family": "nomic-bert", "months_present": 2, "worst_rank": 2, "rank_sd": 0.0},
            {"family": "qwen2", "months_present": 2, "rank_range": 0},
        ],
        True,
    ),
    # llama3 on A B (4 + 2 days and instances), llama3.2 on E F; mistral (C) is not enriched -> unknown
    "lineage_ranking": (
        [
            {"lineage": "llama3", "hosts": 2, "host_days": 6, "instances": 6, "rank": 1},
            {"lineage": "llama3.2", "hosts": 2, "rank": 1},
            {"lineage": "gemma2", "hosts": 1, "rank": 3},
            {"lineage": "nomic-embed-text", "instances": 4},
            {"lineage": "qwen2.5"},
            {"lineage": "smollm2", "instances": 2},
            {"lineage": "unknown", "hosts": 1},
        ],
        True,
    ),
    "lab_ranking": (
        [
            {"lab": "Meta", "lab_country": "US", "hosts": 4, "host_share": 4 / 7, "instances": 8, "rank": 1},
            {"lab": "Alibaba", "lab_country": "CN", "hosts": 1, "rank": 2},
            {"lab": "Google"},
            {"lab": "HuggingFace"},
            {"lab": "Nomic AI"},
            {"lab": "unknown", "lab_country": "unknown"},
        ],
        True,
    ),
    # M1 hosts A B C: US A B, CN B, unknown C; M2 hosts A B D E F G: US A B E F G, CN B
    "lab_country_by_month": (
        [
            {"month": M1, "lab_country": "US", "hosts": 2, "host_share": 2 / 3},
            {"month": M1, "lab_country": "CN", "hosts": 1},
            {"month": M1, "lab_country": "unknown", "hosts": 1},
            {"month": M2, "lab_country": "US", "hosts": 5, "host_share": 5 / 6},
            {"month": M2, "lab_country": "CN", "hosts": 1, "host_share": 1 / 6},
        ],
        True,
    ),
    # M1: A 2, A 2, B 2, C 1 -> 7/4; M2: A 2, A 2, B 3, D 0, E 1, F 1, G 1, G 2 -> 12/8
    "models_per_observation_by_month": (
        [
            {"month": M1, "observations": 4, "mean_models": 1.75, "median_models": 2.0},
            {"month": M2, "observations": 8, "mean_models": 1.5, "median_models": 1.5},
        ],
        True,
    ),
    # largest inventory: A 2, B 3, C 1, D 0, E 1, F 1, G 2
    "portfolio_size": (
        [
            {"portfolio": "0", "hosts": 1},
            {"portfolio": "1", "hosts": 3, "host_share": 3 / 7},
            {"portfolio": "2-3", "hosts": 3},
        ],
        True,
    ),
    # B (3 models): 2 + 3 = 5 of 18 local instances; families llama qwen2 gemma2 of 4
    "public_library_hosts": (
        [{"hosts": 1, "host_share": 1 / 7, "instances": 5, "instance_share": 5 / 18, "families": 3, "all_families": 4}],
        True,
    ),
    "multi_family_hosts": ([{"hosts_with_models": 6, "multi_family_hosts": 2, "multi_family_share": 2 / 7}], True),
    # multi-family: A {llama, nomic-bert}, B {gemma2, llama, qwen2}
    "codeployment_pairs": (
        [
            {"family_a": "gemma2", "family_b": "llama", "hosts": 1, "multi_family_share": 0.5},
            {"family_a": "gemma2", "family_b": "qwen2", "hosts": 1},
            {"family_a": "llama", "family_b": "nomic-bert", "hosts": 1},
            {"family_a": "llama", "family_b": "qwen2", "hosts": 1},
        ],
        True,
    ),
    "codeployment_triples": (
        [{"family_a": "gemma2", "family_b": "llama", "family_c": "qwen2", "hosts": 1, "multi_family_share": 0.5}],
        True,
    ),
    # per instance: Q4_K_M A4 + B llama 2 + B qwen 2 + E + F = 10; F16 4; Q8_0 gemma 1 + G 2 = 3; Q4_0 1 -> 18
    "quantization": (
        [
            {
                "quantization_level": "Q4_K_M",
                "instances": 10,
                "instance_share": 10 / 18,
                "hosts": 4,
                "host_share": 4 / 7,
            },
            {"quantization_level": "F16", "instances": 4, "hosts": 1},
            {"quantization_level": "Q8_0", "instances": 3, "hosts": 2},
            {"quantization_level": "Q4_0", "instances": 1, "instance_share": 1 / 18},
        ],
        True,
    ),
    "bit_width": (
        [
            {"bits": "4", "instances": 10, "hosts": 4},
            {"bits": "16", "instances": 4, "hosts": 1},
            {"bits": "8", "instances": 3, "instance_share": 3 / 18, "hosts": 2},
            {"bits": "unknown", "instances": 1, "hosts": 1},
        ],
        True,
    ),
    "parameter_bands": (
        [
            {"param_band": "<1B", "hosts": 2, "instances": 6},
            {"param_band": "1-3B", "hosts": 2, "instances": 2},
            {"param_band": "4-7B", "hosts": 1, "host_band_share": 1 / 8, "instances": 2},
            # (host, band) pairs: 2 + 2 + 1 + 2 + 1 (unknown) = 8
            {"param_band": "8-14B", "hosts": 2, "host_share": 2 / 7, "host_band_share": 2 / 8, "instances": 7,
             "instance_share": 7 / 18},
            {"param_band": "unknown", "hosts": 1},
        ],
        True,
    ),
    # C (v0.5.0, capabilities null, family llama): completion inferred yes, vision and embedding inferred no, tools,
    # thinking and insert unknown (no template flags); D (no models) and G (smollm2 = completion) are no. Reported
    # (the host's own list): every yes but C's inferred completion
    "capability_coverage": (
        [
            {"capability": "completion", "hosts_yes": 6, "hosts_unknown": 0, "hosts_no": 1, "hosts_reported": 5,
             "share_reported": 5 / 7},
            {
                "capability": "tools",
                "hosts_yes": 4,
                "hosts_unknown": 1,
                "hosts_no": 2,
                "share_yes": 4 / 7,
                "share_unknown": 1 / 7,
                "share_yes_of_known": 4 / 6,
                "hosts_reported": 4,
            },
            {"capability": "vision", "hosts_yes": 1, "hosts_unknown": 0, "hosts_no": 6},
            {"capability": "thinking", "hosts_yes": 1, "hosts_unknown": 1, "hosts_no": 5},
            {"capability": "embedding", "hosts_yes": 1, "hosts_unknown": 0, "hosts_no": 6},
            {"capability": "insert", "hosts_yes": 0, "hosts_unknown": 1, "hosts_no": 6},
        ],
        True,
    ),
    "capability_sets": (
        [
            {"capability_set": "completion,tools", "hosts": 2, "host_share": 2 / 7},
            {"capability_set": "completion", "hosts": 1},
            {"capability_set": "completion,embedding,tools", "hosts": 1},
            {"capability_set": "completion,thinking,tools,vision", "hosts": 1},
            {"capability_set": "none", "hosts": 1},
            {"capability_set": "unknown", "hosts": 1},
        ],
        True,
    ),
    "completion_tools": (
        [{"hosts_including": 4, "share_including": 4 / 7, "hosts_exact": 2, "share_exact": 2 / 7}],
        True,
    ),
    # A: llama3 (chat) + nomic-embed-text (embedding)
    "rag_signature": ([{"hosts": 1, "host_share": 1 / 7, "hosts_possible": 1}], True),
    "capability_unknowns_by_version": (
        [
            {
                "version_band": "before_0_6_4",
                "observations": 1,
                "instances": 1,
                "instances_without_capabilities": 1,
                "unknown_share": 1.0,
            },
            {"version_band": "from_0_6_4_to_0_8", "hosts": 1, "instances": 0, "unknown_share": None},
            {"version_band": "from_0_9_0", "observations": 10, "hosts": 5, "instances": 17, "unknown_share": 0.0},
        ],
        True,
    ),
    # P1 on A and B (llama3), P2 on B (gemma2)
    "system_prompt_visibility": ([{"hosts": 2, "host_share": 2 / 7, "distinct_prompts": 2}], True),
    "guardrail_removal_clusters": (
        [
            {"cluster_id": "c1", "guardrail_removal": True, "hosts": 2, "share_of_visible": 1.0},
            {"cluster_id": "c2", "guardrail_removal": False, "hosts": 1, "share_of_visible": 0.5},
        ],
        True,
    ),
    "misuse_categories": (
        [
            {"category": "guardrail_removal", "hosts": 2, "share_of_visible": 1.0},
            {"category": "any", "hosts": 1, "share_of_visible": 0.5},
            {"category": "scams_fraud", "hosts": 1},
        ],
        True,
    ),
    "uncensored_models": (
        [{"marker": "abliterate", "hosts": 2, "host_share": 2 / 7, "instances": 2}, {"marker": "any", "hosts": 2}],
        True,
    ),
    # G's port 8080 lists gpt-oss:120b-cloud: 1 of 19 instances
    "cloud_models": (
        [
            {
                "hosts": 1,
                "host_share": 1 / 7,
                "cloud_only_hosts": 0,
                "cloud_instances": 1,
                "local_instances": 18,
                "cloud_instance_share": 1 / 19,
            }
        ],
        True,
    ),
    "version_mix": (
        [
            {"version": "0.11.0", "hosts": 2, "observations": 2},
            {"version": "0.12.0", "hosts": 1, "observations": 2},
            {"version": "0.13.0", "hosts": 1, "observations": 2},
            {"version": "0.5.0", "hosts": 1},
            {"version": "0.6.4", "hosts": 1},
            {"version": "0.9.0", "hosts": 1, "observations": 4, "observation_share": 4 / 12},
        ],
        True,
    ),
    # every local instance of the fixture was fetched: 18 instances (see cloud_models) on A B C E F G (D is empty)
    "show_coverage": (
        [{"show_status": "fetched", "instances": 18, "instance_share": 1.0, "hosts": 6, "host_share": 6 / 7}],
        True,
    ),
    # E F share an inventory with identical nanosecond stamps; G answers on 2 ports
    "quality_flags": (
        [
            {"flag": "clone_farm", "hosts": 2, "observations": 2, "observation_share": 2 / 12},
            {"flag": "multi_port", "hosts": 1, "observations": 2},
            {"flag": "any", "hosts": 3, "host_share": 3 / 7, "observations": 4},
        ],
        True,
    ),
}
EXPECTED.update(OBSERVATORY_EXPECTED)  # runtimes, lineages, events, security: tests/analyze_expected_observatory.py


def test_every_query_has_a_hand_worked_answer() -> None:
    assert set(EXPECTED) | {"headline"} == set(load_registry())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_query_matches_hand_worked_answer(study: StudyResults, name: str) -> None:
    expected, ordered = EXPECTED[name]
    check(rows(study, name), expected, ordered=ordered)


@pytest.mark.parametrize("name", sorted(RUNTIME_EXPECTED))
def test_runtime_query_matches_hand_worked_answer(tmp_path: Path, name: str) -> None:
    with fixture_advisories():
        res = run_study(write_runtimes(tmp_path), names=[name])
    check(rows(res, name), RUNTIME_EXPECTED[name])


def test_headline_with_and_without_flagged_hosts(study: StudyResults) -> None:
    h = headline(study)
    # unflagged = A B C D: 8 observations, countries CN US, ASNs 100 200 300
    want = {
        "observations": (12, 8), "unique_hosts": (7, 4), "countries": (4, 2), "asns": (5, 3),
        "persistent_hosts": (1, 1), "persistent_host_share": (1 / 7, 1 / 4),
        "persistent_observation_share": (4 / 12, 4 / 8), "single_observation_host_share": (4 / 7, 2 / 4),
        "single_observation_observation_share": (4 / 12, 2 / 8), "tools_host_share": (4 / 7, 2 / 4),
        "vision_host_share": (1 / 7, 1 / 4), "thinking_host_share": (1 / 7, 1 / 4),
        "embedding_host_share": (1 / 7, 1 / 4), "q4_k_m_host_share": (4 / 7, 2 / 4),
        "public_library_host_share": (1 / 7, 1 / 4), "system_prompt_visible_host_share": (2 / 7, 2 / 4),
        "guardrail_removal_hosts": (2, 2),
    }  # fmt: skip
    assert set(h) == set(want)
    for figure, (all_value, unflagged) in want.items():
        assert h[figure]["all"] == pytest.approx(all_value), figure
        assert h[figure]["unflagged"] == pytest.approx(unflagged), figure


def test_host_key_ip_port_splits_an_address_into_hosts(tmp_path: Path) -> None:
    root = write_tiny(tmp_path)
    res = run_study(root, view_params=ViewParams(host_key="ip_port"), names=["population_summary", "portfolio_size"])
    # G's two ports become two hosts: 8; G:11434 has 1 model, G:8080 has 2
    assert res["population_summary"].rows()[0]["unique_hosts"] == 8
    assert {r["portfolio"]: r["hosts"] for r in res["portfolio_size"].rows()} == {"0": 1, "1": 4, "2-3": 3}
