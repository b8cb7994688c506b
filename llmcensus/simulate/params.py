"""Every parameter of the simulated internet, declared once: name, default, meaning, source.

Defaults are calibrated to the SentinelLABS/Censys study (``shared/reference/study.md``; row numbers
``§1 #n`` below). ``docs/simulation.md`` lists each parameter; a test fails when one is missing there.
Override any of them from the CLI with ``--param name=value`` (repeatable) or from Python with
``dataclasses.replace(Params(), name=value)``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from llmcensus.errors import ConfigError


def p(default: Any, help: str, source: str = "design choice") -> Any:
    return field(default=default, metadata={"help": help, "source": source})


def pf(factory: Any, help: str, source: str = "design choice") -> Any:
    return field(default_factory=factory, metadata={"help": help, "source": source})


TOP_COUNTRIES = {
    # Top 10 in THN's order; CN "slightly more than 30 %", US "just over 20 %" (§1 #15). The others are
    # not published (chart image only): chosen decreasing, summing with the long tail to 1.
    "CN": 0.305,
    "US": 0.205,
    "DE": 0.058,
    "FR": 0.034,
    "KR": 0.030,
    "IN": 0.027,
    "RU": 0.025,
    "SG": 0.022,
    "BR": 0.020,
    "GB": 0.018,
}
SUBDIVISION_TARGETS = {
    # Shares *within the country* (§1 #16, #17). Shanghai + Guangdong = 21 % combined.
    "CN": {"CN-BJ": 0.30, "CN-SH": 0.11, "CN-GD": 0.10},
    "US": {"US-VA": 0.18},
}
TIER_SHARES = {
    # §1 #12-13: hyperscalers 32 %, telecom/residential 32 %, 16 % of tier labels null; the rest
    # (indie VPS, academic, other) is not broken down in the report.
    "hyperscaler": 0.32,
    "telecom_residential": 0.32,
    "indie_cloud": 0.17,
    "academic": 0.025,
    "enterprise": 0.005,
    "unknown": 0.16,
}
ASN_CONCENTRATION = {
    # Fitted at full scale (docs/simulation.md, "ASNs and ASN types"): consumer ISPs (category residential)
    # many and small; unclassified, transit, mobile and hosting networks carry their hosts in a few large ASNs.
    # Measured (175,108 hosts; alpha 1 everywhere -> 6,294 ASNs, 32 % FAT, 28 % null): 3,959 ASNs, 55 % FAT, 18 % null.
    "residential": 0.85,
    "none": 1.7,
    "default": 8.0,
}
PORTFOLIO_SHARES = {
    # Distinct models a host carries over its life. The study (§1 #21-22) counts the largest inventory
    # seen on one day: 2-3 models on 41 % (the mode), >= 20 models on 1.46 %. A model removed before
    # another is pulled is never listed with it, so a host's peak is a little below its lifetime count:
    # the 20+ share here is fitted (1.65 %) so that the peak share is 1.46 %. Other buckets: not published.
    "0": 0.06,
    "1": 0.24,
    "2-3": 0.41,
    "4-9": 0.22,
    "10-19": 0.0535,
    "20+": 0.0165,
}


@dataclass(frozen=True)
class Params:
    # --- size and time
    seed: int = p(7, "random seed; the same seed and parameters give identical worlds, bytes and files")
    hosts: int = p(2_000, "Ollama hosts (distinct public addresses); full scale 175,108", "§1 #2")
    days: int = p(14, "days in the study window; one sweep per day; full scale 293", "§1 #3")
    start: date = p(date(2026, 1, 27), "first day of the window (UTC); chosen so the window reaches Ollama 0.33")
    # --- persistence (§1 #7-10): a transient layer atop a persistent backbone
    once_share: float = p(0.36, "hosts observed exactly once", "§1 #9: 36 % of hosts, < 1 % of observations")
    persistent_share: float = p(
        0.13,
        "hosts observed more than 100 times (scaled to short windows)",
        "§1 #8: 13 % of hosts -> ~76 % of observations",
    )
    persistent_gap_mean: float = p(
        55.0,
        "mean of (window - observations) for persistent hosts, in days",
        "fit: 0.76 x 7.23 M / 22,764 hosts = 241 obs of 293 days; 55 (238) with §1 #38",
    )
    persistent_gap_shape: float = p(
        120.0,
        "shape of the gamma distributions of (window - observations) for steady and intermittent persistent hosts "
        "(1 = exponential); larger values gather each group around its mean",
        "fit: §1 #38, ≈ 5,000 tool-capable hosts with uptime >= 0.8, mean uptime 87 %",
    )
    persistent_steady_share: float = p(
        0.42,
        "share of persistent hosts that are steady (up on nearly every day of the window); the others are "
        "intermittent (persistent hosts are up on n of the window's days, first and last included)",
        "fit: §1 #38-39, ≈ 5,000 tool-capable hosts with uptime >= 0.8 at 87 % mean uptime beside §1 #8",
    )
    persistent_steady_gap_mean: float = p(
        34.0,
        "mean of (window - observations) for steady persistent hosts, in days; the intermittent hosts' mean follows "
        "so that the persistent hosts' mean stays persistent_gap_mean",
        "fit: §1 #38-39 (the two gap means straddle the 0.8 uptime line: 34 and 70 days of 293)",
    )
    middle_obs_mean: float = p(
        18.8, "mean observations of the 2-100 layer", "fit: (7.23 M - 5.49 M - 63 k) / 89,305 hosts"
    )
    backbone_install_days: float = p(
        60.0,
        "the persistent backbone, there from the window's first day, was installed within this many days before "
        "it (other hosts seen on the first day: within a year)",
        "fit: §1 #28-31 as reported: the backbone's version mix (v0.6.4 / v0.9.0 report tools / thinking)",
    )
    churn_share: float = p(
        0.08,
        "telecom/residential hosts that are a reappearance of an earlier host at a new "
        "address (same installation, same inventory)",
        "§2.5 caveat: residential IP churn",
    )
    # --- geography and networks
    countries: int = p(130, "countries with at least one host", "§1 #4")
    top_countries: dict[str, float] = pf(lambda: dict(TOP_COUNTRIES), "share of hosts per top-10 country", "§1 #15")
    subdivisions: dict[str, dict[str, float]] = pf(
        lambda: {k: dict(v) for k, v in SUBDIVISION_TARGETS.items()},
        "share of a country's hosts per subdivision",
        "§1 #16-17",
    )
    asn_concentration: dict[str, float] = pf(
        lambda: dict(ASN_CONCENTRATION),
        "within a (subdivision, tier) cell and a network category (the pool's, 'none' when absent), an ASN "
        "holding b of the blocks is drawn with odds b^alpha; alpha by category, 'default' for the others "
        "(1 = every block alike)",
        "fit: §1 #5 4,032 ASNs; §1 #11, #13 read as shares of ASNs: 56 % fixed-access telecom, 19 % null",
    )
    tiers: dict[str, float] = pf(lambda: dict(TIER_SHARES), "share of hosts per infrastructure tier", "§1 #12-13")
    tier_persistence: dict[str, float] = pf(
        lambda: {"indie_cloud": 1.5, "hyperscaler": 1.1, "telecom_residential": 0.7},
        "relative odds of being persistent by tier (others 1.0); the overall share is preserved",
        "§1 #14: indie VPS 'high average persistence', telecom lower",
    )
    running_share_by_tier: dict[str, float] = pf(
        lambda: {
            "indie_cloud": 0.42,
            "hyperscaler": 0.33,
            "telecom_residential": 0.18,
            "academic": 0.30,
            "enterprise": 0.30,
            "unknown": 0.25,
        },
        "probability that a host has a model loaded (/api/ps non-empty) on a given day",
        "§1 #14: indie VPS 'elevated running share', telecom 'lower running share'",
    )
    persistent_running_share: float = p(
        0.97,
        "probability that a persistent host (> 100 observations) has models loaded on a given day; replaces "
        "its tier's running share",
        "fit: §1 #38, 1.8 models running on average among high-capability, high-availability hosts",
    )
    default_port_share: float = p(
        0.86,
        "hosts on 11434; the rest on 80/443/8080 behind nginx",
        "§2.1: FOFA port matrix (11434 ≈ 32 k of ~40 k records)",
    )
    # --- inventories
    portfolio: dict[str, float] = pf(
        lambda: dict(PORTFOLIO_SHARES),
        "distinct models a host carries over its life (buckets)",
        "§1 #21-22; 20+ fitted so the peak-inventory share is 1.46 %",
    )
    persistent_portfolio_tilt: float = p(
        1.22,
        "persistent hosts draw portfolio bucket b (ranked 0 = no model ... 5 = 20+) with odds P(b)·r^b; the "
        "other hosts are solved so the overall shares stay `portfolio` exactly",
        "§1 #22: public-library hosts 'disproportionately drive model-instance volume'; fit to §1 #20",
    )
    family_affinity: float = p(
        6.5,
        "odds multiplier for a host's further models to share the architecture family of its main model",
        "fit: §1 #23, 40,694 llama + qwen2 hosts = 52 % of multi-family hosts, so ~78 k multi-family hosts "
        "(45 %) although ~70 % of hosts carry two or more models; 5.5 -> 6.5 with the catalog refit for §1 #28 (qwen2 "
        "gained models, so more hosts paired llama with qwen2: 43,112 at seed scale, +6 %)",
    )
    initial_inventory_share: float = p(
        0.52,
        "share of a host's models (besides its first) already present when first seen; the rest are pulled "
        "during its life, from the catalog of that time",
        "fit: §1 #20, 3 models/obs in month 1 -> 4 later",
    )
    legacy_share: float = p(
        0.42,
        "hosts whose inventory was set up before `legacy_cutoff` (what they carry when first seen is from the "
        "catalog of that time; later pulls are not)",
        "fit: §1 #24-25, Q4_K_M on 48 % of hosts although 72 % of instances are 4-bit; gemma2 above qwen3 (§1 #18); "
        "0.49 -> 0.45 with the catalog refit for §1 #28 (more Q4_0 llama3 picks); 0.42 with the backbone refit for "
        "§1 #38 (the backbone's first inventory is the catalog of the window's first day)",
    )
    legacy_cutoff: date = p(
        date(2024, 9, 1),
        "end of the Q4_0 era of the Ollama library (llama3, mistral, gemma2, qwen2, llava ...: Q4_0 builds; "
        "from qwen2.5 and llama3.2 on, Q4_K_M)",
        "the library's model pages (default quantization by release date)",
    )
    removal_share: float = p(0.10, "share of model instances removed before the host's last day", "§5 #14")
    derivative_share: float = p(0.10, "share of model instances from user namespaces or hf.co pulls", "§2.4")
    cloud_host_share: float = p(0.05, "share of hosts on >= 0.12 that list cloud-proxied models", "§5 #24")
    third_party_share: float = p(0.015, "share of hosts carrying a third-party sentinel pull (smollm2:135m)", "§5 #8")
    windows_share: float = p(
        0.30,
        "hosts running Ollama on Windows: model timestamps in 100 ns ticks (7 fraction digits, trailing zeros "
        "trimmed) instead of nanoseconds",
        "real captures: 27 % of /api/tags modified_at carry 7 fraction digits, 4 % 8, 3 % 6, 66 % 9 "
        "(shared/data/captures/api_tags, weighted by MULTIPLICITY.csv)",
    )
    # --- configuration and misuse
    prompt_visible_share: float = p(
        0.25,
        "hosts with a visible system prompt (a custom model with SYSTEM)",
        "§1 #35: about a quarter of observed hosts",
    )
    misuse_share_of_visible: float = p(
        0.075,
        "share of visible-prompt hosts whose prompt falls in a misuse category",
        "§1 #36: ≈ 7.5 % of hosts with visible prompts",
    )
    guardrail_template_hosts: float = p(
        0.0018,
        "share of hosts assigned one of the standardized guardrail-removal templates (315 of 175,108 at full "
        "scale: some never show it on an observed day, and one in eight runs a near-duplicate edit that the "
        "exact-text clustering does not count)",
        "§1 #34: ≥ 201 hosts; fit: 0.00125 gave 148 through the report's SQL",
    )
    # --- versions
    upgrade_rate_per_year: float = p(0.02, "in-place upgrades per host-year", "§5 #14: 0.43-2.90 %/yr")
    version_lag_days: float = p(
        110.0,
        "mean lag between a release and the version a new install runs",
        "design choice; keeps a long tail of old versions",
    )
    old_version_share: float = p(
        0.26,
        "hosts on a version more than a year old (pre-0.6.4, no capabilities)",
        "fit: §1 #28-31 as reported (a model's own /api/show list, v0.6.4+): the study's window began when v0.6.4 "
        "was new, so more of its hosts reported nothing than a 2026 window's would; the version mix is not "
        "published (study.md, /api/version row). 0.12 -> 0.26 scales tools, vision and thinking alike",
    )
    # --- the things that fool naive tools (extra targets beyond the Ollama hosts, as shares of `hosts`)
    honeypot_farms: int = p(3, "clone farms (identical inventories and nanosecond timestamps)", "§3.10, §5 #7")
    honeypot_share: float = p(0.012, "share of Ollama-looking addresses that are clone-farm members", "§5 #7")
    lookalike_share: float = p(
        0.03,
        "extra targets that are look-alikes (LocalAI, llama.cpp, SGLang, Open WebUI, KoboldCpp)",
        "§2.1 pitfalls, protocols §2",
    )
    auth_share: float = p(0.02, "extra targets that are Ollama behind an authenticating proxy (401/403)", "§5 #3")
    silent_share: float = p(0.01, "extra targets that accept and never answer", "design choice")
    refused_share: float = p(0.01, "extra targets that refuse connections", "design choice")
    garbage_share: float = p(0.003, "extra targets answering bytes that are not HTTP", "design choice")
    origins_wildcard_share: float = p(0.15, "hosts with OLLAMA_ORIGINS=* (foreign Origin allowed)", "protocols §1.10")
    # --- the other runtimes (issue #16): extra hosts beside the Ollama world, from their own random stream
    other_runtimes: float = p(
        1.0,
        "scale of the other runtimes' populations: runtime r gets round(hosts x ratio(r) x this) hosts over the"
        " window, ratio(r) = its public count / Ollama's on the same engine and date (0 = Ollama world only)",
        "exposure.md A/B rows: Hou et al. FOFA (Open WebUI 0.240, vLLM 0.039, llama.cpp 0.027, text-generation-webui"
        " 0.013), NuClide Shodan (LiteLLM 0.165); others assumed 0.0066 (docs/simulation.md, Runtime shares)",
    )
    # --- planted lineage events (issue #18): what a lineage monitor must catch, on known days
    lineage_events: Any = pf(
        list,
        "lineage events planted on top of the drawn inventories (simulate/lineage_plan.py): [] none, \"demo\" the "
        "built-in plan (a release, its abliterated derivative, a modified digest, an exposure jump), or a list of "
        "{kind, model, day, hosts, per_day}; ground truth in truth/lineage_events.json",
        "design choice: off by default so the calibrated figures stay as they are",
    )

    def __post_init__(self) -> None:
        if self.hosts < 1 or self.days < 1:
            raise ConfigError("hosts and days must be at least 1")
        for name in (
            "once_share",
            "persistent_share",
            "prompt_visible_share",
            "default_port_share",
            "initial_inventory_share",
            "legacy_share",
            "windows_share",
            "persistent_running_share",
            "persistent_steady_share",
        ):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name} must be within [0, 1], got {v}")
        if self.other_runtimes < 0.0:
            raise ConfigError(f"other_runtimes must not be negative, got {self.other_runtimes}")
        if self.persistent_gap_shape <= 0.0:
            raise ConfigError(f"persistent_gap_shape must be positive, got {self.persistent_gap_shape}")
        if not 0.0 <= self.persistent_steady_share * self.persistent_steady_gap_mean <= self.persistent_gap_mean:
            raise ConfigError("persistent_steady_share x persistent_steady_gap_mean must lie within [0, "
                              f"persistent_gap_mean = {self.persistent_gap_mean:g}] (the intermittent hosts' gap "
                              "makes up the rest of the mean)")
        if self.family_affinity <= 0.0:
            raise ConfigError(f"family_affinity must be positive, got {self.family_affinity}")
        if self.persistent_portfolio_tilt <= 0.0:
            raise ConfigError(f"persistent_portfolio_tilt must be positive, got {self.persistent_portfolio_tilt}")
        if self.once_share + self.persistent_share > 1.0:
            raise ConfigError("once_share + persistent_share must not exceed 1")
        if abs(sum(self.portfolio.values()) - 1.0) > 1e-6:
            raise ConfigError("portfolio shares must sum to 1")
        if abs(sum(self.tiers.values()) - 1.0) > 1e-6:
            raise ConfigError("tier shares must sum to 1")
        if self.lineage_events:
            from llmcensus.simulate.lineage_plan import events

            events(self)

    def to_json(self) -> str:
        d = {k: v.isoformat() if isinstance(v, date) else v for k, v in dataclasses.asdict(self).items()}
        if not d["lineage_events"]:  # left out when off: worlds saved before the parameter existed still match
            del d["lineage_events"]
        return json.dumps(d)  # insertion order kept: sampling follows the order of the share tables


def param_table() -> list[tuple[str, str, str, str]]:
    """(name, default, help, source) for every parameter — the source of docs/simulation.md's table."""
    rows = []
    defaults = Params()
    for f in dataclasses.fields(Params):
        value = getattr(defaults, f.name)
        shown = (
            value.isoformat()
            if isinstance(value, date)
            else json.dumps(value)
            if isinstance(value, dict)
            else repr(value)
        )
        rows.append((f.name, shown, f.metadata["help"], f.metadata["source"]))
    return rows


