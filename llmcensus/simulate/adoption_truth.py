"""Ground truth of adoption for every lineage (issue #18): the lineage the wire lets a reader name for each model a
host lists -- its *attributable lineage* -- and, per period and lineage, the hosts that listed one.

The world knows every model's lineage; a scanner knows only what the host sends. Counting the world's lineages
would count what no reader can know, so the truth counts the *attributable* lineage, decided from the world's side
(what it built and what it puts on the wire), never by asking the observatory's resolver (``enrich/lineage.py``):

* **name** -- library builds (``<lineage>:<tag>``), their quantization variants, re-pushed digests, the third-party
  pull and the clone farms' copies, and every community derivative (``<ns>/<lineage>-abliterated:<size>``,
  ``hf.co/<org>/<lineage>-<size>-Instruct-GGUF``): the world wrote the lineage into the name (``catalog.py``).
* Custom models (``ollama create`` with a SYSTEM prompt, ``inventory._custom_models``) are named ``coder``,
  ``assistant`` ...; their Modelfile ``FROM`` is a blob path (``wire/showdata.py``), so only the /api/show body the
  world copied from the base can name the lineage, tried in this order:
  **license** -- a licence written for one lineage (``LICENSE_LINEAGE``: the Llama community licences; a custom
  build on llava or codellama ships Llama 2's and is attributable to llama2, as any reader of it would say);
  **family** -- an architecture only one catalogued lineage uses (``reference/data/families.csv``: gemma2, gptoss
  ...), sent in ``details`` from v0.1.15 (a build only ever listed by older hosts has none);
  **template** -- the chat template of official library builds (digests of the library, ``catalog.is_official``)
  of exactly one lineage among those genuine hosts list in the study (the deepseek dialect).
  None of these: no lineage (an Apache- or MIT-licensed base on a shared architecture: qwen2.5, mistral, phi).
* Other runtimes (``runtime_mix.POOL_LINEAGE``): the served model's lineage when the id listed still spells it
  (``Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf``); aliases that do not (LocalAI's ``gpt-4``), proprietary APIs
  behind LiteLLM and ids standing for no model (``/models/model.gguf``) have none.

A model with no attributable lineage is counted under ``UNATTRIBUTED`` ("unknown"), as the observatory counts it
(``store/lineage.py`` ``inventory_models``). Attribution is a property of the whole study (a template or a family
seen anywhere counts), as enrichment resolves each (name, digest) once, not per period.

Adoption rows use the definitions of ``lineage_adoption_by_month``: ``hosts`` = addresses that listed a local (not
cloud) model of the lineage on a successful visit in the period, ``host_days`` = their days summed, ``<label>_hosts``
= addresses of any runtime whose successful visit listed a local model in the period, ``host_share`` = hosts /
``<label>_hosts``. Counting is column-wise: per period a bit set of days (a period is at most 62 days).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from llmcensus.errors import SimulationError
from llmcensus.reference.catalog import families
from llmcensus.simulate import runtime_mix
from llmcensus.simulate.catalog import is_official
from llmcensus.simulate.reported import K, versions_seen
from llmcensus.simulate.versions import RELEASES, parse_version
from llmcensus.simulate.views import HostView, ModelView
from llmcensus.simulate.wire import licenses
from llmcensus.simulate.world import World

UNATTRIBUTED = "unknown"
# builds whose display name the world writes from the lineage (catalog.py, lineage_plan.py, farms.py)
NAMED_KINDS = frozenset({"library", "variant", "modified", "third_party", "derivative_ns", "derivative_hf"})
# the licence texts the world ships (wire/licenses.py) that were written for one lineage; Gemma's covers every
# generation (the architecture family tells which), Apache, MIT and Tongyi Qianwen's name none
LICENSE_LINEAGE: dict[str, str] = {licenses.LLAMA2: "llama2", licenses.LLAMA3: "llama3", licenses.LLAMA31: "llama3.1",
                                   licenses.LLAMA32: "llama3.2", licenses.LLAMA33: "llama3.3"}  # fmt: skip
DETAILS_VERSION = (0, 1, 15)  # `details` (family, families ...) in /api/tags from here (reported.py)


@dataclass(frozen=True)
class Attribution:
    """The lineage a reader can name for one build (None: nothing on the wire names one) and the evidence that
    names it: ``name``, ``license``, ``family``, ``template``, else ``none``; ``cloud`` for cloud stubs (not local,
    never counted)."""

    lineage: str | None
    evidence: str


def month(d: date) -> str:
    return d.strftime("%Y-%m")


# --- what each Ollama build lets a reader name -------------------------------------------------------------------


def _instance_sightings(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Per instance: listed on a successful visit with ``details`` (a version >= 0.1.15, or a clone farm,
    which always sends them); listed by a genuine host (not a clone farm). Only Ollama and clone-farm hosts list
    the inventory; an instance's observed days fall in at most two versions (before and after an upgrade)."""
    seen_before, seen_after, v_before, v_after = versions_seen(world)
    behaviour = world.hosts.behaviour[world.inventory.host]
    lists = np.isin(behaviour, ["ollama", "honeypot"])
    canned = behaviour == "honeypot"
    details_of = np.array([parse_version(v) >= DETAILS_VERSION for v, _ in RELEASES])
    before, after = seen_before & lists, seen_after & lists
    with_details = (before & (details_of[v_before] | canned)) | (after & (details_of[v_after] | canned))
    return with_details, (before | after) & ~canned


