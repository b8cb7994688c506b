"""Hand-worked answers of the observatory's metrics beyond the study: runtimes, lineages over time, events and
security, on ``analyze_data.write_tiny`` (``OBSERVATORY_EXPECTED``) and ``write_runtimes`` (``RUNTIME_EXPECTED``).

Split from ``tests/test_analyze_queries.py``, which checks them; the answers come from the tables in
``tests/analyze_data.py``, not from running the code."""

from __future__ import annotations

import datetime as dt
from typing import Any

from analyze_data import D1, D2, D3, D4

from llmcensus.reference.catalog import lineages

M1, M2 = dt.date(2025, 3, 1), dt.date(2025, 4, 1)
W1, W2 = dt.date(2025, 3, 24), dt.date(2025, 3, 31)  # ISO weeks (Mondays): D1 is a Sunday, D2 a Monday
# the catalogue's date, read rather than copied (the catalogue is edited by hand; the arithmetic is what is tested)
RELEASED_LLAMA3 = getattr(lineages()["llama3"], "released", None)

OBSERVATORY_EXPECTED: dict[str, tuple[list[dict[str, Any]], bool]] = {
    # Runtime metrics count every runtime: the LocalAI success at 1.0.0.6 on D2 is a host too (the refused visit has
    # no verdict). Per day, Ollama hosts: D1 A B; D2 A C; D3 A B E F; D4 A D G (G's two ports are one host).
    "runtime_mix_by_day": (
        [
            {"day": D1, "runtime": "ollama", "hosts": 2, "host_share": 1.0, "verdict_hosts": 2},
            {"day": D2, "runtime": "ollama", "hosts": 2, "host_share": 2 / 3, "verdict_hosts": 3},
            {"day": D2, "runtime": "localai", "hosts": 1, "host_share": 1 / 3, "verdict_hosts": 3},
            {"day": D3, "runtime": "ollama", "hosts": 4, "host_share": 1.0, "verdict_hosts": 4},
            {"day": D4, "runtime": "ollama", "hosts": 3, "host_share": 1.0, "verdict_hosts": 3},
        ],
        True,
    ),
    # M1: Ollama A B C (A2 B1 C1 = 4 obs) + LocalAI; M2: Ollama A B D E F G (A2 B1 D1 E1 F1 G2 = 8 obs)
    "runtime_mix_by_month": (
        [
            {"month": M1, "runtime": "ollama", "hosts": 3, "host_share": 3 / 4, "observations": 4, "verdict_hosts": 4},
            {"month": M1, "runtime": "localai", "hosts": 1, "host_share": 1 / 4, "observations": 1},
            {"month": M2, "runtime": "ollama", "hosts": 6, "host_share": 1.0, "observations": 8, "verdict_hosts": 6},
        ],
        True,
    ),
    # Every runtime, cloud stubs out. Ollama hosts listing local models: A B C E F G (D's list is empty); LocalAI
    # 1.0.0.6 lists llama3. mistral is not enriched: lineage unknown.
    "models_by_runtime": (
        [
            {"runtime": "localai", "lineage": "llama3", "hosts": 1, "host_share": 1.0, "models": 1, "runtime_hosts": 1},
            {"runtime": "ollama", "lineage": "llama3", "hosts": 2, "host_share": 2 / 6, "models": 1,
             "runtime_hosts": 6},
            {"runtime": "ollama", "lineage": "llama3.2", "hosts": 2, "host_share": 2 / 6, "models": 1},
            {"runtime": "ollama", "lineage": "gemma2", "hosts": 1, "host_share": 1 / 6},
            {"runtime": "ollama", "lineage": "nomic-embed-text", "hosts": 1},
            {"runtime": "ollama", "lineage": "qwen2.5", "hosts": 1},
            {"runtime": "ollama", "lineage": "smollm2", "hosts": 1},
            {"runtime": "ollama", "lineage": "unknown", "hosts": 1, "models": 1},
        ],
        True,
    ),
    # across runtimes: llama3 on A B (Ollama) and 1.0.0.6 (LocalAI); 7 hosts list a local model
    "lineage_ranking_all_runtimes": (
        [
            {"lineage": "llama3", "lab": "Meta", "lab_country": "US", "hosts": 3, "host_share": 3 / 7,
             "ollama_hosts": 2, "other_runtime_hosts": 1, "runtimes": 2, "rank": 1},
            {"lineage": "llama3.2", "hosts": 2, "host_share": 2 / 7, "ollama_hosts": 2, "other_runtime_hosts": 0,
             "rank": 2},
            {"lineage": "gemma2", "lab": "Google", "hosts": 1, "rank": 3},
            {"lineage": "nomic-embed-text", "hosts": 1, "rank": 3},
            {"lineage": "qwen2.5", "lab_country": "CN", "hosts": 1, "rank": 3},
            {"lineage": "smollm2", "hosts": 1, "rank": 3},
            {"lineage": "unknown", "lab": "unknown", "hosts": 1, "rank": 3},
        ],
        True,
    ),
    # endpoints first seen: M1 A B (D1), C and LocalAI (D2); M2 E F (D3), D, G:11434, G:8080 (D4); B adds gemma2 on D3
    "events_by_month": (
        [
            {"month": M1, "kind": "first_seen", "events": 4, "endpoints": 4},
            {"month": M2, "kind": "first_seen", "events": 5, "endpoints": 5},
            {"month": M2, "kind": "model_added", "events": 1, "endpoints": 1},
        ],
        True,
    ),
    # inventories read: M1 A B C + LocalAI = 4 endpoints; M2 A B D E F G:11434 G:8080 = 7, one addition
    "inventory_churn": (
        [
            {"month": M1, "endpoints": 4, "added": 0, "removed": 0, "added_per_endpoint": 0.0},
            {"month": M2, "endpoints": 7, "added": 1, "removed": 0, "added_per_endpoint": 1 / 7,
             "removed_per_endpoint": 0.0},
        ],
        True,
    ),
    # Lineages over time, every runtime (host = address: G's two ports are one host). M1: A (llama3 D1 D2, nomic D1
    # D2), B (qwen2.5, llama3 D1), C (mistral: unknown, D2), LocalAI 1.0.0.6 (llama3 D2): 4 hosts. M2: A (D3 D4),
    # B (+ gemma2, D3), E F (llama3.2 D3), G (smollm2 D4; the cloud stub is out): 5 hosts (D lists nothing).
    "lineage_adoption_by_month": (
        [
            {"month": M1, "lineage": "llama3", "hosts": 3, "host_share": 3 / 4, "host_days": 4, "month_hosts": 4},
            {"month": M1, "lineage": "nomic-embed-text", "hosts": 1, "host_share": 1 / 4, "host_days": 2},
            {"month": M1, "lineage": "qwen2.5", "hosts": 1, "host_days": 1},
            {"month": M1, "lineage": "unknown", "hosts": 1, "host_days": 1},
            {"month": M2, "lineage": "llama3", "hosts": 2, "host_share": 2 / 5, "host_days": 3, "month_hosts": 5},
            {"month": M2, "lineage": "llama3.2", "hosts": 2, "host_days": 2},
            {"month": M2, "lineage": "gemma2", "hosts": 1, "host_days": 1},
            {"month": M2, "lineage": "nomic-embed-text", "hosts": 1, "host_days": 2},
            {"month": M2, "lineage": "qwen2.5", "hosts": 1, "host_days": 1},
            {"month": M2, "lineage": "smollm2", "hosts": 1, "host_days": 1},
        ],
        True,
    ),
    # The same per ISO week: W1 (Monday 2025-03-24) holds D1 only, W2 (Monday 2025-03-31) D2 D3 D4, so a week
    # boundary falls inside M1. W1: A (llama3, nomic) and B (qwen2.5, llama3): 2 hosts. W2: A (llama3 and nomic
    # D2 D3 D4), B (D3), C (unknown D2), LocalAI (llama3 D2), E F (llama3.2 D3), G (smollm2 D4): 7 hosts.
    "lineage_adoption_by_week": (
        [
            {"week": W1, "lineage": "llama3", "hosts": 2, "host_share": 1.0, "host_days": 2, "week_hosts": 2,
             "days_since_release": None if RELEASED_LLAMA3 is None else (W1 - RELEASED_LLAMA3).days},
            {"week": W1, "lineage": "nomic-embed-text", "hosts": 1, "host_share": 1 / 2, "host_days": 1},
            {"week": W1, "lineage": "qwen2.5", "hosts": 1, "host_days": 1},
            {"week": W2, "lineage": "llama3", "hosts": 3, "host_share": 3 / 7, "host_days": 5, "week_hosts": 7},
            {"week": W2, "lineage": "llama3.2", "hosts": 2, "host_share": 2 / 7, "host_days": 2},
            {"week": W2, "lineage": "gemma2", "hosts": 1, "host_days": 1},
            {"week": W2, "lineage": "nomic-embed-text", "hosts": 1, "host_days": 3},
            {"week": W2, "lineage": "qwen2.5", "hosts": 1, "host_days": 1},
            {"week": W2, "lineage": "smollm2", "hosts": 1, "host_days": 1},
            {"week": W2, "lineage": "unknown", "hosts": 1, "host_days": 1, "released": None},
        ],
        True,
    ),
    # Per day (hosts with a local model): D1 A B; D2 A C LocalAI; D3 A B E F; D4 A G (D lists nothing, G's cloud
    # stub is out).
    "lineage_adoption_by_day": (
        [
            {"day": D1, "lineage": "llama3", "hosts": 2, "host_share": 1.0, "day_hosts": 2},
            {"day": D1, "lineage": "nomic-embed-text", "hosts": 1, "host_share": 1 / 2},
            {"day": D1, "lineage": "qwen2.5", "hosts": 1},
            {"day": D2, "lineage": "llama3", "hosts": 2, "host_share": 2 / 3, "day_hosts": 3},
            {"day": D2, "lineage": "nomic-embed-text", "hosts": 1},
            {"day": D2, "lineage": "unknown", "hosts": 1, "days_since_release": None},
            {"day": D3, "lineage": "llama3", "hosts": 2, "host_share": 2 / 4, "day_hosts": 4},
            {"day": D3, "lineage": "llama3.2", "hosts": 2},
            {"day": D3, "lineage": "gemma2", "hosts": 1},
            {"day": D3, "lineage": "nomic-embed-text", "hosts": 1},
            {"day": D3, "lineage": "qwen2.5", "hosts": 1, "host_share": 1 / 4},
            {"day": D4, "lineage": "llama3", "hosts": 1, "host_share": 1 / 2, "day_hosts": 2,
             "days_since_release": None if RELEASED_LLAMA3 is None else (D4 - RELEASED_LLAMA3).days},
            {"day": D4, "lineage": "nomic-embed-text", "hosts": 1},
            {"day": D4, "lineage": "smollm2", "hosts": 1},
        ],
        True,
    ),
    # first day and hosts ever; the tiny study reaches no mark of 100 hosts
    "lineage_milestones": (
        [
            {"lineage": "llama3", "first_seen": D1, "hosts_ever": 3, "first_mark_day": None, "second_mark_day": None},
            {"lineage": "llama3.2", "first_seen": D3, "hosts_ever": 2},
            {"lineage": "gemma2", "first_seen": D3, "hosts_ever": 1},
            {"lineage": "nomic-embed-text", "first_seen": D1, "hosts_ever": 1},
            {"lineage": "qwen2.5", "first_seen": D1, "hosts_ever": 1},
            {"lineage": "smollm2", "first_seen": D4, "hosts_ever": 1},
            {"lineage": "unknown", "first_seen": D2, "hosts_ever": 1},
        ],
        True,
    ),
    # M1 listings: llama3 3, nomic 1, qwen2.5 1, unknown 1 = 6; M2: llama3 2, llama3.2 2, four lineages at 1 = 8
    "lineage_concentration_by_month": (
        [
            {"month": M1, "lineages": 4, "listings": 6, "top1_share": 3 / 6, "top5_share": 1.0,
             "hhi": (3 / 6) ** 2 + 3 * (1 / 6) ** 2},
            {"month": M2, "lineages": 6, "listings": 8, "top1_share": 2 / 8, "top5_share": 7 / 8, "top10_share": 1.0,
             "hhi": 2 * (2 / 8) ** 2 + 4 * (1 / 8) ** 2},
        ],
        True,
    ),
    # the abliterated llama3.2 under a user namespace on E and F (D3)
    "lineage_derivatives": (
        [
            {"upstream": "llama3.2", "lineage": "llama3.2", "name": "huihui_ai/llama3.2-abliterate:3b",
             "kind": "uncensored", "first_seen": D3, "last_seen": D3, "hosts": 2},
        ],
        True,
    ),
    # Per month, lineage and dimension (country, runtime, tier; in that order), every runtime; dimension_min_hosts =
    # 2 in PARAMS. Geo: A B CN (A hyperscaler, B telecom_residential), E F DE indie_cloud; the LocalAI host L
    # (1.0.0.6) has no geo row. M1 llama3 on A B L: CN 2, unknown 1; ollama 2, localai 1; three tiers 1 each. M2
    # llama3 on A B: CN 2, ollama 2, two tiers 1 each; llama3.2 on E F: DE 2, ollama 2, indie_cloud 2. Every other
    # cell has one host and is left out.
    "lineage_adoption_by_dimension": (
        [
            {"month": M1, "lineage": "llama3", "dimension": "country", "value": "CN", "hosts": 2,
             "lineage_share": 2 / 3, "lineage_hosts": 3},
            {"month": M1, "lineage": "llama3", "dimension": "runtime", "value": "ollama", "hosts": 2,
             "lineage_share": 2 / 3, "lineage_hosts": 3},
            {"month": M2, "lineage": "llama3", "dimension": "country", "value": "CN", "hosts": 2,
             "lineage_share": 1.0, "lineage_hosts": 2},
            {"month": M2, "lineage": "llama3", "dimension": "runtime", "value": "ollama", "hosts": 2,
             "lineage_share": 1.0},
            {"month": M2, "lineage": "llama3.2", "dimension": "country", "value": "DE", "hosts": 2,
             "lineage_share": 1.0, "lineage_hosts": 2},
            {"month": M2, "lineage": "llama3.2", "dimension": "runtime", "value": "ollama", "hosts": 2},
            {"month": M2, "lineage": "llama3.2", "dimension": "tier", "value": "indie_cloud", "hosts": 2,
             "lineage_share": 1.0},
        ],
        True,
    ),
    # Ranks per month (unknown is not ranked; month hosts with a local model M1 4, M2 5). Lineages M1: llama3 3
    # (A B L), nomic 1, qwen2.5 1; M2: llama3 2, llama3.2 2, gemma2 nomic qwen2.5 smollm2 1. Labs (catalogue) M1:
    # Meta 3, Alibaba 1, Nomic AI 1; M2: Meta 4 (A B E F), Alibaba Google Hugging Face Nomic AI 1.
    "lineage_rank_by_month": (
        [
            {"level": "lineage", "month": M1, "name": "llama3", "hosts": 3, "host_share": 3 / 4, "rank": 1,
             "rank_change": None},
            {"level": "lineage", "month": M1, "name": "nomic-embed-text", "hosts": 1, "host_share": 1 / 4, "rank": 2},
            {"level": "lineage", "month": M1, "name": "qwen2.5", "hosts": 1, "rank": 2, "rank_change": None},
            {"level": "lineage", "month": M2, "name": "llama3", "hosts": 2, "host_share": 2 / 5, "rank": 1,
             "rank_change": 0},
            {"level": "lineage", "month": M2, "name": "llama3.2", "hosts": 2, "rank": 1, "rank_change": None},
            {"level": "lineage", "month": M2, "name": "gemma2", "hosts": 1, "host_share": 1 / 5, "rank": 3},
            {"level": "lineage", "month": M2, "name": "nomic-embed-text", "rank": 3, "rank_change": -1},
            {"level": "lineage", "month": M2, "name": "qwen2.5", "rank": 3, "rank_change": -1},
            {"level": "lineage", "month": M2, "name": "smollm2", "rank": 3, "rank_change": None},
            {"level": "lab", "month": M1, "name": "Meta", "hosts": 3, "host_share": 3 / 4, "rank": 1},
            {"level": "lab", "month": M1, "name": "Alibaba", "hosts": 1, "rank": 2},
            {"level": "lab", "month": M1, "name": "Nomic AI", "hosts": 1, "rank": 2},
            {"level": "lab", "month": M2, "name": "Meta", "hosts": 4, "host_share": 4 / 5, "rank": 1,
             "rank_change": 0},
            {"level": "lab", "month": M2, "name": "Alibaba", "hosts": 1, "rank": 2, "rank_change": 0},
            {"level": "lab", "month": M2, "name": "Google", "rank": 2, "rank_change": None},
            {"level": "lab", "month": M2, "name": "Hugging Face", "rank": 2, "rank_change": None},
            {"level": "lab", "month": M2, "name": "Nomic AI", "rank": 2, "rank_change": 0},
        ],
        True,
    ),
    # Whole window: llama3 3 hosts (rank 1), llama3.2 2 (2), the rest 1 (3); monthly ranks from lineage_rank_by_month:
    # nomic and qwen2.5 go 2 -> 3 (range 1, sd 0.5). Labs: Meta 5 hosts (A B L E F), the four others 1 each.
    "lineage_rank_volatility": (
        [
            {"level": "lineage", "name": "llama3", "overall_rank": 1, "months_present": 2, "best_rank": 1,
             "worst_rank": 1, "rank_range": 0, "rank_sd": 0.0},
            {"level": "lineage", "name": "llama3.2", "overall_rank": 2, "months_present": 1, "rank_range": 0},
            {"level": "lineage", "name": "gemma2", "overall_rank": 3, "months_present": 1, "best_rank": 3},
            {"level": "lineage", "name": "nomic-embed-text", "overall_rank": 3, "months_present": 2, "best_rank": 2,
             "worst_rank": 3, "rank_range": 1, "rank_sd": 0.5},
            {"level": "lineage", "name": "qwen2.5", "overall_rank": 3, "months_present": 2, "rank_range": 1,
             "rank_sd": 0.5},
            {"level": "lineage", "name": "smollm2", "overall_rank": 3, "months_present": 1, "worst_rank": 3},
            {"level": "lab", "name": "Meta", "overall_rank": 1, "months_present": 2, "best_rank": 1, "rank_range": 0},
            {"level": "lab", "name": "Alibaba", "overall_rank": 2, "months_present": 2, "best_rank": 2,
             "worst_rank": 2, "rank_range": 0, "rank_sd": 0.0},
            {"level": "lab", "name": "Google", "overall_rank": 2, "months_present": 1},
            {"level": "lab", "name": "Hugging Face", "overall_rank": 2, "months_present": 1},
            {"level": "lab", "name": "Nomic AI", "overall_rank": 2, "months_present": 2, "rank_range": 0},
        ],
        True,
    ),
    # P1 (guardrail removal) rides on llama3 at A and B (Ollama; L's LocalAI listing carries no /api/show data);
    # P2 (scams_fraud) on gemma2 at B (D3); the abliterated llama3.2 on E F; exposure (exposure_min_uptime = 0.5
    # in PARAMS): qwen2.5 has tools and thinking, on B (open, uptime 2/4).
    "lineage_risk_by_month": (
        [
            {"month": M1, "lineage": "llama3", "hosts": 3, "guardrail_removal_hosts": 2,
             "guardrail_removal_share": 2 / 3, "misuse_hosts": 0, "misuse_categories": "", "uncensored_hosts": 0,
             "exposed_hosts": 0},
            {"month": M1, "lineage": "nomic-embed-text", "hosts": 1, "guardrail_removal_hosts": 0, "exposed_hosts": 0},
            {"month": M1, "lineage": "qwen2.5", "hosts": 1, "guardrail_removal_hosts": 0, "exposed_hosts": 1,
             "exposed_share": 1.0},
            {"month": M1, "lineage": "unknown", "hosts": 1, "guardrail_removal_hosts": 0, "exposed_hosts": 0},
            {"month": M2, "lineage": "llama3", "hosts": 2, "guardrail_removal_hosts": 2,
             "guardrail_removal_share": 1.0, "misuse_hosts": 0, "uncensored_hosts": 0},
            {"month": M2, "lineage": "llama3.2", "hosts": 2, "guardrail_removal_hosts": 0, "uncensored_hosts": 2,
             "uncensored_share": 1.0, "exposed_hosts": 0},
            {"month": M2, "lineage": "gemma2", "hosts": 1, "misuse_hosts": 1, "misuse_share": 1.0,
             "misuse_categories": "scams_fraud", "guardrail_removal_hosts": 0, "uncensored_hosts": 0},
            {"month": M2, "lineage": "nomic-embed-text", "hosts": 1, "misuse_hosts": 0, "exposed_hosts": 0},
            {"month": M2, "lineage": "qwen2.5", "hosts": 1, "exposed_hosts": 1, "exposed_share": 1.0},
            {"month": M2, "lineage": "smollm2", "hosts": 1, "exposed_hosts": 0, "uncensored_share": 0.0},
        ],
        True,
    ),
    # commodity_weights_gb = 8 in PARAMS: llama3 8-14B at 4 bits = 14.5 x 4 / 8 = 7.25 GB fits, gemma2 8-14B at 8
    # bits = 14.5 GB does not, nomic (<1B, 16 bits: 2), qwen2.5 (4-7B, 4: 3.75), llama3.2-abliterate (1-3B, 4: 1.75)
    # and smollm2 (<1B, 8: 1) fit; mistral is not enriched (size unknown): out. M1: llama3 3, nomic 1, qwen2.5 1;
    # M2: llama3 2, llama3.2 2, nomic qwen2.5 smollm2 1.
    "lineage_concentration_commodity_by_month": (
        [
            {"month": M1, "lineages": 3, "listings": 5, "top1_share": 3 / 5,
             "top5_share": 1.0, "top10_share": 1.0, "hhi": (3 / 5) ** 2 + 2 * (1 / 5) ** 2},
            {"month": M2, "lineages": 5, "listings": 7, "top1_share": 2 / 7,
             "top5_share": 1.0, "hhi": 2 * (2 / 7) ** 2 + 3 * (1 / 7) ** 2},
        ],
        True,
    ),
    # the tiny study has no upgrade (see RUNTIME_EXPECTED)
    "upgrade_latency": ([], True),
    # every successful visit of the fixture is open
    "auth_by_runtime_month": (
        [
            {"month": M1, "runtime": "localai", "auth": "open", "hosts": 1, "host_share": 1.0, "observations": 1},
            {"month": M1, "runtime": "ollama", "auth": "open", "hosts": 3, "host_share": 1.0, "observations": 4},
            {"month": M2, "runtime": "ollama", "auth": "open", "hosts": 6, "host_share": 1.0, "observations": 8},
        ],
        True,
    ),
    # Security, with analyze_data.ADVISORIES: T-1 affects < 0.9.1 (fixed 0.9.1), T-2 affects <= 0.11.0 and later
    # versions are unknown. Versions: A 0.9.0, B 0.12.0, C 0.5.0, D 0.6.4, E F 0.11.0, G 0.13.0 (LocalAI: none).
    # M1 hosts A (2 days) B C: T-1 A C affected (3 host-days), B fixed; T-2 A C affected, B unknown.
    # M2 hosts A (2 days) B D E F G (G's two ports are one host-day): T-1 A D affected; T-2 A D E F affected, B G
    # unknown.
    "advisory_exposure_by_month": (
        [
            {"month": M1, "runtime": "ollama", "advisory": "T-1", "severity": "critical", "hosts": 3,
             "affected_hosts": 2, "unknown_hosts": 0, "not_affected_hosts": 1, "affected_share": 2 / 3,
             "affected_host_days": 3, "unknown_host_days": 0, "host_days": 4},
            {"month": M1, "runtime": "ollama", "advisory": "T-2", "hosts": 3, "affected_hosts": 2, "unknown_hosts": 1,
             "not_affected_hosts": 0, "affected_host_days": 3, "unknown_host_days": 1, "host_days": 4},
            {"month": M2, "runtime": "ollama", "advisory": "T-1", "hosts": 6, "affected_hosts": 2, "unknown_hosts": 0,
             "not_affected_hosts": 4, "affected_share": 2 / 6, "affected_host_days": 3, "host_days": 7},
            {"month": M2, "runtime": "ollama", "advisory": "T-2", "hosts": 6, "affected_hosts": 4, "unknown_hosts": 2,
             "affected_share": 4 / 6, "affected_host_days": 5, "unknown_host_days": 2, "host_days": 7},
        ],
        True,
    ),
    # whole window: A CN/hyperscaler, B CN/telecom_residential, C US/hyperscaler, D no geo, E F DE/indie_cloud, G FR
    "advisory_exposure_by_geo": (
        [
            {"advisory": "T-1", "country": "CN", "tier": "hyperscaler", "hosts": 1, "affected_hosts": 1},
            {"advisory": "T-1", "country": "CN", "tier": "telecom_residential", "hosts": 1, "affected_hosts": 0},
            {"advisory": "T-1", "country": "DE", "tier": "indie_cloud", "hosts": 2, "affected_hosts": 0,
             "unknown_hosts": 0},
            {"advisory": "T-1", "country": "FR", "tier": "unknown", "hosts": 1, "affected_hosts": 0},
            {"advisory": "T-1", "country": "US", "tier": "hyperscaler", "hosts": 1, "affected_hosts": 1},
            {"advisory": "T-1", "country": "unknown", "tier": "unknown", "hosts": 1, "affected_hosts": 1},
            {"advisory": "T-2", "country": "CN", "tier": "hyperscaler", "hosts": 1, "affected_hosts": 1},
            {"advisory": "T-2", "country": "CN", "tier": "telecom_residential", "hosts": 1, "affected_hosts": 0,
             "unknown_hosts": 1},
            {"advisory": "T-2", "country": "DE", "tier": "indie_cloud", "hosts": 2, "affected_hosts": 2,
             "affected_share": 1.0},
            {"advisory": "T-2", "country": "FR", "tier": "unknown", "hosts": 1, "affected_hosts": 0,
             "unknown_hosts": 1},
            {"advisory": "T-2", "country": "US", "tier": "hyperscaler", "hosts": 1, "affected_hosts": 1},
            {"advisory": "T-2", "country": "unknown", "tier": "unknown", "hosts": 1, "affected_hosts": 1},
        ],
        True,
    ),
    # T-1 only (T-2 has no fix, no vLLM here): B reports 0.12.0 on D1; no upgrade; last days A C D affected
    "patch_latency": (
        [
            {"runtime": "ollama", "advisory": "T-1", "fixed": "0.9.1", "published": dt.date(2025, 3, 1),
             "fix_first_seen": D1, "upgrades_past_fix": 0, "median_days_from_fix_seen": None,
             "median_days_from_published": None, "endpoints_still_affected": 3},
        ],
        True,
    ),
    # M1 A B C + LocalAI: A C exposed (T-1, one request), B unknown (T-2 beyond 0.11.0); M2 A D (T-1) E F (T-2)
    # exposed, A D by one request, B G unknown
    "unauth_exposure_share": (
        [
            {"month": M1, "hosts": 4, "exposed_hosts": 2, "single_request_hosts": 2, "unknown_hosts": 1,
             "behind_auth_hosts": 0, "exposed_share": 0.5, "exposed_share_upper": 0.75},
            {"month": M2, "hosts": 6, "exposed_hosts": 4, "single_request_hosts": 2, "unknown_hosts": 2,
             "behind_auth_hosts": 0, "exposed_share": 4 / 6, "exposed_share_upper": 1.0},
        ],
        True,
    ),
    "auth_posture_by_month": (
        [
            {"month": M1, "runtime": "localai", "posture": "open", "evidence": "metadata_readable", "proxy": "none",
             "hosts": 1, "host_share": 1.0, "visits": 1},
            {"month": M1, "runtime": "ollama", "posture": "open", "hosts": 3, "host_share": 1.0, "visits": 4},
            {"month": M2, "runtime": "ollama", "posture": "open", "hosts": 6, "host_share": 1.0, "visits": 8},
        ],
        True,
    ),
    # no endpoint changed posture in the tiny study (see RUNTIME_EXPECTED)
    "auth_transitions": ([], True),
}  # fmt: skip

