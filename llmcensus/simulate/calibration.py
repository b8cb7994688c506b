"""The study's headline figures as checkable targets for the simulator's ground truth.

Issue 2, acceptance 4: the ground truth of a full-scale study (``truth.expected_metrics``, scope
``all``: what a naive scanner sees, clone farms included, as in the study) reproduces each headline
figure of ``shared/reference/study.md`` §1 within ±1 percentage point; models per observation
within ±0.15 models; rankings and "most common" statements exactly. ``check_headline`` is the one
definition used by ``tests/test_simulate_calibration.py`` (smaller scale) and
``bench/simulate_fullscale.py`` (full scale). ``check_reported_capabilities`` guards tools, vision and thinking as
hosts *report* them (issue 17), the reading the report's published rows use, within issue 17's ± 2 pp.

How to read a smaller-scale run: every figure is a share (or a mean), so its expected value does
not depend on scale, but its sampling error does. Observation-weighted figures (bit widths, models
per observation) rest on the persistent core (13 % of hosts carry 76 % of observations) whose
portfolios are heavy-tailed: at 20,000 hosts they move by up to ~1 pp (bit widths) and ~0.1 model
(models per observation) from seed to seed, three times the full-scale spread. A smaller run that
misses by that much is confirmed at full scale before anything is retuned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcensus.simulate.reported import versions_seen
from llmcensus.simulate.versions import RELEASES, parse_version
from llmcensus.simulate.world import World

FULL_SCALE_HOSTS = 175_108
FULL_SCALE_DAYS = 293
PP = 0.01  # one percentage point, as a share


@dataclass(frozen=True)
class Target:
    """A share (0-1) that must be within ``tolerance`` of ``value``."""

    metric: str  # key in the scope's metrics; "a.b" reads metrics["a"]["b"] when "a" is a dict
    value: float
    source: str
    tolerance: float = PP


@dataclass(frozen=True)
class Check:
    name: str
    observed: str
    target: str
    ok: bool


SHARE_TARGETS: tuple[Target, ...] = (
    Target("persistent_host_share", 0.13, "§1 #8"),
    Target("persistent_observation_share", 0.76, "§1 #8"),
    Target("single_host_share", 0.36, "§1 #9"),
    Target("country_share.CN", 0.305, "§1 #15: slightly more than 30 %"),
    Target("country_share.US", 0.205, "§1 #15: just over 20 %"),
    Target("subdivision_share.CN-BJ", 0.30, "§1 #16"),
    Target("subdivision_share.CN-SH+CN-GD", 0.21, "§1 #16"),
    Target("subdivision_share.US-VA", 0.18, "§1 #17"),
    Target("tier_share.hyperscaler", 0.32, "§1 #12"),
    Target("tier_share.telecom_residential", 0.32, "§1 #12"),
    Target("tier_share.unknown", 0.16, "§1 #13"),
    Target("portfolio_share.2-3", 0.41, "§1 #21"),
    Target("public_library_host_share", 0.0146, "§1 #22"),
    # issue 17: 52.6 % at seed scale (bench/simulate_fullscale.py judges ± 2 pp there), ~50.7 % at 20,000 hosts,
    # where the seed's draw of ~9,000 multi-family hosts moves it by about a point: guarded at ± 3.5 pp here
    Target("llama_qwen2_multi_family_share", 0.52, "§1 #23", tolerance=3.5 * PP),
    # 40,694 of 175,108 hosts: with the share above, this pins the number of multi-family hosts (issue 17)
    Target("llama_qwen2_host_share", 40_694 / 175_108, "§1 #23"),
    Target("q4_k_m_host_share", 0.48, "§1 #24: as reported (hf.co pulls say 'unknown' before v0.30)"),
    Target("bit_width_instance_share.4", 0.72, "§1 #25"),
    Target("bit_width_instance_share.16", 0.19, "§1 #25"),
    Target("system_prompt_visible_share", 0.25, "§1 #35"),
    Target("misuse_share_of_visible", 0.075, "§1 #36"),
)
FAMILY_TOP5 = ("llama", "qwen2", "gemma2", "qwen3", "nomic-bert")  # §1 #18
MPO_FIRST, MPO_LATER = 3.0, 4.0  # §1 #20: 3 models per observation in March -> 4 by September-December
LATER_MONTHS = 4  # the study's "September-December": the last four months of its window
GUARDRAIL_HOSTS = 201  # §1 #34, at full scale; scaled with the host count
# §1 #28, #30, #31: shares of hosts whose own models *report* the capability (issue 17: the study counted what hosts
# returned; "hosts on older versions return no capabilities, so the shares depend on the version mix")
REPORTED_CAPABILITIES = {"tools": 0.48, "vision": 0.22, "thinking": 0.26}


def _get(metrics: dict[str, Any], key: str) -> float:
    if key in metrics:
        return float(metrics[key])
    head, _, tail = key.partition(".")
    return float(metrics.get(head, {}).get(tail, 0.0))


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def mpo_first_later(metrics: dict[str, Any]) -> tuple[float, float]:
    """Models per observation in the window's first calendar month, and mean of its last four months."""
    months = list(metrics["models_per_observation_by_month"].values())
    later = months[-LATER_MONTHS:] if len(months) > LATER_MONTHS else months[1:] or months
    return float(months[0]), float(sum(later) / len(later))


