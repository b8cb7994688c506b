"""--json on every command that prints a summary: one JSON object on stdout (``run``: one per cycle), nothing else.

Targets are TEST-NET addresses, which the built-in blocklist refuses: each is recorded 'blocked' and nothing is
sent anywhere, so these tests need no server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from analyze_data import write_tiny

from llmcensus.cli.main import main

SAMPLES = Path(__file__).parent / "fixtures" / "discovery"


def one_object(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # exactly one line on stdout, and it is the object
    value = json.loads(out)
    assert isinstance(value, dict)
    return value


@pytest.fixture
def blocked_targets(tmp_path: Path) -> Path:
    path = tmp_path / "targets.txt"
    path.write_text("192.0.2.1:11434\n192.0.2.2:11434\n")
    return path


def test_scan_json(tmp_path: Path, blocked_targets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = one_object(capsys, ["scan", str(blocked_targets), "--data", str(tmp_path / "d"), "--sweep-id", "s1",
                              "--json"])
    assert (got["sweep_id"], got["written"], got["counts"]) == ("s1", 2, {"blocked": 2})
    assert main(["scan", str(blocked_targets), "--data", str(tmp_path / "d"), "--sweep-id", "s2"]) == 0
    assert capsys.readouterr().out.startswith("sweep s2: 2 observations")  # the human line is unchanged


def test_discover_import_and_sweep_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    got = one_object(capsys, ["discover", "import", "list", str(SAMPLES / "list" / "targets.txt"), "--data", data,
                              "--json"])
    assert got["format"] == "list" and got["candidates"] > 0 and len(got["files"]) == 1
    got = one_object(capsys, ["discover", "sweep", "192.0.2.0/30", "--data", data, "--live", "--ports", "11434",
                              "--json"])
    assert got["addresses"] == 4 and got["counts"]["blocked"] == 4 and got["attempted"] == 0
    got = one_object(capsys, ["discover", "sweep", "192.0.2.0/30", "--data", data, "--live", "--dry-run", "--json"])
    assert got["dry_run"] is True and got["plan"]


def test_enrich_store_report_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(write_tiny(tmp_path / "tiny"))
    got = one_object(capsys, ["enrich", "run", "--data", data, "--json"])
    assert got["observations"] == 14 and "stage_seconds" in got
    got = one_object(capsys, ["store", "update", "--data", data, "--json"])
    assert got["visits"] == 14 and got["rebuilt"] in (True, False)
    got = one_object(capsys, ["report", "--data", data, "--out", str(tmp_path / "r"), "--json"])
    assert got["headline"]["unique_hosts"]["all"] == 7 and got["metrics"] > 10
    assert main(["report", "--data", data, "--out", str(tmp_path / "r2")]) == 0
    assert "metrics in" in capsys.readouterr().out  # the human line is unchanged


def test_run_json_is_one_line_per_cycle(tmp_path: Path, blocked_targets: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    got = one_object(capsys, ["run", "--data", str(tmp_path / "d"), "--targets", str(blocked_targets), "--cycles",
                              "1", "--no-report", "--json"])
    assert (got["cycle"], got["statuses"], got["interrupted"]) == (1, {"blocked": 2}, False)


@pytest.mark.slow
def test_study_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    got = one_object(capsys, ["study", "--out", str(tmp_path / "s"), "--hosts", "20", "--days", "1", "--json"])
    assert len(got["days"]) == 1 and got["report"]["headline"]["unique_hosts"]["all"] == got["truth"]["unique_hosts"]
    assert got["enrich"]["observations"] > 0


@pytest.mark.slow
def test_study_text_ends_with_the_dashboard_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from llmcensus.cli.main import main

    assert main(["study", "--out", str(tmp_path / "s"), "--hosts", "20", "--days", "1"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"dashboard and HTTP API: llmcensus serve --data {tmp_path / 's'}")
