"""Issue #14 item 5, end to end: hostile host strings go through enrichment and the report, and no output file
(report.html, report.md, metrics.json, every CSV) nor a CLI error line carries a control character, a bidi
override, an ANSI escape or a spreadsheet formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from analyze_data import model, observation, write_dataset

from llmcensus.cli.main import main
from llmcensus.enrich.run import enrich
from llmcensus.inert import DISPLAY_LIMIT, inert
from llmcensus.report.build import ReportSummary, build_report

OSC = "\x1b]0;pwned\x07"  # retitles the terminal
CLS = "\x1b[2J"  # clears the screen
RLO = "\u202e"
FORMULAS = ('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)")
PAYLOADS = (*FORMULAS, OSC + "osc", CLS + "cls", "nul\x00bel\x07", RLO + "rlo", "<script>alert(1)</script>")
LONG_VERSION = ("\x00<b>v</b>" * 60)[:500]
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _hostile_observations() -> list[dict[str, Any]]:
    normal = model("llama3:latest", "llama", "Q4_K_M", "8.0B", ["completion"])
    obs = []
    for day in range(3):
        for i, p in enumerate(PAYLOADS):
            hostile = model(p + ":latest", p, p, p, ["completion", p], system=p + " system\nsecond line")
            derivative = model(p + "-abliterated:8b", p, "Q4_K_M", "8.0B", ["completion"], system=OSC)
            cloud = model(p + ":120b-cloud", p, "MXFP4", "116.8B", None, remote_host="https://" + p)
            o = observation(f"1.0.{day}.{i + 1}", dt.date(2025, 4, 1 + day), [hostile, derivative, cloud, normal],
                            version=LONG_VERSION if i % 2 else p, running=[p + ":latest"])  # fmt: skip
            o["server_header"] = p
            obs.append(o)
        failed = observation(f"1.0.9.{day + 1}", dt.date(2025, 4, 1 + day), None, status="http_error", runtime=None)
        failed["error"] = "HTTP 500: " + "".join(PAYLOADS)
        obs.append(failed)
    return obs


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportSummary:
    """The CLI's path: ``enrich run`` (``enrich``), then ``report`` (``build_report``)."""
    root = tmp_path_factory.mktemp("inert")
    data = write_dataset(root / "data", _hostile_observations())
    enrich(data)
    return build_report(data, root / "out")


def _outputs(report: ReportSummary) -> dict[str, str]:
    files = sorted(p for p in report.out_dir.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"report.html", "report.md", "metrics.json", "family_ranking.csv"}
    return {str(p.relative_to(report.out_dir)): p.read_bytes().decode("utf-8") for p in files}


def _bad_characters(text: str) -> list[str]:
    """Characters no output may hold: a newline is the files' own structure (host newlines are escaped)."""
    return sorted({f"U+{ord(c):04X}" for c in text if c != "\n" and unicodedata.category(c) in FORBIDDEN_CATEGORIES})


def test_no_output_file_holds_a_control_bidi_or_escape_character(report: ReportSummary) -> None:
    for name, text in _outputs(report).items():
        assert _bad_characters(text) == [], name
        assert "\x1b" not in text and RLO not in text and "\x00" not in text, name


def test_the_payloads_are_shown_as_visible_escapes(report: ReportSummary) -> None:
    out = _outputs(report)
    html, md = out["report.html"], out["report.md"]
    assert "\\x1b]0;pwned\\x07osc" in html and "\\x1b[2Jcls" in html and "\\u202erlo" in html
    assert "\\\\x1b\\]0;pwned\\\\x07osc" in md  # Markdown escapes the backslash so that it renders
    assert "\\x1b]0;pwned\\x07osc" in out["tables/family_ranking.csv"]
    families = {r["family"] for r in json.loads(out["metrics.json"])["metrics"]["family_ranking"]["rows"]}
    assert {inert(p) for p in PAYLOADS} <= families


def test_no_csv_cell_starts_a_formula(report: ReportSummary) -> None:
    quoted: set[str] = set()
    formulas: list[str] = []
    for name, text in _outputs(report).items():
        if not name.endswith(".csv"):
            continue
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                # a negative number is data; any other cell starting so is a formula
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(cell):
                    formulas.append(f"{name}: {cell!r}")
                if cell.startswith("'"):
                    quoted.add(cell)
    assert formulas == []
    assert {"'" + f for f in FORMULAS} <= quoted  # the payloads are there, defused


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_script_markup_never_appears_unescaped(report: ReportSummary) -> None:
    out = _outputs(report)
    assert "<script" not in out["report.html"].lower() and "<b>" not in out["report.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out["report.html"]
    assert "<script" not in out["report.md"] and "<b>" not in out["report.md"]


def test_long_host_text_is_cut_for_display_and_kept_whole_in_csv_and_json(report: ReportSummary) -> None:
    out = _outputs(report)
    whole = inert(LONG_VERSION)
    shown = inert(LONG_VERSION, limit=DISPLAY_LIMIT)
    assert len(whole) > DISPLAY_LIMIT and shown.endswith("chars]")
    assert whole not in out["report.html"] and whole.replace("<", "&lt;").replace(">", "&gt;") not in out["report.html"]
    assert shown.replace("<", "&lt;").replace(">", "&gt;") in out["report.html"]  # the version_mix cell
    assert whole in out["tables/version_mix.csv"]
    versions = {r["version"] for r in json.loads(out["metrics.json"])["metrics"]["version_mix"]["rows"]}
    assert whole in versions


def test_json_strings_hold_no_forbidden_character_once_parsed(report: ReportSummary) -> None:
    """json escapes C0 as \\u001b, which would turn back into ESC for any reader: the strings must be clean."""

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return []

    doc = json.loads((report.out_dir / "metrics.json").read_text(encoding="utf-8"))
    bad = [s for s in strings(doc) if _bad_characters(s)]
    assert bad == []


def test_cli_error_line_shows_escapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / f"no{OSC}{RLO}data"
    assert main(["report", "--data", str(missing), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("llmcensus: error: ") and err.count("\n") == 1
    assert "\x1b" not in err and "\x07" not in err and RLO not in err
    assert "no\\x1b]0;pwned\\x07\\u202edata" in err


def test_cli_error_line_is_capped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / ("x" * 200) / ("y" * 200) / ("z" * 200)
    assert main(["report", "--data", str(missing), "--out", str(tmp_path / "out")]) == 1
    line = capsys.readouterr().err.rstrip("\n")
    assert len(line) <= 500 and line.endswith("chars]")


def test_cli_prints_an_opt_out_reason_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "optout.txt").write_text(f"198.51.100.0/24  # asked by {OSC}{CLS}ops\n", encoding="utf-8")
    assert main(["optout", "list", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b]0;pwned\\x07\\x1b[2Jops" in out


def test_cli_lineage_json_is_inert(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enrich", "lineage", f"x{OSC}{RLO}:latest"]) == 0
    out = capsys.readouterr().out
    assert _bad_characters(out) == []
    assert json.loads(out)["name"] == f"x{OSC}{RLO}:latest"  # escaped by JSON, exact for a JSON reader
