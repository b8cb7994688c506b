"""Issue #18, acceptance 1, for every lineage: adoption per lineage and month from the simulated study equals the
ground truth (``simulate/adoption_truth.py``: the *attributable* lineage of every listed model, decided from what
the world puts on the wire), counts exact and shares within 1 pp, with no row the truth does not have.

The study is written by the fast path (what a perfect probe records; ``test_study_recovery`` pins the probed study
to it) over two months, every runtime and the built-in lineage plan, then enriched and stored one day at a time.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from typing import Any

import pytest

from llmcensus.analyze.registry import load_registry
from llmcensus.analyze.run import run_query
from llmcensus.enrich.run import enrich
from llmcensus.errors import SimulationError
from llmcensus.monitor.alerts import connect_relations
from llmcensus.reference.catalog import lineages
from llmcensus.simulate import adoption_truth, lineage_plan, runtime_mix
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.truth import write_truth
from llmcensus.simulate.world import World, build_world
from llmcensus.store.layout import Layout
from llmcensus.store.relations import update

# 28 days over two months (14 in January, 14 in February), every runtime, the built-in plan
STUDY = Params(hosts=300, days=28, start=date(2026, 1, 18), lineage_events="demo")
POOLS = (runtime_mix.HF_MODELS, runtime_mix.OLD_HF_MODELS, runtime_mix.GGUF_MODELS, runtime_mix.LM_STUDIO_MODELS,
         runtime_mix.LOCALAI_MODELS, runtime_mix.LITELLM_ALIASES, runtime_mix.TGWUI_MODELS, runtime_mix.OLLAMA_MODELS)


ADOPTION_ROWS: dict[str, list[dict[str, Any]]] = {}  # the weekly and daily metrics of the study, by the fixture


def _monday(d: date) -> str:
    return (d - timedelta(days=d.weekday())).isoformat()


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, dict[str, Any], list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("adoption")
    staging, data = root / "staging", root / "data"
    world = build_world(STUDY)
    write_fastpath(world, staging)
    write_truth(world, data)
    # one day per cycle, as ``llmcensus run`` does: an attribution decided on an early day (a custom model's template
    # matched official builds of one lineage) must follow what later days add, so order cannot change the figures
    for _, folder in Layout(staging).day_dirs():
        shutil.copytree(folder, data / folder.relative_to(staging))
        enrich(data)
        update(data)
    truth = json.loads((Layout(data).truth / "lineage_adoption.json").read_text())
    registry = load_registry()
    con = connect_relations(data)
    try:
        rows = run_query(con, registry["lineage_adoption_by_month"]).rows()
        ADOPTION_ROWS["week"] = run_query(con, registry["lineage_adoption_by_week"]).rows()
        ADOPTION_ROWS["day"] = run_query(con, registry["lineage_adoption_by_day"], {"adoption_last_days": 0}).rows()
    finally:
        con.close()
    return world, truth, rows


def test_every_lineage_adoption_per_month_equals_the_ground_truth(study: tuple[World, Any, Any]) -> None:
    _, truth, rows = study
    got = {(r["month"].strftime("%Y-%m"), r["lineage"]): r for r in rows}
    want = {(t["month"], t["lineage"]): t for t in truth["adoption"]}
    assert {m for m, _ in want} == {"2026-01", "2026-02"}
    assert set(got) == set(want), (f"rows the truth lacks: {sorted(set(got) - set(want))}; "
                                   f"rows the study lacks: {sorted(set(want) - set(got))}")  # fmt: skip
    for key, t in want.items():
        r = got[key]
        assert (r["hosts"], r["host_days"], r["month_hosts"]) == (t["hosts"], t["host_days"], t["month_hosts"]), key
        assert abs(r["host_share"] - t["host_share"]) <= 0.01, key
    # the truth is not one big "unknown": most lineages of the world are in it, on every runtime
    assert len({lin for _, lin in want}) >= 30


def test_the_planted_lineage_agrees_with_the_plan_truth(study: tuple[World, Any, Any]) -> None:
    world, truth, _ = study
    mine = {(t["month"], t["lineage"]): (t["hosts"], t["host_days"], t["month_hosts"]) for t in truth["adoption"]}
    planted = lineage_plan.truth(world)["adoption"]
    assert planted
    for t in planted:
        assert mine[(t["month"], t["lineage"])] == (t["hosts"], t["host_days"], t["month_hosts"]), t


def test_few_listed_models_are_unattributable_and_each_for_a_known_reason(study: tuple[World, Any, Any]) -> None:
    _, truth, _ = study
    a = truth["attribution"]
    # every kind of evidence the rule knows is exercised by the study
    assert {"name", "license", "family", "template", "none"} <= set(a["by_evidence"])
    # Not zero, and not a reader's failure: nothing on the wire names these. Custom models (`ollama create` with a
    # SYSTEM prompt, named "coder", "assistant" ...) on Apache-, MIT- or Qwen-licensed bases of a shared
    # architecture (qwen2.5 / qwen2 / qwen3, mistral, phi3 / phi4); other runtimes' aliases that do not spell the
    # model (LocalAI's "gpt-4"), proprietary APIs behind LiteLLM, a LoRA adapter and ids standing for no model.
    # Measured here: 4.1 % of (host, build) listings, 10.7 % of distinct builds (7.1 % custom); the listing share
    # holds with scale (4.1 % at 800 hosts, 3.7 % at 20,000), the build share grows, one custom build per host.
    assert 0 < a["unattributed_listing_share"] <= 0.06
    assert 0 < a["unattributed_share"] <= 0.15
    runtimes = set(runtime_mix.RUNTIME_SHARES)
    assert set(a["unattributed_by_kind"]) <= {"custom"} | runtimes
    assert a["unattributed_by_kind"].get("custom", 0) / a["builds"] <= 0.10


def test_the_world_names_lineages_as_the_catalogue_does(study: tuple[World, Any, Any]) -> None:
    world, _, _ = study
    catalogued = lineages()
    for s in world.inventory.specs:
        if s.kind != "cloud":
            assert s.lineage in catalogued, f"{s.name}: lineage {s.lineage} is not catalogued"
        if s.kind == "derivative_ns":
            # a derivative named like a catalogued lineage would be that lineage to any reader (llama2-uncensored)
            assert s.name.split("/", 1)[1].split(":", 1)[0] not in catalogued, s.name
    served = {spec[0] for pool in POOLS for spec in pool}
    assert served <= set(runtime_mix.POOL_LINEAGE), sorted(served - set(runtime_mix.POOL_LINEAGE))
    for name, (lineage, spelled) in runtime_mix.POOL_LINEAGE.items():
        assert lineage is None or lineage in catalogued, name
        assert spelled is None or (lineage is not None and spelled in name), name


def test_periods_are_any_contiguous_split_of_the_window(study: tuple[World, Any, Any]) -> None:
    world, truth, _ = study
    lst = adoption_truth.listings(world)
    weekly = adoption_truth.adoption(world, _monday, "week", lst)
    assert {r["week"] for r in weekly} == {_monday(STUDY.start + timedelta(days=d)) for d in range(STUDY.days)}
    # a lineage's host-days are the same however the window is split
    days: dict[str, int] = {}
    for r in weekly:
        days[r["lineage"]] = days.get(r["lineage"], 0) + r["host_days"]
    monthly: dict[str, int] = {}
    for r in truth["adoption"]:
        monthly[r["lineage"]] = monthly.get(r["lineage"], 0) + r["host_days"]
    assert days == monthly
    with pytest.raises(SimulationError, match="contiguous"):
        adoption_truth.adoption(world, lambda d: str(d.day % 2), "parity", lst)


@pytest.mark.parametrize(("label", "period"), [("week", _monday), ("day", date.isoformat)])
def test_every_lineage_adoption_per_week_and_day_equals_the_ground_truth(
    study: tuple[World, Any, Any], label: str, period: Any,
) -> None:
    """The same truth split by ISO week (from its Monday) and by day, against ``lineage_adoption_by_week`` and
    ``lineage_adoption_by_day`` over the whole window (``adoption_last_days=0``): the issue asks for all three."""
    world, _, _ = study
    want = {(r[label], r["lineage"]): r for r in adoption_truth.adoption(world, period, label)}
    got = {(str(r[label])[:10], r["lineage"]): r for r in ADOPTION_ROWS[label]}
    assert len({k[0] for k in want}) == (STUDY.days if label == "day" else len({_monday(STUDY.start + timedelta(
        days=d)) for d in range(STUDY.days)}))  # fmt: skip
    assert set(got) == set(want), (f"rows the truth lacks: {sorted(set(got) - set(want))[:5]}; "
                                   f"rows the study lacks: {sorted(set(want) - set(got))[:5]}")  # fmt: skip
    for key, t in want.items():
        r = got[key]
        assert (r["hosts"], r[f"{label}_hosts"]) == (t["hosts"], t[f"{label}_hosts"]), key
        if label == "week":
            assert r["host_days"] == t["host_days"], key
        assert abs(r["host_share"] - t["host_share"]) <= 0.01, key
