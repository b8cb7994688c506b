"""``llmcensus simulate`` commands: build, serve and inspect the simulated internet."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from llmcensus.errors import SimulationError
from llmcensus.simulate.params import Params, param_table, with_overrides
from llmcensus.store.layout import Layout

app = typer.Typer(no_args_is_help=True, help="Build, serve and inspect the simulated internet.")

HostsOpt = Annotated[int, typer.Option("--hosts", help="Ollama hosts (distinct addresses).")]
DaysOpt = Annotated[int, typer.Option("--days", help="Days in the study window.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (same seed -> identical world).")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="Override a parameter: name=value (JSON).")]


def _params(hosts: int, days: int, seed: int, overrides: list[str] | None) -> Params:
    return with_overrides(Params(hosts=hosts, days=days, seed=seed), overrides or [])


@app.command("params")
def params_cmd() -> None:
    """List every simulation parameter with its default and the study figure it comes from."""
    for name, default, help_text, source in param_table():
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
    from llmcensus.simulate.truth import write_truth
    from llmcensus.simulate.world import build_world

    p = _params(hosts, days, seed, param)
    t0 = time.perf_counter()
    world = build_world(p)
    path = write_truth(world, out)
    typer.echo(f"world: {world.hosts.n_ollama} Ollama hosts + {world.hosts.n - world.hosts.n_ollama} other targets, "
               f"{world.inventory.n} model instances, {p.days} days ({time.perf_counter() - t0:.1f} s)")
    typer.echo(f"ground truth: {path}")


@app.command("observations")
def observations_cmd(
    out: Annotated[Path, typer.Option("--out", help="Data directory (observations/ and truth/ are written).")],
    hosts: HostsOpt = 2_000,
    days: DaysOpt = 14,
    seed: SeedOpt = 7,
    param: ParamOpt = None,
) -> None:
    """Fast path: write a whole study's observations directly (no HTTP), in the probe's schema."""
    from llmcensus.simulate.fastpath import write_fastpath
    from llmcensus.simulate.truth import write_truth
    from llmcensus.simulate.world import build_world

    p = _params(hosts, days, seed, param)
    if Layout(out).has_observations():
        raise SimulationError(f"{Layout(out).observations} already holds data; choose an empty --out")
    t0 = time.perf_counter()
    world = build_world(p)
    typer.echo(f"world built in {time.perf_counter() - t0:.1f} s")
    summary = write_fastpath(world, out)
    write_truth(world, out)
    typer.echo(f"{summary.observations:,} observations ({summary.successes:,} successful) over {summary.days} days "
               f"in {summary.seconds:.1f} s -> {out}/observations")


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
    from llmcensus.simulate.serve import FleetServer
    from llmcensus.simulate.wire import respond
    from llmcensus.simulate.world import SimClock, build_world

    p = _params(hosts, days, seed, param)
    if not 0 <= day < p.days:
        raise SimulationError(f"--day must be within 0..{p.days - 1}")
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(p)

    async def run() -> None:
        server = FleetServer(respond, clock_ns=SimClock(p.start.isoformat(), day))
        t0 = time.perf_counter()
        await server.start(world.views(day))
        current = day
        server.write_dial_map(out / "dialmap.csv")
        typer.echo(f"serving day {current} ({world.date_of(current)}): {server.listener_count} listeners on loopback, "
                   f"ready in {time.perf_counter() - t0:.1f} s; dial map {out / 'dialmap.csv'}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration if duration > 0 else None
        try:
            while True:
                if deadline is not None:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    await asyncio.sleep(min(remaining, 0.5))
                    continue
                line = await loop.run_in_executor(None, sys.stdin.readline)
                cmd = line.strip().split()
                if not line or (cmd and cmd[0] == "quit"):
                    break
                if cmd and cmd[0] in ("next", "day"):
                    target = current + 1 if cmd[0] == "next" else int(cmd[1])
                    if not 0 <= target < p.days:
                        typer.echo(f"day must be within 0..{p.days - 1}", err=True)
                        continue
                    current = target
                    server.clock_ns = SimClock(p.start.isoformat(), current)
                    await server.set_views(world.views(current))
                    server.write_dial_map(out / "dialmap.csv")
                    typer.echo(f"serving day {current} ({world.date_of(current)}): {server.listener_count} listeners")
        finally:
            server.request_log.write_parquet(out / "requests.parquet")
            await server.stop()
            typer.echo(f"requests served: {server.request_log.count_by()}; log {out / 'requests.parquet'}")

    asyncio.run(run())


@app.command("truth")
def truth_cmd(data: Annotated[Path, typer.Option("--data", help="Data directory holding truth/.")]) -> None:
    """Print the expected headline figures of a built world."""
    path = Layout(data).truth / "metrics.json"
    if not path.exists():
        raise SimulationError(f"no ground truth at {path}; run 'llmcensus simulate build' first")
    metrics = json.loads(path.read_text())
    for key, value in metrics["all"].items():
        if not isinstance(value, dict | list):
            typer.echo(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")


@app.command("build-pool")
def build_pool_cmd(out: Annotated[Path, typer.Option("--out", help="Parquet file to write.")]) -> None:
    """Maintenance: rebuild the address pool from the installed plevin database (~1 min)."""
    from llmcensus.simulate.geopool import build_pool

    n = build_pool(out)
    typer.echo(f"{n} blocks written to {out}")
