"""The population model: who the exposed hosts are, where they run, and when they are seen.

Everything is generated column-wise with numpy from one seed, so the same code builds a 2,000-host
demo and the 175,108-host x 293-day full study. The unit is an *address-level host* (what a scanner
counts as a host); installations that reappear at a new residential address share an
``install_id``. Steps, each calibrated by ``Params`` (see docs/simulation.md):

1. place hosts: country -> (subdivision, tier) cell -> /24 block of the bundled pool -> address;
2. persistence: once / middle (2-100 observations) / persistent (> 100), tier-dependent odds;
3. lifetimes: observation count n, daily availability a, span ceil(n / a) (the whole window for the persistent
   backbone, steady or intermittent), the n up-days inside it
   (first and last day of the span always up, so first/last seen are the lifetime bounds);
4. versions: a release before the install date with a lag, a long tail of old versions, rare
   in-place upgrades;
5. decoys: look-alikes, auth-protected, silent, refusing and garbage targets beyond the Ollama hosts.
Inventories are built by ``inventory.py``; per-day views by ``world.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from llmcensus.simulate import farms
from llmcensus.simulate.geopool import load_pool
from llmcensus.simulate.params import Params
from llmcensus.simulate.versions import RELEASES, release_index_at

ONCE, MIDDLE, PERSISTENT, DECOY = 0, 1, 2, 3
CLASS_NAMES = ("once", "middle", "persistent", "decoy")
DECOY_KINDS = (
    "localai",
    "llama_cpp",
    "sglang",
    "open_webui",
    "koboldcpp",
    "auth_401",
    "auth_403",
    "silent",
    "refused",
    "garbage",
)
DECOY_PORTS = {
    "localai": (8080,),
    "llama_cpp": (11434, 8080),
    "sglang": (30000,),
    "open_webui": (8080, 3000),
    "koboldcpp": (5001,),
    "auth_401": (11434, 443, 80),
    "auth_403": (11434, 80),
    "silent": (11434,),
    "refused": (11434,),
    "garbage": (11434,),
}


@dataclass
class Hosts:
    """Column arrays, one entry per target address (Ollama-looking hosts first, then decoys)."""

    n_ollama: int
    behaviour: np.ndarray  # object: Behaviour values
    ip: np.ndarray  # uint32
    port: np.ndarray  # int32
    scheme: np.ndarray  # object: http | https
    proxy: np.ndarray  # bool: nginx in front
    country: np.ndarray  # object
    subdivision: np.ndarray  # object (None allowed)
    city: np.ndarray
    asn: np.ndarray  # int64 (-1 unknown)
    as_org: np.ndarray
    tier: np.ndarray  # object: the simulator's tier label of the block
    tz_offset: np.ndarray  # int32 minutes
    cls: np.ndarray  # int8 persistence class
    first_day: np.ndarray  # int32
    last_day: np.ndarray  # int32
    availability: np.ndarray  # float32
    version_idx: np.ndarray  # int32 index into RELEASES
    upgrade_day: np.ndarray  # int32, -1 = never
    upgrade_idx: np.ndarray  # int32
    install_id: np.ndarray  # int32
    farm: np.ndarray  # int16, -1 = none
    origins_wildcard: np.ndarray  # bool
    up_host: np.ndarray  # int32, flattened (host, day) pairs on which the host answers, sorted
    up_day: np.ndarray  # int32

    @property
    def n(self) -> int:
        return int(self.ip.shape[0])


def _ipf_country_tiers(
    country_share: dict[str, float], avail: dict[str, set[str]], target: dict[str, float]
) -> dict[str, dict[str, float]]:
    """P(tier | country) proportional to g_tier on available tiers, g fitted so the marginal hits target."""
    tiers = list(target)
    g = {t: 1.0 for t in tiers}
    cond: dict[str, dict[str, float]] = {}
    for _ in range(60):
        cond = {}
        for c in country_share:
            w = {t: g[t] for t in tiers if t in avail.get(c, set())}
            s = sum(w.values()) or 1.0
            cond[c] = {t: v / s for t, v in w.items()}
        marg = {t: sum(country_share[c] * cond[c].get(t, 0.0) for c in country_share) for t in tiers}
        for t in tiers:
            if marg[t] > 0:
                g[t] *= target[t] / marg[t]
    return cond


def _ipf_cells(counts: np.ndarray, col_target: np.ndarray, row_target: dict[int, float]) -> np.ndarray:
    """Fit cell weights W[r, t] (starting from pool block counts) to tier and named-region marginals."""
    w = counts.astype(np.float64)
    named = np.zeros(w.shape[0], dtype=bool)
    for r in row_target:
        named[r] = True
    free_mass = max(0.0, 1.0 - sum(row_target.values()))
    for _ in range(80):
        col = w.sum(axis=0)
        w *= np.divide(col_target, col, out=np.zeros_like(col_target), where=col > 0)
        row = w.sum(axis=1)
        for r, share in row_target.items():
            if row[r] > 0:
                w[r] *= share / row[r]
        free = w[~named].sum()
        if free > 0:
            w[~named] *= free_mass / free
    total = w.sum()
    return w / total if total > 0 else w


class Placer:
    """Draws addresses: country -> (subdivision, tier) cell -> pool block -> unique address."""

    def __init__(self, params: Params, rng: np.random.Generator) -> None:
        self.rng = rng
        pool = load_pool()
        self.block = pool["block"].to_numpy().astype(np.uint32)
        self.cols = {
            name: pool[name].to_pylist() for name in ("country", "subdivision", "city", "as_org", "tier", "category")
        }
        self.asn = np.array([-1 if x is None else x for x in pool["asn"].to_pylist()], dtype=np.int64)
        self.offset = np.array([0 if x is None else x for x in pool["utc_offset_min"].to_pylist()], dtype=np.int32)
        countries = np.array(self.cols["country"], dtype=object)
        by_country: dict[str, list[int]] = {}
        for i, c in enumerate(countries):
            by_country.setdefault(c, []).append(i)
        self.rows = {c: np.array(v, dtype=np.int64) for c, v in by_country.items()}
        self.country_share = self._country_shares(params)
        avail = {c: {self.cols["tier"][i] for i in self.rows[c]} for c in self.country_share}
        self.tier_given_country = _ipf_country_tiers(self.country_share, avail, params.tiers)
        self.subdivisions = params.subdivisions
        self.used: set[int] = set()
        self.block_used: dict[int, int] = {}
        self.row_cell: dict[int, np.ndarray] = {}  # pool row -> the members of the cell it was drawn from
        self._cells: dict[str, tuple[list[np.ndarray], np.ndarray]] = {}
        self._block_probs: dict[int, np.ndarray | None] = {}  # id(cell members) -> P(block), None = uniform
        self.asn_concentration = params.asn_concentration

    def _country_shares(self, params: Params) -> dict[str, float]:
        top = {c: s for c, s in params.top_countries.items() if c in self.rows}
        others = sorted((c for c in self.rows if c not in top), key=lambda c: -len(self.rows[c]))
        others = others[: max(0, params.countries - len(top))]
        rest = max(0.0, 1.0 - sum(top.values()))
        zipf = np.array([1.0 / (i + 3) ** 0.9 for i in range(len(others))])
        shares = dict(top)
        if len(others):
            for c, z in zip(others, zipf / zipf.sum() * rest, strict=True):
                shares[c] = float(z)
        return shares

    def _cell_table(self, country: str) -> tuple[list[np.ndarray], np.ndarray]:
        if country in self._cells:
            return self._cells[country]
        rows = self.rows[country]
        subs = [self.cols["subdivision"][i] or "" for i in rows]
        tiers = [self.cols["tier"][i] for i in rows]
        sub_names = sorted(set(subs))
        tier_names = sorted(set(tiers))
        si = {s: k for k, s in enumerate(sub_names)}
        ti = {t: k for k, t in enumerate(tier_names)}
        counts = np.zeros((len(sub_names), len(tier_names)))
        members: dict[tuple[int, int], list[int]] = {}
        for row, s, t in zip(rows, subs, tiers, strict=True):
            counts[si[s], ti[t]] += 1
            members.setdefault((si[s], ti[t]), []).append(int(row))
        cond = self.tier_given_country[country]
        col_target = np.array([cond.get(t, 0.0) for t in tier_names])
        row_target = {si[s]: v for s, v in self.subdivisions.get(country, {}).items() if s in si}
        w = _ipf_cells(counts, col_target, row_target)
        keys = sorted(members)
        cells = [np.array(members[k], dtype=np.int64) for k in keys]
        probs = np.array([w[k] for k in keys])
        probs = probs / probs.sum()
        self._cells[country] = (cells, probs)
        for cell in cells:
            self._block_probs[id(cell)] = self._asn_weights(cell)
        return cells, probs

    def _asn_weights(self, cell: np.ndarray) -> np.ndarray | None:
        """P(block) within a cell: each category group keeps its pool share; inside it, an ASN holding b of the
        group's blocks is drawn with odds b^alpha (alpha = ``asn_concentration`` of the group).

        Exposed hosts do not spread over networks as address space does: transit, mobile, hosting and
        unclassified networks carry them in a few large ASNs, while consumer ISPs are many and small. With
        every alpha = 1 (each block alike) a full-scale world spreads over ~6,300 ASNs, 32 % of them
        fixed-access telecom and 28 % without a type; the study counted 4,032 ASNs, 56 % fixed-access
        telecom and 19 % null (§1 #5, #11, #13, read as shares of ASNs: docs/simulation.md). ``None``
        means uniform.
        """
        conc = self.asn_concentration
        # categories without an alpha of their own share one group (a cell's indie-cloud hosts crowd into its
        # largest hosting network whether the database calls that network hosting, cdn or content)
        cats = [c if (c := self.cols["category"][int(r)] or "none") in conc else "default" for r in cell]
        alphas = np.array([conc.get(c, 1.0) for c in cats])
        if cell.shape[0] < 2 or np.all(alphas == 1.0):
            return None
        w = np.zeros(cell.shape[0])
        cat_arr = np.array(cats, dtype=object)
        for c in set(cats):
            sel = np.nonzero(cat_arr == c)[0]
            _, inverse, counts = np.unique(self.asn[cell[sel]], return_inverse=True, return_counts=True)
            b = counts[inverse].astype(np.float64)
            per_asn = b ** alphas[sel]
            # the category's mass (its block count), split over its ASNs by b^alpha, then over each ASN's b blocks
            w[sel] = sel.shape[0] * (per_asn / b) / (per_asn / b).sum()
        result: np.ndarray = w / w.sum()
        return result

    def place(self, n: int) -> np.ndarray:
        """Pool row index for each of n new hosts, and reserve a unique address in each block."""
        names = list(self.country_share)
        probs = np.array([self.country_share[c] for c in names])
        country_idx = self.rng.choice(len(names), size=n, p=probs / probs.sum())
        rows = np.empty(n, dtype=np.int64)
        for ci in np.unique(country_idx):
            where = np.nonzero(country_idx == ci)[0]
            cells, cprobs = self._cell_table(names[ci])
            pick = self.rng.choice(len(cells), size=where.shape[0], p=cprobs)
            for cell_i in np.unique(pick):
                dest = where[pick == cell_i]
                members = cells[cell_i]
                bp = self._block_probs.get(id(members))
                if bp is None:
                    chosen = members[self.rng.integers(0, members.shape[0], size=dest.shape[0])]
                else:
                    chosen = members[self.rng.choice(members.shape[0], size=dest.shape[0], p=bp)]
                rows[dest] = chosen
                for r in np.unique(chosen):
                    self.row_cell[int(r)] = members
        return rows

    def addresses(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty(rows.shape[0], dtype=np.uint32)
        octets: list[int] = np.asarray(self.rng.integers(1, 255, size=rows.shape[0])).tolist()
        row_list: list[int] = rows.tolist()
        for i, (row, octet) in enumerate(zip(row_list, octets, strict=True)):
            # A full /24 (254 hosts) sends the host to another block of the same cell, so geography,
            # network and tier stay what the cell promised.
            members = self.row_cell.get(int(row))
            attempts = 0
            while self.block_used.get(int(row), 0) >= 254 and members is not None and attempts < 1000:
                row = int(members[int(self.rng.integers(0, members.shape[0]))])
                rows[i] = row
                attempts += 1
            if self.block_used.get(int(row), 0) >= 254:
                # the whole cell is full (a tiny cell drawn many times): any free block of the same country
                country = str(self.cols["country"][int(row)])
                free = [r for r in self.rows[country] if self.block_used.get(int(r), 0) < 254]
                row = int(free[int(self.rng.integers(0, len(free)))])
                rows[i] = row
            base = int(self.block[row])
            addr = base + int(octet)
            while addr in self.used:
                addr = base + 1 + (addr - base) % 254
            self.used.add(addr)
            self.block_used[int(row)] = self.block_used.get(int(row), 0) + 1
            out[i] = addr
        return out


def _persistence(params: Params, tier: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = tier.shape[0]
    mult = np.array([params.tier_persistence.get(t, 1.0) for t in tier])
    p_pers = params.persistent_share * mult / mult.mean()
    u = rng.random(n)
    cls = np.full(n, MIDDLE, dtype=np.int8)
    cls[u < params.once_share] = ONCE
    u2 = rng.random(n)
    # persistent odds applied among the non-once hosts so the overall share is preserved
    cls[(cls == MIDDLE) & (u2 < p_pers / (1.0 - params.once_share))] = PERSISTENT
    return cls


def _observation_counts(params: Params, cls: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Observation counts, and for persistent hosts a unit-mean gamma draw their gap (window - observations) scales."""
    d = params.days
    n = np.ones(cls.shape[0], dtype=np.int64)
    mid = cls == MIDDLE
    # 2 + a geometric tail, kept within 2..100 (a persistent-class count is > 100 by definition)
    m = 2 + rng.geometric(1.0 / max(1.0, params.middle_obs_mean - 1.5), size=int(mid.sum())) - 1
    n[mid] = np.clip(m, 2, 100)
    k = params.persistent_gap_shape
    unit_gap = rng.gamma(k, 1.0 / k, size=int((cls == PERSISTENT).sum()))
    return np.minimum(n, d), unit_gap


def _persistent_counts(params: Params, unit_gap: np.ndarray, steady: np.ndarray) -> np.ndarray:
    """Observations of persistent hosts: the window less a gamma gap whose mean is the steady hosts'
    (``persistent_steady_gap_mean``) or the intermittent hosts', chosen so that the mean over all persistent hosts
    stays ``persistent_gap_mean``."""
    q = params.persistent_steady_share
    g1 = params.persistent_steady_gap_mean
    g2 = (params.persistent_gap_mean - q * g1) / (1.0 - q) if q < 1.0 else g1
    gap = np.floor(unit_gap * np.where(steady, g1, g2)).astype(np.int64)
    d = params.days
    counts: np.ndarray = np.clip(d - gap, min(101, d), d)
    return counts


def _up_days(
    first: np.ndarray, span: np.ndarray, n_obs: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Choose n of each host's span days, always keeping the first and the last."""
    total = int(span.sum())
    host = np.repeat(np.arange(span.shape[0], dtype=np.int32), span)
    starts = np.cumsum(span) - span
    offset = np.arange(total, dtype=np.int64) - np.repeat(starts, span)
    key = rng.random(total)
    key[offset == 0] = -2.0
    key[offset == np.repeat(span - 1, span)] = -1.0
    order = np.lexsort((key, host))
    rank = np.empty(total, dtype=np.int64)
    rank[order] = np.arange(total) - np.repeat(starts, span)
    keep = rank < np.repeat(n_obs, span)
    day = (np.repeat(first, span) + offset)[keep].astype(np.int32)
    h = host[keep]
    o = np.lexsort((day, h))
    return h[o], day[o]


def lifetimes(
    params: Params, cls: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First day, span, availability and up (host, day) pairs by persistence class (decoys: every day)."""
    d = params.days
    total = cls.shape[0]
    n_obs = np.full(total, d, dtype=np.int64)
    real = cls != DECOY  # decoys come after the classed hosts
    n_obs[real], unit_gap = _observation_counts(params, cls[real], rng)
    avail = np.ones(total, dtype=np.float64)
    mid = cls == MIDDLE
    avail[mid] = rng.uniform(0.5, 1.0, size=int(mid.sum()))
    per = cls == PERSISTENT
    rng.random(int(per.sum()))  # was the backbone's availability: still drawn, so other hosts' draws stay as they were
    # steady or intermittent (a child stream: the parent's draws stay as they were)
    steady = rng.spawn(1)[0].random(int(per.sum())) < params.persistent_steady_share
    n_obs[per] = _persistent_counts(params, unit_gap, steady)
    avail[per] = n_obs[per] / d
    span = np.minimum(d, np.ceil(n_obs / avail).astype(np.int64))
    span = np.maximum(span, n_obs)
    # the persistent backbone is there from the window's first day to its last (n of its days, both ends kept)
    span[per] = d
    first = (rng.random(total) * (d - span + 1)).astype(np.int64)
    first[cls == DECOY] = 0
    up_host, up_day = _up_days(first, span, n_obs, rng)
    return first, span, avail, up_host, up_day


def build_hosts(params: Params, rng: np.random.Generator) -> Hosts:
    placer = Placer(params, rng)
    n = params.hosts
    decoy_counts = {
        "localai": 0.2,
        "llama_cpp": 0.3,
        "sglang": 0.15,
        "open_webui": 0.2,
        "koboldcpp": 0.15,
    }
    kinds: list[str] = []
    for kind, share in decoy_counts.items():
        kinds += [kind] * int(round(params.hosts * params.lookalike_share * share))
    kinds += ["auth_401"] * int(round(n * params.auth_share * 0.6))
    kinds += ["auth_403"] * int(round(n * params.auth_share * 0.4))
    kinds += ["silent"] * int(round(n * params.silent_share))
    kinds += ["refused"] * int(round(n * params.refused_share))
    kinds += ["garbage"] * int(round(n * params.garbage_share))
    total = n + len(kinds)

    rows = placer.place(total)
    ip = placer.addresses(rows)  # may move a host to another block of its cell (rows updated in place)
    col = placer.cols
    tier = np.array([col["tier"][r] for r in rows], dtype=object)
    cls = np.full(total, DECOY, dtype=np.int8)
    cls[:n] = _persistence(params, tier[:n], rng)

    first, span, avail, up_host, up_day = lifetimes(params, cls, rng)

    behaviour = np.empty(total, dtype=object)
    behaviour[:n] = "ollama"
    behaviour[n:] = kinds
    port = np.full(total, 11434, dtype=np.int32)
    proxy = np.zeros(total, dtype=bool)
    scheme = np.full(total, "http", dtype=object)
    nondefault = np.nonzero(rng.random(n) >= params.default_port_share)[0]
    choice = rng.choice(np.array([80, 443, 8080]), size=nondefault.shape[0], p=[0.35, 0.35, 0.30])
    port[nondefault] = choice
    proxy[nondefault] = True
    for i, kind in enumerate(kinds, start=n):
        ports = DECOY_PORTS[kind]
        port[i] = ports[int(rng.integers(0, len(ports)))]
        proxy[i] = kind.startswith("auth_")
    scheme[port == 443] = "https"

    # honeypot clone farms: persistent members on cloud networks
    farm = np.full(total, -1, dtype=np.int16)
    n_honey = int(round(n * params.honeypot_share))
    if params.honeypot_farms > 0 and n_honey > 0:
        cand = np.nonzero((cls[:n] == PERSISTENT) & np.isin(tier[:n], ["indie_cloud", "hyperscaler"]))[0]
        if cand.shape[0] < n_honey:
            cand = np.nonzero(cls[:n] == PERSISTENT)[0]
        members = rng.choice(cand, size=min(n_honey, cand.shape[0]), replace=False)
        farm[members] = np.arange(members.shape[0]) % params.honeypot_farms
        behaviour[members] = "honeypot"

    tz = np.array([placer.offset[r] for r in rows], dtype=np.int32)
    tz[rng.random(total) < 0.35] = 0  # Docker images run in UTC

    version_idx, upgrade_day, upgrade_idx = _versions(params, first, span, cls == PERSISTENT, rng)
    install_id = np.arange(total, dtype=np.int32)
    _churn(params, tier, cls, first, span, install_id, col_country=[col["country"][r] for r in rows], rng=rng)

    return Hosts(
        n_ollama=n,
        behaviour=behaviour,
        ip=ip,
        port=port,
        scheme=scheme,
        proxy=proxy,
        country=np.array([col["country"][r] for r in rows], dtype=object),
        subdivision=np.array([col["subdivision"][r] for r in rows], dtype=object),
        city=np.array([col["city"][r] for r in rows], dtype=object),
        asn=placer.asn[rows],
        as_org=np.array([col["as_org"][r] for r in rows], dtype=object),
        tier=tier,
        tz_offset=tz,
        cls=cls,
        first_day=first.astype(np.int32),
        last_day=(first + span - 1).astype(np.int32),
        availability=avail.astype(np.float32),
        version_idx=version_idx,
        upgrade_day=upgrade_day,
        upgrade_idx=upgrade_idx,
        install_id=install_id,
        farm=farm,
        origins_wildcard=rng.random(total) < params.origins_wildcard_share,
        up_host=up_host,
        up_day=up_day,
    )


def _versions(
    params: Params, first: np.ndarray, span: np.ndarray, backbone: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    total = first.shape[0]
    start = params.start.toordinal()
    install = start + first.astype(np.int64)
    existing = np.asarray(first == 0)
    # a host seen on the first day was installed before the window: within a year, or for the persistent backbone
    # (all there on the first day) within backbone_install_days
    before = np.where(backbone, params.backbone_install_days, 365.0)[existing]
    install[existing] = start - (np.asarray(rng.random(int(existing.sum()))) * before).astype(np.int64)
    lag = np.asarray(rng.exponential(params.version_lag_days, size=total)).astype(np.int64)
    version_idx = np.array([release_index_at(int(o)) for o in install - lag], dtype=np.int32)
    # the long tail: a release more than a year older than the install, uniformly among those
    old = np.nonzero(np.asarray(rng.random(total)) < params.old_version_share)[0]
    newest_old = np.array([release_index_at(int(o)) for o in install[old] - 365], dtype=np.int64)
    version_idx[old] = (rng.random(old.shape[0]) * (newest_old + 1)).astype(np.int32)
    years = span / 365.0
    upgrades = rng.random(total) < params.upgrade_rate_per_year * years
    upgrade_day = np.full(total, -1, dtype=np.int32)
    upgrade_idx = version_idx.copy()
    if upgrades.any():
        off = (rng.random(int(upgrades.sum())) * np.maximum(1, span[upgrades] - 1)).astype(np.int64) + 1
        day = (first[upgrades] + off).astype(np.int32)
        upgrade_day[upgrades] = day
        upgrade_idx[upgrades] = [release_index_at(start + int(x)) for x in day]
        same = upgrade_idx <= version_idx
        upgrade_day[same] = -1
    return version_idx, upgrade_day, upgrade_idx


def _churn(
    params: Params,
    tier: np.ndarray,
    cls: np.ndarray,
    first: np.ndarray,
    span: np.ndarray,
    install_id: np.ndarray,
    col_country: list[str],
    rng: np.random.Generator,
) -> None:
    """Link some residential hosts to an earlier one in the same country: one installation, new address."""
    last = first + span - 1
    cand = np.nonzero((tier == "telecom_residential") & ((cls == ONCE) | (cls == MIDDLE)))[0]
    if cand.shape[0] < 2:
        return
    movers = cand[rng.random(cand.shape[0]) < params.churn_share]
    used: set[int] = set()
    by_country: dict[str, np.ndarray] = {}
    for c in set(col_country[i] for i in cand):
        idx = cand[[col_country[i] == c for i in cand]]
        by_country[c] = idx[np.argsort(last[idx])]
    for m in movers:
        pool = by_country[col_country[m]]
        k = int(np.searchsorted(last[pool], first[m], side="left"))
        for j in range(k - 1, max(-1, k - 20), -1):
            pred = int(pool[j])
            if pred != m and pred not in used and install_id[pred] == pred:
                install_id[m] = install_id[pred]
                used.add(pred)
                break


def version_at(hosts: Hosts, host: int, day: int) -> str:
    idx = hosts.version_idx[host]
    if hosts.upgrade_day[host] >= 0 and day >= hosts.upgrade_day[host]:
        idx = hosts.upgrade_idx[host]
    return RELEASES[int(idx)][0]


def hosts_table(h: Hosts, start_ordinal: int) -> pa.Table:
    """Host-level ground truth."""
    from llmcensus.simulate.geopool import hyperscaler_asns  # noqa: F401  (documented tie to the tier rule)

    def ipstr(x: int) -> str:
        return f"{x >> 24}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}"

    return pa.table(
        {
            "host_id": pa.array(np.arange(h.n, dtype=np.int32)),
            "install_id": pa.array(h.install_id),
            "behaviour": pa.array(h.behaviour.tolist(), pa.string()),
            "ip": pa.array([ipstr(int(x)) for x in h.ip], pa.string()),
            "port": pa.array(h.port),
            "scheme": pa.array(h.scheme.tolist(), pa.string()),
            "proxied": pa.array(h.proxy),
            "country": pa.array(h.country.tolist(), pa.string()),
            "subdivision": pa.array(h.subdivision.tolist(), pa.string()),
            "city": pa.array(h.city.tolist(), pa.string()),
            "asn": pa.array([None if x < 0 else x for x in h.asn.tolist()], pa.int64()),
            "as_org": pa.array(h.as_org.tolist(), pa.string()),
            "tier": pa.array(h.tier.tolist(), pa.string()),
            "persistence_class": pa.array([CLASS_NAMES[c] for c in h.cls], pa.string()),
            "first_day": pa.array(h.first_day),
            "last_day": pa.array(h.last_day),
            "availability": pa.array(h.availability),
            "initial_version": pa.array([RELEASES[int(i)][0] for i in h.version_idx], pa.string()),
            "upgrade_day": pa.array([None if x < 0 else x for x in h.upgrade_day.tolist()], pa.int32()),
            "upgraded_version": pa.array(
                [RELEASES[int(i)][0] if u >= 0 else None for i, u in zip(h.upgrade_idx, h.upgrade_day, strict=True)],
                pa.string(),
            ),
            "honeypot_farm": pa.array([None if x < 0 else x for x in h.farm.tolist()], pa.int16()),
            "honeypot_kind": pa.array([k or None for k in farms.member_kinds(h.farm).tolist()], pa.string()),
            "origins_wildcard": pa.array(h.origins_wildcard),
            "utc_offset_min": pa.array(h.tz_offset),
        }
    )
