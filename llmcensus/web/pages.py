"""The dashboard's HTML pages, rendered on the server with Jinja2 (autoescaping on).

Every value a template prints passes ``_finalize`` first (text inert, cut to ``DISPLAY_LIMIT``), then Jinja2's HTML
escaping; table cells are formatted by the report's ``fmt`` (shares as percentages, counts with separators). Charts
are plotly figures (``charts.py``) carried as JSON in an escaped ``data-figure`` attribute and drawn by
``static/dashboard.js``; the only scripts a page runs are that file and ``plotly.min.js``, both served from here
(``/static/...``; the Content-Security-Policy allows nothing else). The lineage dossiers are the report's own pages
(``report/dossier.py``), served as they are.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from llmcensus import __version__
from llmcensus.inert import DISPLAY_LIMIT, inert
from llmcensus.reference.catalog import lineages
from llmcensus.report.build import SECTIONS, fmt
from llmcensus.report.dossier import DOSSIER_METRICS, Pages
from llmcensus.web import charts
from llmcensus.web.query import FILTERS, RequestError, apply_filters, parse_request, shown, supported_filters
from llmcensus.web.readmodel import ReadModel

HERE = Path(__file__).resolve().parent
PAGE_ROWS = 100
PLAIN_COLUMNS = frozenset({"port", "ports", "asn"})
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _finalize(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup):
        return inert(value, limit=DISPLAY_LIMIT)
    return value


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                              finalize=_finalize, undefined=jinja2.StrictUndefined)  # fmt: skip


@functools.cache
def plotly_js() -> bytes:
    """plotly.js as the installed ``plotly`` package ships it (read once, served from memory)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs()).encode("utf-8")


def figure_attr(fig: dict[str, Any] | None) -> Markup | None:
    """A figure as HTML-escaped JSON for a ``data-figure`` attribute: escaped here, whole (``_finalize`` would cut a
    plain string to ``DISPLAY_LIMIT``); its labels are already inert (``charts.label``)."""
    return None if fig is None else escape(orjson.dumps(fig).decode())


def cell(value: Any, column: str) -> str:
    """A table cell: ``fmt``, except numbers that name something (a port, an AS), shown as written: 11434, not
    11,434 (the browser test found the host pages showing "11,434")."""
    if column in PLAIN_COLUMNS and value is not None:
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return fmt(value, column)


def cells(rows: list[dict[str, Any]], columns: list[str]) -> list[list[str]]:
    return [[cell(r.get(c), c) for c in columns] for r in rows]


