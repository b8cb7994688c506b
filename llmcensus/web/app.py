"""The FastAPI application: the JSON/CSV/Parquet API (``/api/...``), the pages (``pages.py``), ``/openapi.json``.

Why FastAPI (on Starlette, served by uvicorn): the OpenAPI document comes from the routes themselves, so it cannot
drift from them; the test client (httpx) runs the application in-process for fast tests while one browser test
drives the real server on loopback; both are widely used and maintained. Request values are read as text and parsed
by ``query.py``, so that a hostile value meets our own message and never a framework's coercion.

Field names are stable data (``docs/dashboard.md``): a JSON response says which ``addresses`` it shows
(``pseudonymised`` or ``raw``); metric rows keep the metric's own column names; every string is made inert
(``inert_json``), like ``metrics.json``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi import FastAPI, Query, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from llmcensus import __version__
from llmcensus.errors import LLMCensusError
from llmcensus.inert import csv_table, inert_json
from llmcensus.web.query import MAX_LIMIT, RequestError, apply_filters, parse_int, parse_request, shown
from llmcensus.web.readmodel import ReadModel
from llmcensus.web.security import Guard


# One Query object per parameter: FastAPI keeps a parameter's name in its Query object, so one object shared by
# several parameters listed only the first of them in /openapi.json (tier, runtime, lineage and until were missing).
def _f() -> Any:
    return Query(default=None, description="keep rows whose column of that name equals the value (bound, never SQL)")


def _day() -> Any:
    return Query(default=None, description="inclusive UTC day YYYY-MM-DD on the day, month or first_seen column")


def _limit() -> Any:
    return Query(default=None, description=f"rows per page (1 to {MAX_LIMIT}, default 100)")


def _offset() -> Any:
    return Query(default=None, description="rows to skip (default 0)")


MAX_PSEUDONYM = 64


def plain(value: Any) -> Any:
    """A JSON-ready value: days as ISO text, decimals as numbers, NaN and infinities as null, bytes as hex."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


DOWNLOADS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet",
             "json": "application/json"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(inert_json(plain(body))), status_code=status, media_type="application/json",
                    headers=headers)  # fmt: skip


def error(status: int, message: str) -> Response:
    return json_response({"error": message, "status": status}, status)


