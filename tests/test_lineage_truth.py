"""Issue #18, acceptance 1 and 2: the simulated internet plants lineage events (``simulate/lineage_plan.py``) and the
observatory recovers them: adoption per lineage and month equal to the ground truth, and every planted event
raising its alerts once, in the daily cycle of its day, with the right evidence.

The study is written by the fast path (what a perfect probe records; ``test_study_recovery`` pins the probed study
to it) and fed to the store one day at a time, as ``llmcensus run`` does: enrich, store update, monitor check.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from llmcensus.analyze.registry import load_registry
from llmcensus.analyze.run import run_query
from llmcensus.enrich.run import enrich
from llmcensus.errors import ConfigError
from llmcensus.monitor.alerts import connect_relations, read_alerts
from llmcensus.monitor.check import check
from llmcensus.simulate import lineage_plan
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params, with_overrides
from llmcensus.simulate.truth import write_truth
from llmcensus.simulate.world import build_world
from llmcensus.store.layout import Layout
from llmcensus.store.relations import update

# 16 days over two months (8 in January, 8 in February), every runtime, the built-in plan
PLANTED = Params(hosts=400, days=16, start=date(2026, 1, 24), lineage_events="demo")


def _daily_run(params: Params, root: Path) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    """Write the study by the fast path, then hand it to a data folder one day per cycle; the new alerts per day."""
    staging, data = root / "staging", root / "data"
    world = build_world(params)
    write_fastpath(world, staging)
    write_truth(world, data)
    (data / "watchlist.toml").write_text(lineage_plan.watchlist_toml(params))
    per_day: dict[str, list[dict[str, Any]]] = {}
    for day, folder in Layout(staging).day_dirs():
        shutil.copytree(folder, data / folder.relative_to(staging))
        enrich(data)
        update(data)
        per_day[day] = check(data).new
    return data, per_day


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[dict[str, Any]]], dict[str, Any]]:
    data, per_day = _daily_run(PLANTED, tmp_path_factory.mktemp("planted"))
    truth = json.loads((Layout(data).truth / "lineage_events.json").read_text())
    return data, per_day, truth


def test_adoption_per_lineage_and_month_equals_the_ground_truth(planted: tuple[Path, Any, dict[str, Any]]) -> None:
    data, _, truth = planted
    con = connect_relations(data)
    try:
        rows = run_query(con, load_registry()["lineage_adoption_by_month"]).rows()
    finally:
        con.close()
    got = {(r["month"].strftime("%Y-%m"), r["lineage"]): r for r in rows}
    assert [t["month"] for t in truth["adoption"]] == ["2026-01", "2026-02"]
    for want in truth["adoption"]:
        row = got[(want["month"], want["lineage"])]
        assert (row["hosts"], row["host_days"], row["month_hosts"]) == (want["hosts"], want["host_days"],
                                                                         want["month_hosts"])  # fmt: skip
        assert abs(row["host_share"] - want["host_share"]) <= 0.01
    # the plan's lineage exists nowhere else: every row of it is a planted one
    assert {k for k in got if k[1] in {t["lineage"] for t in truth["adoption"]}} == {
        (t["month"], t["lineage"]) for t in truth["adoption"]}  # fmt: skip


@pytest.mark.parametrize(("metric", "unit"), [("lineage_adoption_by_week", "week"), ("lineage_adoption_by_day", "day")])
def test_adoption_per_lineage_and_week_and_day_equals_the_ground_truth(planted: tuple[Path, Any, dict[str, Any]],
                                                                       metric: str, unit: str) -> None:
    data, _, truth = planted
    want_rows = truth[f"adoption_by_{unit}"]
    con = connect_relations(data)
    try:
        rows = run_query(con, load_registry()[metric]).rows()
    finally:
        con.close()
    got = {(r[unit].isoformat(), r["lineage"]): r for r in rows}
    lineages = {t["lineage"] for t in want_rows}
    # the plan's lineage exists nowhere else: every row of it is a planted one, and the truth has one per period
    assert {k for k in got if k[1] in lineages} == {(t[unit], t["lineage"]) for t in want_rows}
    # adoption starts on day 1 (a Sunday: 16 days from Saturday 2026-01-24 span three ISO weeks, the first partial)
    days = [PLANTED.start + timedelta(days=d) for d in range(1, PLANTED.days)]
    periods = {(d - timedelta(days=d.weekday()) if unit == "week" else d).isoformat() for d in days}
    assert {t[unit] for t in want_rows} == periods
    counts = ["hosts", f"{unit}_hosts"] + (["host_days"] if unit == "week" else [])
    for want in want_rows:
        row = got[(want[unit], want["lineage"])]
        assert [row[c] for c in counts] == [want[c] for c in counts], want
        assert abs(row["host_share"] - want["host_share"]) <= 0.01


def test_adoption_per_day_keeps_the_last_days_asked_for(planted: tuple[Path, Any, dict[str, Any]]) -> None:
    data, _, truth = planted
    query = load_registry()["lineage_adoption_by_day"]
    con = connect_relations(data)
    try:
        every = run_query(con, query, {"adoption_last_days": 0}).rows()
        last = run_query(con, query, {"adoption_last_days": 5}).rows()
    finally:
        con.close()
    days = sorted({r["day"] for r in every})
    assert days[-1] == PLANTED.start + timedelta(days=PLANTED.days - 1)
    assert len(days) == PLANTED.days  # 0: every day of the window
    assert last == [r for r in every if r["day"] in days[-5:]]
    assert {(r["day"].isoformat(), r["lineage"]) for r in last} >= {
        (t["day"], t["lineage"]) for t in truth["adoption_by_day"] if date.fromisoformat(t["day"]) in days[-5:]}


def test_every_planted_event_raises_its_alerts_once_on_its_day(planted: tuple[Path, Any, dict[str, Any]]) -> None:
    data, per_day, truth = planted
    expected = {(a["rule"], a["lineage"], a["subject"]): a for a in truth["expected_alerts"]}
    # every kind of planted event is among them
    assert {"new_runtime", "new_country", "adoption", "new_derivative", "uncensored_hosts", "modified_digest",
            "risk_jump"} <= {rule for rule, _, _ in expected}  # fmt: skip
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for day, alerts in per_day.items():
        for a in alerts:
            key = (a["rule"], a["lineage"], a["subject"])
            assert key not in seen, f"alert raised twice: {key}"
            assert a["first_seen"] == day, f"{key} first raised in the cycle of {day}, dated {a['first_seen']}"
            seen[key] = a
    assert set(seen) == set(expected)
    for key, want in expected.items():
        got = seen[key]
        assert got["first_seen"] == want["first_seen"], key
        assert got["counts"] == want["counts"] and got["threshold"] == want["threshold"], key
        assert want["evidence"].items() <= got["evidence"].items(), key
    events = {e["kind"]: e for e in truth["events"]}
    modified = expected[("modified_digest", "nemotron-3-nano", events["modified_digest"]["digest"])]
    assert modified["first_seen"] == events["modified_digest"]["day"]
    derivative = expected[("new_derivative", "nemotron-3-nano", events["derivative"]["name"])]
    assert derivative["first_seen"] == events["derivative"]["day"]
    assert expected[("new_runtime", "nemotron-3-nano", "ollama")]["first_seen"] == events["release"]["day"]
    assert expected[("risk_jump", "nemotron-3-nano", "2026-02")]["first_seen"] == events["exposure"]["day"]
    # a rerun over the same store repeats nothing
    assert check(data).new == [] and len(read_alerts(data / "monitor" / "alerts.jsonl")) == len(expected)


def test_a_world_without_planted_events_raises_no_alert(tmp_path: Path) -> None:
    params = Params(hosts=400, days=16, start=date(2026, 1, 24))
    world = build_world(params)
    write_fastpath(world, tmp_path)
    write_truth(world, tmp_path)
    assert not (Layout(tmp_path).truth / "lineage_events.json").exists()
    (tmp_path / "watchlist.toml").write_text(lineage_plan.watchlist_toml(PLANTED))  # the same watch, nothing to see
    enrich(tmp_path)
    update(tmp_path)
    assert check(tmp_path).new == []


def test_the_plan_leaves_the_rest_of_the_world_as_it_was() -> None:
    plain = build_world(Params(hosts=400, days=16, start=date(2026, 1, 24)))
    world = build_world(PLANTED)
    names = {s.name for s in world.inventory.specs} - {s.name for s in plain.inventory.specs}
    assert names == {"nemotron-3-nano:4b", "huihui_ai/nemotron-3-nano-abliterated:4b"}
    keep = [i for i in range(world.inventory.n) if world.inventory.specs[world.inventory.spec[i]].lineage
            != "nemotron-3-nano"]  # fmt: skip
    assert len(keep) == plain.inventory.n
    assert (world.inventory.host[keep] == plain.inventory.host).all()
    assert (world.inventory.add_day[keep] == plain.inventory.add_day).all()
    assert (world.hosts.up_day == plain.hosts.up_day).all()


def test_a_bad_plan_is_one_clear_error() -> None:
    assert with_overrides(Params(), ["lineage_events=demo"]).lineage_events == "demo"
    for bad, needle in (('[{"kind": "x", "model": "nemotron-3-nano:4b", "day": 1, "hosts": 1}]', "kind"),
                        ('[{"kind": "release", "model": "nemotron-3-nano:4b", "day": 0, "hosts": 1}]', "baseline"),
                        ('[{"kind": "release", "model": "llama3:8b", "day": 1, "hosts": 1}]', "model"),
                        ('"everything"', "list")):  # fmt: skip
        with pytest.raises(ConfigError, match=needle):
            with_overrides(Params(), [f"lineage_events={bad}"])
