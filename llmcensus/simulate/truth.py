"""Ground truth: the world's labels as Parquet, and the expected value of the study's metrics.

The expected values are computed from the world's own arrays with numpy, independently of the SQL
analytics, using the same definitions (``docs/metrics.md``): a host is an address seen answering as
Ollama at least once; an observation is a host-day on which it answered; a model "on" a host is
one present on at least one of its observed days; instance shares count (observation, model) pairs.
Each figure is computed for scope ``all`` (what a naive scanner sees, clone farms included, as in
the study) and ``unflagged`` (clone-farm members removed).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.simulate import adoption_truth, lineage_plan
from llmcensus.simulate.geopool import asns_of
from llmcensus.simulate.population import hosts_table
from llmcensus.simulate.reported import CAPABILITIES, K, reported, versions_seen
from llmcensus.simulate.runtime_world import runtime_hosts_table
from llmcensus.simulate.world import World
from llmcensus.store.layout import Layout

PERSISTENT_MIN_OBS = 100
PUBLIC_LIBRARY_MIN_MODELS = 20


def _bits(quant: str) -> int | None:
    q = quant.upper()
    if q in ("F16", "BF16", "FP16"):
        return 16
    if q in ("F32",):
        return 32
    if q.startswith(("Q8", "FP8")):
        return 8
    for b in (2, 3, 4, 5, 6):
        if q.startswith(f"Q{b}") or q.startswith(f"IQ{b}"):
            return b
    if q.startswith("MXFP4"):
        return 4
    return None


def _band(params_b: float) -> str:
    if params_b < 1:
        return "<1B"
    for edge, name in ((3.5, "1-3B"), (7.5, "4-7B"), (14.5, "8-14B"), (34.5, "15-34B"), (70.5, "35-70B")):
        if params_b < edge:
            return name
    return ">70B"


def _param_b(text: str) -> float:
    t = text.strip().upper()
    mult = {"B": 1.0, "M": 1e-3, "K": 1e-6, "T": 1e3}
    try:
        return float(t[:-1]) * mult.get(t[-1], 1.0)
    except (ValueError, IndexError):
        return 0.0


def expected_metrics(world: World) -> dict[str, Any]:
    h = world.hosts
    inv = world.inventory
    specs = inv.specs
    up_keys = h.up_host.astype(np.int64) * K + h.up_day
    ollama_like = np.isin(h.behaviour, ["ollama", "honeypot"])
    # observed-day counts of each instance: up days of its host within [add, remove)
    base = inv.host.astype(np.int64) * K
    obs_days = np.searchsorted(up_keys, base + inv.remove_day) - np.searchsorted(up_keys, base + inv.add_day)
    on_host = obs_days > 0
    seen = _seen_as_reported(world)
    counted = ollama_like & (np.bincount(h.up_host, minlength=h.n) > 0)
    # the database's answer for each host's own address (geopool.asns_of: the pool labels a /24 by one address);
    # ~0.4 ms an address, so once for both scopes (-1: none)
    asn = np.full(h.n, -1, dtype=np.int64)
    asn[counted] = [-1 if a is None else a for a in asns_of(int(x) for x in h.ip[counted])]
    out: dict[str, Any] = {}
    for scope in ("all", "unflagged"):
        hosts_mask = counted.copy()
        if scope == "unflagged":
            hosts_mask &= h.behaviour != "honeypot"
        out[scope] = _scope_metrics(world, hosts_mask, on_host, obs_days, up_keys, seen, asn)
    out["params"] = json.loads(world.params.to_json())
    out["definitions"] = {
        "host": "an address (ip) seen answering as Ollama at least once",
        "observation": "a host-day on which the host answered",
        "instance": "an (observation, model) pair; model shares exclude cloud-proxied stubs",
        "persistent_min_obs": PERSISTENT_MIN_OBS,
        "public_library_min_models": PUBLIC_LIBRARY_MIN_MODELS,
    }
    _ = specs
    return out


def _seen_as_reported(world: World) -> dict[str, np.ndarray]:
    """Per instance: whether a reader sees each capability as "yes" (and Q4_K_M, key ``q4``) on at least one of its
    observed days, from the version the host ran that day (``reported.py``). A host runs ``version_idx`` before
    ``upgrade_day`` and ``upgrade_idx`` from it on, so an instance's observed days fall in at most two versions."""
    inv = world.inventory
    table = reported(world)
    before, after, v_before, v_after = versions_seen(world)
    canned = (world.hosts.behaviour[inv.host] == "honeypot").astype(np.int64)
    out: dict[str, np.ndarray] = {}
    for key, t in (*table.caps.items(), ("q4", table.q4)):
        out[key] = (before & t[canned, inv.spec, v_before]) | (after & t[canned, inv.spec, v_after])
    return out


