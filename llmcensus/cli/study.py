"""``llmcensus study``: the whole study on the simulated internet (thin: parse, call ``llmcensus.api.study``, print).

The loop itself (serve, sweep and store each day through real HTTP) is ``llmcensus.simstudy.simulate_study``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from llmcensus import api
from llmcensus.api_serve import DEFAULT_HOST, DEFAULT_PORT
from llmcensus.cli.enrich import summary_line
from llmcensus.cli.options import JsonOpt, emit_json, pick, progress_bar, show_progress
from llmcensus.errors import UsageError
from llmcensus.inert import terminal

# The study loop lived here as ``run_study`` (a name that clashed with ``llmcensus.analyze.run.run_study``, the
# metric queries); it is ``llmcensus.simstudy.simulate_study`` now. The old names still resolve, through the API
# and on first use, for their callers (tests, bench/storage.py).
_MOVED = {"run_study": "simulate_study", "simulate_study": "simulate_study", "STUDY_PROBE_SETTINGS": None,
          "DayClock": None, "DaySummary": None, "StudySummary": None}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        return getattr(api, _MOVED[name] or name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- the command -------------------------------------------------------------------------------------

app = typer.Typer(no_args_is_help=True)

TRUTH_KEYS = {
    # headline figure (analytics/queries/headline.sql) -> ground-truth key (simulate/truth.py)
    "observations": "observations",
    "unique_hosts": "unique_hosts",
    "countries": "countries",
    "asns": "asns",
    "persistent_host_share": "persistent_host_share",
    "persistent_observation_share": "persistent_observation_share",
    "single_observation_host_share": "single_host_share",
    "single_observation_observation_share": "single_observation_share",
    "tools_host_share": "capability_host_share.tools",
    "vision_host_share": "capability_host_share.vision",
    "thinking_host_share": "capability_host_share.thinking",
    "embedding_host_share": "capability_host_share.embedding",
    "q4_k_m_host_share": "q4_k_m_host_share",
    "public_library_host_share": "public_library_host_share",
    "system_prompt_visible_host_share": "system_prompt_visible_share",
    "guardrail_removal_hosts": "guardrail_template_hosts",
}


def headline_rows(headline: dict[str, dict[str, Any]], truth: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, this dataset, without flagged hosts, ground truth) as display strings."""

    def show(figure: str, v: Any) -> str:
        if v is None:
            return "-"
        if not isinstance(v, int | float):
            return str(v)
        return f"{v * 100:.1f} %" if figure.endswith("_share") else f"{v:,.0f}"

    rows = []
    for figure, scopes in headline.items():
        t = truth.get("all", {}).get(TRUTH_KEYS.get(figure, figure))
        rows.append((figure, show(figure, scopes.get("all")), show(figure, scopes.get("unflagged")), show(figure, t)))
    return rows


def mover_lines(risers: list[Any], fallers: list[Any]) -> list[str]:
    """The top adoption movers (``llmcensus.monitor.movers``) as lines: lineage, first -> last share, change."""
    if not risers and not fallers:
        return ["adoption movers: none (one month of data, or no lineage moved)"]
    m = (risers or fallers)[0]
    lines = [f"adoption movers, share of hosts {m.first_month:%Y-%m} -> {m.last_month:%Y-%m}:"]
    for label, group in (("rose", risers), ("fell", fallers)):
        for x in group:
            lines.append(f"  {label} {x.lineage:<24} {x.first_share * 100:5.1f} % -> {x.last_share * 100:5.1f} % "
                         f"({x.change_pp:+.1f} pp)")
    return lines


def alert_lines(alerts: list[dict[str, Any]] | None) -> list[str]:
    """The new lineage alerts as lines (``None``: no watchlist, so no monitor ran)."""
    if alerts is None:
        return ["lineage alerts: no watchlist (--watchlist FILE)"]
    lines = [f"lineage alerts: {len(alerts)} new"]
    lines += [f"  {a['first_seen']} {a['rule']:<16} {a['lineage']} {a['subject']} ({a['counts']['hosts']} hosts)"
              for a in alerts]
    return lines


@app.command("study")
def study_cmd(
    out: Annotated[Path, typer.Option("--out", help="data directory for the whole study (must be empty)")],
    hosts: Annotated[int | None, typer.Option("--hosts", help="Ollama hosts in the simulated world [default: 2000]")
                     ] = None,
    days: Annotated[int | None, typer.Option("--days", help="simulated days, one sweep per day [default: 14]")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="random seed [default: 7]")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="simulation parameter name=value")] = None,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress", help="progress bars: days, enrichment, metrics (default: when a TTY)")] = None,
    import_: Annotated[list[str] | None, typer.Option(
        "--import", help="start from a discovery export instead of a sweep: FORMAT:FILE (repeatable; formats of "
        "'llmcensus discover import')")] = None,
    watchlist: Annotated[Path | None, typer.Option(
        "--watchlist", help="lineage watchlist (TOML) to raise alerts from after the study (issue #18; default: none, "
        "or the plan's own with --param lineage_events=demo)")] = None,
    json_: JsonOpt = False,
) -> None:
    """Run the study on the simulated internet: serve, sweep, store each day; then enrich and report."""
    t0 = time.perf_counter()
    from rich.console import Console
    from rich.table import Table

    hosts, days, seed = pick(hosts, "study", "hosts", 2_000), pick(days, "study", "days", 14), pick(
        seed, "study", "seed", 7)
    if not json_:
        typer.echo(f"simulated study: {hosts:,} Ollama hosts x {days} days -> {out}")
    imports: list[tuple[str, list[Path]]] = []
    for item in import_ or []:
        fmt, sep, file = item.partition(":")
        if not sep or not file:
            raise UsageError(f"--import takes FORMAT:FILE, not {item!r}")
        imports.append((fmt, [Path(file)]))
    with progress_bar(show_progress(json_) if progress is None else progress and not json_) as bar:
        if bar is not None:
            bar("days", 0, days)
        result = api.study(out, hosts=hosts, days=days, seed=seed, params=param or [], imports=imports or None,
                           progress=bar, echo=None if json_ else typer.echo, watchlist=watchlist)
    assert result.enrich is not None and result.report is not None
    if json_:
        emit_json({**result.as_dict(), "truth": result.truth.get("all", {})})
        return
    typer.echo(summary_line(result.enrich))
    table = Table(title="Headline figures: this dataset vs the simulator's ground truth")
    for col in ("figure", "this dataset", "without flagged hosts", "ground truth"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for row in headline_rows(result.report.headline, result.truth):
        table.add_row(*row)
    Console().print(table)
    for line in mover_lines(result.risers, result.fallers) + alert_lines(result.alerts):
        typer.echo(line)
    total = time.perf_counter() - t0
    typer.echo(f"study done in {total:.0f} s; report: {result.report.out_dir / 'report.html'}")
    typer.echo(terminal(f"dashboard and HTTP API: llmcensus serve --data {out}  "
                        f"(then open http://{DEFAULT_HOST}:{DEFAULT_PORT}/)"))
