"""Issue #16 in the calibrated world: the other runtimes' hosts, and the fast path's parity with the probe.

A small study is run as ``llmcensus study`` runs it (the world served day by day on loopback, swept by the real
engine through HTTP) and the same world is written by the fast path. The probed study must recognise every other
runtime's host as its ground-truth runtime, with its ground-truth models where the list is open; the fast path
must write, for every kind of host, the record the probe wrote: status, runtime, version, auth, proxy, Server
header, model list with every field, running models.

Expected gaps, each a property of the probe rather than of the world: fields the probe takes from ``/api/show``
(capabilities, system prompt, template, license, model_info) are compared only where this visit fetched the show
(``show_status = 'fetched'``): a budget-skipped model has none, and a cached one carries what the cache kept.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from llmcensus.cli.study import run_study
from llmcensus.observations.reader import read_observations
from llmcensus.simulate import runtime_mix
from llmcensus.simulate.fastpath import write_fastpath
from llmcensus.simulate.params import Params
from llmcensus.simulate.runtime_world import OTHER_RUNTIMES, runtime_counts
from llmcensus.simulate.truth import expected_metrics
from llmcensus.simulate.world import World, build_world

PARAMS = Params(hosts=120, days=3, seed=5)
# what a fast path cannot know or does not synthesise (docs/simulation.md "The fast path")
NOT_COMPARED = {"observation_id", "sweep_id", "source", "observed_at", "dial_ip", "dial_port", "error",
                "runtime_evidence", "runtime_data", "requests", "elapsed_ms", "exchanges",
                "inventory_hash", "model_show_status"}  # how a model list is stored: both give it back in ``models``
SHOW_FIELDS = {"capabilities", "system", "template_sha", "template_flags", "license_head", "parameters",
               "modelfile_from", "arch", "parameter_count", "train_context_length", "has_projector", "show_status",
               "show_keys"}

Rows = dict[tuple[date, str, int], dict[str, Any]]
Studies = tuple[World, Rows, Rows]


@pytest.fixture(scope="module")
def studies(tmp_path_factory: pytest.TempPathFactory) -> Studies:
    root = tmp_path_factory.mktemp("world_runtimes")
    run_study(root / "probed", PARAMS, echo=lambda _: None)
    world = build_world(PARAMS)
    write_fastpath(world, root / "perfect")

    def rows(d: Path) -> Rows:
        return {(r["day"], r["ip"], r["port"]): r for r in read_observations(d).to_pylist()}

    return world, rows(root / "probed"), rows(root / "perfect")


def test_the_ollama_world_does_not_change_with_the_other_runtimes() -> None:
    """``--hosts`` stays the Ollama hosts: the other runtimes draw from their own stream, after them."""
    with_them = build_world(PARAMS)
    without = build_world(dataclasses.replace(PARAMS, other_runtimes=0.0))
    assert without.runtimes is None and with_them.runtimes is not None
    for f in dataclasses.fields(with_them.hosts):
        a, b = getattr(with_them.hosts, f.name), getattr(without.hosts, f.name)
        assert a == b if isinstance(a, int) else np.array_equal(a, b), f.name
    assert np.array_equal(with_them.inventory.modified_ns, without.inventory.modified_ns)
    a, b = expected_metrics(with_them), expected_metrics(without)
    assert a.pop("params")["other_runtimes"] == 1.0 and b.pop("params")["other_runtimes"] == 0.0
    assert a == b
    taken = set(with_them.hosts.ip.tolist())
    assert not taken & set(with_them.runtimes.ip.tolist())  # no address is used twice
    assert len(set(with_them.runtimes.ip.tolist())) == with_them.runtimes.n


def test_every_runtime_is_in_the_world_at_its_share() -> None:
    counts = runtime_counts(Params(hosts=2000))
    assert set(counts) == set(OTHER_RUNTIMES) and min(counts.values()) >= 1
    for r, n in counts.items():
        assert n == round(2000 * runtime_mix.RATIO_TO_OLLAMA[r])
    world = build_world(PARAMS)
    assert world.runtimes is not None
    assert set(Counter(world.runtimes.runtime.tolist())) == set(OTHER_RUNTIMES)


def test_other_runtime_hosts_are_recognised_with_their_models(studies: Studies) -> None:
    """Every other runtime's host, every day it is alive: its ground-truth runtime, status and version, and the
    model ids its list shows where the list is open."""
    world, probed, _ = studies
    problems: list[str] = []
    seen: Counter[str] = Counter()
    for day in range(PARAMS.days):
        d = PARAMS.start.fromordinal(PARAMS.start.toordinal() + day)
        for view in world.runtime_views(day):
            truth = runtime_mix.expected(view)
            row = probed[(d, view.ip, view.port)]
            seen[str(truth["runtime"] or view.behaviour.value)] += 1
            names = None if row["models"] is None else [m["name"] for m in row["models"]]
            got = (row["runtime"], row["status"], row["version"])
            if got != (truth["runtime"], truth["status"], truth["version"]):
                problems.append(f"{view.behaviour.value} {view.extra}: {got}, want {truth}")
            elif truth["status"] == "success" and truth["models"] is not None and \
                    names not in (truth["models"], truth["models_alt"]):
                problems.append(f"{view.behaviour.value} {view.extra}: models {names}, want {truth['models']}")
    assert not problems, "\n".join(problems[:20])
    assert set(seen) >= set(OTHER_RUNTIMES)


def test_runtime_hosts_ground_truth_is_written(studies: Studies, tmp_path: Path) -> None:
    from llmcensus.simulate.truth import write_truth

    world, _, _ = studies
    table = pq.read_table(write_truth(world, tmp_path) / "runtime_hosts.parquet").to_pylist()
    assert world.runtimes is not None and len(table) == world.runtimes.n
    by_id = {r["host_id"]: r for r in table}
    for i in range(world.runtimes.n):
        view = world.runtimes.open_view(i)
        truth, row = runtime_mix.expected(view), by_id[view.host_id]
        assert (row["runtime"], row["auth"], row["models"], row["exposed_version"]) == (
            truth["runtime"], truth["auth"], truth["models"], truth["version"])
        assert row["up_days"] >= 1 and row["first_day"] <= row["last_day"]


def _model_diffs(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[str]:
    out = []
    for g, w in zip(sorted(got, key=lambda m: m["name"]), sorted(want, key=lambda m: m["name"]), strict=True):
        skip = SHOW_FIELDS if g["show_status"] not in ("fetched", "not_applicable") else set()
        skip = skip | {"show_status", "show_keys"}
        out += [f"models.{k}: {g[k]!r} vs {w[k]!r}" for k in g if k not in skip and g[k] != w[k]]
    return out


def test_fast_path_writes_what_the_probe_records(studies: Studies) -> None:
    world, probed, perfect = studies
    assert set(probed) == set(perfect)
    kinds = {}
    for day in range(PARAMS.days):
        kinds.update({(r["ip"], r["port"]): r["behaviour"] for r in world.expected(day).to_pylist()})
    problems: Counter[str] = Counter()
    example: dict[str, str] = {}
    for key, got in probed.items():
        want = perfect[key]
        diffs: list[str] = []
        for name, value in got.items():
            if name in NOT_COMPARED:
                continue
            if name == "models" and value is not None and want[name] is not None and len(value) == len(want[name]):
                diffs += _model_diffs(value, want[name])
            elif value != want[name]:
                diffs.append(f"{name}: {str(value)[:120]} vs {str(want[name])[:120]}")
        for d in diffs:
            label = f"{kinds[key[1:]]} {d.split(':')[0]}"
            problems[label] += 1
            example.setdefault(label, f"{key}: {d}")
    assert not problems, "\n".join(f"{k}: {n} rows, e.g. {example[k]}" for k, n in problems.most_common(20))
