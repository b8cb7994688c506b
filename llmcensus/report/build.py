"""``build_report``: run every metric, then write report.html, report.md, metrics.json and one CSV per metric.

The HTML is self-contained (inline CSS, inline SVG from ``charts.py``; no script, no external fetch). Text from
probed hosts is made inert (``llmcensus.inert``, ``docs/outputs.md``) at one boundary per format: ``fmt`` for every
HTML/Markdown table cell (capped at ``DISPLAY_LIMIT`` characters), the templates' ``finalize`` for anything else a
template prints (then Jinja2 autoescaping for HTML, ``md_escape`` for Markdown), ``csv_table`` for each CSV and
``inert_json`` for metrics.json (CSV and JSON keep the whole value).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import pyarrow as pa
import pyarrow.csv as pacsv
from markupsafe import Markup

from llmcensus import __version__
from llmcensus.analyze.registry import ParamValue
from llmcensus.analyze.run import StudyResults, headline, run_study
from llmcensus.errors import DataError
from llmcensus.inert import DISPLAY_LIMIT, csv_table, inert, inert_json
from llmcensus.pseudonym import Pseudonymizer, redact_addresses, scrub_table
from llmcensus.report import charts
from llmcensus.report.published import PUBLISHED, Published, lookup
from llmcensus.store.derive import ViewParams

TEMPLATES = Path(__file__).resolve().parent / "templates"
TABLE_ROWS = 25
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Population", ("population_summary", "persistence_buckets", "uptime_distribution", "high_capability_availability",
                    "births_deaths", "monthly_churn", "version_mix")),
    ("Geography and networks", ("countries", "subdivisions", "subdivision_concentration", "tiers", "asn_types",
                                "tier_asn_type", "tier_profile", "quantization_by_tier")),
    ("Models", ("family_ranking", "family_rank_by_month", "family_rank_volatility", "lineage_ranking", "lab_ranking",
                "lab_country_by_month", "models_per_observation_by_month", "portfolio_size", "public_library_hosts",
                "multi_family_hosts", "codeployment_pairs", "codeployment_triples", "quantization", "bit_width",
                "parameter_bands")),
    ("Capabilities", ("capability_coverage", "capability_sets", "completion_tools", "rag_signature",
                      "capability_unknowns_by_version")),
    ("Configuration", ("system_prompt_visibility", "guardrail_removal_clusters", "misuse_categories",
                       "uncensored_models", "cloud_models")),
    ("Quality", ("quality_flags", "headline")),
    ("Lineages", ("lineage_adoption_by_month", "lineage_adoption_by_week", "lineage_adoption_by_day",
                  "lineage_milestones", "lineage_rank_by_month", "lineage_rank_volatility",
                  "lineage_adoption_by_dimension", "lineage_derivatives", "lineage_risk_by_month",
                  "lineage_concentration_by_month", "lineage_concentration_commodity_by_month")),
    ("Runtimes", ("runtime_mix_by_month", "auth_by_runtime_month", "lineage_ranking_all_runtimes",
                  "models_by_runtime", "runtime_mix_by_day")),
    ("Changes", ("events_by_month", "inventory_churn", "upgrade_latency")),
    ("Security", ("unauth_exposure_share", "advisory_exposure_by_month", "advisory_exposure_by_geo", "patch_latency",
                  "auth_posture_by_month", "auth_transitions")),
)  # fmt: skip
RUNTIME_SERIES = 9  # runtimes drawn one by one in the runtime chart; the rest are stacked as "other"


@dataclass
class ReportSummary:
    out_dir: Path
    files: list[Path] = field(default_factory=list)
    metrics: int = 0
    seconds: float = 0.0
    analyze_seconds: float = 0.0
    headline: dict[str, dict[str, Any]] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    """A JSON-ready value: dates as ISO text, decimals as numbers, NaN as null."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def fmt(value: Any, column: str = "") -> str:
    """A table cell as text: shares as percentages, other decimals to 3 places, counts with separators; text
    inert and cut to ``DISPLAY_LIMIT`` characters (the CSV and metrics.json keep all of it)."""
    value = _plain(value)
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if "share" in column or column in ("uptime", "mean_uptime", "churn", "churn_rate", "running_share"):
            return f"{value * 100:.2f} %"
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return inert(str(value), limit=DISPLAY_LIMIT)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+|!~])")


