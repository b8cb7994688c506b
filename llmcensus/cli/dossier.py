"""`llmcensus dossier LINEAGE` (thin: parse, call ``llmcensus.api.dossier``, print its summary).

Registered by ``cli/main.py``; the command is ``dossier`` on this module's ``app``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json, pick, show_progress, spinner
from llmcensus.inert import terminal

app = typer.Typer(no_args_is_help=True, help="Lineage dossiers: one HTML page per model lineage.")


@app.command("dossier")
def dossier_cmd(
    lineage: Annotated[str, typer.Argument(help="lineage name as the catalogue spells it (e.g. llama3.1)")],
    data: Annotated[Path, typer.Option("--data", help="data folder (observations/ and enrich/ inside)")],
    out: Annotated[Path | None, typer.Option("--out", help="HTML file to write [default: "
                                             "<data>/report/dossiers/<lineage>.html]")] = None,
    host_key: Annotated[str | None, typer.Option("--host-key", help="host identity: ip or ip_port [default: ip]")
                        ] = None,
    json_: JsonOpt = False,
) -> None:
    """Write one lineage's dossier: adoption over time, derivatives, geography, runtimes, risk profile, alerts."""
    with spinner("writing the dossier", show_progress(json_)):
        summary = api.dossier(lineage, data, out, host_key=pick(host_key, "report", "host_key", "ip"))
    if json_:
        emit_json(summary.as_dict())
        return
    typer.echo(terminal(f"{summary.lineage}: {summary.hosts_ever:,} hosts ever, {summary.alerts} alerts "
                        f"-> {summary.path}"))  # fmt: skip
