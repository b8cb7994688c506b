"""Inventories: which model builds each host carries, from when until when.

One row per *model instance* (a host carrying a digest), column-wise:
``host, spec, add_day, remove_day (exclusive; days past the window mean never), modified_ns``.
Calibration (Params): portfolio sizes (distinct models per host, larger on persistent hosts),
growth (models present at first sight vs pulled later from the catalog of the time), a legacy
share of hosts whose inventory dates from the library's Q4_0 era (this is what keeps Q4_K_M
presence at about half of hosts while three quarters of instances are 4-bit), removals,
quantization variants, derivatives, cloud stubs, a third-party sentinel pull, and custom models
carrying a SYSTEM prompt (benign, standardized guardrail-removal templates, misuse categories).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import numpy as np

from llmcensus.simulate import farms, lineage_plan, prompts
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
from llmcensus.simulate.portfolio import pick_models, portfolio_sizes
from llmcensus.simulate.versions import RELEASES, parse_version

DAY_NS = 86_400 * 10**9
# fp16 share refitted (0.178 -> 0.235) with family_affinity: hosts that stay within one family carry fewer
# (F16) embedding models, which cost ~2.5 pp of 16-bit instances (§1 #25: 4-bit 72 %, 16-bit 19 %); 0.235 -> 0.22
# with the tools refit (issue 17): fewer legacy (Q4_0) inventories left 16-bit instances ~1 pp high
VARIANT_PROBS = (("fp16", "F16", 0.22), ("q8_0", "Q8_0", 0.14), ("q6_K", "Q6_K", 0.015), ("q5_K_M", "Q5_K_M", 0.015))


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


def build_inventory(params: Params, hosts: Hosts, rng: np.random.Generator) -> Inventory:
    base = base_specs()
    table = _SpecTable()
    base_idx = np.array([table.add(s) for s in base], dtype=np.int32)
    start = params.start.toordinal()
    d = params.days

    k = portfolio_sizes(params, hosts.cls[: hosts.n_ollama] == PERSISTENT, rng)
    inst_host, picked, initial, setup_day = pick_models(params, hosts, k, rng)
    inst_spec = base_idx[picked]

    # quantization variants and community derivatives replace some library picks
    first_build: dict[str, date] = {}
    for s in base:
        first_build[s.name] = min(s.available_from, first_build.get(s.name, s.available_from))
    u = rng.random(inst_spec.shape[0])
    u2 = rng.random(inst_spec.shape[0])
    # one build per (spec, variant) / (spec, derivative index): cached, as the catalog lookups are slow
    made: dict[tuple[int, str | int], int] = {}
    for i in range(inst_spec.shape[0]):
        si = int(inst_spec[i])
        spec = table.specs[si]
        if spec.kind != "library":
            continue
        if u2[i] < params.derivative_share and "embedding" not in spec.capabilities:
            index = int(i * 7919) % 97
            j = made.get((si, index))
            if j is None:
                # both builds of a re-pushed tag give one derivative (same name and digest): published with the
                # tag's first build, as variants are, so a legacy inventory can carry it
                first = replace(spec, available_from=first_build[spec.name])
                j = made[(si, index)] = table.add(derivative(first, index))
            inst_spec[i] = j
            continue
        acc = 0.0
        for suffix, quant, prob in VARIANT_PROBS:
            acc += prob
            if u[i] < acc:
                j = made.get((si, suffix))
                if j is None:
                    v = variant(spec, suffix, quant)
                    # an explicit-quantization tag is one build whichever build of the default tag led to it,
                    # published with the tag's first build
                    j = made[(si, suffix)] = (
                        si if v is None else table.add(replace(v, available_from=first_build[spec.name]))
                    )
                inst_spec[i] = j
                break

    inst_host, inst_spec = _custom_models(params, hosts, table, inst_host, inst_spec, rng)
    inst_host, inst_spec = _cloud_models(params, hosts, table, inst_host, inst_spec, rng)

    # lifetimes of instances
    first = hosts.first_day[inst_host].astype(np.int64)
    last = hosts.last_day[inst_host].astype(np.int64)
    custom = np.array([table.specs[s].kind in ("custom", "cloud") for s in inst_spec], dtype=bool)
    # a host's first pick is there when it is first seen (the empty-inventory share is the portfolio's "0")
    present = initial | custom | (last == first)
    later = first + 1 + (rng.random(inst_host.shape[0]) * np.maximum(0, last - first)).astype(np.int64)
    add = np.where(present, first, np.minimum(later, last))
    avail_day = np.array([table.specs[s].available_from.toordinal() - start for s in inst_spec], dtype=np.int64)
    add = np.maximum(add, avail_day)
    removed = (rng.random(inst_host.shape[0]) < params.removal_share) & ~custom & (last > add)
    rem = np.full(inst_host.shape[0], d + 1, dtype=np.int64)
    rem[removed] = add[removed] + 1 + (rng.random(int(removed.sum())) * (last[removed] - add[removed])).astype(np.int64)
    keep = add <= last
    epoch0 = int(datetime(params.start.year, params.start.month, params.start.day, tzinfo=UTC).timestamp()) * 10**9
    # pulled before first sight: some time in the 200 days before the host's set-up day (a legacy host's
    # inventory predates the cutoff), never before the model existed
    before = (np.asarray(rng.random(inst_host.shape[0])) * 200 * DAY_NS).astype(np.int64)
    mod = np.where(
        present,
        epoch0 + np.minimum(first, setup_day) * DAY_NS - before,
        epoch0 + add * DAY_NS + (np.asarray(rng.random(inst_host.shape[0])) * 0.9 * DAY_NS).astype(np.int64),
    )
    floor = epoch0 + avail_day * DAY_NS + 3_600 * 10**9
    # pulled "before the model existed" moves to the hours after its release, each pull at its own instant: a
    # shared nanosecond stamp is a copied image's mark (the clone-farm evidence), never two honest pulls'
    spread = ((inst_host.astype(np.int64) * 7_919 + inst_spec.astype(np.int64) * 104_729) % 72_000) * 10**9
    # the sub-second part too is each pull's own (a host-wide fraction made three models of one host share it: the
    # same_fraction evidence of a fake, on a few genuine hosts of the seed world)
    frac = (inst_host.astype(np.int64) * 31_337 + inst_spec.astype(np.int64) * 2_750_159) % 10**6 * 1_000
    mod = np.where(mod < floor, floor + spread + frac, mod)
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
    inv = _planted(params, hosts, table, inv)
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
    # Windows hosts: NTFS keeps file times in 100 ns ticks, so their modified_at has at most 7 fraction digits
    # (Go trims trailing zeros: 7 digits nine times in ten, 6 once in a hundred ...). Clone farms keep their canned
    # stamps. An installation seen again at a new address keeps its predecessor's OS (its stamps are copied).
    windows = rng.random(hosts.n) < params.windows_share
    windows[hosts.farm >= 0] = False
    windows = windows[hosts.install_id]
    win = windows[inv.host]
    inv.modified_ns[win] -= inv.modified_ns[win] % 100
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


def _planted(params: Params, hosts: Hosts, table: _SpecTable, inv: Inventory) -> Inventory:
    """The lineage events of ``params.lineage_events`` (``lineage_plan.py``), pulled that day and kept."""
    if not params.lineage_events:
        return inv
    host, spec, add = lineage_plan.plant(params, hosts, table.add)
    epoch0 = int(datetime(params.start.year, params.start.month, params.start.day, tzinfo=UTC).timestamp()) * 10**9
    mod = epoch0 + add * DAY_NS + (host * 7_919 % 3_600) * 10**9 + host % 997  # in the day's first hour
    return _append(inv, host, spec, add, np.full(host.shape[0], params.days + 1), mod)


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
    mod = np.asarray(
        start_ns + day * DAY_NS + 13 * 3_600 * 10**9 + rng.integers(0, 3_600 * 10**9, size=chosen.shape[0])
    )
    return _append(
        inv,
        chosen,
        np.full(chosen.shape[0], spec),
        np.full(chosen.shape[0], day),
        np.full(chosen.shape[0], params.days + 1),
        mod,
    )


def _honeypots(params: Params, hosts: Hosts, table: _SpecTable, inv: Inventory, rng: np.random.Generator) -> Inventory:
    """Farm members and lone fakes (``farms.py``): canned and pool farms share identical nanosecond stamps, a
    sequential fake counts its digests up with one fractional second, a volatile one restamps every day."""
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
    # the newest build of each tag: a canned inventory never lists one name twice
    newest = {s.name: j for j, s in sorted(enumerate(base), key=lambda js: js[1].available_from)}
    current = sorted(newest.values())
    popular = np.array(current)[np.argsort([-base[j].weight for j in current], kind="stable")[:12]]
    kinds = farms.member_kinds(hosts.farm)
    end = np.full(1, params.days + 1)
    for f in range(int(hosts.farm.max()) + 1):
        farm_members = members[hosts.farm[members] == f]
        picks = rng.choice(popular, size=3 + f % 3, replace=False)  # drawn for every farm: the stream stays put
        t0 = int(datetime(2025, 2, 1 + f, tzinfo=UTC).timestamp()) * 10**9
        specs = [table.add(base[int(p)]) for p in picks]
        stamps = [t0 + j * 5_400 * 10**9 + 123_456_789 + 7 * j for j in range(len(specs))]  # distinct seconds
        for rank, h in enumerate(farm_members.tolist()):
            kind = str(kinds[h])
            one = np.full(1, h)
            first = np.full(1, hosts.first_day[h])
            if kind == "sequential":
                digests = [farms.sequential_digest(base[int(picks[0])].digest, j) for j in range(len(picks))]
                for j, p in enumerate(picks):
                    s = table.add(replace(base[int(p)], digest=digests[j]))
                    ts = t0 + (j * 3 + rank) * 3_600 * 10**9 + farms.SEQUENTIAL_FRACTION_NS
                    inv = _append(inv, one, np.full(1, s), first, end, np.full(1, ts))
            elif kind == "volatile":
                days = np.arange(int(hosts.first_day[h]), params.days + 1)
                for j, s in enumerate(specs):
                    mod = t0 + days.astype(np.int64) * 86_400 * 10**9 + (j * 7_919 + rank * 104_729) * 10**3 + 1
                    inv = _append(inv, np.full(days.shape[0], h), np.full(days.shape[0], s), days, days + 1, mod)
            else:  # canned: all of the farm's models; pool: all but one, a different one per member
                drop = -1 if kind == "canned" else rank % len(specs)
                chosen = [j for j in range(len(specs)) if j != drop]
                for j in chosen:
                    inv = _append(inv, one, np.full(1, specs[j]), first, end, np.full(1, stamps[j]))
    return inv


def _continuations(hosts: Hosts, inv: Inventory) -> Inventory:
    """A host that is an earlier installation at a new address carries that installation's last inventory."""
    movers = np.nonzero(hosts.install_id != np.arange(hosts.n))[0]
    if movers.shape[0] == 0:
        return inv
    drop = np.isin(inv.host, movers)
    by_host = np.argsort(inv.host, kind="stable")  # each host's instances, in their original order
    sorted_host = inv.host[by_host]
    parts_h, parts_s, parts_a, parts_r, parts_m = [], [], [], [], []
    for m in movers:
        pred = int(hosts.install_id[m])
        last = int(hosts.last_day[pred])
        rows = by_host[np.searchsorted(sorted_host, pred) : np.searchsorted(sorted_host, pred, side="right")]
        sel = rows[(inv.add_day[rows] <= last) & (inv.remove_day[rows] > last)]
        cnt = int(sel.shape[0])
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
