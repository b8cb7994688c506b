"""``llmcensus security``: the notification export for coordinated disclosure (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import pick, show_progress, spinner

app = typer.Typer(no_args_is_help=True, help="Security intelligence: notification exports for CERTs.")


@app.command("export")
def export_cmd(
    data: Annotated[Path, typer.Option("--data", help="data folder")],
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help="one of csv, json")] = "csv",
    addresses: Annotated[bool, typer.Option(
        "--addresses", help="write raw IP addresses (default: the dashboard's pseudonyms; only for the CERT you "
        "send it to)"
    )] = False,
    key_file: Annotated[Path | None, typer.Option(
        "--key-file", help="a 32-byte key for the pseudonyms instead of the data folder's (unlinkable to the "
        "dashboard's) [default: DATA/pseudonym.key]"
    )] = None,
    host_key: Annotated[str | None, typer.Option(
        "--host-key", help="host identity: ip or ip_port [default: ip]"
    )] = None,
) -> None:
    """Per network (ASN, organisation): the open endpoints on a version affected by an unauthenticated, remotely
    reachable advisory (docs/security.md)."""
    with spinner("reading the store", show_progress(False)):
        export = api.notification_export(data, out, fmt=fmt, addresses=addresses, key_file=key_file,
                                         host_key=pick(host_key, "store", "host_key", "ip"))
    typer.echo(f"{export.endpoints} endpoints in {export.networks} networks -> {export.path}"
               f" ({'raw addresses' if addresses else 'pseudonymised addresses'})")
