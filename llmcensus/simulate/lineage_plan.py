"""Planted lineage events: a release, its uncensored derivative, a modified digest and a risk jump, with ground truth.

The natural world (``inventory.py``) draws every host's models from ``models.csv``; nothing in it is an *event* a
lineage monitor should catch on a known day. This module plants such events, on top of the drawn inventories, from
the ``lineage_events`` parameter (``[]`` = none, the default; ``"demo"`` = ``demo_plan``; or a list of events), and
states what a correct monitor must then report (``truth``, written to ``truth/lineage_events.json``).

An event is a dict; ``day`` is the window's day index (0 = ``Params.start``), ``model`` a library tag of
``PLANTABLE`` (a lineage the natural world never carries, so every host listing it is a planted one):

* ``release``          ``hosts`` hosts pull ``model`` on ``day``, then ``per_day`` more each later day: a new lineage
                       appears and is adopted
* ``derivative``       the same spread for the uncensored namespace build of ``model`` (``catalog.derivative``
                       index 0: ``huihui_ai/<lineage>-abliterated:<size>``), a derivative birth
* ``modified_digest``  ``hosts`` hosts serve ``model``'s name with another digest from ``day`` (a re-pushed build)
* ``exposure``         ``hosts`` more hosts pull ``model`` (tools and thinking) on ``day``: the lineage's exposed hosts
                       (tools ∧ thinking ∧ open ∧ uptime ≥ 0.8, ``lineage_risk_by_month``) jump that month

Planted hosts are genuine Ollama hosts (no clone farm) on a version that reports capabilities and thinking
(>= 0.9.0) and that answer every day from their first day to the window's end: their uptime is 1 on every day a
monitor could look, so whether they count as exposed never depends on how much of the window has been swept. Each
host gets at most one planted instance of a name. Draws come from their own stream (seed, 18, event number): a plan
leaves every other draw of the world, and so every other figure, unchanged.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from llmcensus.errors import ConfigError
from llmcensus.simulate.catalog import ModelSpec, derivative, library_spec
from llmcensus.simulate.versions import RELEASES, parse_version

if TYPE_CHECKING:
    from llmcensus.simulate.params import Params
    from llmcensus.simulate.population import Hosts
    from llmcensus.simulate.world import World

KINDS = ("release", "derivative", "modified_digest", "exposure")
# Library builds a plan may release: lineages the natural world (models.csv) never carries. Facts from the library
# page (https://ollama.com/library/nemotron-3-nano, 4b tag) and the lineage catalogue.
PLANTABLE: dict[str, dict[str, Any]] = {
    "nemotron-3-nano:4b": {"family": "nemotron_h_moe", "parameter_size": "4.0B", "quantization": "Q4_K_M",
                           "capabilities": ("completion", "tools", "thinking"), "context_length": 262144,
                           "embedding_length": 3136, "available_from": date(2025, 12, 15)},
}  # fmt: skip
THINKING_VERSION = (0, 9, 0)  # capabilities and thinking reported from here (fastpath._VersionFlags)
WATCH = "planted"


@dataclass(frozen=True)
class Event:
    kind: str
    model: str
    day: int
    hosts: int
    per_day: int = 0


def demo_plan(start: date, days: int) -> list[dict[str, Any]]:
    """The built-in plan, placed in any window of at least 8 days spanning two months: a release in the first
    month, its abliterated derivative and a modified digest after it, and an exposure jump in the last month."""
    last_month = max((d for d in range(days) if (start + timedelta(days=d)).day == 1), default=days - 1)
    m = "nemotron-3-nano:4b"
    return [
        {"kind": "release", "model": m, "day": 1, "hosts": 3, "per_day": 1},
        {"kind": "derivative", "model": m, "day": 2, "hosts": 2, "per_day": 1},
        {"kind": "modified_digest", "model": m, "day": 3, "hosts": 1},
        {"kind": "exposure", "model": m, "day": min(days - 1, last_month + 2), "hosts": 6},
    ]


def events(params: Params) -> list[Event]:
    """The plan of ``params.lineage_events``, validated (a bad event is one ``ConfigError`` naming it)."""
    raw = params.lineage_events
    if raw == "demo":
        raw = demo_plan(params.start, params.days)
    if not isinstance(raw, list):
        raise ConfigError("lineage_events must be a list of events or \"demo\"")
    out = []
    for i, e in enumerate(raw, 1):
        where = f"lineage_events #{i}"
        if not isinstance(e, dict) or set(e) - {"kind", "model", "day", "hosts", "per_day"}:
            raise ConfigError(f"{where}: an object with kind, model, day, hosts and optional per_day")
        if e.get("kind") not in KINDS or e.get("model") not in PLANTABLE:
            raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}; model one of {', '.join(PLANTABLE)}")
        day, hosts, per_day = e.get("day"), e.get("hosts"), e.get("per_day", 0)
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (day, hosts, per_day)):
            raise ConfigError(f"{where}: day, hosts and per_day must be integers")
        assert isinstance(day, int) and isinstance(hosts, int) and isinstance(per_day, int)
        if not 1 <= day < params.days or hosts < 1 or per_day < 0:
            raise ConfigError(f"{where}: day must be within 1..{params.days - 1} (day 0 is the baseline), hosts >= 1")
        out.append(Event(str(e["kind"]), str(e["model"]), day, hosts, per_day))
    return out


def release_spec(model: str) -> ModelSpec:
    return library_spec(model, **PLANTABLE[model])


def event_spec(e: Event) -> ModelSpec:
    base = release_spec(e.model)
    if e.kind == "derivative":
        return derivative(base, 0)
    if e.kind == "modified_digest":
        digest = hashlib.sha256(f"llmcensus-modified:{e.model}".encode()).hexdigest()
        return replace(base, digest=digest, kind="modified", base=base.name)
    return base


def eligible_hosts(params: Params, hosts: Hosts) -> np.ndarray:
    """Genuine Ollama hosts on >= 0.9.0 that answer every day from their first day to the window's end."""
    n = hosts.n_ollama
    d = params.days
    v = next(i for i, (x, _) in enumerate(RELEASES) if parse_version(x) >= THINKING_VERSION)
    ups = np.bincount(hosts.up_host, minlength=hosts.n)[:n]
    ok = (hosts.behaviour[:n] == "ollama") & (hosts.farm[:n] < 0) & (hosts.version_idx[:n] >= v)
    ok &= (hosts.last_day[:n] >= d - 1) & (ups == d - hosts.first_day[:n])
    return np.nonzero(ok)[0]


