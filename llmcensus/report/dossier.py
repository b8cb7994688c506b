"""Lineage dossiers: one self-contained HTML page per model lineage, from the metric results (issue #18).

A dossier gathers what the lineage metrics say about one lineage: the catalogue's facts (lab, country, upstream,
first public release), its milestones, an adoption curve (hosts per month, or per ISO week when the lineage was
listed in fewer than ``WEEKLY_BELOW_MONTHS`` months; hand-written SVG), rank per month, its derivatives, where it runs
(country, tier, runtime: the last month of ``lineage_adoption_by_dimension``), its risk profile per month
(``lineage_risk_by_month``) and the monitor's alerts about it (``<data>/monitor/alerts.jsonl`` when present). The
report writes one for each of its top lineages into ``<report>/dossiers/<safe name>.html``;
``llmcensus.api_dossier.dossier`` writes one on demand.

Every string on the page may come from a probed host (model names, runtime verdicts, alert subjects) or from a
watchlist: each one goes through the report's cell formatter (``build.fmt``: inert, cut to ``DISPLAY_LIMIT``) and
is then HTML-escaped, and the SVG escapes its own labels (``charts._esc``). The page loads nothing (a
Content-Security-Policy forbids it) and runs no script. File names come from ``safe_name``, never from the text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from llmcensus.errors import DataError
from llmcensus.monitor.alerts import read_alerts
from llmcensus.reference.catalog import lineages
from llmcensus.report.build import fmt
from llmcensus.report.charts import line_chart
from llmcensus.store.layout import Layout

# The metrics a dossier reads (a report runs them all; ``api_dossier`` runs only these).
DOSSIER_METRICS = ("lineage_adoption_by_month", "lineage_adoption_by_week", "lineage_milestones",
                   "lineage_derivatives", "lineage_adoption_by_dimension", "lineage_rank_by_month",
                   "lineage_risk_by_month")  # fmt: skip
WEEKLY_BELOW_MONTHS = 4  # a lineage listed in fewer months is charted per week: 1-3 monthly points show no curve
TOP_LINEAGES = 10  # dossiers the report writes (by hosts ever, 'unknown' left out)
DERIVATIVE_ROWS = 50  # derivatives shown on a page (all of them are in tables/lineage_derivatives.csv)
PLACE_ROWS = 15  # countries, tiers or runtimes shown per dimension
LAB_COUNTRY_SERIES = 6  # countries drawn one by one in the report's lab-country chart

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Rows = list[dict[str, Any]]


def load_alerts(data_dir: str | Path) -> Rows:
    """The monitor's alerts of ``data_dir`` (``<data>/monitor/alerts.jsonl``), or none when there is no file."""
    return read_alerts(Layout(data_dir).monitor / "alerts.jsonl")


def safe_name(lineage: str) -> str:
    """A file name (without ``.html``) for ``lineage``: letters, digits, ``.``, ``_`` and ``-`` only, at most 80
    characters, never starting with a dot; a name that had to change gets a hash of the original, so two
    lineages never share a file."""
    slug = _UNSAFE.sub("_", lineage).lstrip(".")[:64] or "lineage"
    if slug == lineage:
        return slug
    return f"{slug}-{hashlib.sha256(lineage.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"


def _cell(value: Any, column: str = "") -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value) if value else None
    return escape(fmt(value, column), quote=True)


def _table(rows: Rows, columns: list[str], *, empty: str = "none") -> str:
    if not rows:
        return f'<p class="note">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c), c)}</td>" for c in columns) + "</tr>\n" for r in rows)
    return f"<table>\n<tr>{head}</tr>\n{body}</table>"


def lab_country_chart(rows: Rows) -> str:
    """The report's chart of ``lab_country_by_month``: share of hosts by the lab's country, per month; the
    ``LAB_COUNTRY_SERIES`` countries with the most host-months drawn, the rest left to the table."""
    periods = sorted({str(r["month"])[:7] for r in rows})
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["lab_country"]] = totals.get(r["lab_country"], 0.0) + float(r["hosts"])
    drawn = sorted(totals, key=lambda c: (-totals[c], c))[:LAB_COUNTRY_SERIES]
    share = {(str(r["month"])[:7], r["lab_country"]): float(r["host_share"]) for r in rows}
    series = {c: [share.get((p, c), 0.0) for p in periods] for c in drawn}
    return line_chart("lab_country", "Share of hosts by the lab's country, per month", periods, series, unit="pct")


def _by_lineage(rows: Iterable[dict[str, Any]], column: str = "lineage") -> dict[str, Rows]:
    out: dict[str, Rows] = {}
    for r in rows:
        out.setdefault(r[column], []).append(r)
    return out


