"""`llmcensus report` (thin: parse, call one library function, map errors)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus.analyze.registry import ParamValue
from llmcensus.errors import UsageError
from llmcensus.report.build import build_report
from llmcensus.store.derive import ViewParams

app = typer.Typer(no_args_is_help=True, help="report stage commands.")


def _params(items: list[str]) -> dict[str, ParamValue]:
    out: dict[str, ParamValue] = {}
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
    host_key: Annotated[str, typer.Option("--host-key", help="host identity: ip or ip_port")] = "ip",
    param: Annotated[
        list[str] | None, typer.Option("--param", help="override a query parameter: name=value (repeatable)")
    ] = None,
) -> None:
    """Compute every metric from raw observations and write the report."""
    summary = build_report(data, out, view_params=ViewParams(host_key=host_key), params=_params(param or []))
    hl = summary.headline
    typer.echo(
        f"{summary.metrics} metrics in {summary.seconds:.1f} s: "
        f"{hl['observations']['all']:,.0f} observations, {hl['unique_hosts']['all']:,.0f} hosts "
        f"({hl['unique_hosts']['unflagged']:,.0f} unflagged) -> {out / 'report.html'}"
    )
