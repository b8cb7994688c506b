"""The opt-out file: validated input, add/list/remove, and enforcement through the blocklist."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmcensus.cli.optout import app
from llmcensus.discover import optout
from llmcensus.errors import InputError, UsageError
from llmcensus.targets.blocklist import Blocklist


@pytest.mark.parametrize("bad", ["", "banana", "198.51.100.1/24", "300.1.1.1", "2001:db8::1/200", "1.2.3.4/33"])
def test_add_rejects_bad_input(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UsageError):
        optout.add(tmp_path, bad)
    assert not optout.optout_path(tmp_path).exists()


def test_host_bits_error_suggests_the_network(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"did you mean 198\.51\.100\.0/24"):
        optout.add(tmp_path, "198.51.100.7/24")


def test_add_list_remove_round_trip(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    entry, added = optout.add(tmp_path, "11.22.0.0/16", "abuse@example.net asked", now=now)
    assert added and entry.comment == "added 2026-01-02: abuse@example.net asked"
    assert optout.add(tmp_path, "11.22.33.4", now=now)[1] is False  # already covered
    assert optout.add(tmp_path, "2001:db8:1::/48", now=now)[1]
    assert [str(e.network) for e in optout.list_entries(tmp_path)] == ["11.22.0.0/16", "2001:db8:1::/48"]
    bl = Blocklist.default([optout.optout_path(tmp_path)])  # same format as the bundled list
    assert "11.22.33.4" in bl and "2001:db8:1::9" in bl and "11.23.0.1" not in bl
    assert optout.remove(tmp_path, "11.22.0.0/16") and not optout.remove(tmp_path, "11.22.0.0/16")
    assert [str(e.network) for e in optout.list_entries(tmp_path)] == ["2001:db8:1::/48"]
    with pytest.raises(UsageError):
        optout.add(tmp_path, "11.0.0.0/8", "two\nlines")


def test_a_hand_edited_bad_line_names_file_and_line(tmp_path: Path) -> None:
    optout.optout_path(tmp_path).write_text("# header\n11.0.0.0/8\nnot-a-network  # oops\n")
    with pytest.raises(InputError) as err:
        optout.list_entries(tmp_path)
    assert err.value.line == 3 and str(optout.optout_path(tmp_path)) in str(err.value)


def test_cli_add_list_remove(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["add", "198.51.100.0/24", "--data", str(tmp_path), "--reason", "operator request"])
    assert res.exit_code == 0 and "added 198.51.100.0/24" in res.output
    res = runner.invoke(app, ["list", "--data", str(tmp_path)])
    assert res.output.startswith("198.51.100.0/24  # added ") and "operator request" in res.output
    res = runner.invoke(app, ["add", "not-a-cidr", "--data", str(tmp_path)])
    assert res.exit_code != 0 and isinstance(res.exception, UsageError)
    res = runner.invoke(app, ["remove", "203.0.113.0/24", "--data", str(tmp_path)])
    assert res.exit_code == 1
    res = runner.invoke(app, ["remove", "198.51.100.0/24", "--data", str(tmp_path)])
    assert res.exit_code == 0 and optout.list_entries(tmp_path) == []
