"""`llmcensus discover` commands (thin: parse, call one library function, map errors)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json, progress_bar, show_progress
from llmcensus.inert import terminal

if TYPE_CHECKING:
    from llmcensus.discover.sweep import OpenPort

app = typer.Typer(no_args_is_help=True, help="Find candidates: import scan-engine exports, run connect sweeps.")

# Issues printed one per line; past this many only the count is shown (all are counted).
SHOWN_ISSUES = 50
_D = api.sweep_defaults()
_DEFAULT_PORTS = ",".join(map(str, _D["ports"]))
parse_ports = api.parse_port_ranges  # ``11434,80,8000-8010`` -> ports (the name tests and scripts know)


@app.command("import")
def import_cmd(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help=f"one of: {', '.join(api.discovery_formats())}")],
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="export files of that format")],
    data: Annotated[Path, typer.Option("--data", help="data directory (candidates go to DATA/candidates)")],
    ports: Annotated[
        str | None, typer.Option("--ports", help="ports for address-only inputs (list, zmap without sport)")
    ] = None,
    cidr_cap: Annotated[int, typer.Option("--cidr-cap", help="largest CIDR a plain list may expand")] = 65536,
    json_: JsonOpt = False,
) -> None:
    """Import FILEs of FORMAT into the candidates dataset (malformed records are reported and skipped).

    A missing FILE, or an import in which every record is malformed, is an error and writes nothing."""
    shown = 0  # an unknown format fails in the API before any file is opened

    def on_issue(issue: Any) -> None:
        nonlocal shown
        if shown < SHOWN_ISSUES:
            typer.echo(terminal(f"llmcensus: skipped: {issue}"), err=True)
        shown += 1

    summary = api.import_candidates(fmt, files, data, ports=parse_ports(ports), cidr_cap=cidr_cap, on_issue=on_issue)
    hidden = summary.issue_count - min(shown, SHOWN_ISSUES)  # issues held before the first candidate included
    if hidden > 0:
        typer.echo(f"llmcensus: … {hidden} more skipped records", err=True)
    if json_:
        emit_json({"format": summary.format, "candidates": summary.candidates, "records": summary.records,
                   "malformed": summary.issue_count, "parts": [str(p) for p in summary.parts],
                   "files": [{"path": f.path, "candidates": f.records, "malformed": f.issues} for f in summary.files]})
        return
    for f in summary.files:
        typer.echo(f"{f.path}: {f.records} candidates, {f.issues} malformed")
    typer.echo(
        f"{summary.format}: {summary.candidates} distinct candidates from {summary.records} records "
        f"({summary.issue_count} malformed) in {len(summary.parts)} new part(s) under "
        f"{api.data_layout(data).candidates}"
    )


@app.command("sweep")
def sweep_cmd(
    cidrs: Annotated[list[str], typer.Argument(metavar="CIDR...", help="ranges to sweep")],
    data: Annotated[Path, typer.Option("--data", help="data directory (open ports go to DATA/candidates)")],
    ports: Annotated[str, typer.Option("--ports", help="ports, e.g. 11434,80,8000-8010")] = _DEFAULT_PORTS,
    dial_map: Annotated[
        Path | None, typer.Option("--dial-map", help="simulation: connect through this dial map")
    ] = None,
    live: Annotated[bool, typer.Option("--live", help="no dial map: connect to the real addresses")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be touched and touch nothing")] = False,
    rate: Annotated[float, typer.Option("--rate", help="attempts per second overall (0 = unlimited)")] = _D["rate"],
    per_host_rate: Annotated[float, typer.Option("--per-host-rate", help="attempts/s per address")
                             ] = _D["per_host_rate"],
    concurrency: Annotated[int, typer.Option("--concurrency", help="attempts in flight")] = _D["concurrency"],
    timeout: Annotated[float, typer.Option("--timeout", help="connect timeout, seconds")] = _D["connect_timeout"],
    optout: Annotated[
        list[Path] | None, typer.Option("--optout", help="extra opt-out files (DATA/optout.txt is always read)")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of the visiting order")] = _D["seed"],
    quiet: Annotated[bool, typer.Option("--quiet", help="do not print open ports as they are found")] = False,
    json_: JsonOpt = False,
) -> None:
    """TCP-connect sweep of CIDR... on --ports; open ports stream out and into the candidates dataset."""
    settings = {"rate": rate, "per_host_rate": per_host_rate, "concurrency": concurrency,
                "connect_timeout": timeout, "seed": seed}

    def on_open(op: OpenPort) -> None:
        if not quiet and not json_:  # --json: the open ports are in the candidates dataset, not on stdout
            typer.echo(f"{op.ip}:{op.port}")

    with progress_bar(show_progress(json_) and not dry_run) as progress:
        result = api.sweep(cidrs, data, ports=ports, dial_map=dial_map, live=live, dry_run=dry_run, settings=settings,
                           optout=optout or [], on_open=on_open, progress=progress)
    if json_:
        emit_json(result.as_dict())
        return
    if result.dry_run:
        typer.echo("dry run: nothing will be contacted or written")
        for line in result.plan:
            typer.echo(line)
        return
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    rate_seen = result.attempted / result.seconds if result.seconds else 0.0
    typer.echo(
        f"swept {result.addresses} addresses × {len(result.ports)} ports in {result.seconds:.1f} s "
        f"({rate_seen:.0f} attempts/s): {counts}; {len(result.parts)} new candidates part(s)",
        err=True,
    )
