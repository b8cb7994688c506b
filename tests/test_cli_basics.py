"""First-day things: --version, python -m llmcensus, exit codes, plain help labels, every command documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from llmcensus import __version__
from llmcensus.cli.docs import render_markdown
from llmcensus.cli.main import command, main

ROOT = Path(__file__).resolve().parents[1]


def test_version_option_and_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"{__version__}\n"
    assert main(["version"]) == 0
    assert capsys.readouterr().out == f"{__version__}\n"


def test_python_dash_m_llmcensus_is_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "llmcensus", "--version"], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, f"{__version__}\n")
    bad = subprocess.run([sys.executable, "-m", "llmcensus", "--bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "No such option" in bad.stderr and bad.stdout == ""


def test_the_readme_documents_the_exit_codes_of_the_error_tree() -> None:
    from llmcensus.errors import BusyError, LLMCensusError, UsageError

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in (0, LLMCensusError.exit_code, UsageError.exit_code, BusyError.exit_code, 130):
        assert f"`{code}`" in section, code


def test_help_has_no_python_type_labels(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["scan", "--help"], ["run", "--help"], ["discover", "import", "--help"],
                 ["enrich", "run", "--help"], ["store", "events", "--help"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert not re.search(r"<(bool|str|int|float|path|list\[[^\]]*\])>", out), (argv, out)


def test_group_help_is_a_sentence_not_a_stage_label() -> None:
    root = command()
    for name, sub in root.commands.items():
        first = (sub.help or "").strip().splitlines()[0] if sub.help else ""
        assert first and first[0].isupper() and "stage commands" not in first, (name, first)


def test_the_cli_reference_is_generated_and_current() -> None:
    doc = ROOT / "docs" / "cli.md"
    assert doc.read_text(encoding="utf-8") == render_markdown(), (
        "docs/cli.md is stale: run .venv/bin/python -m llmcensus.cli.docs > docs/cli.md")


def test_every_command_and_option_appears_in_the_docs() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")

    def walk(cmd: object, path: str) -> None:
        assert f"## `{path}`" in text or path == "llmcensus", path
        for param in getattr(cmd, "params", []):
            for opt in [*param.opts, *getattr(param, "secondary_opts", [])]:
                if opt.startswith("-"):
                    assert f"`{opt}" in text.split(f"## `{path}`", 1)[-1], (path, opt)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(command(), "llmcensus")


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("tty", "json_", "shown"), [(True, False, True), (True, True, False), (False, False, False)])
def test_progress_only_on_a_tty_and_never_with_json(monkeypatch: pytest.MonkeyPatch, tty: bool, json_: bool,
                                                    shown: bool) -> None:
    from llmcensus.cli import options

    monkeypatch.setattr(options.sys, "stderr", _Stream(tty))
    assert options.show_progress(json_) is shown


def test_no_progress_output_when_not_a_tty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from analyze_data import write_tiny

    data = write_tiny(tmp_path / "tiny")
    assert main(["enrich", "run", "--data", str(data)]) == 0
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal: no spinner, no bar
