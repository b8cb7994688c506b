"""`llmcensus serve --data DIR` (thin: parse, call ``llmcensus.api.serve``).

Registered by ``cli/main.py``; the command is ``serve`` on this module's ``app``. The token is never an option: a
command line is visible to every user of the machine (``docs/dashboard.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.api_serve import DEFAULT_HOST, DEFAULT_PORT
from llmcensus.cli.options import pick
from llmcensus.inert import terminal

app = typer.Typer(no_args_is_help=True, help="The dashboard and HTTP API over the store.")


@app.command("serve")
def serve_cmd(
    data: Annotated[Path, typer.Option("--data", help="data folder (its store is read, never written)")],
    host: Annotated[str, typer.Option("--host", help="address to listen on; anything but loopback needs a token")
                    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="TCP port")] = DEFAULT_PORT,
    token_file: Annotated[Path | None, typer.Option(
        "--token-file", help="file whose first line is the token every request must send (Authorization: Bearer); "
        "else $LLMCENSUS_TOKEN")] = None,
    raw_addresses: Annotated[bool, typer.Option(
        "--raw-addresses", help="show real addresses instead of pseudonyms (never for anything you publish)")] = False,
    host_key: Annotated[str | None, typer.Option("--host-key", help="host identity: ip or ip_port [default: ip]")
                        ] = None,
) -> None:
    """Serve the dashboard (overview, metrics, lineage dossiers, alerts, hosts) and the JSON API until Ctrl+C."""
    token = api.serve_token(host, token_file)  # the bind rule first: refuse before loading anything
    where = f"http://{host}:{port}/" if ":" not in host else f"http://[{host}]:{port}/"
    typer.echo(terminal(f"llmcensus: serving {data} on {where} (addresses "
                        f"{'raw' if raw_addresses else 'pseudonymised'}{', token required' if token else ''}); "
                        "Ctrl+C stops"), err=True)  # fmt: skip
    api.serve(data, host=host, port=port, token_file=token_file, raw_addresses=raw_addresses,
              host_key=pick(host_key, "report", "host_key", "ip"))
