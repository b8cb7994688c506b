"""Progress on long work (issue #20): the library reports ``progress(stage, done, total)``; the CLI draws it on a
terminal only, never with ``--json`` and never into a pipe or a CI log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analyze_data import write_tiny
from typer.testing import CliRunner

import llmcensus
from llmcensus.cli import options
from llmcensus.cli.main import app


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int | None]] = []

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        self.calls.append((stage, done, total))

    def stage(self, name: str) -> list[tuple[int, int | None]]:
        return [(d, t) for s, d, t in self.calls if s == name]


def monotone_to_the_end(calls: list[tuple[int, int | None]]) -> None:
    assert calls, "no progress reported"
    done = [d for d, _ in calls]
    assert done == sorted(done), done  # never goes back
    total = calls[-1][1]
    assert total is not None and all(t == total for _, t in calls) and done[-1] == total


def test_enrich_store_report_and_metrics_report_their_stages(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "tiny")
    rec = Recorder()
    llmcensus.enrich(data, rebuild=True, progress=rec)
    assert rec.stage("enrich") == [(1, 4), (2, 4), (3, 4), (4, 4)]
    llmcensus.store_update(data, rebuild=True, progress=rec)
    monotone_to_the_end(rec.stage("store"))
    llmcensus.metrics(data, ["headline", "countries", "family_ranking"], progress=rec)
    assert rec.stage("metrics") == [(1, 3), (2, 3), (3, 3)]  # one call per metric query
    assert {s for s, _, _ in rec.calls} == {"enrich", "store", "metrics"}


def test_simulated_observations_report_each_day(tmp_path: Path) -> None:
    rec = Recorder()
    summary = llmcensus.api.simulate_observations(tmp_path / "sim", hosts=20, days=3, seed=3, progress=rec)
    assert rec.stage("days") == [(1, 3), (2, 3), (3, 3)]
    assert summary.observations and summary.observations > 0


def test_no_progress_without_a_terminal_or_with_json(monkeypatch: pytest.MonkeyPatch) -> None:
    assert options.show_progress(json_=True) is False
    monkeypatch.setattr(options.sys, "stderr", _Stream(False))
    assert options.show_progress(json_=False) is False  # stderr redirected (CI, a log file): quiet
    monkeypatch.setattr(options.sys, "stderr", _Stream(True))
    assert options.show_progress(json_=False) is True and options.show_progress(json_=True) is False
    with options.progress_bar(False) as bar:
        assert bar is None


def test_the_bar_takes_the_library_calls(capsys: pytest.CaptureFixture[str]) -> None:
    with options.progress_bar(True) as bar:
        assert bar is not None
        for i in range(1, 4):
            bar("metrics", i, 3)
        bar("store", 1, None)
    assert capsys.readouterr().out == ""  # drawn on stderr, never on stdout


@pytest.mark.parametrize("json_flag", [True, False])
@pytest.mark.parametrize("command_line", [["store", "update", "--rebuild"], ["enrich", "run", "--rebuild"]],
                         ids=["store-update", "enrich-run"])
def test_a_command_prints_only_its_summary_when_not_on_a_terminal(tmp_path: Path, json_flag: bool,
                                                                  command_line: list[str]) -> None:
    data = write_tiny(tmp_path / "tiny")
    args = [*command_line, "--data", str(data)] + (["--json"] if json_flag else [])
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\r" not in result.stdout  # no bar, no cursor control
    if json_flag:
        assert result.stdout.count("\n") == 1 and isinstance(json.loads(result.stdout), dict)


def test_export_reports_each_part(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "d")
    rec = Recorder()
    result = llmcensus.export(data, tmp_path / "shared", progress=rec)
    monotone_to_the_end(rec.stage("export"))
    assert rec.stage("export")[-1] == (result.parts, result.parts)