# The runtime dataset of ``analyze_data.write_runtimes`` (H1..H7; D1 D2 in M1, D3 in M2).
RUNTIME_EXPECTED: dict[str, list[dict[str, Any]]] = {
    # D1: ollama H1 H4, vllm H2, unknown H3 (403 wall), open_webui H4 (H4 counts twice); H7 refused: 4 hosts.
    # D2: ollama H1 H5 (success, forbidden) H6 (success and a locked port: once); unknown H3; H7 not_llm: 4 hosts.
    # D3: H1 locked as Ollama (no success that day: counted from runtime_host_months), H2 locked as vLLM: 2 hosts.
    "runtime_mix_by_day": [
        {"day": D1, "runtime": "ollama", "hosts": 2, "host_share": 2 / 4, "verdict_hosts": 4},
        {"day": D1, "runtime": "open_webui", "hosts": 1, "host_share": 1 / 4},
        {"day": D1, "runtime": "unknown", "hosts": 1, "host_share": 1 / 4},
        {"day": D1, "runtime": "vllm", "hosts": 1, "host_share": 1 / 4},
        {"day": D2, "runtime": "ollama", "hosts": 3, "host_share": 3 / 4, "verdict_hosts": 4},
        {"day": D2, "runtime": "unknown", "hosts": 1, "host_share": 1 / 4},
        {"day": D3, "runtime": "ollama", "hosts": 1, "host_share": 1 / 2, "verdict_hosts": 2},
        {"day": D3, "runtime": "vllm", "hosts": 1, "host_share": 1 / 2},
    ],
    # M1: ollama H1 H4 H5 H6 with 2 + 1 + 1 + 1 successes + H6's locked visit = 6; vllm H2 1; unknown H3 2;
    # open_webui H4 1; hosts H1..H6 = 6. M2: ollama H1 1, vllm H2 1; 2 hosts.
    "runtime_mix_by_month": [
        {"month": M1, "runtime": "ollama", "hosts": 4, "host_share": 4 / 6, "observations": 6, "verdict_hosts": 6},
        {"month": M1, "runtime": "open_webui", "hosts": 1, "host_share": 1 / 6, "observations": 1},
        {"month": M1, "runtime": "unknown", "hosts": 1, "host_share": 1 / 6, "observations": 2},
        {"month": M1, "runtime": "vllm", "hosts": 1, "host_share": 1 / 6, "observations": 1},
        {"month": M2, "runtime": "ollama", "hosts": 1, "host_share": 1 / 2, "observations": 1, "verdict_hosts": 2},
        {"month": M2, "runtime": "vllm", "hosts": 1, "host_share": 1 / 2, "observations": 1},
    ],
    # H1 upgrades 0.9.0 -> 0.9.1 on D2; H4 reported 0.9.1 on D1: one day behind the first sighting
    "upgrade_latency": [
        {"runtime": "ollama", "version": "0.9.1", "first_day": D1, "upgrades": 1, "median_days": 1.0, "max_days": 1},
    ],
    # M1 Ollama (4 hosts): open H1 (2) H4 (1) H6 (1) = 3 hosts, 4 visits; H5's only success was forbidden; H6's
    # locked port is auth_required (H6 counts under open and auth_required).
    "auth_by_runtime_month": [
        {"month": M1, "runtime": "ollama", "auth": "auth_required", "hosts": 1, "host_share": 1 / 4, "observations": 1},
        {"month": M1, "runtime": "ollama", "auth": "forbidden", "hosts": 1, "host_share": 1 / 4, "observations": 1},
        {"month": M1, "runtime": "ollama", "auth": "open", "hosts": 3, "host_share": 3 / 4, "observations": 4,
         "runtime_hosts": 4},
        {"month": M1, "runtime": "open_webui", "auth": "auth_required", "hosts": 1, "host_share": 1.0,
         "observations": 1},
        {"month": M1, "runtime": "unknown", "auth": "forbidden", "hosts": 1, "host_share": 1.0, "observations": 2},
        {"month": M1, "runtime": "vllm", "auth": "open", "hosts": 1, "host_share": 1.0, "observations": 1},
        {"month": M2, "runtime": "ollama", "auth": "auth_required", "hosts": 1, "host_share": 1.0, "observations": 1},
        {"month": M2, "runtime": "vllm", "auth": "auth_required", "hosts": 1, "host_share": 1.0, "observations": 1},
    ],
    # H1 upgrades 0.9.0 -> 0.9.1 on D2 past T-1's fix, first seen on H4 on D1 (1 day), 30 days after T-1's
    # publication; still affected on their last day: H5 and H6:11434 (0.9.0); H1's last day is locked (unknown).
    # T-3: no vLLM endpoint past 0.9.0; H2's last day is locked.
    "patch_latency": [
        {"runtime": "ollama", "advisory": "T-1", "fix_first_seen": D1, "upgrades_past_fix": 1,
         "median_days_from_fix_seen": 1.0, "max_days_from_fix_seen": 1, "median_days_from_published": 30.0,
         "endpoints_still_affected": 2},
        {"runtime": "vllm", "advisory": "T-3", "fix_first_seen": None, "upgrades_past_fix": 0,
         "endpoints_still_affected": 0},
    ],
    # M1 H1..H6: H1 H6 exposed (0.9.0, T-1, one request), H4 (0.9.1: T-2); H2's vLLM flaw needs credentials; H3 H5
    # never open. M2: H1 H2 locked.
    "unauth_exposure_share": [
        {"month": M1, "hosts": 6, "exposed_hosts": 3, "single_request_hosts": 2, "unknown_hosts": 0,
         "behind_auth_hosts": 2, "exposed_share": 0.5, "exposed_share_upper": 0.5},
        {"month": M2, "hosts": 2, "exposed_hosts": 0, "behind_auth_hosts": 2, "exposed_share": 0.0},
    ],
    # the same postures as auth_by_runtime_month, with their evidence; nothing answered through a proxy
    "auth_posture_by_month": [
        {"month": M1, "runtime": "ollama", "posture": "auth_required", "evidence": "http_401", "proxy": "none",
         "hosts": 1, "host_share": 1 / 4, "visits": 1},
        {"month": M1, "runtime": "ollama", "posture": "forbidden", "evidence": "http_403", "hosts": 1, "visits": 1},
        {"month": M1, "runtime": "ollama", "posture": "open", "evidence": "metadata_readable", "hosts": 3,
         "host_share": 3 / 4, "visits": 4, "runtime_hosts": 4},
        {"month": M1, "runtime": "open_webui", "posture": "auth_required", "hosts": 1, "visits": 1},
        {"month": M1, "runtime": "unknown", "posture": "forbidden", "hosts": 1, "visits": 2},
        {"month": M1, "runtime": "vllm", "posture": "open", "hosts": 1, "visits": 1},
        {"month": M2, "runtime": "ollama", "posture": "auth_required", "hosts": 1, "visits": 1},
        {"month": M2, "runtime": "vllm", "posture": "auth_required", "hosts": 1, "visits": 1},
    ],
    # H1 (Ollama) and H2 (vLLM) go from open to a 401 on D3
    "auth_transitions": [
        {"month": M2, "runtime": "ollama", "from_posture": "open", "to_posture": "auth_required", "endpoints": 1,
         "moved_behind_auth": True},
        {"month": M2, "runtime": "vllm", "from_posture": "open", "to_posture": "auth_required", "endpoints": 1,
         "moved_behind_auth": True},
    ],
    # vLLM H2 0.8.5 on D1 (T-3 affected), locked on D3 (version unknown)
    "advisory_exposure_by_month": [
        {"month": M1, "runtime": "ollama", "advisory": "T-1", "hosts": 4, "affected_hosts": 3, "unknown_hosts": 0,
         "not_affected_hosts": 1},
        {"month": M1, "runtime": "ollama", "advisory": "T-2", "hosts": 4, "affected_hosts": 4},
        {"month": M1, "runtime": "vllm", "advisory": "T-3", "hosts": 1, "affected_hosts": 1, "host_days": 1},
        {"month": M2, "runtime": "ollama", "advisory": "T-1", "hosts": 1, "affected_hosts": 0, "unknown_hosts": 1},
        {"month": M2, "runtime": "ollama", "advisory": "T-2", "hosts": 1, "affected_hosts": 0, "unknown_hosts": 1},
        {"month": M2, "runtime": "vllm", "advisory": "T-3", "hosts": 1, "affected_hosts": 0, "unknown_hosts": 1},
    ],
}  # fmt: skip
