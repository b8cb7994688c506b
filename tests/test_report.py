"""The report: every file written, host text escaped everywhere, and (with Chromium) a page that renders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from analyze_data import model, observation, write_dataset, write_tiny
from browser import CHROMIUM, page_at

from llmcensus.analyze.registry import load_registry
from llmcensus.cli.main import main
from llmcensus.pseudonym import Pseudonymizer
from llmcensus.report.build import ReportSummary, build_report, md_escape
from llmcensus.store.derive import ViewParams

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(2)>'
CHARTS = ("countries", "families", "capabilities", "persistence", "family_rank", "codeployment", "tiers", "runtimes",
          "lab_country")


def _hostile_data(root: Path) -> Path:
    write_tiny(root)
    bad = model(HOSTILE + ":latest", HOSTILE, HOSTILE_ATTR, "7B", ["completion", HOSTILE], system=HOSTILE)
    # three hosts carry the hostile family so that it ranks, charts and co-deploys with llama
    other = model("llama3:latest", "llama", "Q4_K_M", "8.0B", ["completion"])
    obs = [observation(f"1.0.3.{i}", dt.date(2025, 4, 3), [bad, other], version=HOSTILE) for i in range(1, 4)]
    # a runtime verdict is host text too: it is a runtime metrics' row and a label of the runtime chart
    obs.append(observation("1.0.4.1", dt.date(2025, 4, 3), [], runtime=HOSTILE))
    return write_dataset(root, obs)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportSummary:
    root = tmp_path_factory.mktemp("rep")
    data = _hostile_data(root / "data")
    return build_report(data, root / "out", view_params=ViewParams(clone_farm_min_hosts=2, multi_port_min_ports=2))


def test_report_writes_every_file(report: ReportSummary) -> None:
    out = report.out_dir
    names = set(load_registry())
    assert {p.stem for p in (out / "tables").glob("*.csv")} == names
    doc = json.loads((out / "metrics.json").read_text())
    assert set(doc["metrics"]) == names
    assert doc["metrics"]["population_summary"]["rows"][0]["unique_hosts"] == 10
    # the three hostile hosts share one stamped inventory: a clone farm, like E and F; G is multi-port. They also
    # reuse the fixture's llama3 with A's and B's very stamp: one (digest, nanosecond stamp) on five addresses is a
    # copied image (shared_stamp), so A and B are flagged too and C and D remain
    assert doc["headline"]["unique_hosts"] == {"all": 10.0, "unflagged": 2.0}
    html = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    for name in names:
        assert f'id="m-{name}"' in html and f"### {md_escape(name)}" in md
    assert "Published study vs this dataset" in html and "Published study vs this dataset" in md
    assert "175,108" in html  # the published unique-host count sits beside ours


def test_host_text_is_escaped_everywhere(report: ReportSummary) -> None:
    html = (report.out_dir / "report.html").read_text()
    md = (report.out_dir / "report.md").read_text()
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # it is shown, as text
    assert "onerror=alert(2)&gt;" in html
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert\\(1\\)" in md
    # the data itself keeps the exact bytes the host sent
    fams = json.loads((report.out_dir / "metrics.json").read_text())["metrics"]["family_ranking"]["rows"]
    assert HOSTILE in {r["family"] for r in fams}


def test_self_contained_html(report: ReportSummary) -> None:
    html = (report.out_dir / "report.html").read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<link" not in html
    assert sum(html.count(f'data-chart="{c}"') for c in CHARTS) == len(CHARTS)


def test_runtimes_section_and_chart(report: ReportSummary) -> None:
    html = (report.out_dir / "report.html").read_text()
    assert "<h2>Runtimes</h2>" in html
    chart = html.split('data-chart="runtimes"', 1)[1].split("</svg>", 1)[0]
    assert "Hosts per runtime, per day" in chart  # the tiny window spans two months: drawn per day
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart and "ollama" in chart
    mix = json.loads((report.out_dir / "metrics.json").read_text())["metrics"]["runtime_mix_by_month"]["rows"]
    assert {r["runtime"] for r in mix} == {"ollama", "localai", HOSTILE}


def test_cli_report_writes_the_report(tmp_path: Path) -> None:
    data = write_tiny(tmp_path / "data")
    assert main(["report", "--data", str(data), "--out", str(tmp_path / "out"), "--param", "top_n=5"]) == 0
    assert (tmp_path / "out" / "report.html").is_file()
    pairs = json.loads((tmp_path / "out" / "metrics.json").read_text())["metrics"]["codeployment_pairs"]
    assert pairs["params"] == {"top_n": 5}
    assert main(["report", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "o2")]) == 1
    assert main(["report", "--data", str(data), "--out", str(tmp_path / "o3"), "--param", "nope=1"]) == 1


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
def test_report_renders_in_headless_chromium(report: ReportSummary) -> None:
    with page_at(report.out_dir / "report.html") as (page, errors):
        for chart in CHARTS:
            box = page.locator(f'svg[data-chart="{chart}"]').bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 40, chart
        page.screenshot(path=str(report.out_dir / "report.png"), full_page=False)
        page.locator(".charts").screenshot(path=str(report.out_dir / "charts.png"))
    assert errors == []
    assert (report.out_dir / "report.png").stat().st_size > 10_000


def test_addresses_a_host_sent_reach_the_report_only_as_pseudonyms(tmp_path: Path) -> None:
    """Metrics are aggregates, but host text can carry an address (a family, a model name): every report file shows
    the data folder's pseudonym of it (issue #21), and the raw literal nowhere; ``raw_addresses`` keeps it."""
    literal = "203.0.113.77"
    root = tmp_path / "data"
    write_tiny(root)
    leaky = model(f"mirror-{literal}:latest", f"fam-{literal}", "Q4_K_M", "7B", ["completion"])
    obs = [observation(f"1.0.5.{i}", dt.date(2025, 4, 3), [leaky]) for i in range(1, 4)]
    data = write_dataset(root, obs)
    summary = build_report(data, tmp_path / "out")
    shown = Pseudonymizer.for_data(data).pseudonym(literal)
    texts = {p: p.read_text(encoding="utf-8") for p in summary.out_dir.rglob("*") if p.is_file()}
    assert not [p for p, t in texts.items() if literal in t]
    assert any(shown in t for p, t in texts.items() if p.name == "metrics.json")
    assert all("1.0.5." not in t for t in texts.values())  # the hosts' own addresses were never in any output
    raw = build_report(data, tmp_path / "raw", raw_addresses=True)
    assert literal in (raw.out_dir / "metrics.json").read_text(encoding="utf-8")


def test_a_data_folder_that_cannot_hold_a_key_gets_redacted_addresses(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from llmcensus.errors import DataError
    from llmcensus.report import build

    def no_key(_data: Path) -> Pseudonymizer:
        raise DataError("read-only")

    monkeypatch.setattr(Pseudonymizer, "for_data", no_key)
    text = build.AddressText(tmp_path)
    assert text("see 203.0.113.77, [2001:db8::1] and 12:30:45") == "see [address], [[address]] and 12:30:45"