def check_headline(metrics: dict[str, Any], *, hosts: int, mpo_tolerance: float = 0.15) -> list[Check]:
    """Every headline figure of one scope's metrics against its target (``ok`` = within tolerance)."""
    out = []
    for t in SHARE_TARGETS:
        v = _get(metrics, t.metric)
        out.append(
            Check(t.metric, _pct(v), f"{_pct(t.value)} ± {100 * t.tolerance:g} pp", abs(v - t.value) <= t.tolerance)
        )
    out.append(
        Check(
            "single_observation_share",
            _pct(metrics["single_observation_share"]),
            "< 1 %",
            metrics["single_observation_share"] < PP,
        )
    )
    portfolio = metrics["portfolio_share"]
    mode = max(portfolio, key=portfolio.get)
    out.append(Check("portfolio_mode", mode, "2-3", mode == "2-3"))
    top5 = tuple(metrics["family_rank"][:5])
    out.append(Check("family_rank_top5", ", ".join(top5), ", ".join(FAMILY_TOP5), top5 == FAMILY_TOP5))
    bands = metrics["parameter_band_host_share"]
    band = max(bands, key=bands.get) if bands else ""
    out.append(Check("parameter_band_mode", band, "8-14B", band == "8-14B"))
    # §1 #27 read as the share of (host, band) pairs (docs/simulation.md; the tolerance for shares, ± 2 pp)
    pair = metrics["parameter_band_pair_share"].get("8-14B", 0.0)
    out.append(Check("parameter_band_pair_share.8-14B", _pct(pair), "26 % ± 2 pp", abs(pair - 0.26) <= 2 * PP))
    first, later = mpo_first_later(metrics)
    tol = f"± {mpo_tolerance:g}"
    out.append(
        Check(
            "models_per_observation.first_month",
            f"{first:.2f}",
            f"{MPO_FIRST:g} {tol}",
            abs(first - MPO_FIRST) <= mpo_tolerance,
        )
    )
    out.append(
        Check(
            "models_per_observation.last_4_months",
            f"{later:.2f}",
            f"{MPO_LATER:g} {tol}",
            abs(later - MPO_LATER) <= mpo_tolerance,
        )
    )
    need = int(GUARDRAIL_HOSTS * hosts / FULL_SCALE_HOSTS)
    got = int(metrics["guardrail_template_hosts"])
    out.append(Check("guardrail_template_hosts", str(got), f">= {need}", got >= need))
    return out


def reported_capability_shares(world: World) -> dict[str, float]:
    """Share of hosts (scope ``all``) reporting each capability: ``reported_capability_hosts``."""
    hosts, counted = reported_capability_hosts(world)
    return {c: float(m[counted].mean()) if counted.any() else 0.0 for c, m in hosts.items()}