def top_lineages(metrics: Mapping[str, Rows], n: int = TOP_LINEAGES) -> list[str]:
    """The ``n`` lineages most hosts ever listed (``lineage_milestones`` order), 'unknown' left out."""
    return [r["lineage"] for r in metrics.get("lineage_milestones", []) if r["lineage"] != "unknown"][:n]


class Pages:
    """The dossier metrics indexed by lineage once, so that many pages do not rescan the tables."""

    def __init__(self, metrics: Mapping[str, Rows], alerts: Iterable[dict[str, Any]] = ()) -> None:
        self.adoption = _by_lineage(metrics.get("lineage_adoption_by_month", []))
        self.weekly = _by_lineage(metrics.get("lineage_adoption_by_week", []))
        self.milestones = {r["lineage"]: r for r in metrics.get("lineage_milestones", [])}
        self.derivatives = _by_lineage(metrics.get("lineage_derivatives", []), "upstream")
        self.places = _by_lineage(metrics.get("lineage_adoption_by_dimension", []))
        self.ranks = _by_lineage((r for r in metrics.get("lineage_rank_by_month", []) if r["level"] == "lineage"),
                                 "name")
        self.risk = _by_lineage(metrics.get("lineage_risk_by_month", []))
        self.alerts = _by_lineage((a for a in alerts if isinstance(a.get("lineage"), str)), "lineage")

    def known(self, lineage: str) -> bool:
        return lineage in self.milestones or lineage in lineages()

    def render(self, lineage: str, *, generated_at: str = "") -> str:
        """The dossier of ``lineage`` as one HTML page."""
        return render_dossier(lineage, self, generated_at=generated_at)


def _facts(lineage: str, pages: Pages) -> str:
    cat = lineages().get(lineage)
    ms = pages.milestones.get(lineage, {})
    items: list[tuple[str, Any, str]] = []
    if cat is not None:
        items += [("lab", f"{cat.lab} ({cat.country})", ""), ("upstream", list(cat.upstream) or None, ""),
                  ("first public release", cat.released_text or None, ""),  # "2023-09" when only the month is known
                  ("release source", cat.release_source or None, "")]  # fmt: skip
    else:
        items.append(("catalogue", "not in the lineage catalogue", ""))
    items += [("first seen", ms.get("first_seen"), ""), ("hosts ever", ms.get("hosts_ever"), ""),
              ("days from release to first sighting", ms.get("days_release_to_first_seen"), ""),
              ("first mark reached", ms.get("first_mark_day"), ""),
              ("second mark reached", ms.get("second_mark_day"), "")]  # fmt: skip
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{_cell(v, col)}</dd>" for k, v, col in items)
    return f"<dl>{rows}</dl>"


def _adoption(lineage: str, pages: Pages) -> str:
    rows = sorted(pages.adoption.get(lineage, []), key=lambda r: r["month"])
    rank = {r["month"]: r for r in pages.ranks.get(lineage, [])}
    weeks = sorted(pages.weekly.get(lineage, []), key=lambda r: r["week"])
    if len(rows) < WEEKLY_BELOW_MONTHS and weeks:
        chart = line_chart("adoption", f"Hosts listing {lineage}, per ISO week (from its Monday)",
                           [str(r["week"])[:10] for r in weeks], {"hosts": [float(r["hosts"]) for r in weeks]})
    else:
        chart = line_chart("adoption", f"Hosts listing {lineage}, per month", [str(r["month"])[:7] for r in rows],
                           {"hosts": [float(r["hosts"]) for r in rows]})
    table = [{**r, "rank": rank.get(r["month"], {}).get("rank"),
              "rank_change": rank.get(r["month"], {}).get("rank_change")} for r in rows]  # fmt: skip
    cols = ["month", "hosts", "host_share", "host_days", "days_since_release", "rank", "rank_change"]
    return f'<div class="charts">{chart}</div>\n' + _table(table, cols, empty="never listed in this data")


def _derivatives(lineage: str, pages: Pages) -> str:
    rows = pages.derivatives.get(lineage, [])
    note = (f'<p class="note">{len(rows):,} derivatives; the {DERIVATIVE_ROWS} on most hosts shown, all in '
            "tables/lineage_derivatives.csv</p>") if len(rows) > DERIVATIVE_ROWS else ""  # fmt: skip
    cols = ["name", "lineage", "kind", "first_seen", "last_seen", "hosts"]
    return _table(rows[:DERIVATIVE_ROWS], cols, empty="no derivative seen") + note


