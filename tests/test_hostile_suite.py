"""Hostile hosts (issue #14): one table of behaviours, each served by a real loopback server, scanned once.

Every row is one host of one fleet: an aiohttp persona, a raw TCP server doing a framing trick, or a TLS
server. The whole fleet (every hostile host plus a few benign ones and a redirect canary that is never a
target) is scanned ONCE through ``run_sweep``; each row then asserts its one observation: status, runtime,
an error substring or model count where meaningful, and an elapsed time well under ``total_timeout``.
The same fleet is scanned again through the real CLI (``scan``, ``enrich run``, ``report``) and every
output file is checked for raw control characters, bidi controls and CSV formula prefixes.

The table itself is ``tests/hostile_table.py``; poisoning of the ``/api/show`` memory and the per-address
request window get their own small sweeps in ``tests/test_hostile_poisoning.py`` (they depend on visit order
and on time).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hostile_support import (
    Hit,
    HostileFleet,
    Public,
    hostile_fleet,
)
from hostile_table import (
    ANY,
    BACKLOG,
    CANARY,
    REFUSED,
    SETTINGS,
    VISIT_MAX_S,
    Host,
    Obs,
    Raw,
    Row,
    Tls,
    _canary_port,
    benign_inventory,
    by_public,
    ollama,
    rows,
    sweep,
    targets,
)
from probe_support import Persona

from llmcensus.cli.main import main
from llmcensus.probe.engine import SweepSummary
from llmcensus.probe.runtimes import ALLOWLIST
from llmcensus.targets.dialmap import write_dial_map

# -- the fleet, scanned once ------------------------------------------------------------------------------------

@dataclass
class Run:
    fleet: HostileFleet
    table: list[Row]
    public: dict[str, Public]  # row name -> public identity
    obs: dict[Public, Obs]
    summary: SweepSummary
    wall_s: float
    hits: list[Hit]  # what the servers saw during the engine sweep
    cli_hits: list[Hit] = field(default_factory=list)


def _serve(f: HostileFleet, public: Public, host: Host) -> None:
    if isinstance(host, Persona):
        f.add_persona(public, host)
    elif isinstance(host, Tls):
        f.add_persona(public, host.persona, tls=True)
    elif isinstance(host, Raw):
        f.add_raw(public, host.handler, tls=host.tls)
    elif host == BACKLOG:
        f.add_backlog(public)
    elif host == REFUSED:
        f.add_refused(public)
    else:
        raise AssertionError(host)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    with hostile_fleet() as f:
        f.add_persona(CANARY, ollama(benign_inventory("canary")))
        _canary_port[:] = [f.dial_map[CANARY][1]]
        table = rows()
        assert len({r.name for r in table}) == len(table)
        public = {r.name: (f"203.0.113.{i + 1}", r.port) for i, r in enumerate(table)}
        for r in table:
            _serve(f, public[r.name], r.host)
        data = tmp_path_factory.mktemp("engine")
        t0 = time.monotonic()
        summary = asyncio.run(sweep(f, targets(list(public.values())), data, SETTINGS, "hostile"))
        wall = time.monotonic() - t0
        yield Run(f, table, public, by_public(data), summary, wall, list(f.log))


TABLE = rows()  # for the ids only: the fixture rebuilds it once the canary's port is known


def _status_ok(row: Row, status: str) -> bool:
    return status in row.status if isinstance(row.status, frozenset) else status == row.status


def check_row(row: Row, r: Obs) -> None:
    assert _status_ok(row, r["status"]), f"{row.name}: {r['status']} ({r['error']})"
    assert r["status"] != "unknown_error", r["error"]
    assert (r["error"] is None) == (r["status"] == "success"), r["error"]
    if row.runtime is not ANY:
        assert r["runtime"] == row.runtime, (r["runtime"], r["runtime_evidence"])
    if row.auth is not ANY:
        assert r["auth"] == row.auth
    if row.error is not None:
        assert row.error in (r["error"] or ""), r["error"]
    if row.models is not ANY:
        assert r["model_count"] == row.models, (r["model_count"], r["status"], r["error"])
        assert (r["models"] is None) == (row.models is None)
    if r["models"] is not None:
        assert r["model_count"] == len(r["models"])
    assert r["requests"] <= SETTINGS.request_budget
    assert r["elapsed_ms"] is not None and r["elapsed_ms"] < VISIT_MAX_S * 1000, r["elapsed_ms"]
    for check in row.checks:
        check(r)


@pytest.mark.parametrize("name", [r.name for r in TABLE])
def test_hostile_host(run: Run, name: str) -> None:
    row = next(r for r in run.table if r.name == name)
    r = run.obs.get(run.public[name])
    assert r is not None, f"{name}: no observation"
    check_row(row, r)


def test_every_behaviour_counted(run: Run) -> None:
    assert len(run.table) >= 60
    assert len(run.obs) == len(run.table) == run.summary.written
    assert run.wall_s < SETTINGS.total_timeout, f"the whole fleet took {run.wall_s:.1f} s"


def assert_polite(hits: list[Hit]) -> None:
    """Only allowlisted requests, each carrying its public Host, within the budget; the canary never reached."""
    assert hits, "no server logged anything"
    per_host: dict[Public, int] = {}
    for h in hits:
        assert (h.method, h.path) in ALLOWLIST, h
        assert h.host == f"{h.public[0]}:{h.public[1]}", h
        per_host[h.public] = per_host.get(h.public, 0) + 1
    assert max(per_host.values()) <= SETTINGS.request_budget, max(per_host.items(), key=lambda kv: kv[1])
    assert CANARY not in per_host, "a redirect was followed"


def test_servers_saw_only_allowlisted_requests_within_budget(run: Run) -> None:
    assert_polite(run.hits)


def test_redirect_loop_is_asked_once_per_path(run: Run) -> None:
    hits = [h for h in run.hits if h.public == run.public["redirect_loop_to_itself"]]
    assert len(hits) == len({h.path for h in hits}) == run.obs[run.public["redirect_loop_to_itself"]]["requests"]


# -- the same fleet through the CLI: scan, enrich, report; every output is inert ---------------------------------

C0_C1_BIDI = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\x80-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")


@dataclass
class CliRun:
    data: Path
    out: Path
    obs: dict[Public, Obs]
    codes: tuple[int, int, int]


@pytest.fixture(scope="module")
def cli(run: Run, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    base = tmp_path_factory.mktemp("cli")
    (base / "targets.txt").write_text("".join(f"{ip}:{port}\n" for ip, port in run.public.values()))
    write_dial_map(base / "map.csv", run.fleet.dial_map)
    data, out = base / "data", base / "out"
    before = len(run.fleet.log)
    scan = main(["scan", str(base / "targets.txt"), "--data", str(data), "--dial-map", str(base / "map.csv"),
                 "--sweep-id", "cli", "--no-progress", "--concurrency", "128", "--set", "loopback_only=true",
                 "--set", "per_ip_rate=0", "--set", "connect_timeout=1", "--set", "read_timeout=1",
                 "--set", "total_timeout=6"])
    run.cli_hits = run.fleet.log[before:]
    obs = by_public(data) if scan == 0 else {}
    enrich = main(["enrich", "run", "--data", str(data)]) if scan == 0 else -1
    report = main(["report", "--data", str(data), "--out", str(out)]) if enrich == 0 else -1
    return CliRun(data, out, obs, (scan, enrich, report))


def test_cli_scan_gives_every_row_its_status(run: Run, cli: CliRun) -> None:
    assert cli.codes[0] == 0
    wrong = []
    for row in run.table:
        r = cli.obs.get(run.public[row.name])
        try:
            assert r is not None, "no observation"
            check_row(row, r)
        except AssertionError as exc:
            wrong.append(f"{row.name}: {str(exc).splitlines()[0][:160]}")
    assert not wrong, "\n".join(wrong)
    assert_polite(run.cli_hits)


def _outputs(out: Path) -> list[Path]:
    files = [out / "report.html", out / "report.md", out / "metrics.json", *sorted(out.rglob("*.csv"))]
    assert all(p.is_file() for p in files) and len(files) > 3, files
    return files


def test_cli_enrich_and_report_succeed(cli: CliRun) -> None:
    assert cli.codes == (0, 0, 0)


def test_report_outputs_carry_no_raw_controls(cli: CliRun) -> None:
    assert cli.codes == (0, 0, 0)
    dirty = []
    for p in _outputs(cli.out):
        text = p.read_bytes().decode("utf-8").replace("\r\n", "\n")
        for m in C0_C1_BIDI.finditer(text):
            near = text[max(0, m.start() - 30):m.end() + 10]
            dirty.append(f"{p.relative_to(cli.out)}: U+{ord(m.group()):04X} near {near!r}")
    assert not dirty, "\n".join(dirty[:20]) + f"\n({len(dirty)} in all)"


def test_report_csv_cells_carry_no_formula_prefix(cli: CliRun) -> None:
    """A cell a spreadsheet would evaluate (=, +, -, @ first) is neutralised; plain numbers like -0.5 are data."""
    assert cli.codes == (0, 0, 0)
    bad = []
    for p in _outputs(cli.out):
        if p.suffix != ".csv":
            continue
        for line in csv.reader(io.StringIO(p.read_text(encoding="utf-8"), newline="")):
            bad += [f"{p.name}: {cell[:60]!r}" for cell in line
                    if cell[:1] in ("=", "+", "-", "@") and not NUMBER.match(cell)]
    assert not bad, "\n".join(bad[:20])


def test_hostile_text_reached_the_report(cli: CliRun) -> None:
    """Keeps the two checks above honest: the hostile strings did reach the outputs (neutralised)."""
    assert cli.codes == (0, 0, 0)
    text = "".join(p.read_text(encoding="utf-8") for p in _outputs(cli.out))
    assert "HYPERLINK" in text and "script" in text


