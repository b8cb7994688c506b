"""``llmcensus store``: bring the store up to date, rebuild it, read its events (thin: parse, call, print)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import orjson
import typer

from llmcensus.datalock import writer_lock
from llmcensus.errors import UsageError
from llmcensus.inert import inert_json, terminal
from llmcensus.store.relations import read_events, update

app = typer.Typer(no_args_is_help=True, help="The store: persisted relations and events of a data folder.")

DataOpt = Annotated[Path, typer.Option("--data", help="data folder")]
HostKeyOpt = Annotated[str, typer.Option("--host-key", help="host identity: ip or ip_port")]


@app.command("update")
def update_cmd(
    data: DataOpt,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="rebuild from every observation file")] = False,
    host_key: HostKeyOpt = "ip",
) -> None:
    """Fold observation files not folded yet into the store (or rebuild it) and derive their events."""
    if not data.is_dir():
        raise UsageError(f"no data folder {data}")
    with writer_lock(data, "llmcensus store update"):
        s = update(data, host_key, rebuild=rebuild)
    typer.echo(f"store {'rebuilt' if s.rebuilt else 'updated'}: {s.files} files, {s.visits:,} visits, "
               f"{s.events} new events in {s.seconds:.1f} s")  # fmt: skip


@app.command("events")
def events_cmd(
    data: DataOpt,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="only these kinds (repeatable)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="from this UTC day on (YYYY-MM-DD)")] = None,
    limit: Annotated[int, typer.Option("--limit", help="at most this many, newest first")] = 100,
    host_key: HostKeyOpt = "ip",
    json_: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
) -> None:
    """Print the store's events (first seen, model added/removed/updated, version, auth and runtime changes)."""
    try:
        first = date.fromisoformat(since) if since else None
    except ValueError:
        raise UsageError(f"--since takes a day YYYY-MM-DD, not {since!r}") from None
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    rows = read_events(data, host_key, kinds=kind or None, since=first, limit=limit)
    for row in rows:
        if json_:
            typer.echo(orjson.dumps(inert_json(row), default=str).decode())
            continue
        was = f" (was {row['previous']})" if row["previous"] else ""
        typer.echo(terminal(f"{row['day']} {row['kind']:<17} {row['ip']}:{row['port']} {row['runtime'] or '-'} "
                            f"{row['subject'] or ''}{was}"))