def spec_attributions(world: World) -> list[Attribution]:
    """The attributable lineage of every build of ``world.inventory.specs`` (index for index)."""
    specs = world.inventory.specs
    spec = world.inventory.spec
    with_details, genuine = _instance_sightings(world)
    family_sent = np.zeros(len(specs), dtype=bool)
    family_sent[spec[with_details]] = True
    listed_genuine = np.zeros(len(specs), dtype=bool)
    listed_genuine[spec[genuine]] = True
    # template -> lineages of the official builds genuine hosts list with it (clone farms send a canned template)
    by_template: dict[str, set[str]] = defaultdict(set)
    for i, s in enumerate(specs):
        if listed_genuine[i] and is_official(s):
            by_template[world.show_for(i).template].add(s.lineage)
    fams = families()
    out = []
    for i, s in enumerate(specs):
        if s.kind == "cloud":
            out.append(Attribution(None, "cloud"))
            continue
        if s.kind in NAMED_KINDS:
            out.append(Attribution(s.lineage, "name"))
            continue
        if s.kind != "custom":
            raise SimulationError(f"no attribution rule for a {s.kind!r} build ({s.name})")
        sd = world.show_for(i)
        if "/blobs/sha256-" not in sd.modelfile_from:
            raise SimulationError(f"{s.name}: a FROM line naming a model is not modelled by the truth")
        fam = fams.get(s.family)
        template = by_template.get(sd.template, set())
        if sd.license in LICENSE_LINEAGE:
            out.append(Attribution(LICENSE_LINEAGE[sd.license], "license"))
        elif family_sent[i] and fam is not None and fam.lineage:
            out.append(Attribution(fam.lineage, "family"))
        elif len(template) == 1:
            out.append(Attribution(next(iter(template)), "template"))
        else:
            out.append(Attribution(None, "none"))
    return out


def listed_models(view: HostView) -> list[tuple[str, ModelView | None]]:
    """The ids a non-Ollama host's open model list shows (``runtime_mix.expected``), each with the served model
    behind it; None for an id standing for no model (llama.cpp's ``/models/model.gguf``, SGLang's ``default``).
    Runtimes listing every served model keep their order; the single-model ones list one id for the first."""
    truth = runtime_mix.expected(view)
    ids = truth["models"]
    if truth["status"] != "success" or not isinstance(ids, list):
        return []
    if len(ids) == len(view.models):
        return list(zip((str(i) for i in ids), view.models, strict=True))
    if len(ids) == 1:
        return [(str(ids[0]), view.models[0] if view.models else None)]
    raise SimulationError(f"{view.behaviour.value}: {len(ids)} ids for {len(view.models)} served models")


def runtime_attribution(listed_id: str, served: ModelView | None) -> Attribution:
    """What a reader can name from an id another runtime lists: the served model's lineage
    (``runtime_mix.POOL_LINEAGE``) when the id still spells it after the runtime's renaming (a path, a
    ``koboldcpp/`` prefix, a lower-cased alias). These runtimes send no licence, template or library digest."""
    if served is None:
        return Attribution(None, "none")
    lineage, spelled = runtime_mix.POOL_LINEAGE.get(served.name, (None, None))
    if lineage is None or spelled is None or spelled.lower() not in listed_id.lower():
        return Attribution(None, "none")
    return Attribution(lineage, "name")


# --- listings: (address, build, attribution) over days -----------------------------------------------------------


@dataclass
class Listings:
    """Column arrays, one row per listed local build: the host's address, the build's key and attribution, the
    days it is listed ``[add, remove)``; plus the (address, day) pairs of the successful visits (sorted)."""

    ip: np.ndarray
    build: list[str]
    attribution: list[Attribution]
    add: np.ndarray
    remove: np.ndarray
    up_ip: np.ndarray
    up_day: np.ndarray