def md_escape(value: Any) -> str:
    """Markdown-inert text: controls shown as escapes, HTML metacharacters as entities, Markdown punctuation
    backslash-escaped (so the escape ``\\x1b`` renders as written)."""
    text = inert(str(value)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _finalize(value: Any) -> Any:
    """Every ``{{ expression }}`` of both templates, before autoescaping: text inert; markup built here
    (the SVG charts, which escape their own labels) and non-text values as they are."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return inert(value)
    return value


def _write_csv(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(csv_table(table), path)


def _published_rows(results: StudyResults, published: tuple[Published, ...]) -> list[dict[str, Any]]:
    out = []
    for item in published:
        rows = results.metrics[item.metric].rows() if item.metric in results.metrics else []
        ours = _plain(lookup(rows, item))
        col = "share" if item.kind == "share" else ""
        out.append({"label": item.label, "study_row": item.study_row, "approx": item.approx,
                    "published": fmt(item.value, col), "ours": fmt(ours, col), "metric": item.metric})  # fmt: skip
    return out


def _charts(results: StudyResults) -> list[str]:
    m = results.metrics
    svgs: list[str] = []
    countries = [r for r in m["countries"].rows() if r["country"] != "unknown"][:10]
    svgs.append(charts.bar_chart("countries", "Top 10 countries by share of unique hosts",
                                 [(r["country"], r["host_share"]) for r in countries]))  # fmt: skip
    fams = m["family_ranking"].rows()[:20]
    svgs.append(charts.bar_chart("families", "Top 20 model families by share of unique hosts",
                                 [(r["family"], r["host_share"]) for r in fams]))  # fmt: skip
    cov = m["capability_coverage"].rows()
    svgs.append(charts.grouped_bars("capabilities", "Host capability coverage (share of all hosts)",
                                    [r["capability"] for r in cov],
                                    {"yes": [r["share_yes"] for r in cov],
                                     "unknown (too old to report)": [r["share_unknown"] for r in cov]}))  # fmt: skip
    pb = m["persistence_buckets"].rows()
    svgs.append(charts.grouped_bars("persistence", "Persistence: share of hosts vs share of observations",
                                    [r["bucket"].replace("_", " ") for r in pb],
                                    {"hosts": [r["host_share"] for r in pb],
                                     "observations": [r["observation_share"] for r in pb]}))  # fmt: skip
    top = [r["family"] for r in fams[:8]]
    by_month = m["family_rank_by_month"].rows()
    months = sorted({str(r["month"])[:7] for r in by_month})
    rank = {(str(r["month"])[:7], r["family"]): r["rank"] for r in by_month}
    svgs.append(charts.rank_lines("family_rank", "Family rank by unique hosts, per month", months,
                                  {f: [rank.get((mo, f)) for mo in months] for f in top}, max_rank=10))  # fmt: skip
    pairs = m["codeployment_pairs"].rows()
    labels = top[:10]
    cells = {(r["family_a"], r["family_b"]): float(r["hosts"]) for r in pairs}
    svgs.append(charts.heatmap("codeployment", "Co-deployment: hosts carrying both families", labels, cells))
    tiers = m["tiers"].rows()
    svgs.append(charts.bar_chart("tiers", "Infrastructure tiers (share of unique hosts)",
                                 [(r["tier"], r["host_share"]) for r in tiers]))  # fmt: skip
    svgs.append(_runtime_chart(results))
    svgs.append(_lab_country_chart(results))
    return svgs


# --- lineage monitoring hook (issue #18): report/dossier.py draws and writes; imported late as it imports fmt ---
def _lab_country_chart(results: StudyResults) -> str:
    from llmcensus.report.dossier import lab_country_chart

    rows = results.metrics["lab_country_by_month"].rows() if "lab_country_by_month" in results.metrics else []
    return lab_country_chart(rows)


class AddressText:
    """``in_text`` of the data folder's pseudonymizer, its key loaded (or created) only when a value holds an address
    literal. A data folder that cannot hold a key (read-only, shared) gets ``[address]`` in place of each literal:
    never the address itself."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._fn: Callable[[str], str] | None = None

    def __call__(self, value: str) -> str:
        if self._fn is None:
            try:
                self._fn = Pseudonymizer.for_data(self._data_dir).in_text
            except DataError:
                self._fn = redact_addresses
        return self._fn(value)


def _scrub_value(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v, text) for v in value]
    return value


