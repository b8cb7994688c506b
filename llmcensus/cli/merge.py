"""`llmcensus merge SOURCE... --data DEST` (thin: parse, call ``llmcensus.api.merge``, print).

Registered by ``cli/main.py``; the command is ``merge`` on this module's ``app``. ``docs/sharding.md`` says how n
machines sweep one sweep and how their folders are merged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json
from llmcensus.inert import terminal

app = typer.Typer(no_args_is_help=True, help="Merge data folders (the shards of a sweep) into one.")


@app.command("merge")
def merge_cmd(
    sources: Annotated[list[str], typer.Argument(
        metavar="SOURCE...", help="data folders to copy from: local paths or URIs (s3://, gs://, hdfs://, file://)")],
    data: Annotated[Path, typer.Option("--data", help="data folder to merge into (created if missing)")] = Path(
        "data"),
    json_: JsonOpt = False,
) -> None:
    """Copy the committed observations, bodies, inventories, show data and sweep manifests of each SOURCE into
    --data, so that the shards of one sweep swept on n machines are one sweep there. Running it again copies nothing
    twice; a file already there with other bytes is an error, and then nothing is copied."""
    result = api.merge(sources, data)
    if json_:
        emit_json(result.as_dict())
        return
    typer.echo(terminal(f"merged {len(sources)} folder(s) into {result.dest}: {result.copied} files copied "
                        f"({result.bytes} bytes), {result.skipped} already there; sweeps: "
                        f"{', '.join(result.sweeps) or 'none'}"))
    if result.ignored:
        typer.echo(terminal(f"llmcensus: {len(result.ignored)} file(s) that are not data were left out, e.g. "
                            f"{result.ignored[0]}"), err=True)
