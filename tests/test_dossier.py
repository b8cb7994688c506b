"""Lineage dossiers: hostile names stay inert, the report writes and links them, the command writes one, and (with
Chromium) a dossier renders."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analyze_data import enriched, model, observation, write_dataset, write_tiny
from browser import CHROMIUM, page_at
from typer.testing import CliRunner

from llmcensus.api_dossier import dossier
from llmcensus.cli.dossier import app as dossier_app
from llmcensus.enrich.schema import MODELS_SCHEMA
from llmcensus.errors import UsageError
from llmcensus.report.build import build_report
from llmcensus.report.dossier import safe_name
from llmcensus.store.derive import ViewParams

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(2)>'


def _hostile_lineage(root: Path) -> Path:
    """The tiny study plus three hosts serving a model enrichment resolved to a hostile lineage (a hostile lab
    too), a hostile derivative under a user namespace, a hostile runtime verdict and a hostile alert."""
    write_tiny(root)
    bad = model("evil:latest", "llama", "Q4_K_M", "7B", ["completion"])
    fork = model(f"x/{HOSTILE_ATTR}:latest", "llama", "Q4_K_M", "7B", ["completion"])
    day = dt.date(2025, 4, 3)
    obs = [observation(f"1.0.3.{i}", day, [bad, fork]) for i in range(1, 3)]
    obs.append(observation("1.0.3.3", day, [bad], runtime=HOSTILE))
    write_dataset(root, obs)
    rows = [enriched(m["name"], m["digest"], HOSTILE, HOSTILE_ATTR, "CN", 4, "4-7B") for m in (bad, fork)]
    pq.write_table(pa.Table.from_pylist(rows, schema=MODELS_SCHEMA), root / "enrich" / "models" / "part-1.parquet")
    alert = {"id": "0" * 16, "rule": "new_derivative", "watch": HOSTILE, "lineage": HOSTILE, "subject": HOSTILE_ATTR,
             "threshold": None, "first_seen": "2025-04-03", "counts": {"hosts": 2}, "evidence": {},
             "detected_at": "2025-04-03T12:00:00+00:00"}  # fmt: skip
    (root / "monitor").mkdir()
    (root / "monitor" / "alerts.jsonl").write_bytes(orjson.dumps(alert) + b"\n")
    return root


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _hostile_lineage(tmp_path_factory.mktemp("dossier") / "data")


def test_safe_name_keeps_catalogue_names_and_neutralises_the_rest() -> None:
    assert safe_name("qwen2.5-coder") == "qwen2.5-coder"
    for bad in (HOSTILE, "../../etc/passwd", ".hidden", "a/b", "a\\b", "x" * 300, "", "\u202eevil"):
        name = safe_name(bad)
        assert name and len(name) <= 80 and not name.startswith(".") and set(name) <= set(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
        ), bad
    assert safe_name("a/b") != safe_name("a_b")  # a changed name carries a hash of the original


def test_hostile_lineage_and_names_are_inert_in_the_dossier(hostile: Path, tmp_path: Path) -> None:
    summary = dossier(HOSTILE, hostile, tmp_path / "d.html")
    html = summary.path.read_text()
    assert summary.hosts_ever == 3 and summary.alerts == 1
    assert "<script" not in html.lower() and "<img" not in html.lower()
    # each hostile string is on the page, as text: the lineage (title, chart), its lab, the derivative's name, the
    # runtime verdict (geography and runtimes) and the alert's watch and subject
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5
    assert html.count("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;") >= 2
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert 'data-chart="adoption"' in html


def test_dossier_default_path_and_unknown_lineage(hostile: Path) -> None:
    summary = dossier("llama3", hostile)
    assert summary.path == hostile / "report" / "dossiers" / "llama3.html"
    assert "per ISO week" in summary.path.read_text()  # listed in two months: the curve is drawn per week
    assert "huihui_ai" not in summary.path.read_text()  # llama3.2's derivative is not llama3's
    assert "huihui_ai/llama3.2-abliterate:3b" in dossier("llama3.2", hostile).path.read_text()
    with pytest.raises(UsageError):
        dossier("no-such-lineage", hostile)


def test_report_writes_and_links_the_dossiers(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    build_report(hostile, out, view_params=ViewParams(clone_farm_min_hosts=2, multi_port_min_ports=2))
    html = (out / "report.html").read_text()
    assert 'data-chart="lab_country"' in html and "<h2>Lineages</h2>" in html
    milestones = json.loads((out / "metrics.json").read_text())["metrics"]["lineage_milestones"]["rows"]
    top = [r["lineage"] for r in milestones if r["lineage"] != "unknown"][:10]
    assert HOSTILE in top and len(top) == 7
    for lineage in top:
        path = out / "dossiers" / f"{safe_name(lineage)}.html"
        assert path.is_file(), lineage
        assert f'href="dossiers/{safe_name(lineage)}.html"' in html
    assert {p.name for p in (out / "dossiers").iterdir()} == {f"{safe_name(x)}.html" for x in top}
    assert "<script" not in html.lower()


def test_cli_writes_a_dossier(hostile: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(dossier_app, ["llama3", "--data", str(hostile), "--out", str(tmp_path / "l.html"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["hosts_ever"] == 3 and (tmp_path / "l.html").is_file()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
def test_dossier_renders_in_headless_chromium(hostile: Path, tmp_path: Path) -> None:
    page_path = dossier("llama3", hostile, tmp_path / "llama3.html").path
    with page_at(page_path) as (page, errors):
        box = page.locator('svg[data-chart="adoption"]').bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 40
        page.screenshot(path=str(tmp_path / "dossier.png"), full_page=True)
    assert errors == []
    assert (tmp_path / "dossier.png").stat().st_size > 10_000
