"""Issue #16, acceptance 1 and 2: a mixed simulated fleet scanned through real HTTP on loopback.

``runtime_mix.mixed_fleet`` (every runtime open and key-protected, several versions each, Ollama hosts,
look-alikes, honeypots and non-LLM hosts) is served by a real ``FleetServer`` and swept by the real engine.
For every target the recorded runtime must equal the ground truth (``runtime_mix.expected``), and for every
host whose model list is open the recorded model ids must equal the ids the host lists; the server's request
log must show only allowlisted ``(method, path)`` pairs and never more than the per-host budget.
``test_versions_status_auth`` checks the rest of the ground truth (version as exposed, status, auth posture).

Failures are reported per runtime (``problems``), so the message says which runtime modules are not there yet.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import run_sweep
from llmcensus.probe.runtimes import ALLOWLIST
from llmcensus.probe.settings import ProbeSettings
from llmcensus.simulate import runtime_mix
from llmcensus.simulate.requestlog import RequestLog
from llmcensus.simulate.serve import FleetServer
from llmcensus.simulate.serve_process import FleetProcess
from llmcensus.simulate.views import HostView
from llmcensus.simulate.wire import respond
from llmcensus.targets.parse import Target

HOSTS, SEED = 150, 16
SETTINGS = ProbeSettings(connect_timeout=1.0, read_timeout=0.8, total_timeout=10.0, per_ip_rate=0,
                         loopback_only=True, concurrency=64)

Swept = tuple[list[HostView], dict[tuple[str, int], dict[str, Any]], RequestLog]


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Swept:
    views = runtime_mix.mixed_fleet(HOSTS, SEED)
    data: Path = tmp_path_factory.mktemp("runtime_fleet")

    async def main() -> RequestLog:
        server = FleetServer(respond)
        await server.start(views)
        try:
            writer = ObservationWriter(data, "mixed")
            summary = await run_sweep([Target(v.ip, v.port) for v in views], SETTINGS, writer,
                                      dial_map=server.dial_map)
            writer.close(complete=True)
            assert summary.written == len(views)
            return server.request_log
        finally:
            await server.stop()

    log = asyncio.run(asyncio.wait_for(main(), timeout=60))
    rows = {(r["ip"], r["port"]): r for r in read_observations(data).to_pylist()}
    return views, rows, log


def label(v: HostView) -> str:
    truth = runtime_mix.expected(v)
    return str(truth["runtime"] or v.behaviour.value)


def model_ids(row: dict[str, Any]) -> list[str] | None:
    return None if row["models"] is None else [m["name"] for m in row["models"]]


def report(problems: dict[str, list[str]], views: list[HostView]) -> str:
    hosts: dict[str, int] = defaultdict(int)
    for v in views:
        hosts[label(v)] += 1
    lines = [f"{rt}: {len(problems.get(rt, []))} of {n} hosts wrong" + (f" — e.g. {problems[rt][0]}"
                                                                         if problems.get(rt) else "")
             for rt, n in sorted(hosts.items())]
    return "\n".join(lines)


def test_runtime_and_models_match_the_truth(swept: Swept) -> None:
    """Acceptance 1: runtime of every target; model ids of every host whose list is open."""
    views, rows, _ = swept
    problems: dict[str, list[str]] = defaultdict(list)
    for v in views:
        truth, row = runtime_mix.expected(v), rows[(v.ip, v.port)]
        where = f"{v.behaviour.value} {v.extra.get('version', v.extra.get('build', v.version))} :{v.port}"
        if row["runtime"] != truth["runtime"]:
            problems[label(v)].append(f"{where}: runtime {row['runtime']!r} (status {row['status']}, "
                                      f"evidence {row['runtime_evidence']}), want {truth['runtime']!r}")
            continue
        if truth["models"] is not None and model_ids(row) not in (truth["models"], truth["models_alt"]):
            problems[label(v)].append(f"{where}: models {model_ids(row)}, want {truth['models']}")
    assert not problems, "\n" + report(problems, views)


def test_request_log_is_allowlisted_and_within_budget(swept: Swept) -> None:
    """Acceptance 2: only allowlisted metadata requests, never more than the per-host budget."""
    views, _, log = swept
    per_host: dict[str, int] = defaultdict(int)
    off_list: list[tuple[str, str, str]] = []
    for entry in log:
        per_host[entry.public_ip] += 1
        if (entry.method, entry.path) not in ALLOWLIST:
            off_list.append((entry.public_ip, entry.method, entry.path))
    assert not off_list, off_list[:10]
    assert max(per_host.values()) <= SETTINGS.request_budget
    assert {v.ip for v in views if v.behaviour.value != "refused"} >= set(per_host)


def test_versions_status_auth(swept: Swept) -> None:
    """The rest of the ground truth: version as exposed, observation status, auth posture."""
    views, rows, _ = swept
    problems: dict[str, list[str]] = defaultdict(list)
    for v in views:
        truth, row = runtime_mix.expected(v), rows[(v.ip, v.port)]
        where = f"{v.behaviour.value} {v.extra.get('version', v.extra.get('build', v.version))} :{v.port}"
        versions = {truth["version"]} | ({truth["runtime_version"]} if truth["version_elsewhere"] else set())
        if row["version"] not in versions:
            problems[label(v)].append(f"{where}: version {row['version']!r}, want {truth['version']!r}")
        if row["status"] != truth["status"]:
            problems[label(v)].append(f"{where}: status {row['status']!r} ({row['error']}), want {truth['status']!r}")
        auths = {truth["auth"]} | ({"auth_required"} if truth["key_protected"] else set())
        if row["auth"] not in auths:
            problems[label(v)].append(f"{where}: auth {row['auth']!r}, want {truth['auth']!r}")
    assert not problems, "\n" + report(problems, views)


def test_fleet_factory_serves_from_a_child_process() -> None:
    """``runtime_mix.FleetFactory`` feeds ``FleetProcess`` (the study's and the benchmark's way to serve)."""
    n = runtime_mix.coverage_size()
    with FleetProcess(runtime_mix.FleetFactory(n, 2), "llmcensus.simulate.wire:respond") as fleet:
        dial = fleet.start(0)
        views = runtime_mix.mixed_fleet(n, 2)
        assert {(v.ip, v.port) for v in views if v.behaviour.value != "refused"} <= set(dial)


def test_fast_path_records_equal_the_probes(swept: Swept) -> None:
    """``records.record`` (the fast path's rows for every host that is not Ollama) equals what the probe recorded,
    for every runtime at every version, open and key-protected, and for the decoys."""
    from llmcensus.simulate.records import record

    views, rows, _ = swept
    problems: dict[str, list[str]] = defaultdict(list)
    for v in views:
        if v.behaviour.value in ("ollama", "honeypot"):
            continue
        row, want = rows[(v.ip, v.port)], record(v)
        for name, value in want.items():
            got = row[name]
            if name == "models" and got is not None:
                got = [{k: x for k, x in m.items() if k != "show_keys"} for m in got]
                value = [{k: x for k, x in m.items() if k != "show_keys"} for m in value]
            if got != value:
                problems[label(v)].append(f"{v.extra} {name}: probe {got!r}, fast path {value!r}"[:400])
    assert not problems, "\n" + report(problems, views)
