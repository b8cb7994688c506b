"""`llmcensus discover` commands (thin: parse, call one library function, map errors)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json
from llmcensus.discover.formats import FORMATS, ParseIssue, get_format
from llmcensus.discover.optout import optout_path
from llmcensus.discover.sweep import OpenPort, sweep_to_candidates
from llmcensus.discover.sweepplan import DEFAULT_PORTS, SweepSettings, parse_ranges, plan_sweep
from llmcensus.errors import UsageError
from llmcensus.inert import terminal
from llmcensus.store.layout import Layout
from llmcensus.targets.blocklist import Blocklist
from llmcensus.targets.dialmap import read_dial_map
from llmcensus.targets.parse import excerpt

app = typer.Typer(no_args_is_help=True, help="Find candidates: import scan-engine exports, run connect sweeps.")

# Issues printed one per line; past this many only the count is shown (all are counted).
SHOWN_ISSUES = 50
_D = SweepSettings()
_DEFAULT_PORTS = ",".join(map(str, DEFAULT_PORTS))


def parse_ports(text: str | None) -> tuple[int, ...] | None:
    """``11434,80,8000-8010`` → ports; None stays None."""
    if text is None:
        return None
    ports: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            start, end = int(lo), int(hi or lo)
        except ValueError:
            raise UsageError(f"not a port or port range: {excerpt(part)}") from None
        if not 0 < start <= end < 65536:
            raise UsageError(f"port out of range: {excerpt(part)}")
        ports.extend(range(start, end + 1))
    if not ports:
        raise UsageError("no ports given")
    return tuple(dict.fromkeys(ports))


@app.command("import")
def import_cmd(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help=f"one of: {', '.join(sorted(FORMATS))}")],
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
    get_format(fmt)  # an unknown format fails before any file is opened
    shown = 0

    def on_issue(issue: ParseIssue) -> None:
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
        f"({summary.issue_count} malformed) in {len(summary.parts)} new part(s) under {Layout(data).candidates}"
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
    rate: Annotated[float, typer.Option("--rate", help="attempts per second overall (0 = unlimited)")] = _D.rate,
    per_host_rate: Annotated[float, typer.Option("--per-host-rate", help="attempts/s per address")] = _D.per_host_rate,
    concurrency: Annotated[int, typer.Option("--concurrency", help="attempts in flight")] = _D.concurrency,
    timeout: Annotated[float, typer.Option("--timeout", help="connect timeout, seconds")] = _D.connect_timeout,
    optout: Annotated[
        list[Path] | None, typer.Option("--optout", help="extra opt-out files (DATA/optout.txt is always read)")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of the visiting order")] = _D.seed,
    quiet: Annotated[bool, typer.Option("--quiet", help="do not print open ports as they are found")] = False,
    json_: JsonOpt = False,
) -> None:
    """TCP-connect sweep of CIDR... on --ports; open ports stream out and into the candidates dataset."""
    settings = SweepSettings(
        ports=parse_ports(ports) or DEFAULT_PORTS,
        rate=rate,
        per_host_rate=per_host_rate,
        concurrency=concurrency,
        connect_timeout=timeout,
        seed=seed,
    )
    ranges = parse_ranges(cidrs)
    blocklist = Blocklist.default([optout_path(data), *(optout or [])])
    routes = read_dial_map(dial_map) if dial_map is not None else None
    if routes is None and not live:
        raise UsageError("no --dial-map: pass --live to sweep real addresses (see docs/scanning-policy.md)")
    plan = plan_sweep(ranges, settings, blocklist, routes)
    if dry_run:
        if json_:
            emit_json({"dry_run": True, "plan": plan.lines()})
            return
        typer.echo("dry run: nothing will be contacted or written")
        for line in plan.lines():
            typer.echo(line)
        return

    def on_open(op: OpenPort) -> None:
        if not quiet and not json_:  # --json: the open ports are in the candidates dataset, not on stdout
            typer.echo(f"{op.ip}:{op.port}")

    stats, parts = asyncio.run(
        sweep_to_candidates(ranges, data, settings, blocklist=blocklist, dial_map=routes, live=live, on_open=on_open)
    )
    counts = ", ".join(f"{k} {v}" for k, v in stats.counts.items())
    rate_seen = stats.attempted / stats.elapsed if stats.elapsed else 0.0
    if json_:
        emit_json({"addresses": stats.addresses, "ports": list(settings.ports), "attempted": stats.attempted,
                   "seconds": round(stats.elapsed, 3), "counts": dict(stats.counts), "parts": [str(p) for p in parts]})
        return
    typer.echo(
        f"swept {stats.addresses} addresses × {len(settings.ports)} ports in {stats.elapsed:.1f} s "
        f"({rate_seen:.0f} attempts/s): {counts}; {len(parts)} new candidates part(s)",
        err=True,
    )
