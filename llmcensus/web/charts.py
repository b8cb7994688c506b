"""Plotly figures for the dashboard, as plain dicts: the page carries each as JSON in an HTML-escaped attribute and
``static/dashboard.js`` draws it with the ``plotly.min.js`` the server serves from the installed ``plotly`` package.

Plotly reads a few HTML-like tags (``<b>``, ``<a href>``, ``<br>``) in every label it draws, and host-supplied text
ends up in labels (model, lineage and runtime names). So every label goes through ``label``: inert, cut to
``DISPLAY_LIMIT``, then HTML-escaped; plotly shows ``&lt;`` as ``<`` and never reads it as a tag.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from llmcensus.inert import DISPLAY_LIMIT, inert

MAX_SERIES = 8  # lines or stacks drawn one by one; the rest are left to the table
MAX_BARS = 25
TIME_COLUMNS = ("day", "month")
_LAYOUT = {"margin": {"l": 60, "r": 20, "t": 40, "b": 60}, "height": 360, "hovermode": "closest",
           "legend": {"orientation": "h", "y": -0.2}, "font": {"family": "system-ui, sans-serif", "size": 12}}


def label(value: Any) -> str:
    return escape(inert(str(value), limit=DISPLAY_LIMIT), quote=True)


def number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        f = float(value)
        return f if math.isfinite(f) else None
    return None


def _x(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return label(value)


def figure(title: str, traces: list[dict[str, Any]], **layout: Any) -> dict[str, Any]:
    return {"data": traces, "layout": {**_LAYOUT, "title": {"text": label(title)}, **layout}}


def lines(title: str, x: Sequence[Any], series: Mapping[str, Sequence[Any]], *, y_title: str = "") -> dict[str, Any]:
    traces = [{"type": "scatter", "mode": "lines+markers", "name": label(name), "x": [_x(v) for v in x],
               "y": [number(v) for v in ys]} for name, ys in series.items()]  # fmt: skip
    return figure(title, traces, yaxis={"title": {"text": label(y_title)}, "rangemode": "tozero"})


def bars(title: str, labels: Sequence[Any], values: Sequence[Any], *, y_title: str = "") -> dict[str, Any]:
    trace = {"type": "bar", "x": [_x(v) for v in labels], "y": [number(v) for v in values], "name": label(y_title)}
    return figure(title, [trace], yaxis={"title": {"text": label(y_title)}})


def stacked(title: str, x: Sequence[Any], series: Mapping[str, Sequence[Any]], *, y_title: str = "") -> dict[str, Any]:
    traces = [{"type": "bar", "name": label(name), "x": [_x(v) for v in x], "y": [number(v) for v in ys]}
              for name, ys in series.items()]  # fmt: skip
    return figure(title, traces, barmode="stack", yaxis={"title": {"text": label(y_title)}})


def _value_column(rows: list[dict[str, Any]], columns: Sequence[str]) -> str | None:
    """The first numeric column, preferring ``hosts``."""
    numeric = [c for c in columns if any(number(r.get(c)) is not None for r in rows[:50])
               and not any(isinstance(r.get(c), str) for r in rows[:50]) and c not in ("rank", "year")]  # fmt: skip
    return "hosts" if "hosts" in numeric else (numeric[0] if numeric else None)


def metric_figure(name: str, rows: list[dict[str, Any]], columns: Sequence[str]) -> dict[str, Any] | None:
    """A chart for a metric's rows when the shape allows: a time column and a number (lines, one per value of the
    first text column, the ``MAX_SERIES`` largest), or a text column and a number (bars, the first ``MAX_BARS``
    rows). None when neither fits (the table says it all)."""
    if not rows:
        return None
    value = _value_column(rows, columns)
    if value is None:
        return None
    text = [c for c in columns if c not in TIME_COLUMNS and c != value
            and all(r.get(c) is None or isinstance(r.get(c), str) for r in rows[:50])]  # fmt: skip
    time = next((c for c in TIME_COLUMNS if c in columns), None)
    if time is not None:
        periods = sorted({r[time] for r in rows if r.get(time) is not None})
        key = text[0] if text else None
        totals: dict[str, float] = {}
        cells: dict[tuple[str, Any], float] = {}
        for r in rows:
            series = str(r.get(key)) if key else value
            v = number(r.get(value)) or 0.0
            totals[series] = totals.get(series, 0.0) + v
            cells[(series, r.get(time))] = cells.get((series, r.get(time)), 0.0) + v
        drawn = sorted(totals, key=lambda s: (-totals[s], s))[:MAX_SERIES]
        series_values = {s: [cells.get((s, p)) for p in periods] for s in drawn}
        return lines(f"{name}: {value} per {time}" + (f" by {key}" if key else ""), periods, series_values,
                     y_title=value)  # fmt: skip
    if text:
        cut = rows[:MAX_BARS]
        return bars(f"{name}: {value} by {text[0]}", [r.get(text[0]) for r in cut], [r.get(value) for r in cut],
                    y_title=value)  # fmt: skip
    return None