def add_pages(app: FastAPI, model: ReadModel) -> None:
    def render(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = _env().get_template(name).render(version=__version__, addresses=model.addresses, **ctx)
        return HTMLResponse(html, status_code=status)

    def dossier_pages() -> Pages:  # once per snapshot of the store (a reload brings new pages)
        return model.memo("dossier_pages", lambda: Pages({n: model.rows(n) for n in DOSSIER_METRICS}, model.alerts()))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name == "plotly.min.js":
            body = plotly_js()
        elif name in ("dashboard.js", "dashboard.css"):
            body = (HERE / "static" / name).read_bytes()
        else:
            raise RequestError(f"no static file {shown(name)}", 404)
        return Response(body, media_type=STATIC_TYPES[Path(name).suffix],
                        headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/", include_in_schema=False)
    def overview() -> HTMLResponse:
        head = model.rows("headline")
        figures = sorted({r["figure"] for r in head})
        by = {(r["figure"], r["scope"]): r["value"] for r in head}
        headline = [[f, fmt(by.get((f, "all")), f), fmt(by.get((f, "unflagged")), f)] for f in figures]
        act = model.activity()
        activity = charts.lines("Observations and hosts per sweep day", [r["day"] for r in act],
                                {"observations": [r["observations"] for r in act],
                                 "hosts with a runtime verdict": [r["hosts"] for r in act]})  # fmt: skip
        mix = model.rows("runtime_mix_by_month")
        months = sorted({r["month"] for r in mix})
        runtimes = sorted({r["runtime"] for r in mix}, key=lambda x: -sum(r["hosts"] for r in mix if r["runtime"] == x))
        by_mix = {(r["runtime"], r["month"]): r["hosts"] for r in mix}
        runtime_fig = charts.stacked("Hosts per month by runtime", months,
                                     {rt: [by_mix.get((rt, m), 0) for m in months] for rt in runtimes[:8]},
                                     y_title="hosts")  # fmt: skip
        countries = model.rows("countries")[:25]
        return render("overview.html.j2", title="Overview", headline=headline,
                      activity=figure_attr(activity), runtime_fig=figure_attr(runtime_fig),
                      country_cols=["country", "hosts", "host_share", "rank"],
                      countries=cells(countries, ["country", "hosts", "host_share", "rank"]))  # fmt: skip

    @app.get("/metrics", include_in_schema=False)
    def metric_index() -> HTMLResponse:
        listed = {n for _, names in SECTIONS for n in names}
        sections = [(title, [model.registry[n] for n in names if n in model.registry]) for title, names in SECTIONS]
        rest = [q for n, q in model.registry.items() if n not in listed]
        if rest:
            sections.append(("Other", rest))
        return render("metrics.html.j2", title="Metrics", sections=sections)

    @app.get("/metrics/{name}", include_in_schema=False)
    def metric_page(name: str, request: Request) -> HTMLResponse:
        query = model.registry.get(name)
        if query is None:
            raise RequestError(f"no metric {shown(name)}", 404)
        values = {k: [v] for k, v in request.query_params.items() if v != ""}  # an empty form field means "not set"
        req = parse_request(query, values, default_limit=PAGE_ROWS)
        full = model.metric(name, req.params)
        table = apply_filters(full, req.filters)
        columns = table.column_names
        rows = table.slice(req.offset, req.limit).to_pylist()
        fig = charts.metric_figure(name, table.slice(0, 2000).to_pylist(), columns)
        qs = urlencode({k: v[0] for k, v in values.items() if k not in ("limit", "offset")})
        nav = {"prev": max(req.offset - req.limit, 0) if req.offset > 0 else None,
               "next": req.offset + req.limit if req.offset + req.limit < table.num_rows else None}  # fmt: skip
        return render("metric.html.j2", title=name, q=query, params=query.bind(req.params), columns=columns,
                      rows=cells(rows, columns), total=table.num_rows, offset=req.offset, limit=req.limit,
                      figure=figure_attr(fig), qs=qs, nav=nav, filters=supported_filters(full),
                      chosen={k: str(v) for k, v in req.filters.items()}, all_filters=FILTERS)  # fmt: skip

    @app.get("/lineages", include_in_schema=False)
    def lineage_index() -> HTMLResponse:
        cat = lineages()
        # the metric keeps the 1st of the month for a month-precision release; show only what the source states
        rows = [{**r, "released": cat[r["lineage"]].released_text or None} if r["lineage"] in cat else r
                for r in model.rows("lineage_milestones")[:200]]  # fmt: skip
        cols = ["lineage", "hosts_ever", "first_seen", "released"]
        return render("lineages.html.j2", title="Lineages", columns=cols,
                      items=[(r["lineage"], cells([r], cols)[0]) for r in rows])  # fmt: skip

    @app.get("/lineages/{lineage:path}", include_in_schema=False)
    def lineage_page(lineage: str) -> HTMLResponse:
        pages = dossier_pages()
        if not pages.known(lineage):
            raise RequestError(f"no lineage {shown(lineage)} in the catalogue or this data", 404)
        return HTMLResponse(pages.render(lineage))

    @app.get("/alerts", include_in_schema=False)
    def alerts_page() -> HTMLResponse:
        cols = ["first_seen", "rule", "watch", "lineage", "subject", "threshold", "detected_at"]
        rows = model.alerts()
        return render("table.html.j2", title="Alerts", columns=cols, rows=cells(rows, cols),
                      note="The lineage monitor's alerts (docs/monitoring.md); none without a watchlist.")  # fmt: skip

    @app.get("/hosts", include_in_schema=False)
    def hosts_page() -> HTMLResponse:
        rows = model.hosts(500)[1]
        cols = ["host", "ports", "first_day", "last_day", "days", "runtime", "version"]
        return render("hosts.html.j2", title="Hosts", columns=cols,
                      items=[(r["host"], cells([r], cols)[0]) for r in rows])  # fmt: skip

    @app.get("/hosts/{pseudonym}", include_in_schema=False)
    def host_page(pseudonym: str) -> HTMLResponse:
        found = model.host(pseudonym) if len(pseudonym) <= 64 else None
        if found is None:
            raise RequestError(f"no host {shown(pseudonym)} in this store", 404)
        day_cols = ["day", "port", "status", "runtime", "version", "auth", "models", "proxy"]
        event_cols = ["day", "port", "kind", "runtime", "subject", "previous"]
        days = found["days"]
        fig = charts.lines("Models listed per day", [r["day"] for r in days],
                           {f"port {p}": [r["models"] if r["port"] == p else None for r in days]
                            for p in sorted({r["port"] for r in days})})  # fmt: skip
        return render("host.html.j2", title=f"Host {found['host']}", host=found["host"], day_cols=day_cols,
                      days=cells(days, day_cols), event_cols=event_cols, events=cells(found["events"], event_cols),
                      figure=figure_attr(fig))  # fmt: skip
