"""Exposure metrics on the simulated study equal the ground truth (issue #19, acceptance 2): per month, runtime
and advisory, the hosts and host-days on affected versions, with unknown versions (unread, or in a range no
source rules on) counted as unknown, never as affected. The truth is the world's own record of what a correct
probe sees on each day (``World.expected``) and the advisory table's verdicts in Python; the figures are the SQL
queries over the perfect records of the same world."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest

from llmcensus.analyze.run import run_study as analyze
from llmcensus.reference.advisories import load_advisories
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.world import build_world

RANK = {"affected": 2, "unknown": 1}
Truth = tuple[dict[tuple[object, ...], dict[str, int]], Path]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Truth:
    params = Params(hosts=600, days=10, start=dt.date(2026, 1, 27))  # across a month boundary
    world = build_world(params)
    out = tmp_path_factory.mktemp("exposure")
    write_fastpath(world, out)
    by_runtime = defaultdict(list)
    for a in load_advisories():
        if a.counts:
            by_runtime[a.runtime].append(a)
    days: dict[tuple[object, ...], int] = defaultdict(int)  # (month, runtime, advisory, ip, day) -> rank
    for d in range(params.days):
        day = params.start + dt.timedelta(days=d)
        month = day.replace(day=1)
        for r in world.expected(d).to_pylist():
            if r["status"] not in ("success", "auth_required") or not r["runtime"]:
                continue
            for a in by_runtime.get(r["runtime"], []):
                key = (month, r["runtime"], a.id, r["ip"], day)
                days[key] = max(days[key], RANK.get(a.verdict(r["version"]), 0))
    truth: dict[tuple[object, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    host_rank: dict[tuple[object, ...], int] = defaultdict(int)
    for (month, runtime, adv, ip, _), rank in days.items():
        t = truth[(month, runtime, adv)]
        t["host_days"] += 1
        t["affected_host_days"] += rank == 2
        t["unknown_host_days"] += rank == 1
        host_rank[(month, runtime, adv, ip)] = max(host_rank[(month, runtime, adv, ip)], rank)
    for (month, runtime, adv, _), rank in host_rank.items():
        t = truth[(month, runtime, adv)]
        t["hosts"] += 1
        t["affected_hosts"] += rank == 2
        t["unknown_hosts"] += rank == 1
    return truth, out


def test_exposure_by_month_equals_the_ground_truth(study: Truth) -> None:
    truth, out = study
    rows = analyze(out, names=["advisory_exposure_by_month"])["advisory_exposure_by_month"].rows()
    got = {(r["month"], r["runtime"], r["advisory"]): r for r in rows}
    assert set(got) == set(truth)
    for key, want in truth.items():
        for col, value in want.items():
            assert got[key][col] == value, (key, col)
    # the world exercises every verdict: affected, unknown (an ambiguous range) and not affected
    assert any(t["affected_hosts"] for t in truth.values()) and any(t["unknown_hosts"] for t in truth.values())
    assert any(t["hosts"] > t["affected_hosts"] + t["unknown_hosts"] for t in truth.values())


def test_geo_split_adds_up_to_the_window(study: Truth) -> None:
    _, out = study
    res = analyze(out, names=["advisory_exposure_by_geo", "advisory_exposure_by_month"])
    per_adv: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in res["advisory_exposure_by_geo"].rows():
        acc = per_adv[(r["runtime"], r["advisory"])]
        acc[0] += r["hosts"]
        acc[1] += r["affected_hosts"]
        acc[2] += r["unknown_hosts"]
    monthly = res["advisory_exposure_by_month"].rows()
    for (runtime, adv), (hosts, affected, unknown) in per_adv.items():
        months = [r for r in monthly if (r["runtime"], r["advisory"]) == (runtime, adv)]
        assert max(r["hosts"] for r in months) <= hosts <= sum(r["hosts"] for r in months)
        assert affected + unknown <= hosts