def listings(world: World) -> Listings:
    """Every listed local build of the study (what ``adoption`` and ``attribution_summary`` count)."""
    h, inv = world.hosts, world.inventory
    days = world.params.days
    ip: list[np.ndarray] = []
    build: list[str] = []
    attr: list[Attribution] = []
    add: list[np.ndarray] = []
    rem: list[np.ndarray] = []
    up_ip: list[np.ndarray] = []
    up_day: list[np.ndarray] = []
    # Ollama hosts and clone farms: the inventory, on their up days
    attrs = spec_attributions(world)
    keep = np.isin(h.behaviour[inv.host], ["ollama", "honeypot"])
    keep &= np.array([attrs[s].evidence != "cloud" for s in inv.spec.tolist()], dtype=bool)
    sel = np.nonzero(keep)[0]
    ip.append(h.ip[inv.host[sel]].astype(np.int64))
    for s in inv.spec[sel].tolist():
        spec = inv.specs[s]
        build.append(f"{spec.name}@{spec.digest}")
        attr.append(attrs[s])
    add.append(inv.add_day[sel].astype(np.int64))
    rem.append(inv.remove_day[sel].astype(np.int64))
    ollama_like = np.isin(h.behaviour[h.up_host], ["ollama", "honeypot"])
    up_ip.append(h.ip[h.up_host[ollama_like]].astype(np.int64))
    up_day.append(h.up_day[ollama_like].astype(np.int64))

    def constant(address: int, view: HostView, first: int, last: int, answered: np.ndarray) -> None:
        """A host whose answer is the same on every day it answers (look-alikes, decoys, other runtimes)."""
        listed = [(i, m) for i, m in listed_models(view) if not i.endswith((":cloud", "-cloud"))]
        for listed_id, served in listed:
            ip.append(np.array([address], dtype=np.int64))
            build.append(f"{view.behaviour.value}:{listed_id}")
            attr.append(runtime_attribution(listed_id, served))
            add.append(np.array([first], dtype=np.int64))
            rem.append(np.array([last + 1], dtype=np.int64))
        if listed:
            up_ip.append(np.full(answered.shape[0], address, dtype=np.int64))
            up_day.append(answered.astype(np.int64))

    # look-alikes and decoys of the Ollama world answer on every day they are alive (world.view)
    for host in np.nonzero(~np.isin(h.behaviour, ["ollama", "honeypot"]))[0].tolist():
        first, last = int(h.first_day[host]), min(int(h.last_day[host]), days - 1)
        if first <= last:
            constant(int(h.ip[host]), world.view(host, first), first, last, np.arange(first, last + 1))
    rh = world.runtimes
    if rh is not None:  # the other runtimes' hosts refuse connections on their outage days
        bounds = np.searchsorted(rh.up_host, np.arange(rh.n + 1))
        for i in range(rh.n):
            answered = rh.up_day[bounds[i]: bounds[i + 1]]
            if answered.shape[0]:
                constant(int(rh.ip[i]), rh.open_view(i), int(rh.first_day[i]), int(rh.last_day[i]), answered)
    up_i, up_d = np.concatenate(up_ip), np.concatenate(up_day)
    order = np.lexsort((up_d, up_i))
    return Listings(np.concatenate(ip), build, attr, np.concatenate(add), np.concatenate(rem), up_i[order],
                     up_d[order])  # fmt: skip


# --- adoption per period and lineage -----------------------------------------------------------------------------


def _periods(world: World, period: Callable[[date], str]) -> list[tuple[str, int, int]]:
    """(label, first day, end day) of each period of the window, in order; a period is contiguous and <= 62 days."""
    out: list[tuple[str, int, int]] = []
    for d in range(world.params.days):
        label = period(world.params.start + timedelta(days=d))
        if out and out[-1][0] == label:
            out[-1] = (label, out[-1][1], d + 1)
        elif any(p[0] == label for p in out):
            raise SimulationError(f"period {label!r} is not contiguous")
        else:
            out.append((label, d, d + 1))
    if any(end - first > 62 for _, first, end in out):
        raise SimulationError("a period longer than 62 days does not fit the day bit sets")
    return out


