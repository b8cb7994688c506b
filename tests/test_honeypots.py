"""Fake Ollama hosts really caught (issue #19, acceptance 3 and 4): the named evidence of each real capture that
gets flagged, genuine 0.1.38-0.1.41 replies without a clone marker, and every planted farm member flagged on a
demo-sized world (perfect records) and on a small probed study, with the unflagged headline equal to the ground
truth over real hosts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from honeypot_support import capture_evidence, multiplicity

from llmcensus.analyze.notify import export_notifications
from llmcensus.analyze.run import headline
from llmcensus.analyze.run import run_study as analyze
from llmcensus.cli.study import TRUTH_KEYS
from llmcensus.enrich.run import enrich
from llmcensus.simstudy import farm_recovery, flagged_addresses
from llmcensus.simulate.farms import KINDS
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.truth import expected_metrics
from llmcensus.simulate.world import World, build_world, ip_text
from llmcensus.store import db
from llmcensus.store.derive import attach

# The shared captures' farm: members serve subsets of one small pool, the same nanosecond stamps on 5 to 8 hosts
# (…17.974766226Z, …50.4459752+08:00, …18.757212583-08:00, …24.5347459+08:00, …41.0502575+08:00), most of them
# out of Ollama's newest-first order. Every other capture (31 of 43 files) carries no evidence at all.
POOL = {"pool_subset", "shared_stamp"}
FLAGGED_CAPTURES: dict[str, tuple[set[str], set[str]]] = {
    "04391a874017.json": (POOL, {"clone_farm"}),  # served by 2 hosts: a one-model subset of the pool
    "14742721f15b.json": ({"shared_stamp", "tags_unsorted"}, {"clone_farm", "fake_ollama"}),
    "2c5ca060667c.json": ({"shared_stamp", "tags_unsorted"}, {"clone_farm", "fake_ollama"}),
    "4042c13a6613.json": (POOL, {"clone_farm"}),  # 2 hosts
    "4a6722572c05.json": (POOL, {"clone_farm"}),
    "4ead43190ea2.json": (POOL | {"tags_unsorted"}, {"clone_farm", "fake_ollama"}),  # 2 hosts
    "641c5f74b34b.json": ({"shared_stamp", "tags_unsorted"}, {"clone_farm", "fake_ollama"}),
    "7e63cc5f9a50.json": ({"shared_stamp", "tags_unsorted"}, {"clone_farm", "fake_ollama"}),
    "855bddfeaf14.json": (POOL, {"clone_farm"}),
    "9c6f23748ffe.json": (POOL | {"tags_unsorted"}, {"clone_farm", "fake_ollama"}),
    "b104866afbb2.json": (POOL | {"tags_unsorted"}, {"clone_farm", "fake_ollama"}),
    "c3a6a6d93c8c.json": (POOL | {"tags_unsorted"}, {"clone_farm", "fake_ollama"}),
}


def test_every_flagged_capture_is_named_with_its_evidence(tmp_path: Path) -> None:
    evidence, flags = capture_evidence(tmp_path)
    assert {name: (evidence.get(name, set()), flags.get(name, set())) for name in set(evidence) | set(flags)} == (
        FLAGGED_CAPTURES
    )
    assert set(multiplicity()) - set(FLAGGED_CAPTURES), "genuine captures stay unflagged"


def _flagged(con: Any) -> dict[str, set[str]]:
    return flagged_addresses(con)


def _attached(data: Path) -> Any:
    con = db.connect()
    attach(con, data)
    return con


def _recall_precision(world: World, con: Any) -> tuple[float, float, Counter[str]]:
    r = farm_recovery(world, con)
    return r.recall, r.precision, Counter({k: c for k, (c, _) in r.by_kind.items() if c})


def _unflagged_equals_truth(world: World, data: Path) -> None:
    """Every headline figure without flagged hosts equals the ground truth over real hosts, and every figure over all
    hosts the truth over all hosts: the truth counts what hosts report (simulate/reported.py), as the SQL does."""
    h = headline(analyze(data, names=["headline"]))
    truth = expected_metrics(world)
    for figure, key in TRUTH_KEYS.items():
        for scope in ("all", "unflagged"):
            assert h[figure][scope] == pytest.approx(truth[scope][key], abs=1e-9), (figure, scope)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    world = build_world(Params())  # the demo's world: 2,000 hosts x 14 days, seed 7
    out = tmp_path_factory.mktemp("demo")
    write_fastpath(world, out)
    enrich(out)
    return world, out


def test_the_demo_world_plants_every_kind(demo: tuple[World, Path]) -> None:
    world, _ = demo
    assert set(Counter(k for k in world.farm_kinds.tolist() if k)) == set(KINDS)


def test_every_planted_fake_is_flagged_on_the_demo_world(demo: tuple[World, Path]) -> None:
    world, data = demo
    con = _attached(data)
    recall, precision, caught = _recall_precision(world, con)
    con.close()
    assert recall >= 0.99 and precision >= 0.99, (recall, precision, caught)
    assert set(caught) == set(KINDS)


def test_unflagged_headline_is_the_truth_over_real_hosts_on_the_demo_world(demo: tuple[World, Path]) -> None:
    world, data = demo
    _unflagged_equals_truth(world, data)


def test_a_probed_study_flags_what_the_perfect_records_flag(tmp_path: Path) -> None:
    """Through real HTTP the probe records the slips the fast path writes: the same hosts are flagged."""
    from llmcensus.cli.study import run_study

    params = Params(hosts=300, days=4)
    world = build_world(params)
    run_study(tmp_path / "probed", params, echo=lambda _: None)
    write_fastpath(world, tmp_path / "perfect")
    probed, perfect = _attached(tmp_path / "probed"), _attached(tmp_path / "perfect")
    assert _flagged(probed) == _flagged(perfect)
    recall, precision, caught = _recall_precision(world, probed)
    assert recall == 1.0 and precision == 1.0, caught
    probed.close()
    perfect.close()
    # a fake is nobody's to patch: the notification export leaves every flagged host out
    fakes = {ip_text(int(world.hosts.ip[i])) for i in range(world.hosts.n) if world.farm_kinds[i]}
    listed = {r["address"] for r in export_notifications(tmp_path / "probed", addresses=True).rows}
    assert listed and not listed & fakes
