"""One writer per data folder: every command that writes into it is refused while another holds it."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmcensus.cli.main import main
from llmcensus.datalock import LOCK_NAME, writer_lock
from llmcensus.errors import BusyError


def snapshot(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file() and p.name != LOCK_NAME}


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A data folder with an observation, whose writer lock another process holds."""
    data = tmp_path / "d"
    (tmp_path / "t.txt").write_text("192.0.2.1\n")
    assert main(["scan", str(tmp_path / "t.txt"), "--data", str(data), "--no-progress"]) == 0
    (tmp_path / "list.txt").write_text("203.0.113.9\n")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import time; from llmcensus.datalock import writer_lock\n"
        f"with writer_lock({str(data)!r}, 'llmcensus run'):\n"
        "    print('held', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    try:
        yield data, holder
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


@pytest.mark.parametrize("argv", [
    ["scan", "{tmp}/t.txt", "--data", "{data}", "--no-progress"],
    ["enrich", "run", "--data", "{data}"],
    ["discover", "import", "list", "{tmp}/list.txt", "--data", "{data}"],
    ["optout", "add", "198.51.100.0/24", "--data", "{data}"],
    ["optout", "remove", "198.51.100.0/24", "--data", "{data}"],
], ids=["scan", "enrich", "discover_import", "optout_add", "optout_remove"])
def test_every_writer_is_refused_while_another_holds_the_folder(
    held: tuple[Path, subprocess.Popen[str]], capsys: pytest.CaptureFixture[str], argv: list[str],
) -> None:
    data, holder = held
    before = snapshot(data)
    capsys.readouterr()
    rc = main([a.format(tmp=data.parent, data=data) for a in argv])
    err = capsys.readouterr().err.strip()
    assert rc == 75, err
    assert err.splitlines() == [err] and f"pid {holder.pid}" in err and "'llmcensus run'" in err
    assert snapshot(data) == before


def test_the_lock_is_reentrant_in_one_process_and_free_after_a_crash(
    held: tuple[Path, subprocess.Popen[str]],
) -> None:
    data, holder = held
    with pytest.raises(BusyError), writer_lock(data):
        pass
    holder.send_signal(signal.SIGKILL)  # kill -9: the kernel drops the flock with the process
    holder.wait()
    with writer_lock(data, "outer"), writer_lock(data, "inner (study runs scan and enrich)"):
        pass
    assert main(["optout", "add", "198.51.100.0/24", "--data", str(data)]) == 0


def test_a_missing_folder_is_not_created_by_a_command_that_only_reads_first(tmp_path: Path) -> None:
    assert main(["enrich", "run", "--data", str(tmp_path / "nothing")]) != 0
    assert not (tmp_path / "nothing").exists()