def reported_capability_hosts(world: World) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per capability, the mask of hosts (scope ``all``) with a local model whose *own* capability list names it on
    at least one observed day, and the mask of the hosts counted: the reading of §1 #28-31 that the report's
    ``capability_coverage.share_reported`` computes from what the probe recorded (issue 17). No inference from
    templates or architectures: a genuine host lists from v0.6.4 (``thinking`` from v0.9.0; before v0.6.8 a separate
    projector does not make ``vision``), a clone-farm member only from v0.30 (its canned /api/show has no list,
    ``/api/tags`` has one from then on). ``reported.py`` restates the same wire rules with Ollama's inference on top,
    for the on-disk truth."""
    h, inv = world.hosts, world.inventory
    versions = [parse_version(v) for v, _ in RELEASES]
    at = {b: next(i for i, v in enumerate(versions) if v >= b) for b in ((0, 6, 4), (0, 6, 8), (0, 9, 0), (0, 30, 0))}
    n_s, n_r = len(inv.specs), len(versions)
    r = np.arange(n_r)
    table = {c: np.zeros((2, n_s, n_r), dtype=bool) for c in REPORTED_CAPABILITIES}
    for i, spec in enumerate(inv.specs):
        if spec.kind == "cloud":
            continue
        show = world.show_for(i)
        clip_only = "clip" in (spec.families or ()) and not any(
            str(k).endswith(".vision.block_count") for k in show.model_info
        )
        for c in REPORTED_CAPABILITIES:
            since = (0, 9, 0) if c == "thinking" else (0, 6, 8) if c == "vision" and clip_only else (0, 6, 4)
            first = at[since]
            table[c][0, i] = (c in show.capabilities) & (r >= first)
            table[c][1, i] = (c in spec.capabilities) & (r >= at[(0, 30, 0)])
    before, after, v_before, v_after = versions_seen(world)
    canned = (h.behaviour[inv.host] == "honeypot").astype(np.int64)
    counted = np.isin(h.behaviour, ["ollama", "honeypot"]) & (np.bincount(h.up_host, minlength=h.n) > 0)
    out = {}
    for c, t in table.items():
        seen = (before & t[canned, inv.spec, v_before]) | (after & t[canned, inv.spec, v_after])
        mask = np.zeros(h.n, dtype=bool)
        mask[inv.host[seen]] = True
        out[c] = mask
    return out, counted


def high_availability_tool_hosts(world: World, min_uptime: float = 0.8) -> tuple[int, float]:
    """§1 #38 as the report reads it (``high_capability_availability.hosts_reported``): hosts reporting tools whose
    uptime (up days / days from the first up day to the window's end: every simulated day is a sweep day) is at
    least ``min_uptime``; their count and mean uptime."""
    h = world.hosts
    tools, counted = reported_capability_hosts(world)
    days = np.bincount(h.up_host, minlength=h.n)
    first = np.full(h.n, np.iinfo(np.int64).max)
    np.minimum.at(first, h.up_host, h.up_day.astype(np.int64))
    uptime = np.where(days > 0, days / np.maximum(1, world.params.days - first), 0.0)
    subset = counted & tools["tools"] & (uptime >= min_uptime)
    return int(subset.sum()), float(uptime[subset].mean()) if subset.any() else 0.0


def check_high_availability(world: World, tolerance: float = 0.10) -> list[Check]:
    """§1 #38: ≈ 5,000 high-capability, high-availability hosts (scaled to the study's hosts; ``tolerance`` of it:
    a 20,000-host world holds ~570 of them) at 87 % mean uptime (± 2 pp)."""
    count, mean = high_availability_tool_hosts(world)
    scaled = count * FULL_SCALE_HOSTS / world.params.hosts
    return [Check("high_availability_tool_hosts", f"{scaled:,.0f}", f"5,000 ± {100 * tolerance:g} %",
                  abs(scaled - 5_000) <= tolerance * 5_000),
            Check("high_availability_mean_uptime", _pct(mean), "87 % ± 2 pp", abs(mean - 0.87) <= 2 * PP)]  # fmt: skip


def check_reported_capabilities(world: World, tolerance: float = 2 * PP) -> list[Check]:
    """§1 #28, #30, #31 as hosts report them, against the study (issue 17's tolerance: ± 2 pp)."""
    shares = reported_capability_shares(world)
    return [
        Check(f"reported_capability_share.{c}", _pct(shares[c]), f"{_pct(v)} ± {100 * tolerance:g} pp",
              abs(shares[c] - v) <= tolerance)
        for c, v in REPORTED_CAPABILITIES.items()
    ]  # fmt: skip