def _scope_metrics(
    world: World, hosts_mask: np.ndarray, on_host: np.ndarray, obs_days: np.ndarray, up_keys: np.ndarray,
    seen: dict[str, np.ndarray], asn: np.ndarray,
) -> dict[str, Any]:
    h = world.hosts
    inv = world.inventory
    specs = inv.specs
    hosts_idx = np.nonzero(hosts_mask)[0]
    n_hosts = int(hosts_idx.shape[0])
    obs = np.bincount(h.up_host, minlength=h.n)[hosts_idx]
    total_obs = int(obs.sum())
    m: dict[str, Any] = {"unique_hosts": n_hosts, "observations": total_obs}
    m["obs_per_host_mean"] = total_obs / n_hosts if n_hosts else 0.0
    per = obs > PERSISTENT_MIN_OBS
    one = obs == 1
    m["persistent_host_share"] = float(per.mean()) if n_hosts else 0.0
    m["persistent_observation_share"] = float(obs[per].sum() / total_obs) if total_obs else 0.0
    m["single_host_share"] = float(one.mean()) if n_hosts else 0.0
    m["single_observation_share"] = float(obs[one].sum() / total_obs) if total_obs else 0.0
    countries = Counter(str(c) for c in h.country[hosts_idx])
    m["countries"] = len(countries)
    m["asns"] = len(set(asn[hosts_idx].tolist()) - {-1})
    m["country_share"] = {c: v / n_hosts for c, v in countries.most_common(10)}
    for country, subs in (("CN", ("CN-BJ",)), ("CN", ("CN-SH", "CN-GD")), ("US", ("US-VA",))):
        in_c = h.country[hosts_idx] == country
        share = float(np.isin(h.subdivision[hosts_idx][in_c], subs).mean()) if in_c.any() else 0.0
        m[f"subdivision_share.{'+'.join(subs)}"] = share
    tiers = Counter(str(t) for t in h.tier[hosts_idx])
    m["tier_share"] = {t: v / n_hosts for t, v in sorted(tiers.items())}

    # instances on hosts in scope
    sel = np.nonzero(hosts_mask[inv.host] & on_host)[0]
    cloud = np.array([s.kind == "cloud" for s in specs])
    local = sel[~cloud[inv.spec[sel]]]
    weights = obs_days[local]
    bits = np.array([_bits(s.quantization) or 0 for s in specs])
    # hf.co pulls on hosts older than 0.30 report "unknown": the truth counts what the API exposes
    total_w = float(weights.sum())
    bit_w: Counter[int] = Counter()
    for b, w in zip(bits[inv.spec[local]], weights, strict=True):
        bit_w[int(b)] += int(w)
    m["bit_width_instance_share"] = {str(b): w / total_w for b, w in sorted(bit_w.items()) if b} if total_w else {}
    # what hosts *report* (reported.py): an hf.co pull lists "unknown" before v0.30, no version before v0.1.15 sends a
    # quantization at all
    q4 = np.zeros(h.n, dtype=bool)
    q4[inv.host[local[seen["q4"][local]]]] = True
    m["q4_k_m_host_share"] = float(q4[hosts_idx].mean()) if n_hosts else 0.0

    # portfolio: the largest inventory seen on any observed day
    max_models = _max_models(world, hosts_idx, up_keys)
    m["public_library_host_share"] = float((max_models >= PUBLIC_LIBRARY_MIN_MODELS).mean()) if n_hosts else 0.0
    buckets = Counter(_portfolio_bucket(int(x)) for x in max_models)
    m["portfolio_share"] = {b: v / n_hosts for b, v in sorted(buckets.items())}

    # families, co-deployment, capabilities, bands per host (local models on observed days)
    host_fams: dict[int, set[str]] = {}
    host_caps: dict[int, set[str]] = {}
    host_bands: dict[int, set[str]] = {}
    for i in local:
        s = specs[inv.spec[i]]
        hh = int(inv.host[i])
        host_fams.setdefault(hh, set()).add(s.family)
        host_caps.setdefault(hh, set()).update(c for c in CAPABILITIES if seen[c][i])
        host_bands.setdefault(hh, set()).add(_band(_param_b(s.parameter_size)))
    fam_hosts = Counter(f for fams in host_fams.values() for f in fams)
    m["family_rank"] = [f for f, _ in fam_hosts.most_common(20)]
    m["family_host_share"] = {f: v / n_hosts for f, v in fam_hosts.most_common(20)}
    multi = [f for f in host_fams.values() if len(f) >= 2]
    m["multi_family_hosts"] = len(multi)
    llama_qwen2 = sum(1 for f in multi if {"llama", "qwen2"} <= f)
    m["llama_qwen2_multi_family_share"] = llama_qwen2 / len(multi) if multi else 0.0
    m["llama_qwen2_host_share"] = llama_qwen2 / n_hosts if n_hosts else 0.0
    for cap in ("tools", "vision", "thinking", "embedding", "insert"):
        m[f"capability_host_share.{cap}"] = sum(1 for c in host_caps.values() if cap in c) / n_hosts
    m["completion_tools_including_share"] = sum(1 for c in host_caps.values() if {"completion", "tools"} <= c) / n_hosts
    m["completion_tools_exact_share"] = sum(1 for c in host_caps.values() if c == {"completion", "tools"}) / n_hosts
    bands = Counter(b for bs in host_bands.values() for b in bs)
    m["parameter_band_host_share"] = {b: v / n_hosts for b, v in sorted(bands.items())}
    pairs = sum(bands.values())  # (host, band) pairs: parameter_bands.host_band_share, the reading of §1 #27
    m["parameter_band_pair_share"] = {b: v / pairs for b, v in sorted(bands.items())} if pairs else {}

    # models per observation by month (all models, cloud included, as /api/tags lists them)
    m["models_per_observation_by_month"] = _models_per_obs_by_month(world, hosts_idx, up_keys)

    # system prompts
    visible = set()
    labels: dict[int, str] = {}
    for i in sel:
        s = specs[inv.spec[i]]
        if s.system is not None:
            visible.add(int(inv.host[i]))
            labels[int(inv.host[i])] = s.prompt_label or "benign"
    m["system_prompt_visible_share"] = len(visible) / n_hosts if n_hosts else 0.0
    m["guardrail_template_hosts"] = sum(1 for v in labels.values() if v == "guardrail_removal")
    misuse = sum(1 for v in labels.values() if v not in ("benign", "guardrail_removal"))
    m["misuse_share_of_visible"] = misuse / len(visible) if visible else 0.0
    return m


