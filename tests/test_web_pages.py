"""The dashboard's pages (issue #21): host-supplied strings inert and escaped on every page; and, with Chromium, the
real server on loopback renders the overview and a metric page with their plotly charts and no console error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from browser import CHROMIUM, browser_page, live_server
from fastapi.testclient import TestClient
from test_dossier import HOSTILE, HOSTILE_ATTR, _hostile_lineage

import llmcensus

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, TestClient]]:
    root = _hostile_lineage(tmp_path_factory.mktemp("webpages") / "data")
    llmcensus.store_update(root)
    app = llmcensus.dashboard_app(root)
    yield root, TestClient(app)
    app.app.state.model.close()


def test_host_strings_are_inert_on_every_page(hostile: tuple[Path, TestClient]) -> None:
    _, client = hostile
    hosts = client.get("/api/hosts").json()["hosts"]
    urls = ["/", "/metrics", "/lineages", "/alerts", "/hosts", f"/lineages/{quote(HOSTILE, safe='')}",
            "/metrics/lineage_derivatives", "/metrics/runtime_mix_by_day", "/metrics/lineage_milestones",
            *[f"/hosts/{h['host']}" for h in hosts]]  # fmt: skip
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert HOSTILE not in r.text and HOSTILE_ATTR not in r.text and "<img" not in r.text, url
    assert "&lt;script&gt;" in client.get("/metrics/runtime_mix_by_day").text
    api = client.get("/api/metrics/runtime_mix_by_day").json()
    assert any(r["runtime"] == HOSTILE for r in api["rows"])  # JSON keeps the text (inert, not HTML-escaped)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
def test_the_real_server_renders_charts_in_headless_chromium(tmp_path: Path) -> None:
    from analyze_data import write_tiny

    data = write_tiny(tmp_path / "data")
    llmcensus.store_update(data)
    app = llmcensus.dashboard_app(data)
    try:
        with live_server(app) as base, browser_page() as (page, errors):
            for path, shot, charts in (("/", "overview.png", 2), ("/metrics/runtime_mix_by_day", "metric.png", 1)):
                page.goto(f"{base}{path}", timeout=20_000)
                page.wait_for_selector("div.chart .main-svg", timeout=20_000)
                assert page.locator("div.chart .main-svg").count() >= charts
                page.screenshot(path=str(tmp_path / shot), full_page=True)
            assert errors == []
    finally:
        app.app.state.model.close()
