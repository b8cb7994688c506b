"""Inventories: which model builds each host carries, from when until when.

One row per *model instance* (a host carrying a digest), column-wise:
``host, spec, add_day, remove_day (exclusive; days past the window mean never), modified_ns``.
Calibration (Params): portfolio sizes (distinct models per host), growth (models present at first
sight vs pulled later; later-born hosts carry more), removals, quantization variants, derivatives,
cloud stubs, a third-party sentinel pull, and custom models carrying a SYSTEM prompt (benign,
standardized guardrail-removal templates, misuse categories).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from llmcensus.simulate import prompts
from llmcensus.simulate.catalog import (
    ModelSpec,
    base_specs,
    cloud_specs,
    custom_spec,
    derivative,
    third_party_spec,
    variant,
)
from llmcensus.simulate.params import Params
from llmcensus.simulate.population import PERSISTENT, Hosts
from llmcensus.simulate.versions import FAMILY_MIN_VERSION, RELEASES, parse_version

DAY_NS = 86_400 * 10**9
VARIANT_PROBS = (("fp16", "F16", 0.125), ("q8_0", "Q8_0", 0.07), ("q6_K", "Q6_K", 0.01), ("q5_K_M", "Q5_K_M", 0.01))


@dataclass
class Inventory:
    specs: list[ModelSpec]  # every distinct build referenced by an instance
    host: np.ndarray  # int32
    spec: np.ndarray  # int32 index into specs
    add_day: np.ndarray  # int32
    remove_day: np.ndarray  # int32 (exclusive)
    modified_ns: np.ndarray  # int64 Unix ns
    order: np.ndarray  # int32: position of the instance in its host's preference order (running models)

    @property
    def n(self) -> int:
        return int(self.host.shape[0])


class _SpecTable:
    def __init__(self) -> None:
        self.specs: list[ModelSpec] = []
        self.index: dict[str, int] = {}

    def add(self, spec: ModelSpec) -> int:
        key = spec.digest + "|" + spec.name
        i = self.index.get(key)
        if i is None:
            i = len(self.specs)
            self.specs.append(spec)
            self.index[key] = i
        return i


def _portfolio_sizes(params: Params, n: int, rng: np.random.Generator) -> np.ndarray:
    buckets = list(params.portfolio.items())
    probs = np.array([p for _, p in buckets])
    pick = rng.choice(len(buckets), size=n, p=probs / probs.sum())
    k = np.zeros(n, dtype=np.int64)
    for b, (name, _) in enumerate(buckets):
        where = pick == b
        m = int(where.sum())
        if name.endswith("+"):
            lo = int(name[:-1])
            k[where] = lo + np.minimum(rng.geometric(0.12, size=m) - 1, 40)
        elif "-" in name:
            lo, hi = (int(x) for x in name.split("-"))
            k[where] = rng.integers(lo, hi + 1, size=m)
        else:
            k[where] = int(name)
    return k


def _eligible(specs: tuple[ModelSpec, ...], version_idx: int, last_ordinal: int) -> np.ndarray:
    ver = parse_version(RELEASES[version_idx][0])
    ok = np.zeros(len(specs), dtype=bool)
    for j, s in enumerate(specs):
        need = FAMILY_MIN_VERSION.get(s.family)
        ok[j] = s.available_from.toordinal() <= last_ordinal and (need is None or parse_version(need) <= ver)
    return ok


def build_inventory(params: Params, hosts: Hosts, rng: np.random.Generator) -> Inventory:
    base = base_specs()
    table = _SpecTable()
    base_idx = [table.add(s) for s in base]
    weights = np.array([s.weight for s in base])
    start = params.start.toordinal()
    n = hosts.n_ollama
    d = params.days

    k = _portfolio_sizes(params, n, rng)
    growth = 1.0 + params.later_hosts_growth * hosts.first_day[:n] / max(1, d - 1)
    k = np.where(k > 0, np.maximum(1, np.round(k * growth)), 0).astype(np.int64)

    # eligibility depends on (version, last day): cache per distinct pair
    elig_cache: dict[tuple[int, int], np.ndarray] = {}
    logw = np.log(np.maximum(weights, 1e-12))
    gumbel = logw[None, :] - np.log(-np.log(rng.random((n, len(base)))))

    rows_host: list[np.ndarray] = []
    rows_spec: list[np.ndarray] = []
    for h in range(n):
        if k[h] == 0 or hosts.behaviour[h] != "ollama":
            continue
        key = (int(hosts.version_idx[h]), int(start + hosts.last_day[h]))
        ok = elig_cache.get(key)
        if ok is None:
            ok = _eligible(base, key[0], key[1])
            elig_cache[key] = ok
        g = np.where(ok, gumbel[h], -np.inf)
        m = int(min(k[h], ok.sum()))
        if m <= 0:
            continue
        chosen = np.argpartition(-g, m - 1)[:m]
        rows_host.append(np.full(m, h, dtype=np.int32))
        rows_spec.append(np.array([base_idx[c] for c in chosen], dtype=np.int32))
    inst_host = np.concatenate(rows_host) if rows_host else np.zeros(0, np.int32)
    inst_spec = np.concatenate(rows_spec) if rows_spec else np.zeros(0, np.int32)

    # quantization variants and community derivatives replace some library picks
    u = rng.random(inst_spec.shape[0])
    u2 = rng.random(inst_spec.shape[0])
    for i in range(inst_spec.shape[0]):
        spec = table.specs[inst_spec[i]]
        if spec.kind != "library":
            continue
        if u2[i] < params.derivative_share and "embedding" not in spec.capabilities:
            inst_spec[i] = table.add(derivative(spec, int(i * 7919) % 97))
            continue
        acc = 0.0
        for suffix, quant, prob in VARIANT_PROBS:
            acc += prob
            if u[i] < acc:
                v = variant(spec, suffix, quant)
                if v is not None:
                    inst_spec[i] = table.add(v)
                break

    inst_host, inst_spec = _custom_models(params, hosts, table, inst_host, inst_spec, rng)
    inst_host, inst_spec = _cloud_models(params, hosts, table, inst_host, inst_spec, rng)

    # lifetimes of instances
    first = hosts.first_day[inst_host].astype(np.int64)
    last = hosts.last_day[inst_host].astype(np.int64)
    present = rng.random(inst_host.shape[0]) < params.initial_inventory_share
    custom = np.array([table.specs[s].kind in ("custom", "cloud") for s in inst_spec], dtype=bool)
    # a host's first pick is there when it is first seen (the empty-inventory share is the portfolio's "0")
    first_pick = np.ones(inst_host.shape[0], dtype=bool)
    first_pick[1:] = inst_host[1:] != inst_host[:-1]
    present |= custom | (last == first) | first_pick
    later = first + 1 + (rng.random(inst_host.shape[0]) * np.maximum(0, last - first)).astype(np.int64)
    add = np.where(present, first, np.minimum(later, last))
    avail_day = np.array([table.specs[s].available_from.toordinal() - start for s in inst_spec], dtype=np.int64)
    add = np.maximum(add, avail_day)
    removed = (rng.random(inst_host.shape[0]) < params.removal_share) & ~custom & (last > add)
    rem = np.full(inst_host.shape[0], d + 1, dtype=np.int64)
    rem[removed] = add[removed] + 1 + (rng.random(int(removed.sum())) * (last[removed] - add[removed])).astype(np.int64)
    keep = add <= last
    epoch0 = int(datetime(params.start.year, params.start.month, params.start.day, tzinfo=UTC).timestamp()) * 10**9
    # pulled before first sight: some time in the 200 days before (never before the model existed)
    before = (np.asarray(rng.random(inst_host.shape[0])) * 200 * DAY_NS).astype(np.int64)
    mod = np.where(
        present,
        epoch0 + first * DAY_NS - before,
        epoch0 + add * DAY_NS + (np.asarray(rng.random(inst_host.shape[0])) * 0.9 * DAY_NS).astype(np.int64),
    )
    mod = np.maximum(mod, epoch0 + avail_day * DAY_NS + 3_600 * 10**9)
    mod = mod - mod % 1000 + (rng.integers(0, 1000, size=mod.shape[0]))  # nanosecond noise

    inv = Inventory(
        specs=table.specs,
        host=inst_host[keep],
        spec=inst_spec[keep],
        add_day=add[keep].astype(np.int32),
        remove_day=rem[keep].astype(np.int32),
        modified_ns=mod[keep],
        order=np.zeros(int(keep.sum()), dtype=np.int32),
    )
    inv = _third_party(params, hosts, table, inv, rng)
    inv = _honeypots(params, hosts, table, inv, rng)
    inv = _continuations(hosts, inv)
    o = np.lexsort((inv.spec, inv.host))
    inv = Inventory(
        inv.specs,
        inv.host[o],
        inv.spec[o],
        inv.add_day[o],
        inv.remove_day[o],
        inv.modified_ns[o],
        np.zeros(o.shape[0], np.int32),
    )
    starts = np.searchsorted(inv.host, inv.host, side="left")
    inv.order = (np.arange(inv.n) - starts).astype(np.int32)
    return inv


def _custom_models(
    params: Params,
    hosts: Hosts,
    table: _SpecTable,
    inst_host: np.ndarray,
    inst_spec: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Replace one model of some hosts by a custom model with a SYSTEM prompt."""
    n = hosts.n_ollama
    has_model = np.zeros(n, dtype=bool)
    has_model[inst_host] = True
    candidates = np.nonzero(has_model & (hosts.behaviour[:n] == "ollama"))[0]
    n_visible = min(candidates.shape[0], int(round(params.prompt_visible_share * n)))
    visible = rng.choice(candidates, size=n_visible, replace=False)
    n_guard = min(n_visible, int(round(params.guardrail_template_hosts * n)))
    n_misuse = min(n_visible - n_guard, int(round(params.misuse_share_of_visible * n_visible)))
    first_inst = np.searchsorted(inst_host, visible)  # inst_host is sorted by host
    for j, h in enumerate(visible):
        pos = int(first_inst[j])
        base_spec = table.specs[inst_spec[pos]]
        if "embedding" in base_spec.capabilities or base_spec.kind == "cloud":
            base_spec = base_specs()[0]
        if j < n_guard:
            text = prompts.guardrail_prompt(j)
            label = "guardrail_removal"
            # a standardized template is one artefact shared across hosts: same text + base => same digest
            seed = f"guard|{text}|{base_spec.name}"
            name = "uncensored-assistant:latest"
        elif j < n_guard + n_misuse:
            cat = prompts.MISUSE_CATEGORIES[j % len(prompts.MISUSE_CATEGORIES)]
            text = prompts.misuse_prompt(cat, j)
            label = cat
            seed = f"misuse|{h}"
            name = f"{prompts.CUSTOM_NAMES[j % len(prompts.CUSTOM_NAMES)]}:latest"
        else:
            text = prompts.benign_prompt(j)
            label = "benign"
            seed = f"benign|{h}"
            name = f"{prompts.CUSTOM_NAMES[j % len(prompts.CUSTOM_NAMES)]}:latest"
        inst_spec[pos] = table.add(custom_spec(base_spec, name, text, label, seed))
    return inst_host, inst_spec


