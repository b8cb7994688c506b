"""Portfolios: how many models each host carries over its life, and which ones, in what order.

``portfolio_sizes`` draws the number of distinct models per host (``Params.portfolio``, tilted toward
persistent hosts); ``pick_models`` chooses them from the catalog (``data/models.csv``) and splits them
into the models present when the host is first seen and those pulled during its life. Everything is
vectorised over hosts (a full-scale world picks ~690,000 models in a few seconds).
"""

from __future__ import annotations

import numpy as np

from llmcensus.simulate.catalog import ModelSpec, base_specs
from llmcensus.simulate.params import Params
from llmcensus.simulate.population import Hosts
from llmcensus.simulate.versions import FAMILY_MIN_VERSION, RELEASES, parse_version


def portfolio_sizes(params: Params, persistent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Distinct models per host, drawn from ``params.portfolio`` tilted toward persistent hosts.

    Persistent hosts draw bucket b with probability P_pers(b) ∝ P(b)·r^b (b = the bucket's rank,
    r = ``persistent_portfolio_tilt``); the other hosts draw from the distribution that makes the
    mixture equal P exactly, so host-level portfolio shares are untouched while the observation-weighted
    volume (what persistent hosts dominate) is larger.
    """
    n = persistent.shape[0]
    buckets = list(params.portfolio.items())
    probs = np.array([p for _, p in buckets], dtype=np.float64)
    probs = probs / probs.sum()
    tilted = probs * params.persistent_portfolio_tilt ** np.arange(len(buckets))
    tilted /= tilted.sum()
    share = float(persistent.mean()) if n else 0.0
    rest = np.clip(probs - share * tilted, 0.0, None) / max(1e-12, 1.0 - share)
    rest /= rest.sum()
    pick = np.where(
        persistent,
        rng.choice(len(buckets), size=n, p=tilted),
        rng.choice(len(buckets), size=n, p=rest),
    )
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


def eligible(specs: tuple[ModelSpec, ...], version_idx: np.ndarray, last_ordinal: np.ndarray) -> np.ndarray:
    """(hosts x specs): the model existed by the host's last day and its family loads on the host's version."""
    versions = [parse_version(v) for v, _ in RELEASES]
    need = [FAMILY_MIN_VERSION.get(s.family) for s in specs]
    loads = np.array([[n is None or parse_version(n) <= v for n in need] for v in versions], dtype=bool)
    born = np.array([s.available_from.toordinal() for s in specs], dtype=np.int64)
    return np.asarray(loads[version_idx] & (born[None, :] <= last_ordinal[:, None]))


def pick_models(
    params: Params, hosts: Hosts, k: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(host, base spec index, initial, set-up day) per picked model: what each host carries over its life.

    A host's models split into those present when it is first seen (its first pick, then each other
    with probability ``initial_inventory_share``; all of them for a host seen on one day only) and
    those pulled during its life. Initial models come from the catalog as the host knew it: a
    *legacy* host (share ``legacy_share``) set up its inventory before ``legacy_cutoff``, when the
    library's default builds were Q4_0 (llama3, mistral, gemma2, qwen2, llava ...); any other host
    from what existed on its first day. Models pulled later come from the whole catalog of the host's
    last day. The set-up day (window-relative, negative before the window) is when a host's initial
    models were pulled at the latest. Picks are weighted without replacement (Gumbel top-k on the
    catalog weights), in preference order: the first pick is the host's main model.
    """
    base = base_specs()
    start = params.start.toordinal()
    n = hosts.n_ollama
    avail = np.array([s.available_from.toordinal() - start for s in base], dtype=np.int64)
    logw = np.log(np.maximum(np.array([s.weight for s in base]), 1e-12))
    gumbel = logw[None, :] - np.log(-np.log(rng.random((n, len(base)))))
    # a re-pushed tag (same display name, new build) replaces the older build from its release on: a
    # build is "current" from its own release until the next build of the name appears
    names = [s.name for s in base]
    superseded = np.full(len(base), 10**7, dtype=np.int64)
    for j, name in enumerate(names):
        later_builds = [int(avail[i]) for i, other in enumerate(names) if other == name and avail[i] > avail[j]]
        if later_builds:
            superseded[j] = min(later_builds)
    group = np.array([names.index(name) for name in names], dtype=np.int64)
    legacy = rng.random(n) < params.legacy_share
    cutoff = params.legacy_cutoff.toordinal() - start
    first = hosts.first_day[:n].astype(np.int64)
    last = hosts.last_day[:n].astype(np.int64)
    k0 = np.where(k > 0, 1 + rng.binomial(np.maximum(k - 1, 0), params.initial_inventory_share), 0)
    k0 = np.where(first == last, k, k0)
    init_day = np.where(legacy, np.minimum(cutoff, first), first)

    ok = eligible(base, hosts.version_idx[:n], start + last)
    ok &= ((k > 0) & (hosts.behaviour[:n] == "ollama"))[:, None]
    init_ok = ok & (avail[None, :] <= init_day[:, None]) & (superseded[None, :] > init_day[:, None])
    if params.family_affinity != 1.0:
        # the host's main model (its first pick) sets a family: its other models share it with odds
        # family_affinity (users pull several sizes and fine-tunes of the architecture they settled on)
        main = np.argmax(np.where(init_ok, gumbel, -np.inf), axis=1)
        fams = np.array([s.family for s in base], dtype=object)
        same = fams[main][:, None] == fams[None, :]
        gumbel = gumbel + np.log(params.family_affinity) * same
    m0 = np.minimum(k0, init_ok.sum(axis=1))
    cols = np.arange(len(base))[None, :]
    rank0 = np.argsort(-np.where(init_ok, gumbel, -np.inf), axis=1, kind="stable")
    take0 = cols < m0[:, None]
    chosen = np.zeros_like(ok)
    np.put_along_axis(chosen, rank0, take0, axis=1)
    # a tag already carried is not pulled again under its other build
    same_tag = group[:, None] == group[None, :]
    blocked = (chosen.astype(np.int32) @ same_tag.astype(np.int32)) > 0
    rest_ok = ok & (superseded[None, :] > last[:, None]) & ~blocked
    m1 = np.minimum(k - m0, rest_ok.sum(axis=1))
    rank1 = np.argsort(-np.where(rest_ok, gumbel, -np.inf), axis=1, kind="stable")
    take1 = cols < m1[:, None]
    # host-major, each host's initial picks (in preference order) before its later ones
    picks = np.concatenate([rank0, rank1], axis=1)
    take = np.concatenate([take0, take1], axis=1)
    part = np.concatenate([np.ones_like(take0), np.zeros_like(take1)], axis=1)
    inst_host = np.nonzero(take)[0].astype(np.int32)
    return inst_host, picks[take].astype(np.int32), part[take], init_day[inst_host]
