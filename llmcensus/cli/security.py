"""``llmcensus security``: the notification export for coordinated disclosure (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus.analyze.notify import FORMATS, export_notifications, write_export
from llmcensus.cli.options import pick
from llmcensus.errors import InputError

app = typer.Typer(no_args_is_help=True, help="Security intelligence: notification exports for CERTs.")


@app.command("export")
def export_cmd(
    data: Annotated[Path, typer.Option("--data", help="data folder")],
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help=f"one of {', '.join(FORMATS)}")] = "csv",
    addresses: Annotated[bool, typer.Option(
        "--addresses", help="write raw IP addresses (default: keyed pseudonyms; only for the CERT you send it to)"
    )] = False,
    key_file: Annotated[Path | None, typer.Option(
        "--key-file", help="secret for the pseudonyms (same key: same pseudonyms across exports) [default: random]"
    )] = None,
    host_key: Annotated[str | None, typer.Option(
        "--host-key", help="host identity: ip or ip_port [default: ip]"
    )] = None,
) -> None:
    """Per network (ASN, organisation): the open endpoints on a version affected by an unauthenticated, remotely
    reachable advisory (docs/security.md)."""
    key = None
    if key_file is not None:
        try:
            key = key_file.read_bytes()
        except OSError as exc:
            raise InputError(f"{key_file}: cannot read the key file: {exc.strerror}") from exc
        if len(key) < 16:
            raise InputError(f"{key_file}: a pseudonym key needs at least 16 bytes")
    export = export_notifications(data, addresses=addresses, key=key,
                                  host_key=pick(host_key, "store", "host_key", "ip"))
    path = write_export(export, out, fmt)
    nets = len(export.networks())
    typer.echo(f"{len(export.rows)} endpoints in {nets} networks -> {path}"
               f" ({'raw addresses' if addresses else 'pseudonymised addresses'})")