def _places(lineage: str, pages: Pages) -> str:
    rows = pages.places.get(lineage, [])
    if not rows:
        return '<p class="note">never listed in this data</p>'
    last = max(r["month"] for r in rows)
    out = [f'<p class="note">In {escape(str(last)[:7])}, the last month the lineage was listed. lineage_share: of '
           "the lineage's hosts; value_share: of the hosts of that country, tier or runtime listing any local "
           "model.</p>"]
    for dimension in ("country", "tier", "runtime"):
        cut = [r for r in rows if r["month"] == last and r["dimension"] == dimension]
        out.append(f"<h3>{escape(dimension)}</h3>")
        out.append(_table(cut[:PLACE_ROWS], ["value", "hosts", "lineage_share", "value_share"]))
    return "\n".join(out)


def _risk(lineage: str, pages: Pages) -> str:
    rows = sorted(pages.risk.get(lineage, []), key=lambda r: r["month"])
    cols = ["month", "hosts", "guardrail_removal_hosts", "misuse_hosts", "misuse_categories", "uncensored_hosts",
            "uncensored_share", "exposed_hosts", "exposed_share"]
    return _table(rows, cols, empty="never listed in this data")


def _alerts(lineage: str, pages: Pages) -> str:
    rows = [{**a, "hosts": (a.get("counts") or {}).get("hosts") if isinstance(a.get("counts"), dict) else None}
            for a in pages.alerts.get(lineage, [])]  # fmt: skip
    rows.sort(key=lambda a: (str(a.get("first_seen")), str(a.get("rule"))))
    return _table(rows, ["first_seen", "rule", "watch", "subject", "threshold", "hosts"],
                  empty="no alert (none raised, or no watchlist: see docs/monitoring.md)")


_STYLE = """
  body { font: 14px/1.45 system-ui, sans-serif; color: #1d232b; margin: 0 auto; max-width: 1100px; padding: 24px; }
  h1 { font-size: 24px; margin-bottom: 4px; } h2 { margin-top: 30px; border-bottom: 2px solid #dde3ea; }
  h3 { font-size: 14px; margin: 16px 0 4px; }
  .meta, .note { color: #5a6573; font-size: 12px; }
  table { border-collapse: collapse; margin: 6px 0 10px; font-size: 12.5px; }
  th, td { border-bottom: 1px solid #e4e8ee; padding: 3px 10px; text-align: left; vertical-align: top; }
  th { background: #f3f5f8; font-weight: 600; }
  .charts svg { background: #fbfcfd; border: 1px solid #e4e8ee; border-radius: 4px; }
  dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 4px 0; font-size: 13px; }
  dt { color: #5a6573; } dd { margin: 0; }
"""


def render_dossier(lineage: str, pages: Pages, *, generated_at: str = "") -> str:
    """One lineage's page: facts, adoption, derivatives, where it runs, risk profile, alerts."""
    title = _cell(lineage)
    parts = [
        "<!doctype html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
        'img-src data:">',
        f"<title>llmcensus dossier: {title}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f'<h1>Lineage dossier: <code>{title}</code></h1>',
        f'<p class="meta">llmcensus lineage monitoring{" · generated " + escape(generated_at) if generated_at else ""}'
        " · every runtime; hosts listed a local model of the lineage on a successful visit (docs/monitoring.md)</p>",
        '<h2 id="facts">Catalogue and milestones</h2>', _facts(lineage, pages),
        '<h2 id="adoption">Adoption over time</h2>', _adoption(lineage, pages),
        '<h2 id="derivatives">Derivatives</h2>',
        '<p class="note">Catalogued fine-tunes, uncensored variants and user-namespace copies (lineage_derivatives)'
        "</p>", _derivatives(lineage, pages),
        '<h2 id="places">Geography, infrastructure and runtimes</h2>', _places(lineage, pages),
        '<h2 id="risk">Risk profile</h2>',
        '<p class="note">Per month (lineage_risk_by_month): guardrail-removal and misuse-category system prompts, '
        "uncensored derivatives, and exposed hosts (tools and thinking, open, highly available).</p>",
        _risk(lineage, pages),
        '<h2 id="alerts">Alerts</h2>', _alerts(lineage, pages),
        "</body>", "</html>",
    ]  # fmt: skip
    return "\n".join(parts) + "\n"


def write_dossiers(metrics: Mapping[str, Rows], folder: Path, *, alerts: Iterable[dict[str, Any]] = (),
                   names: list[str] | None = None, generated_at: str = "") -> list[dict[str, str]]:
    """Write the dossiers of ``names`` (default: the ``TOP_LINEAGES`` top lineages) into ``folder``; return one
    ``{"lineage", "file"}`` per page, in order."""
    pages = Pages(metrics, alerts)
    chosen = names if names is not None else top_lineages(metrics)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{folder}: cannot create the dossier folder: {exc}") from exc
    out = []
    for lineage in chosen:
        path = folder / f"{safe_name(lineage)}.html"
        path.write_text(pages.render(lineage, generated_at=generated_at), encoding="utf-8")
        out.append({"lineage": lineage, "file": path.name})
    return out