def with_overrides(base: Params, overrides: list[str]) -> Params:
    """Apply ``name=value`` strings (JSON values; dates as YYYY-MM-DD)."""
    names = {f.name: f for f in dataclasses.fields(Params)}
    changes: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"parameter override must be name=value: {item!r}")
        name, text = item.split("=", 1)
        name = name.strip().replace("-", "_")
        if name not in names:
            raise ConfigError(f"unknown simulation parameter: {name} (see docs/simulation.md)")
        current = getattr(base, name)
        try:
            if isinstance(current, date):
                changes[name] = date.fromisoformat(text)
            else:
                value = json.loads(text)
                changes[name] = float(value) if isinstance(current, float) and isinstance(value, int) else value
        except ValueError:
            if name != "lineage_events":
                raise ConfigError(f"bad value for {name}: {text!r}") from None
            changes[name] = text  # a plan's name (demo) may be given unquoted
    return dataclasses.replace(base, **changes)


def params_from_json(text: str) -> Params:
    """Inverse of ``Params.to_json``."""
    data = json.loads(text)
    defaults = Params()
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Params):
        if f.name not in data:
            continue
        value = data[f.name]
        out[f.name] = date.fromisoformat(value) if isinstance(getattr(defaults, f.name), date) else value
    return Params(**out)
