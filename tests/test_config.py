"""The configuration file: one location, precedence config < environment < command line, clear one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmcensus.cli.main import main
from llmcensus.config import CONFIG_ENV, DEFAULT_PATH, SECTIONS, load, render_markdown
from llmcensus.errors import ConfigError
from llmcensus.probe.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The tester's own ~/.config/llmcensus/config.toml and LLMCENSUS_* variables must not leak in."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in list(__import__("os").environ):
        if name.startswith("LLMCENSUS_") and name != "LLMCENSUS_MEMORY_LIMIT":
            monkeypatch.delenv(name)


def test_the_configuration_docs_are_generated_and_current() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert text == render_markdown(), "stale: run .venv/bin/python -m llmcensus.config > docs/configuration.md"
    assert {k.name for k in SECTIONS["scan"]} == {s.name for s in SETTINGS}  # every probe setting is a key


def test_location_default_then_variable_then_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load() == {}  # no file at the default location: no configuration
    home = DEFAULT_PATH.expanduser()
    home.parent.mkdir(parents=True)
    home.write_text("[report]\nhost_key = 'ip_port'\n")
    assert load() == {"report": {"host_key": "ip_port"}}
    other = tmp_path / "other.toml"
    other.write_text("[study]\ndays = 3\n")
    monkeypatch.setenv(CONFIG_ENV, str(other))
    assert load() == {"study": {"days": 3}}
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("[study]\ndays = 5\n")
    assert load(explicit) == {"study": {"days": 5}}
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "missing.toml")


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[scan]\nread_timeout = 3\nconcurrency = 10\n")
    got = load(path, environ={"LLMCENSUS_SCAN_READ_TIMEOUT": "4.5", "LLMCENSUS_RUN_REPORT": "off"})
    assert got == {"scan": {"read_timeout": 4.5, "concurrency": 10}, "run": {"report": False}}


@pytest.mark.parametrize(("text", "needle"), [
    ("[scan]\nread_timout = 3\n", "[scan] unknown key 'read_timout'"),
    ("[scna]\n", "unknown section [scna]"),
    ("[scan]\nconcurrency = 'many'\n", "[scan] concurrency: expected a whole number, got 'many'"),
    ("[run]\nreport = 'yes'\n", "[run] report: expected true or false"),
    ("[scan]\nconcurrency = 0\n", "concurrency must be >= 1"),
    ("scan = 3\n", "must be a section [scan]"),
    ("[scan\n", "not valid TOML"),
])
def test_a_bad_file_is_one_clear_line_and_a_non_zero_exit(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         text: str, needle: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["--config", str(path), "version"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("llmcensus: error: ") and needle in err, err


def test_a_bad_environment_value_is_one_clear_line(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LLMCENSUS_SCAN_READ_TIMEOUT", "fast")
    assert main(["version"]) == 1
    assert "$LLMCENSUS_SCAN_READ_TIMEOUT: expected a number, got 'fast'" in capsys.readouterr().err


def _settings(data: Path, sweep: str) -> dict[str, object]:
    manifest = json.loads((data / "sweeps" / sweep / "manifest.json").read_text())
    settings: dict[str, object] = manifest["settings"]
    return settings


def test_precedence_on_a_real_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """config < environment < command line, read back from the sweep manifest (TEST-NET targets: nothing sent)."""
    targets = tmp_path / "t.txt"
    targets.write_text("192.0.2.1:11434\n")
    config = tmp_path / "c.toml"
    config.write_text("[scan]\nread_timeout = 3\nconnect_timeout = 3\nconcurrency = 7\n")
    data = tmp_path / "d"
    monkeypatch.setenv("LLMCENSUS_SCAN_CONNECT_TIMEOUT", "4")
    assert main(["--config", str(config), "scan", str(targets), "--data", str(data), "--sweep-id", "a",
                 "--set", "concurrency=9"]) == 0
    got = _settings(data, "a")
    assert (got["read_timeout"], got["connect_timeout"], got["concurrency"]) == (3.0, 4.0, 9)
    assert main(["scan", str(targets), "--data", str(data), "--sweep-id", "b"]) == 0  # no --config: built-ins
    assert _settings(data, "b")["read_timeout"] == 8.0
