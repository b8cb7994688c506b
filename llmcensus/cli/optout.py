"""`llmcensus optout` commands: the opt-out list every stage honours (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.inert import terminal

app = typer.Typer(no_args_is_help=True,
                  help="The opt-out list: networks whose operators asked not to be scanned (DATA/optout.txt).")


@app.command("add")
def add_cmd(
    cidr: Annotated[str, typer.Argument(metavar="CIDR", help="network or address, e.g. 198.51.100.0/24")],
    data: Annotated[Path, typer.Option("--data", help="data directory")],
    reason: Annotated[str, typer.Option("--reason", help="who asked and how (kept as a comment)")] = "",
) -> None:
    """Add CIDR to the opt-out list (already covered networks are left alone)."""
    network, added = api.optout_add(data, cidr, reason)
    if added:
        typer.echo(f"added {network} to {api.data_layout(data).optout}")
    else:
        typer.echo(f"already covered by {network}")


@app.command("remove")
def remove_cmd(
    cidr: Annotated[str, typer.Argument(metavar="CIDR")],
    data: Annotated[Path, typer.Option("--data", help="data directory")],
) -> None:
    """Remove exactly CIDR from the opt-out list."""
    if api.optout_remove(data, cidr):
        typer.echo(f"removed {cidr}")
    else:
        typer.echo(f"{cidr} is not on the opt-out list", err=True)
        raise typer.Exit(1)


@app.command("list")
def list_cmd(data: Annotated[Path, typer.Option("--data", help="data directory")]) -> None:
    """Print the opt-out list, one network per line."""
    for line in api.optout_list(data):
        typer.echo(terminal(line))