def _range_bits(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Bits lo..hi-1 set (empty where hi <= lo); lo, hi within 0..62."""
    lo, hi = np.clip(lo, 0, 62).astype(np.uint64), np.clip(hi, 0, 62).astype(np.uint64)
    one = np.uint64(1)
    return np.where(hi > lo, ((one << hi) - one) & ~((one << lo) - one), np.uint64(0)).astype(np.uint64)


def adoption(world: World, period: Callable[[date], str] = month, label: str = "month",
             lst: Listings | None = None) -> list[dict[str, Any]]:
    """Per period and attributable lineage (``UNATTRIBUTED`` for none): ``hosts``, ``host_days``, ``<label>_hosts``
    and ``host_share``; ``period`` maps a day to its period's label (``month``: ``"2026-01"``); ``lst`` the
    study's ``listings`` when already built (one per world serves every period)."""
    lst = lst or listings(world)
    names = sorted({a.lineage or UNATTRIBUTED for a in lst.attribution})
    code = {n: j for j, n in enumerate(names)}
    lineage = np.array([code[a.lineage or UNATTRIBUTED] for a in lst.attribution], dtype=np.int64)
    rows: list[dict[str, Any]] = []
    for name, first, end in _periods(world, period):
        # days each address answered in the period, as bits from the period's first day
        in_p = (lst.up_day >= first) & (lst.up_day < end)
        addresses, inverse = np.unique(lst.up_ip[in_p], return_inverse=True)
        answered = np.zeros(addresses.shape[0], dtype=np.uint64)
        np.bitwise_or.at(answered, inverse, np.uint64(1) << (lst.up_day[in_p] - first).astype(np.uint64))
        where = np.searchsorted(addresses, lst.ip)
        known = (where < addresses.shape[0]) & (addresses[np.minimum(where, addresses.shape[0] - 1)] == lst.ip)
        listed = _range_bits(np.maximum(lst.add, first) - first, np.minimum(lst.remove, end) - first)
        bits = np.where(known, listed & answered[np.minimum(where, addresses.shape[0] - 1)], np.uint64(0))
        hit = bits != 0
        if not hit.any():
            continue
        keys = lst.ip[hit] * len(names) + lineage[hit]
        uniq, inv = np.unique(keys, return_inverse=True)
        merged = np.zeros(uniq.shape[0], dtype=np.uint64)
        np.bitwise_or.at(merged, inv, bits[hit])
        period_hosts = int(np.unique(lst.ip[hit]).shape[0])
        per_lineage = uniq % len(names)
        hosts = np.bincount(per_lineage, minlength=len(names))
        host_days = np.bincount(per_lineage, weights=np.bitwise_count(merged).astype(np.float64),
                                minlength=len(names))  # fmt: skip
        for j in np.nonzero(hosts)[0].tolist():
            rows.append({label: name, "lineage": names[j], "hosts": int(hosts[j]), "host_days": int(host_days[j]),
                         f"{label}_hosts": period_hosts, "host_share": int(hosts[j]) / period_hosts})  # fmt: skip
    return sorted(rows, key=lambda r: (r[label], r["lineage"]))


def attribution_summary(world: World, lst: Listings | None = None) -> dict[str, Any]:
    """The local builds listed on a successful visit anywhere in the study, by the evidence that names their
    lineage; ``unattributed`` and ``unattributed_share`` are those nothing names (counted as ``UNATTRIBUTED``), with
    ``unattributed_by_kind`` saying what they are (a build kind, or the runtime listing it). A custom model is one
    build per host, so the share of builds grows with the world; ``unattributed_listing_share`` is the share of
    (address, build) pairs, which does not."""
    lst = lst or listings(world)
    keys = lst.up_ip * K + lst.up_day
    base = lst.ip * K
    listed = np.nonzero(np.searchsorted(keys, base + lst.remove) - np.searchsorted(keys, base + lst.add) > 0)[0]
    seen = {lst.build[j]: lst.attribution[j] for j in listed.tolist()}
    pairs = {(int(lst.ip[j]), lst.build[j]) for j in listed.tolist()}
    kinds = {f"{s.name}@{s.digest}": s.kind for s in world.inventory.specs}
    none = [k for k, a in seen.items() if a.lineage is None]
    none_pairs = sum(1 for _, b in pairs if seen[b].lineage is None)
    return {"builds": len(seen), "by_evidence": dict(sorted(Counter(a.evidence for a in seen.values()).items())),
            "unattributed": len(none), "unattributed_share": len(none) / len(seen) if seen else 0.0,
            "unattributed_by_kind": dict(sorted(Counter(kinds.get(k, k.split(":", 1)[0]) for k in none).items())),
            "listings": len(pairs), "unattributed_listing_share": none_pairs / len(pairs) if pairs else 0.0}
