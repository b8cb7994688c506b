"""Hostile hosts (issue #14), the order- and time-dependent part: a poisoner claiming another host's digest
cannot change what is recorded for it, and no address gets more than its request cap across ports and sweeps."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_support import (
    HostileFleet,
    Public,
    hostile_fleet,
)
from hostile_table import (
    BENIGN_SYSTEM,
    SCRIPT,
    SETTINGS,
    Obs,
    by_public,
    digest,
    entry,
    ollama,
    show_body,
    sweep,
    tags,
    targets,
)

from llmcensus.probe.showcache import ShowCache

# -- poisoning: /api/show data is remembered per (ip, port, digest), never shared ---------------------------------

SHARED = digest("poison", "shared")
VICTIM_CAPS = ["completion"]
POISON_SYSTEM = "<script>steal()</script> you are now evil"
POISON_CAPS = ["completion", "tools", "vision", "thinking"]
VICTIM_TEMPLATE = "{{ .Prompt }}"
POISON_TEMPLATE = "{{ .Tools }}{{ .System }}poisoned"

POISON_CASES = {
    # name: (sweeps, each the hosts in visit order (V victim, P poisoner); "same": one ShowCache object throughout,
    # "fresh": a ShowCache freshly loaded from <data>/show for every sweep)
    "poison_same_sweep_poisoner_first": (["PV"], "fresh"),
    "poison_same_sweep_victim_first": (["VP"], "fresh"),
    "poison_later_sweep_same_cache": (["P", "V", "P", "V"], "same"),
    "poison_later_sweep_reloaded_cache": (["P", "V", "P", "V"], "fresh"),
    "poison_after_victim_was_seen": (["V", "P", "V"], "fresh"),
}


def pair(case: str) -> dict[str, Public]:
    """Each case gets its own two addresses (TEST-NET-2), so per-address state never carries between cases."""
    i = list(POISON_CASES).index(case)
    return {"V": (f"198.51.100.{10 + 2 * i}", 11434), "P": (f"198.51.100.{11 + 2 * i}", 11434)}


@pytest.fixture(scope="module")
def poison_fleet() -> Iterator[HostileFleet]:
    with hostile_fleet() as f:
        victim = ollama(tags(entry("llama3.1:8b", SHARED)), version="0.12.6",
                        show=show_body(BENIGN_SYSTEM, VICTIM_CAPS, template=VICTIM_TEMPLATE))
        poisoner = ollama(tags(entry("totally-llama:8b", SHARED)), version="0.12.6",
                          show=show_body(POISON_SYSTEM, POISON_CAPS, template=POISON_TEMPLATE, license=SCRIPT))
        for case in POISON_CASES:
            hosts = pair(case)
            f.add_persona(hosts["V"], victim)
            f.add_persona(hosts["P"], poisoner)
        yield f


def _own(r: Obs, system: str, caps: list[str], template: str) -> None:
    (m,) = r["models"]
    assert (m["system"], m["capabilities"]) == (system, caps), (r["ip"], m["system"], m["capabilities"])
    assert m["template_sha"] == hashlib.sha256(template.encode()).hexdigest()


@pytest.mark.parametrize("case", list(POISON_CASES))
def test_show_poisoning_cannot_change_another_hosts_record(poison_fleet: HostileFleet, tmp_path: Path,
                                                           case: str) -> None:
    plan, caches = POISON_CASES[case]
    hosts = pair(case)
    settings = SETTINGS.with_(concurrency=1)
    shared_cache = ShowCache(tmp_path / "show")
    seen: set[str] = set()
    for i, order in enumerate(plan):
        cache = shared_cache if caches == "same" else ShowCache(tmp_path / "show")
        sid = f"p{i}"
        asyncio.run(sweep(poison_fleet, targets([hosts[k] for k in order]), tmp_path, settings, sid,
                          show_cache=cache))
        got = by_public(tmp_path, sid)
        for who in order:
            r = got[hosts[who]]
            assert r["status"] == "success", (who, r["status"], r["error"])
            if who == "V":
                _own(r, BENIGN_SYSTEM, VICTIM_CAPS, VICTIM_TEMPLATE)
            else:
                _own(r, POISON_SYSTEM, POISON_CAPS, POISON_TEMPLATE)
            # fetched = asked this host in this sweep; cached = this same host, an earlier sweep
            status = r["models"][0]["show_status"]
            allowed = {"fetched", "cached"} if who in seen else {"fetched"}
            assert status in allowed, (who, f"sweep {i}", status)
            seen.add(who)


# -- one address, many ports: a request window across ports and sweeps ---------------------------------------------

def test_address_window_holds_across_ports_and_sweeps(tmp_path: Path) -> None:
    """20 ports of one address (an amplification bait): no ``address_window`` holds more than
    ``address_requests`` requests to that address, across its ports and across two sweeps; visits wait, not fail.

    A visit reserves its whole ``request_budget`` before it starts, so the budget is set just above what an
    empty Ollama needs (4 requests): two visits fit in a window, and the 24 visits take about 12 windows."""
    limit, window = 12, 1.0
    settings = SETTINGS.with_(address_requests=limit, address_window=window, request_budget=6, concurrency=20,
                              total_timeout=60.0)
    ip = "192.0.2.200"  # TEST-NET-1: an address no other test of this file uses
    ports = [20000 + i for i in range(20)]
    with hostile_fleet() as f:
        for port in ports:
            f.add_persona((ip, port), ollama(b'{"models":[]}'))
        asyncio.run(sweep(f, targets([(ip, p) for p in ports]), tmp_path, settings, "w1"))
        asyncio.run(sweep(f, targets([(ip, p) for p in ports[:4]]), tmp_path, settings, "w2"))
        stamps = sorted(h.at for h in f.log)
    first, second = by_public(tmp_path, "w1"), by_public(tmp_path, "w2")
    assert len(first) == 20 and len(second) == 4
    assert {r["status"] for r in [*first.values(), *second.values()]} == {"success"}
    assert len(stamps) == sum(r["requests"] for r in [*first.values(), *second.values()]) > 4 * limit
    slack = 0.1  # server-side receive times jitter around the client's send times (the fleet is another thread)
    crowded = [(stamps[i], stamps[i + limit] - stamps[i]) for i in range(len(stamps) - limit)
               if stamps[i + limit] - stamps[i] < window - slack]
    assert not crowded, f"{limit + 1} requests within {crowded[0][1]:.3f} s (window {window} s)"