def _portfolio_bucket(n: int) -> str:
    if n <= 1:
        return str(n)
    if n <= 3:
        return "2-3"
    if n <= 5:
        return "4-5"
    if n <= 10:
        return "6-10"
    if n <= 19:
        return "11-19"
    return "20+"


def _present_counts(world: World, q_host: np.ndarray, q_day: np.ndarray) -> np.ndarray:
    """Models listed on (host, day) for many queries at once: #added <= day minus #removed <= day."""
    inv = world.inventory
    add_keys = np.sort(inv.host.astype(np.int64) * K + inv.add_day)
    rem_keys = np.sort(inv.host.astype(np.int64) * K + inv.remove_day)
    q = q_host.astype(np.int64) * K + q_day
    lo = q_host.astype(np.int64) * K
    added = np.searchsorted(add_keys, q, side="right") - np.searchsorted(add_keys, lo, side="left")
    removed = np.searchsorted(rem_keys, q, side="right") - np.searchsorted(rem_keys, lo, side="left")
    return np.asarray(added - removed)


def _max_models(world: World, hosts_idx: np.ndarray, up_keys: np.ndarray) -> np.ndarray:
    h = world.hosts
    in_scope = np.isin(h.up_host, hosts_idx)
    counts = _present_counts(world, h.up_host[in_scope], h.up_day[in_scope])
    best = np.zeros(h.n, dtype=np.int64)
    np.maximum.at(best, h.up_host[in_scope], counts)
    result: np.ndarray = best[hosts_idx]
    return result


