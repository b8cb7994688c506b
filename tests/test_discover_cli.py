"""`llmcensus discover import|sweep` through the real entry point."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from llmcensus.cli.discover import parse_ports
from llmcensus.cli.main import main
from llmcensus.discover.candidates import read_candidates
from llmcensus.errors import UsageError
from llmcensus.targets.dialmap import write_dial_map

SAMPLES = Path(__file__).parent / "fixtures" / "discovery"


def test_import_reports_skipped_lines_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["discover", "import", "masscan", str(SAMPLES / "masscan" / "scan.xml"), "--data", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 0
    assert f"{SAMPLES / 'masscan' / 'scan.xml'}:7: not XML" in err
    assert "3 distinct candidates from 4 records (2 malformed)" in out
    assert read_candidates(tmp_path).num_rows == 3


def test_unknown_format_is_one_line_and_nonzero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["discover", "import", "nessus", str(SAMPLES / "list" / "targets.txt"), "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "known formats: censys, fofa, list, masscan, shodan, zmap" in err
    assert not (tmp_path / "candidates").exists()


def test_dry_run_touches_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hits: list[int] = []

    async def serve(ready: threading.Event, stop: threading.Event) -> None:
        server = await asyncio.start_server(lambda r, w: hits.append(1) or w.close(), "127.31.9.1", 0)  # type: ignore[func-returns-value]
        write_dial_map(
            tmp_path / "map.csv", {("11.22.40.1", 11434): ("127.31.9.1", server.sockets[0].getsockname()[1])}
        )
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.01)
        server.close()

    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(serve(ready, stop)))
    thread.start()
    try:
        assert ready.wait(5)
        data = tmp_path / "data"
        argv = ["discover", "sweep", "11.22.40.0/24", "192.0.2.0/24", "--data", str(data)]
        rc = main([*argv, "--dial-map", str(tmp_path / "map.csv"), "--ports", "11434,80", "--dry-run"])
        out = capsys.readouterr().out
        assert rc == 0
        assert "addresses: 512" in out and "blocked addresses: 256 (50.0%)" in out
        assert "targets (address × port, not blocked): 512" in out
        assert "targets with a dial-map entry (connected to on loopback): 1" in out
        assert not data.exists() and hits == []
        # the same sweep for real finds the one listener and writes a part
        rc = main([*argv, "--dial-map", str(tmp_path / "map.csv"), "--ports", "11434,80", "--rate", "0"])
        assert rc == 0 and "11.22.40.1:11434" in capsys.readouterr().out
        # the server's accept callback runs on its own thread's loop and may record the hit just after the sweep
        deadline = time.monotonic() + 5
        while not hits and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hits == [1] and read_candidates(data).num_rows == 1
    finally:
        stop.set()
        thread.join(5)


def test_sweep_without_dial_map_needs_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["discover", "sweep", "11.22.41.0/30", "--data", str(tmp_path)])
    assert rc == 2 and "--live" in capsys.readouterr().err


def test_parse_ports() -> None:
    assert parse_ports("11434, 80,8000-8002,80") == (11434, 80, 8000, 8001, 8002)
    assert parse_ports(None) is None
    for bad in ("", "x", "0", "70000", "9-8"):
        with pytest.raises(UsageError):
            parse_ports(bad)


def test_every_sweep_setting_and_format_is_documented() -> None:
    from llmcensus.discover.formats import FORMATS
    from llmcensus.discover.sweepplan import settings_table

    doc = (Path(__file__).parents[1] / "docs" / "scanning-policy.md").read_text()
    for name, _, _ in settings_table():
        assert f"`{name}`" in doc, f"sweep setting {name} is not in docs/scanning-policy.md"
    for name in FORMATS:
        assert f"| `{name}` |" in doc, f"format {name} is not in docs/scanning-policy.md"
