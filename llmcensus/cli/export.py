"""`llmcensus export --data DIR --out DIR2` (thin: parse, call ``llmcensus.api.export``, print).

Registered by ``cli/main.py``; the command is ``export`` on this module's ``app``. ``docs/dashboard.md``, "Sharing
data", says what the copy holds and what it leaves out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json, progress_bar, show_progress
from llmcensus.inert import terminal

app = typer.Typer(no_args_is_help=True, help="A pseudonymised copy of the observations, for sharing.")


@app.command("export")
def export_cmd(
    data: Annotated[Path, typer.Option("--data", help="data folder (read; its pseudonym key is created if missing)")],
    out: Annotated[Path, typer.Option("--out", help="new or empty folder to write the copy to")],
    since: Annotated[str | None, typer.Option("--since", help="first UTC day YYYY-MM-DD [default: the first]")
                     ] = None,
    until: Annotated[str | None, typer.Option("--until", help="last UTC day YYYY-MM-DD [default: the last]")
                     ] = None,
    raw_addresses: Annotated[bool, typer.Option(
        "--raw-addresses", help="keep the real addresses (never for anything you publish or share)")] = False,
    json_: JsonOpt = False,
) -> None:
    """Copy the observations (same layout: pandas, pyarrow and DuckDB load it as-is) with every address replaced by
    its pseudonym (the dashboard's), without raw reply bodies; manifest.json and README.txt say what was done."""
    with progress_bar(show_progress(json_)) as progress:
        result = api.export(data, out, since=since, until=until, raw_addresses=raw_addresses, progress=progress)
    if json_:
        emit_json(result.as_dict())
        return
    what = "RAW ADDRESSES: do not share" if raw_addresses else "addresses pseudonymised"
    typer.echo(terminal(f"{result.observations} observations of {len(result.days)} days in {result.parts} parts "
                        f"-> {result.out} ({what})"))