def _values(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        out.setdefault(k, []).append(v)
    return out


def _page(request: Request) -> tuple[int, int]:
    values = _values(request)
    unknown = set(values) - {"limit", "offset"}
    if unknown:
        raise RequestError(f"unknown parameter {shown(sorted(unknown)[0])} (this endpoint takes: limit, offset)")
    limit = parse_int("limit", values["limit"][-1], lo=1, hi=MAX_LIMIT) if "limit" in values else 100
    offset = parse_int("offset", values["offset"][-1], lo=0, hi=10**9) if "offset" in values else 0
    return limit, offset


def create_app(model: ReadModel, *, token: str | None = None, pages: bool = True) -> Any:
    """The ASGI application over ``model`` (``Guard`` around FastAPI: headers, and the token when given)."""
    app = FastAPI(title="llmcensus", version=__version__, docs_url=None, redoc_url=None,
                  description="Read-only API over an llmcensus data folder (docs/dashboard.md).")  # fmt: skip
    app.state.model = model

    @app.exception_handler(RequestError)
    async def _bad_request(request: Request, exc: RequestError) -> Response:
        return error(exc.status, str(exc))

    @app.exception_handler(LLMCensusError)
    async def _ours(request: Request, exc: LLMCensusError) -> Response:
        return error(500, f"the store could not answer: {exc}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error(exc.status_code, str(exc.detail))

    def metric_table(name: str, request: Request) -> tuple[pa.Table, Any]:
        query = model.registry.get(name)
        if query is None:
            raise RequestError(f"no metric {shown(name)} (GET /api/metrics lists them)", 404)
        req = parse_request(query, _values(request))
        return apply_filters(model.metric(name, req.params), req.filters), req

    @app.get("/api/metrics", summary="The metric registry: name, definition, denominator, window, parameters")
    def list_metrics() -> Response:
        items = [{"name": q.name, "definition": q.definition, "denominator": q.denominator, "window": q.window,
                  "params": q.params} for q in model.registry.values()]  # fmt: skip
        return json_response({"metrics": items, "total": len(items)})

    @app.get("/api/metrics/{name}.{fmt}",
             summary="A metric's rows as a download: fmt csv, parquet or json (every row, no pages; parameters and "
                     "filters as for JSON)")  # fmt: skip
    def metric_file(name: str, fmt: str, request: Request, country: str | None = _f(), tier: str | None = _f(),
                    runtime: str | None = _f(), lineage: str | None = _f(), since: str | None = _day(),
                    until: str | None = _day()) -> Response:
        if fmt not in DOWNLOADS:
            raise RequestError(f"no metric {shown(f'{name}.{fmt}')} (downloads: {', '.join(DOWNLOADS)})", 404)
        table, _ = metric_table(name, request)
        headers = _download(name, fmt, model)
        if fmt == "json":
            return json_response(table.to_pylist(), headers=headers)
        buf = io.BytesIO()
        if fmt == "csv":
            pacsv.write_csv(csv_table(table), buf)
        else:
            pq.write_table(table, buf)
        return Response(buf.getvalue(), media_type=DOWNLOADS[fmt], headers=headers)

    @app.get("/api/metrics/{name}", summary="A metric's rows, one page, with the total after filters")
    def metric_rows(name: str, request: Request, country: str | None = _f(), tier: str | None = _f(),
                    runtime: str | None = _f(), lineage: str | None = _f(), since: str | None = _day(),
                    until: str | None = _day(), limit: str | None = _limit(), offset: str | None = _offset()
                    ) -> Response:
        table, req = metric_table(name, request)
        query = model.registry[name]
        rows = table.slice(req.offset, req.limit).to_pylist()
        return json_response({
            "metric": name, "definition": query.definition, "denominator": query.denominator, "window": query.window,
            "params": query.bind(req.params), "filters": req.filters, "columns": table.column_names,
            "total": table.num_rows, "limit": req.limit, "offset": req.offset, "rows": rows,
            "addresses": model.addresses})  # fmt: skip

    @app.get("/api/hosts", summary="Every host the store knows, as pseudonyms, newest first")
    def hosts(request: Request, limit: str | None = _limit(), offset: str | None = _offset()) -> Response:
        lim, off = _page(request)
        total, rows = model.hosts(lim, off)
        return json_response({"total": total, "limit": lim, "offset": off, "hosts": rows,
                              "addresses": model.addresses})  # fmt: skip

    @app.get("/api/hosts/{pseudonym}", summary="One host's history: per day and port, and its events")
    def host(pseudonym: str) -> Response:
        if len(pseudonym) > MAX_PSEUDONYM or not all(c in "0123456789abcdefABCDEF.:" for c in pseudonym):
            raise RequestError(f"{shown(pseudonym)} is not a pseudonymised address")
        found = model.host(pseudonym)
        if found is None:
            raise RequestError(f"no host {shown(pseudonym)} in this store", 404)
        return json_response({**found, "addresses": model.addresses})

    @app.get("/api/alerts", summary="The lineage monitor's alerts (docs/monitoring.md), oldest first")
    def alerts() -> Response:
        rows = model.alerts()
        return json_response({"alerts": rows, "total": len(rows), "addresses": model.addresses})

    @app.get("/api/activity", summary="Per sweep day: observations (every status) and hosts with a runtime verdict")
    def activity() -> Response:
        rows = model.activity()
        return json_response({"days": rows, "total": len(rows)})

    if pages:
        from llmcensus.web.pages import add_pages

        add_pages(app, model)
    return Guard(app, token)


def _download(name: str, ext: str, model: ReadModel) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.{ext}"', "X-Llmcensus-Addresses": model.addresses}