def plant(params: Params, hosts: Hosts, add_spec: Callable[[ModelSpec], int]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(host, spec, add_day) of the planted instances (kept to the end of the window), in plan order."""
    plan = events(params)
    pool = eligible_hosts(params, hosts)
    carrying: dict[str, set[int]] = defaultdict(set)  # model name -> hosts that carry it (one instance each)
    out_h: list[int] = []
    out_s: list[int] = []
    out_d: list[int] = []
    for k, e in enumerate(plan):
        rng = np.random.default_rng([params.seed, 18, k])
        spec = event_spec(e)
        si = add_spec(spec)
        taken = carrying[spec.name] | (carrying[e.model] if e.kind == "modified_digest" else set())
        last = params.days - 1 if e.per_day else e.day
        for day in range(e.day, last + 1):
            want = e.hosts if day == e.day else e.per_day
            free = np.array([h for h in pool.tolist() if hosts.first_day[h] <= day and h not in taken], dtype=np.int64)
            chosen = rng.choice(free, size=min(want, free.shape[0]), replace=False) if free.shape[0] else free
            for h in sorted(int(x) for x in chosen):
                taken.add(h)
                carrying[spec.name].add(h)
                out_h.append(h)
                out_s.append(si)
                out_d.append(day)
    return np.array(out_h, dtype=np.int64), np.array(out_s, dtype=np.int64), np.array(out_d, dtype=np.int64)


# --- ground truth --------------------------------------------------------------------------------------------------


def _month(d: date) -> str:
    return d.strftime("%Y-%m")


def watchlist(params: Params) -> dict[str, Any]:
    """The watch a lab would write for the plan's lineages (TOML-shaped): what ``truth`` expects alerts from."""
    plan = events(params)
    lineages = sorted({release_spec(e.model).lineage for e in plan})
    return {"name": WATCH, "lineages": lineages, "adoption": [5], "uncensored_hosts": 3,
            "digests": sorted({release_spec(e.model).digest for e in plan if e.kind == "modified_digest"}),
            "risk_jump_hosts": max([e.hosts for e in plan if e.kind == "exposure"], default=1)}  # fmt: skip


def watchlist_toml(params: Params) -> str:
    w = watchlist(params)
    lines = ["[[watch]]"] + [f"{k} = {v!r}" if not isinstance(v, list) else f"{k} = {list(v)!r}" for k, v in w.items()]
    return "\n".join(line.replace("'", '"') for line in lines) + "\n"


def truth(world: World) -> dict[str, Any]:
    """What the plan put in the world and what a correct monitor reports about it.

    ``adoption``: per month and planted lineage, the hosts (addresses) that listed it on a day they answered, their
    host-days, and ``month_hosts``, the addresses of any runtime whose successful visit listed a local (not cloud)
    model that month (``world.expected``: the denominator of ``lineage_adoption_by_month``); ``adoption_by_week``
    the same per ISO week (``week`` = its Monday, ``week_hosts``) and ``adoption_by_day`` per day (hosts,
    ``day_hosts``; no host-days): what ``lineage_adoption_by_week`` and ``_by_day`` report. ``expected_alerts``:
    the alerts ``watchlist`` raises, each dated to its day, with the counts as of that day (what a daily run writes).
    """
    p = world.params
    plan = events(p)
    inv, h = world.inventory, world.hosts
    lineages = {release_spec(e.model).lineage for e in plan}
    ip = {int(i): f"{int(x) >> 24}.{(int(x) >> 16) & 255}.{(int(x) >> 8) & 255}.{int(x) & 255}"
          for i, x in enumerate(h.ip)}  # fmt: skip
    planted = [i for i in range(inv.n) if inv.specs[inv.spec[i]].lineage in lineages]
    # first day per (lineage, host) and per (build, host), a build being name and digest; every planted host answers
    # every day from then on
    first: dict[tuple[str, int], int] = {}
    first_name: dict[tuple[str, int], int] = {}
    for i in planted:
        s, host, add = inv.specs[inv.spec[i]], int(inv.host[i]), int(inv.add_day[i])
        first[(s.lineage, host)] = min(add, first.get((s.lineage, host), add))
        key = (f"{s.name}@{s.digest}", host)
        first_name[key] = min(add, first_name.get(key, add))
    day_date = [p.start + timedelta(days=d) for d in range(p.days)]
    day_hosts = _day_hosts(world, day_date)
    adoption = _adoption(lineages, first, day_date, day_hosts, "month", _month)
    by_week = _adoption(lineages, first, day_date, day_hosts, "week", _week)
    by_day = [{"day": when.isoformat(), "lineage": lin, "hosts": n, "day_hosts": len(day_hosts[d]),
               "host_share": n / len(day_hosts[d])}
              for d, when in enumerate(day_date) for lin in sorted(lineages)
              if (n := sum(1 for (ln, _), f in first.items() if ln == lin and f <= d))]  # fmt: skip
    w = watchlist(p)
    alerts = _expected_alerts(p, plan, w, first, first_name, day_date, h)
    numbered = iter(range(len(plan)))  # the draws again, with each event's number in place of its spec's
    by_host, by_event, _ = plant(p, h, lambda _spec: next(numbered))
    resolved = [{"kind": e.kind, "model": e.model, "name": event_spec(e).name, "digest": event_spec(e).digest,
                 "lineage": release_spec(e.model).lineage, "day": day_date[e.day].isoformat(),
                 "hosts": sorted(ip[int(x)] for x in by_host[by_event == k])}
                for k, e in enumerate(plan)]  # fmt: skip
    return {"events": resolved, "adoption": adoption, "adoption_by_week": by_week, "adoption_by_day": by_day,
            "watchlist": w, "expected_alerts": alerts,
            "definitions": {"hosts": "addresses listing a model of the lineage on a day they answered",
                            "week": "an ISO week, named by its Monday (the window's first and last may be partial)",
                            "counts": "alert counts are as of the alert's day (first_seen)"}}  # fmt: skip


def _build(spec: ModelSpec) -> str:
    return f"{spec.name}@{spec.digest}"


def _week(d: date) -> str:
    return (d - timedelta(days=d.weekday())).isoformat()


def _day_hosts(world: World, day_date: list[date]) -> list[set[str]]:
    """Per day of the window, the addresses of any runtime whose successful visit listed a local (not cloud) model:
    the denominators of the adoption metrics (a period's hosts are the union of its days')."""
    out: list[set[str]] = []
    for d in range(len(day_date)):
        seen: set[str] = set()
        for row in world.expected(d).to_pylist():
            names = row["model_names"] or []
            if row["status"] == "success" and any(not (n.endswith(":cloud") or n.endswith("-cloud")) for n in names):
                seen.add(row["ip"])
        out.append(seen)
    return out


def _adoption(lineages: set[str], first: dict[tuple[str, int], int], day_date: list[date],
              day_hosts: list[set[str]], unit: str, period: Callable[[date], str]) -> list[dict[str, Any]]:
    """Per period (``unit``: month or week, named by ``period``) and planted lineage: hosts, host-days, the
    period's hosts with a local model and the share (every planted host answers every day from its first)."""
    out = []
    for lin in sorted(lineages):
        for key in sorted({period(d) for d in day_date}):
            days_in = [d for d, when in enumerate(day_date) if period(when) == key]
            per = [sum(1 for d in days_in if d >= f) for (ln, _), f in first.items() if ln == lin]
            per = [x for x in per if x]
            total = len(set().union(*(day_hosts[d] for d in days_in)))
            if per:
                out.append({unit: key, "lineage": lin, "hosts": len(per), "host_days": sum(per),
                            f"{unit}_hosts": total, "host_share": len(per) / total})  # fmt: skip
    return out


def _expected_alerts(p: Params, plan: list[Event], w: dict[str, Any], first: dict[tuple[str, int], int],
                     first_name: dict[tuple[str, int], int], day_date: list[date], h: Hosts) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def alert(rule: str, lineage: str, subject: str, day: int, hosts: int, evidence: dict[str, Any],
              threshold: int | None = None) -> None:
        out.append({"rule": rule, "watch": WATCH, "lineage": lineage, "subject": subject, "threshold": threshold,
                    "first_seen": day_date[day].isoformat(), "counts": {"hosts": hosts}, "evidence": evidence})

    for lin in w["lineages"]:
        firsts = sorted(f for (ln, _), f in first.items() if ln == lin)
        if not firsts:
            continue
        day0 = firsts[0]
        alert("new_runtime", lin, "ollama", day0, firsts.count(day0), {})
        by_country: dict[str, list[int]] = defaultdict(list)
        for (ln, host), f in first.items():
            if ln == lin:
                by_country[str(h.country[host])].append(f)
        for country, fs in by_country.items():
            if country != "unknown":
                alert("new_country", lin, country, min(fs), fs.count(min(fs)), {})
        for n in w["adoption"]:
            if len(firsts) >= n:
                alert("adoption", lin, lin, firsts[n - 1], n, {}, n)
        for e in plan:
            spec = event_spec(e)
            fs = sorted(f for (name, _), f in first_name.items() if name == _build(spec))
            if e.kind == "derivative" and fs:
                alert("new_derivative", lin, spec.name, fs[0], fs.count(fs[0]), {"kind": "uncensored", "lineage": lin})
                u = w["uncensored_hosts"]
                if len(fs) >= u:
                    alert("uncensored_hosts", lin, spec.name, fs[u - 1], u, {"kind": "uncensored"}, u)
            elif e.kind == "modified_digest" and fs:
                alert("modified_digest", lin, spec.digest, fs[0], fs.count(fs[0]), {"name": spec.name})
        out.extend(_risk_jumps(lin, firsts, day_date, w["risk_jump_hosts"]))
    return sorted(out, key=lambda a: (a["first_seen"], a["rule"], a["lineage"], a["subject"]))


def _risk_jumps(lineage: str, firsts: list[int], day_date: list[date], threshold: int) -> list[dict[str, Any]]:
    """Every planted host is exposed (tools, thinking, open, uptime 1) on every day from its first: the month's
    exposed hosts are the lineage's hosts, a host counting from the later of its first day and the month's start."""
    months = sorted({_month(d) for d in day_date})
    out = []
    for prev, cur in pairwise(months):
        days_prev = [d for d, when in enumerate(day_date) if _month(when) == prev]
        days_cur = [d for d, when in enumerate(day_date) if _month(when) == cur]
        before = sum(1 for f in firsts if f <= days_prev[-1])
        if not before:
            continue  # a lineage new this month has no jump: new_runtime and adoption say it
        for d in days_cur:
            now = sum(1 for f in firsts if f <= d)
            if now - before >= threshold:
                out.append({"rule": "risk_jump", "watch": WATCH, "lineage": lineage, "subject": cur,
                            "threshold": threshold, "first_seen": day_date[d].isoformat(), "counts": {"hosts": now},
                            "evidence": {"month": cur, "exposed_hosts": now, "previous_exposed_hosts": before}})
                break
    return out
