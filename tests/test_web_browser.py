"""The dashboard in headless Chromium (issue #21, acceptance "browser tests"): the real server on loopback over the
web tests' small study; every HTML page the application serves (enumerated from its routes, so a new page cannot
be missed) renders with its charts drawn and no console error; every filter a metric page offers changes what is
shown; every download link gives a file that parses with the rows the API returns; screenshots of the overview, a
dossier and a host page are kept in ``test-artifacts/screenshots/`` (or ``$LLMCENSUS_TEST_ARTIFACTS``)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import struct
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pyarrow.parquet as pq
import pytest
from analyze_data import write_tiny
from browser import CHROMIUM, browser_page, live_server
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

import llmcensus
from llmcensus.web.query import DAY_FILTERS, EQUAL_FILTERS

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]  # fmt: skip
REPO = Path(__file__).resolve().parents[1]
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
# every chart container drew its plotly SVG (dashboard.js draws them on DOMContentLoaded)
DRAWN = """() => [...document.querySelectorAll('div.chart[data-figure]')].every(e => e.querySelector('.main-svg'))"""
CHARTS = "() => document.querySelectorAll('div.chart[data-figure]').length"


class Site:
    """The live server: its base URL, an API client, and the app whose routes list the pages."""

    def __init__(self, base: str, app: Any) -> None:
        self.base = base
        self.app = app
        self.api = httpx.Client(base_url=base, timeout=30)

    def get(self, path: str, **params: Any) -> Any:
        r = self.api.get(path, params=params)
        assert r.status_code == 200, (path, r.text)
        return r.json()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = write_tiny(tmp_path_factory.mktemp("webbrowser") / "data")
    llmcensus.store_update(data)
    app = llmcensus.dashboard_app(data, reload_seconds=None)
    try:
        with live_server(app) as base:
            s = Site(base, app)
            yield s
            s.api.close()
    finally:
        app.app.state.model.close()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[tuple[Any, list[str]]]:
    with browser_page() as (page, errors):
        yield page, errors


def artefacts() -> Path:
    root = Path(os.environ.get("LLMCENSUS_TEST_ARTIFACTS") or REPO / "test-artifacts")
    out = root / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def html_routes(app: Any) -> list[str]:
    """The path of every route whose endpoint answers an HTML page."""
    return [r.path for r in app.app.routes
            if isinstance(r, APIRoute) and typing.get_type_hints(r.endpoint).get("return") is HTMLResponse]


def every_page(site: Site) -> list[str]:
    """Every page URL: each HTML route, its parameters filled with every value the data has."""
    lineage_index = site.api.get("/lineages").text
    values = {
        "name": [m["name"] for m in site.get("/api/metrics")["metrics"]],
        "pseudonym": [h["host"] for h in site.get("/api/hosts", limit=1000)["hosts"]],
        "lineage": re.findall(r'href="/lineages/([^"]+)"', lineage_index),
    }
    urls = []
    for route in html_routes(site.app):
        params = PARAM.findall(route)
        assert set(params) <= set(values), f"{route}: a new page parameter; give the test its values"
        if not params:
            urls.append(route)
        for p in params:
            assert values[p], f"{route}: no value of {p} in the data"
            urls += [PARAM.sub(v if p == "lineage" else quote(v, safe=""), route) for v in values[p]]
    return urls


def visit(page: Any, errors: list[str], url: str) -> int:
    """Open ``url``; assert it renders (200, a heading), draws every chart and raises no error; how many charts."""
    errors.clear()
    response = page.goto(url, timeout=20_000)
    assert response is not None and response.status == 200, url
    page.wait_for_function(DRAWN, timeout=15_000)
    assert page.locator("h1").count() >= 1, url
    assert errors == [], (url, errors)
    charts: int = page.evaluate(CHARTS)
    return charts


def test_every_page_renders_with_its_charts_and_no_console_error(site: Site, browser: tuple[Any, list[str]]
                                                                 ) -> None:
    page, errors = browser
    routes = html_routes(site.app)
    assert {"/", "/metrics", "/metrics/{name}", "/lineages", "/lineages/{lineage:path}", "/alerts", "/hosts",
            "/hosts/{pseudonym}"} <= set(routes)  # fmt: skip
    urls = every_page(site)
    drawn = {url: visit(page, errors, site.base + url) for url in urls}
    assert drawn["/"] == 2  # activity and runtime mix
    hosts = [u for u in urls if u.startswith("/hosts/")]
    assert len(hosts) == 8 and all(drawn[u] == 1 for u in hosts)  # models listed per day
    metric_pages = [u for u in urls if u.startswith("/metrics/")]
    assert len(metric_pages) == len(site.get("/api/metrics")["metrics"])
    assert sum(drawn[u] for u in metric_pages) >= len(metric_pages) // 2  # most metrics have a chart
    dossiers = [u for u in urls if u.startswith("/lineages/")]
    assert dossiers
    for url in dossiers[:3]:  # the report's own dossier pages draw their charts as inline SVG
        page.goto(site.base + url)
        assert page.locator("div.charts svg").count() >= 1, url
    api = site.get("/api" + hosts[0])
    page.goto(site.base + hosts[0])
    shown = page.locator("table").first.locator("tr").all_inner_texts()[1:]  # the per-day table, header left out
    assert [row.split("\t")[:2] for row in shown] == [[d["day"], str(d["port"])] for d in api["days"]]  # 11434
    shots = artefacts()
    for url, name in (("/", "overview.png"), (dossiers[0], "dossier.png"), (hosts[0], "host.png")):
        page.goto(site.base + url)
        page.wait_for_function(DRAWN)
        page.screenshot(path=str(shots / name), full_page=True)
    for name in ("overview.png", "dossier.png", "host.png"):
        png = (shots / name).read_bytes()
        width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000 and width >= 1000 and height >= 600, name


def _example(site: Site, flt: str) -> tuple[str, str, int, int]:
    """(metric, value, rows with the filter, rows without) for a metric page that offers ``flt`` and a value that
    keeps some of its rows and not all."""
    for m in site.get("/api/metrics")["metrics"]:
        body = site.get(f"/api/metrics/{m['name']}", limit=10_000)
        columns = EQUAL_FILTERS.get(flt) or DAY_FILTERS[flt]
        column = next((c for c in columns if c in body["columns"]), None)
        if column is None:
            continue
        values = sorted({str(r[column])[:10] for r in body["rows"] if r[column] is not None})
        for value in values[1:] if flt == "since" else values[:-1] if flt == "until" else values:
            n = site.get(f"/api/metrics/{m['name']}", limit=10_000, **{flt: value})["total"]
            if 0 < n < body["total"]:
                return m["name"], value, n, body["total"]
    raise AssertionError(f"no metric page where {flt} changes the rows")


def _shown_rows(page: Any) -> int:
    note = page.locator("p.note").first.inner_text()
    return int(note.split(" rows", 1)[0].replace(",", ""))


def test_each_filter_changes_what_is_shown(site: Site, browser: tuple[Any, list[str]]) -> None:
    page, errors = browser
    for flt in (*EQUAL_FILTERS, *DAY_FILTERS):
        name, value, n, total = _example(site, flt)
        visit(page, errors, f"{site.base}/metrics/{name}")
        assert _shown_rows(page) == total
        before = page.locator("table tr").count()
        page.fill(f"form.filters input[name={flt}]", value)
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        page.wait_for_function(DRAWN)
        assert errors == [], errors
        assert _shown_rows(page) == n, (flt, name, value)
        assert page.locator("table tr").count() == min(n, 100) + 1 != before, (flt, name)  # header + rows
        assert page.locator(f"form.filters input[name={flt}]").input_value() == value  # the form says what is on


def _download(page: Any, link: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.click(f"p.downloads a:text('{link}')")
    path: Path = folder / str(info.value.suggested_filename)
    info.value.save_as(str(path))
    return path


@pytest.mark.parametrize("name, filters", [("countries", {}), ("countries", {"country": "DE"}),
                                           ("runtime_mix_by_day", {"since": "2025-04-01"}),
                                           ("lineage_milestones", {})])  # fmt: skip
def test_downloads_parse_and_hold_the_rows_of_the_api(site: Site, browser: tuple[Any, list[str]], tmp_path: Path,
                                                      name: str, filters: dict[str, str]) -> None:
    page, errors = browser
    qs = f"?{urlencode(filters)}" if filters else ""
    visit(page, errors, f"{site.base}/metrics/{name}{qs}")
    api = site.get(f"/api/metrics/{name}", limit=10_000, **filters)
    assert api["rows"]
    got_csv = list(csv.reader(io.StringIO(_download(page, "CSV", tmp_path).read_text(encoding="utf-8"))))
    assert got_csv[0] == api["columns"] and len(got_csv) - 1 == api["total"]
    key = api["columns"][0]
    assert [r[0] for r in got_csv[1:]] == ["" if r[key] is None else str(r[key]) for r in api["rows"]]
    assert json.loads(_download(page, "JSON", tmp_path).read_bytes()) == api["rows"]
    table = pq.read_table(_download(page, "Parquet", tmp_path))
    assert table.column_names == api["columns"] and table.num_rows == api["total"]
    assert [str(v)[:10] for v in table.column(key).to_pylist()] == [str(r[key])[:10] for r in api["rows"]]
    assert errors == []
