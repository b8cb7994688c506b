"""`llmcensus report` (thin: parse, call ``llmcensus.api.report``, print its summary or ``--json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json, pick, progress_bar, section, show_progress
from llmcensus.errors import UsageError

app = typer.Typer(no_args_is_help=True, help="Compute every metric and write the report.")


def _params(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param takes name=value, not {item!r}")
        out[key.strip()] = value.strip()
    return out


@app.command("report")
def report_cmd(
    data: Annotated[Path, typer.Option("--data", help="data folder (observations/ and enrich/ inside)")],
    out: Annotated[Path, typer.Option("--out", help="folder for report.html, report.md, metrics.json, tables/")],
    host_key: Annotated[str | None, typer.Option("--host-key", help="host identity: ip or ip_port [default: ip]")
                        ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="override a query parameter: name=value (repeatable)")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb, or spark: the same metrics on Apache Spark "
                                                         "(needs the spark extra and Java; docs/spark.md)")] = "duckdb",
    master: Annotated[str | None, typer.Option("--master", help="Spark master with --engine spark "
                                                                "[default: local[*]]")] = None,
    spark_conf: Annotated[
        list[str] | None,
        typer.Option("--spark-conf", help="a Spark setting with --engine spark: key=value (repeatable)"),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Bring the store up to date (only new observation files are read), compute every metric and write the report."""
    params = {**section("report").get("params", {}), **_params(param or [])}
    with progress_bar(show_progress(json_)) as progress:
        summary = api.report(data, out, host_key=pick(host_key, "report", "host_key", "ip"), params=params,
                             progress=progress, engine=engine, master=master, spark_conf=spark_conf)
    if json_:
        emit_json({"out_dir": str(summary.out_dir), "metrics": summary.metrics, "seconds": round(summary.seconds, 3),
                   "analyze_seconds": round(summary.analyze_seconds, 3), "headline": summary.headline,
                   "files": [str(f) for f in summary.files]})
        return
    hl = summary.headline
    typer.echo(
        f"{summary.metrics} metrics in {summary.seconds:.1f} s: "
        f"{hl['observations']['all']:,.0f} observations, {hl['unique_hosts']['all']:,.0f} hosts "
        f"({hl['unique_hosts']['unflagged']:,.0f} unflagged) -> {out / 'report.html'}"
    )
