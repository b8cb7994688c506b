"""``llmcensus store``: bring the store up to date, rebuild it, read its events (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json, pick, progress_bar, show_progress
from llmcensus.inert import inert_json, terminal

app = typer.Typer(no_args_is_help=True, help="The store: persisted relations and events of a data folder.")

DataOpt = Annotated[Path, typer.Option("--data", help="data folder")]
HostKeyOpt = Annotated[str | None, typer.Option("--host-key", help="host identity: ip or ip_port [default: ip]")]


@app.command("update")
def update_cmd(
    data: DataOpt,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="rebuild from every observation file")] = False,
    watchlist: Annotated[Path | None, typer.Option("--watchlist", help="lineages to watch (TOML; default "
                                                   "<data>/watchlist.toml): alerts after the update")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST each new alert (JSON) to this URL")] = None,
    host_key: HostKeyOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Fold observation files not folded yet into the store (or rebuild it) and derive their events."""
    with progress_bar(show_progress(json_)) as progress:
        s = api.store_update(data, host_key=pick(host_key, "store", "host_key", "ip"), rebuild=rebuild,
                             progress=progress)
    alerts = api.check_alerts(data, watchlist=watchlist, webhook=webhook)
    if json_:
        emit_json({**s.as_dict(), **({"monitor": alerts.as_dict()} if alerts else {})})
        return
    typer.echo(f"store {'rebuilt' if s.rebuilt else 'updated'}: {s.files} files, {s.visits:,} visits, "
               f"{s.events} new events in {s.seconds:.1f} s")  # fmt: skip
    if alerts is not None:
        path = api.data_layout(data).monitor / "alerts.jsonl"
        typer.echo(f"{len(alerts.new)} new alerts ({alerts.total} in all) -> {path}")
        for a in alerts.new:
            typer.echo(terminal(f"  {a['first_seen']} {a['rule']} [{a['watch']}] {a['lineage']}: {a['subject']}"))


@app.command("alerts")
def alerts_cmd(
    data: DataOpt,
    json_: Annotated[bool, typer.Option("--json", help="JSON lines (one alert per line) instead of a table")] = False,
) -> None:
    """Print the lineage alerts raised so far (see docs/lineage.md, "Watchlists and alerts")."""
    for a in api.alerts(data):
        if json_:
            typer.echo(orjson.dumps(inert_json(a)).decode())
        else:
            typer.echo(terminal(f"{a['first_seen']} {a['rule']:<17} [{a['watch']}] {a['lineage']}: {a['subject']} "
                                f"({a['counts']['hosts']} hosts)"))


@app.command("events")
def events_cmd(
    data: DataOpt,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="only these kinds (repeatable)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="from this UTC day on (YYYY-MM-DD)")] = None,
    limit: Annotated[int, typer.Option("--limit", help="at most this many, newest first")] = 100,
    host_key: HostKeyOpt = None,
    json_: Annotated[bool, typer.Option("--json", help="JSON lines (one event per line) instead of a table")] = False,
) -> None:
    """Print the store's events (first seen, model added/removed/updated, version, auth and runtime changes)."""
    rows = api.events(data, kinds=kind or None, since=since, limit=limit,
                      host_key=pick(host_key, "store", "host_key", "ip"))
    for row in rows:
        if json_:
            typer.echo(orjson.dumps(inert_json(row), default=str).decode())
            continue
        was = f" (was {row['previous']})" if row["previous"] else ""
        typer.echo(terminal(f"{row['day']} {row['kind']:<17} {row['ip']}:{row['port']} {row['runtime'] or '-'} "
                            f"{row['subject'] or ''}{was}"))