def _dossiers(results: StudyResults, out: Path, data_dir: Path,
              text: Callable[[str], str] | None) -> list[dict[str, str]]:
    """Write the top lineages' dossiers into ``out/dossiers`` (with the monitor's alerts of ``data_dir``); return
    their links for the Lineages section."""
    from llmcensus.report import dossier

    metrics = {n: results.metrics[n].rows() for n in dossier.DOSSIER_METRICS if n in results.metrics}
    alerts = dossier.load_alerts(data_dir)
    if text is not None:
        alerts = [_scrub_value(a, text) for a in alerts]
    links = dossier.write_dossiers(metrics, out / "dossiers", alerts=alerts)
    return [{"lineage": d["lineage"], "href": f"dossiers/{d['file']}"} for d in links]
# --- end of the lineage monitoring hook ---


def _runtime_chart(results: StudyResults) -> str:
    """Hosts per runtime over time: per month when the window spans three months or more, else per day."""
    m = results.metrics
    mix, col, cut = m["runtime_mix_by_month"].rows(), "month", 7
    if len({str(r["month"]) for r in mix}) < 3:
        mix, col, cut = m["runtime_mix_by_day"].rows(), "day", 10
    periods = sorted({str(r[col])[:cut] for r in mix})
    totals: dict[str, float] = {}
    for r in mix:
        totals[r["runtime"]] = totals.get(r["runtime"], 0.0) + float(r["hosts"])
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    drawn = ranked if len(ranked) <= RUNTIME_SERIES + 1 else ranked[:RUNTIME_SERIES]
    series = {name: [0.0] * len(periods) for name in drawn}
    if len(drawn) < len(ranked):
        series["other"] = [0.0] * len(periods)
    index = {p: i for i, p in enumerate(periods)}
    for r in mix:
        key = r["runtime"] if r["runtime"] in drawn else "other"
        series[key][index[str(r[col])[:cut]]] += float(r["hosts"])
    return charts.stacked_bars("runtimes", f"Hosts per runtime, per {col}", periods, series)


def _sections(results: StudyResults) -> list[dict[str, Any]]:
    placed = {n for _, names in SECTIONS for n in names}
    groups = [*SECTIONS, ("Other", tuple(n for n in results.metrics if n not in placed))]
    out = []
    for title, names in groups:
        metrics = []
        for name in names:
            if name not in results.metrics:
                continue
            res = results.metrics[name]
            rows = res.rows()
            metrics.append({
                "name": name, "definition": res.query.definition, "denominator": res.query.denominator,
                "window": res.query.window, "params": res.params, "columns": res.table.column_names,
                "rows": [{c: fmt(r[c], c) for c in res.table.column_names} for r in rows[:TABLE_ROWS]],
                "total_rows": len(rows),
            })  # fmt: skip
        if metrics:
            out.append({"title": title, "metrics": metrics})
    return out


def _channel_section(data_dir: Path) -> tuple[dict[str, Any] | None, dict[str, Any], dict[str, pa.Table]]:
    """The discovery-channel tables (candidates per source, confirmation rate, overlap) when candidates exist."""
    from importlib import resources

    from llmcensus.analyze.registry import parse_query
    from llmcensus.discover.candidates import candidates_dir
    from llmcensus.discover.channels import QUERY_NAMES, channel_report

    if not any(candidates_dir(data_dir).glob("part-*.parquet")):
        return None, {}, {}
    tables = channel_report(data_dir)
    metrics, doc = [], {}
    for name in QUERY_NAMES:
        with resources.as_file(resources.files("llmcensus.discover").joinpath(f"sql/{name}.sql")) as path:
            q = parse_query(Path(path))
        table = tables[name]
        rows = table.to_pylist()
        metrics.append({
            "name": name, "definition": q.definition, "denominator": q.denominator, "window": q.window,
            "params": {}, "columns": table.column_names,
            "rows": [{c: fmt(r[c], c) for c in table.column_names} for r in rows[:TABLE_ROWS]],
            "total_rows": len(rows),
        })  # fmt: skip
        doc[name] = {"definition": q.definition, "denominator": q.denominator, "window": q.window, "params": {},
                     "columns": table.column_names, "rows": [{k: _plain(v) for k, v in r.items()} for r in rows]}
    return {"title": "Discovery channels", "metrics": metrics}, doc, tables