def _cloud_models(
    params: Params,
    hosts: Hosts,
    table: _SpecTable,
    inst_host: np.ndarray,
    inst_spec: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Cloud-proxied stubs (>= 0.12) replace one or two picks on some hosts."""
    n = hosts.n_ollama
    v012 = next(i for i, (v, _) in enumerate(RELEASES) if parse_version(v) >= (0, 12, 0))
    counts = np.bincount(inst_host, minlength=n)
    cand = np.nonzero((hosts.version_idx[:n] >= v012) & (counts >= 2) & (hosts.behaviour[:n] == "ollama"))[0]
    chosen = cand[rng.random(cand.shape[0]) < params.cloud_host_share * n / max(1, cand.shape[0]) * 0.35]
    clouds = [table.add(s) for s in cloud_specs()]
    first_inst = np.searchsorted(inst_host, chosen)
    for j, h in enumerate(chosen):
        pos = int(first_inst[j]) + 1
        if table.specs[inst_spec[pos]].kind == "custom":
            continue
        inst_spec[pos] = clouds[(j + int(h)) % len(clouds)]
    return inst_host, inst_spec


def _append(
    inv: Inventory, host: np.ndarray, spec: np.ndarray, add: np.ndarray, rem: np.ndarray, mod: np.ndarray
) -> Inventory:
    return Inventory(
        inv.specs,
        np.concatenate([inv.host, host.astype(np.int32)]),
        np.concatenate([inv.spec, spec.astype(np.int32)]),
        np.concatenate([inv.add_day, add.astype(np.int32)]),
        np.concatenate([inv.remove_day, rem.astype(np.int32)]),
        np.concatenate([inv.modified_ns, mod.astype(np.int64)]),
        np.zeros(inv.n + host.shape[0], np.int32),
    )


def _third_party(
    params: Params, hosts: Hosts, table: _SpecTable, inv: Inventory, rng: np.random.Generator
) -> Inventory:
    """A campaign pulls the same small model onto many open hosts on one day (§5 #8)."""
    day = params.days // 2
    n = hosts.n_ollama
    alive = np.nonzero((hosts.first_day[:n] <= day) & (hosts.last_day[:n] >= day) & (hosts.behaviour[:n] == "ollama"))[
        0
    ]
    k = int(round(params.third_party_share * n))
    if k == 0 or alive.shape[0] == 0:
        return inv
    chosen = rng.choice(alive, size=min(k, alive.shape[0]), replace=False)
    spec = table.add(third_party_spec())
    start_ns = int(datetime(params.start.year, params.start.month, params.start.day, tzinfo=UTC).timestamp()) * 10**9
    mod = start_ns + day * DAY_NS + 13 * 3_600 * 10**9 + rng.integers(0, 3_600 * 10**9, size=chosen.shape[0])
    return _append(
        inv,
        chosen,
        np.full(chosen.shape[0], spec),
        np.full(chosen.shape[0], day),
        np.full(chosen.shape[0], params.days + 1),
        mod,
    )


def _honeypots(params: Params, hosts: Hosts, table: _SpecTable, inv: Inventory, rng: np.random.Generator) -> Inventory:
    """Clone-farm members share one canned inventory with identical nanosecond timestamps."""
    members = np.nonzero(hosts.farm >= 0)[0]
    if members.shape[0] == 0:
        return inv
    keep = ~np.isin(inv.host, members)
    inv = Inventory(
        inv.specs,
        inv.host[keep],
        inv.spec[keep],
        inv.add_day[keep],
        inv.remove_day[keep],
        inv.modified_ns[keep],
        inv.order[keep],
    )
    base = base_specs()
    popular = np.argsort([-s.weight for s in base])[:12]
    for f in range(int(hosts.farm.max()) + 1):
        farm_members = members[hosts.farm[members] == f]
        picks = rng.choice(popular, size=3 + f % 3, replace=False)
        specs = [table.add(base[int(p)]) for p in picks]
        stamps = [
            int(datetime(2025, 2, 1 + f, tzinfo=UTC).timestamp()) * 10**9 + 123_456_789 + 7 * j
            for j in range(len(specs))
        ]
        for s, ts in zip(specs, stamps, strict=True):
            m = farm_members.shape[0]
            inv = _append(
                inv,
                farm_members,
                np.full(m, s),
                hosts.first_day[farm_members],
                np.full(m, params.days + 1),
                np.full(m, ts),
            )
    return inv


def _continuations(hosts: Hosts, inv: Inventory) -> Inventory:
    """A host that is an earlier installation at a new address carries that installation's last inventory."""
    movers = np.nonzero(hosts.install_id != np.arange(hosts.n))[0]
    if movers.shape[0] == 0:
        return inv
    drop = np.isin(inv.host, movers)
    parts_h, parts_s, parts_a, parts_r, parts_m = [], [], [], [], []
    for m in movers:
        pred = int(hosts.install_id[m])
        last = int(hosts.last_day[pred])
        sel = (inv.host == pred) & (inv.add_day <= last) & (inv.remove_day > last)
        cnt = int(sel.sum())
        parts_h.append(np.full(cnt, m))
        parts_s.append(inv.spec[sel])
        parts_a.append(np.full(cnt, hosts.first_day[m]))
        parts_r.append(np.full(cnt, 10**6))
        parts_m.append(inv.modified_ns[sel])
    base = Inventory(
        inv.specs,
        inv.host[~drop],
        inv.spec[~drop],
        inv.add_day[~drop],
        inv.remove_day[~drop],
        inv.modified_ns[~drop],
        inv.order[~drop],
    )
    if not parts_h:
        return base
    return _append(
        base,
        np.concatenate(parts_h),
        np.concatenate(parts_s),
        np.concatenate(parts_a),
        np.concatenate(parts_r),
        np.concatenate(parts_m),
    )


def is_persistent(hosts: Hosts, h: int) -> bool:
    return bool(hosts.cls[h] == PERSISTENT)
