"""`llmcensus enrich` commands (thin: parse, call one API function, print its summary or ``--json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmcensus import api
from llmcensus.cli.options import JsonOpt, emit_json, pick, progress_bar, show_progress

if TYPE_CHECKING:
    from llmcensus.enrich.run import EnrichSummary

app = typer.Typer(no_args_is_help=True, help="Enrich observations: geo, ASN, network tier, lineage, capabilities.")


def summary_line(s: EnrichSummary) -> str:
    """The human summary of one enrichment (``--json`` prints ``EnrichSummary.as_dict()`` instead)."""
    new = "rebuilt" if s.rebuilt else "incremental"
    return (f"enriched {s.observations:,} observations in {s.seconds:.1f} s ({new}): {s.geo_new:,} new addresses "
            f"({s.geo_total:,} in all), {s.models_new:,} new models ({s.models_total:,}), {s.prompts:,} system "
            f"prompts in {s.prompt_clusters:,} clusters")


@app.command("run")
def run_cmd(
    data: Annotated[Path, typer.Option("--data", help="data directory holding observations/")],
    geo_mmdb: Annotated[
        Path | None, typer.Option("--geo-mmdb", help="MaxMind GeoLite2/GeoIP2 City .mmdb (overrides plevin)")
    ] = None,
    asn_mmdb: Annotated[
        Path | None, typer.Option("--asn-mmdb", help="MaxMind GeoLite2/GeoIP2 ASN .mmdb (overrides plevin)")
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="recompute every dataset, not only new keys")] = False,
    json_: JsonOpt = False,
) -> None:
    """Enrich observations into <data>/enrich/{geo,models,prompts}/ (incremental)."""
    with progress_bar(show_progress(json_)) as progress:
        summary = api.enrich(data, geo_mmdb=pick(geo_mmdb, "enrich", "geo_mmdb", None),
                             asn_mmdb=pick(asn_mmdb, "enrich", "asn_mmdb", None), rebuild=rebuild,
                             progress=progress)
    # Without --json the summary has always been this indented JSON (scripts and tests/test_enrich_run.py read
    # it); --json prints the same object on one line, like every other command.
    if json_:
        emit_json(summary.as_dict())
    else:
        typer.echo(json.dumps(summary.as_dict(), indent=2))


@app.command("lineage")
def lineage_cmd(
    name: Annotated[str, typer.Argument(help="model name as a host lists it, e.g. huihui_ai/qwen3-abliterated:8b")],
    digest: Annotated[str | None, typer.Option("--digest", help="manifest digest (64 hex or its first 12)")] = None,
    family: Annotated[str | None, typer.Option("--family", help="details.family as reported")] = None,
    parameter_size: Annotated[
        str | None, typer.Option("--parameter-size", help='details.parameter_size, e.g. "8.0B"')
    ] = None,
    license_head: Annotated[str | None, typer.Option("--license", help="first characters of the license")] = None,
) -> None:
    """Explain how one model name resolves to a lineage, lab and country."""
    out = api.explain_lineage(name, digest, family=family, parameter_size=parameter_size,
                              license_head=license_head)
    typer.echo(json.dumps(out, indent=2))  # ensure_ascii (the default) escapes controls, C1 and bidi: inert