def build_report(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    published: tuple[Published, ...] = PUBLISHED,
    view_params: ViewParams | None = None,
    params: dict[str, ParamValue] | None = None,
    results: StudyResults | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
    raw_addresses: bool = False,
) -> ReportSummary:
    """Run the study over ``data_dir`` (unless ``results`` is given) and write every report file to ``out_dir``;
    ``progress("metrics", done, total)`` is called after each metric query. The metrics are aggregates; an address
    can only reach the report inside text a host sent (a model name, a prompt, an alert's evidence), and is shown
    as its pseudonym there unless ``raw_addresses`` (``AddressText``)."""
    t0 = time.perf_counter()
    res = results or run_study(data_dir, view_params=view_params, params=params, progress=progress)
    text = None if raw_addresses else AddressText(Path(data_dir))
    if text is not None:
        res = replace(res, metrics={n: replace(m, table=scrub_table(m.table, text)) for n, m in res.metrics.items()})
    analyze_seconds = time.perf_counter() - t0
    out = Path(out_dir)
    try:
        (out / "tables").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{out}: cannot create the report folder: {exc}") from exc
    summary = ReportSummary(out, metrics=len(res.metrics), analyze_seconds=analyze_seconds, headline=headline(res))
    for name, m in res.metrics.items():
        path = out / "tables" / f"{name}.csv"
        _write_csv(m.table, path)
        summary.files.append(path)
    channel_section, channel_doc, channel_tables = _channel_section(Path(data_dir))
    for name, table in channel_tables.items():
        if text is not None:
            table = scrub_table(table, text)
        path = out / "tables" / f"{name}.csv"
        _write_csv(table, path)
        summary.files.append(path)
    doc = {
        "llmcensus_version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host_key": res.view_params.host_key,
        "view_params": {"clone_farm_min_hosts": res.view_params.clone_farm_min_hosts,
                        "shared_stamp_min_hosts": res.view_params.shared_stamp_min_hosts,
                        "fake_min_score": res.view_params.fake_min_score,
                        "multi_port_min_ports": res.view_params.multi_port_min_ports},
        "headline": summary.headline,
        "metrics": {
            name: {"definition": m.query.definition, "denominator": m.query.denominator, "window": m.query.window,
                   "params": m.params, "columns": m.table.column_names,
                   "rows": [{k: _plain(v) for k, v in r.items()} for r in m.rows()]}
            for name, m in res.metrics.items()
        } | channel_doc,
    }  # fmt: skip
    context = {
        "version": __version__, "generated_at": doc["generated_at"], "host_key": doc["host_key"],
        "headline": [{"figure": k, "all": fmt(v.get("all"), k), "unflagged": fmt(v.get("unflagged"), k)}
                     for k, v in summary.headline.items()],
        "published": _published_rows(res, published),
        "sections": _sections(res) + ([channel_section] if channel_section else []),
    }  # fmt: skip
    dossiers = _dossiers(res, out, Path(data_dir), text)  # lineage monitoring hook (issue #18)
    summary.files += [out / d["href"] for d in dossiers]
    html_env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        finalize=_finalize,
    )
    md_env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False, undefined=jinja2.StrictUndefined,
        finalize=_finalize,
    )
    md_env.filters["md"] = md_escape
    files = {
        "metrics.json": json.dumps(inert_json(doc), indent=1, ensure_ascii=False,
                                   default=lambda v: inert(str(v))),
        "report.html": html_env.get_template("report.html.j2").render(charts=_charts(res), dossiers=dossiers,
                                                                      **context),
        "report.md": md_env.get_template("report.md.j2").render(**context),
    }
    for fname, body in files.items():
        (out / fname).write_text(body, encoding="utf-8")
        summary.files.append(out / fname)
    summary.seconds = time.perf_counter() - t0
    return summary