def _models_per_obs_by_month(world: World, hosts_idx: np.ndarray, up_keys: np.ndarray) -> dict[str, float]:
    h = world.hosts
    in_scope = np.isin(h.up_host, hosts_idx)
    counts = _present_counts(world, h.up_host[in_scope], h.up_day[in_scope])
    months = np.array(
        [(world.params.start + timedelta(days=int(d))).strftime("%Y-%m") for d in range(world.params.days)]
    )
    month_of = months[h.up_day[in_scope]]
    out: dict[str, float] = {}
    for mth in sorted(set(months.tolist())):
        sel = month_of == mth
        if sel.any():
            out[mth] = float(counts[sel].mean())
    return out


def lineage_adoption(world: World) -> dict[str, Any]:
    """Adoption of every lineage per month as a correct observatory reports it (``lineage_adoption_by_month``), by
    attributable lineage (``adoption_truth.py``), with how many listed builds nothing on the wire attributes."""
    listed = adoption_truth.listings(world)
    return {"adoption": adoption_truth.adoption(world, lst=listed),
            "attribution": adoption_truth.attribution_summary(world, listed),
            "definitions": {"lineage": "the attributable lineage: what the name, licence, architecture family or "
                                       f"template on the wire names ({adoption_truth.UNATTRIBUTED!r}: none)",
                            "hosts": "addresses listing a local model of the lineage on a day they answered",
                            "month_hosts": "addresses of any runtime whose successful visit listed a local model"}}


def write_truth(world: World, out: Path) -> Path:
    """Write ``<out>/truth/``: hosts, instances, specs, up-days (Parquet), expected metrics and adoption per lineage
    (JSON); with planted lineage events, ``lineage_events.json`` (``lineage_plan.truth``)."""
    d = Layout(out).truth
    d.mkdir(parents=True, exist_ok=True)
    h = world.hosts
    inv = world.inventory
    pq.write_table(hosts_table(h, world.params.start.toordinal()), d / "hosts.parquet", compression="zstd")
    specs = inv.specs
    pq.write_table(
        pa.table(
            {
                "spec": pa.array(np.arange(len(specs), dtype=np.int32)),
                "name": [s.name for s in specs],
                "digest": [s.digest for s in specs],
                "lineage": [s.lineage for s in specs],
                "family": [s.family for s in specs],
                "parameter_size": [s.parameter_size for s in specs],
                "quantization": [s.quantization for s in specs],
                "capabilities": [list(s.capabilities) for s in specs],
                "kind": [s.kind for s in specs],
                "base": [s.base for s in specs],
                "prompt_label": [s.prompt_label for s in specs],
                "uncensored_name": [s.uncensored_name for s in specs],
            }
        ),
        d / "specs.parquet",
        compression="zstd",
    )
    pq.write_table(
        pa.table(
            {
                "host_id": pa.array(inv.host),
                "spec": pa.array(inv.spec),
                "add_day": pa.array(inv.add_day),
                "remove_day": pa.array(inv.remove_day),
                "modified_ns": pa.array(inv.modified_ns),
            }
        ),
        d / "instances.parquet",
        compression="zstd",
    )
    pq.write_table(
        pa.table({"host_id": pa.array(h.up_host), "day": pa.array(h.up_day)}), d / "up_days.parquet", compression="zstd"
    )
    if world.runtimes is not None:  # the other runtimes' hosts (runtime_world.py), one row each
        pq.write_table(runtime_hosts_table(world.runtimes), d / "runtime_hosts.parquet", compression="zstd")
    (d / "metrics.json").write_text(json.dumps(expected_metrics(world), indent=1, sort_keys=True))
    (d / "lineage_adoption.json").write_text(json.dumps(lineage_adoption(world), indent=1, sort_keys=True))
    if world.params.lineage_events:  # planted lineage events (lineage_plan.py) and what a monitor must report
        (d / "lineage_events.json").write_text(json.dumps(lineage_plan.truth(world), indent=1, sort_keys=True))
    return d
