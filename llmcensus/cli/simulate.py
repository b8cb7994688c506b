"""``llmcensus simulate`` commands: build, serve and inspect the simulated internet (thin: parse, call
``llmcensus.api``, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json, progress_bar, show_progress

app = typer.Typer(no_args_is_help=True, help="Build, serve and inspect the simulated internet.")

HostsOpt = Annotated[int, typer.Option("--hosts", help="Ollama hosts (distinct addresses).")]
DaysOpt = Annotated[int, typer.Option("--days", help="Days in the study window.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (same seed -> identical world).")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="Override a parameter: name=value (JSON).")]


@app.command("params")
def params_cmd() -> None:
    """List every simulation parameter with its default and the study figure it comes from."""
    for name, default, help_text, source in api.simulate_params():
        typer.echo(f"{name} = {default}\n    {help_text}\n    source: {source}")


@app.command("build")
def build_cmd(
    out: Annotated[Path, typer.Option("--out", help="Directory for the ground truth (truth/).")],
    hosts: HostsOpt = 2_000,
    days: DaysOpt = 14,
    seed: SeedOpt = 7,
    param: ParamOpt = None,
) -> None:
    """Build a world and write its ground truth (hosts, inventories, expected metrics)."""
    w = api.simulate_world(out, hosts=hosts, days=days, seed=seed, params=param or [])
    typer.echo(f"world: {w.ollama_hosts} Ollama hosts + {w.other_targets} other targets, {w.model_instances} model "
               f"instances, {w.days} days ({w.build_seconds:.1f} s)")
    typer.echo(f"ground truth: {w.truth}")


@app.command("observations")
def observations_cmd(
    out: Annotated[Path, typer.Option("--out", help="Data directory (observations/ and truth/ are written).")],
    hosts: HostsOpt = 2_000,
    days: DaysOpt = 14,
    seed: SeedOpt = 7,
    param: ParamOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Fast path: write a whole study's observations directly (no HTTP), in the probe's schema."""
    with progress_bar(show_progress(json_)) as progress:
        w = api.simulate_observations(out, hosts=hosts, days=days, seed=seed, params=param or [], progress=progress)
    if json_:
        emit_json(w.as_dict())
        return
    typer.echo(f"world built in {w.build_seconds:.1f} s")
    typer.echo(f"{w.observations:,} observations ({w.successes:,} successful) over {w.days} days "
               f"in {w.write_seconds:.1f} s -> {out}/observations")


@app.command("serve")
def serve_cmd(
    out: Annotated[Path, typer.Option("--out", help="Where the dial map and request log are written.")],
    hosts: HostsOpt = 2_000,
    days: DaysOpt = 14,
    seed: SeedOpt = 7,
    day: Annotated[int, typer.Option("--day", help="Simulated day to serve first.")] = 0,
    duration: Annotated[float, typer.Option("--duration", help="Seconds to serve (0 = until 'quit' on stdin).")] = 0,
    param: ParamOpt = None,
) -> None:
    """Serve the fleet of one simulated day on loopback; type 'next', 'day N' or 'quit' on stdin."""
    served = api.simulate_serve(out, hosts=hosts, days=days, seed=seed, params=param or [], day=day,
                                duration=duration, echo=typer.echo)
    typer.echo(f"requests served: {served}; log {out / 'requests.parquet'}")


@app.command("truth")
def truth_cmd(data: Annotated[Path, typer.Option("--data", help="Data directory holding truth/.")]) -> None:
    """Print the expected headline figures of a built world."""
    for key, value in api.simulate_truth(data).items():
        if not isinstance(value, dict | list):
            typer.echo(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")


@app.command("build-pool")
def build_pool_cmd(out: Annotated[Path, typer.Option("--out", help="Parquet file to write.")]) -> None:
    """Maintenance: rebuild the address pool from the installed plevin database (~1 min)."""
    n = api.build_address_pool(out)
    typer.echo(f"{n} blocks written to {out}")
