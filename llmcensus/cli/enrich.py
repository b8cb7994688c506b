"""`llmcensus enrich` commands (thin: parse, call one library function, map errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from llmcensus.enrich.attributes import param_band, param_billions
from llmcensus.enrich.guardrails import name_marker
from llmcensus.enrich.lineage import resolve
from llmcensus.enrich.run import enrich

app = typer.Typer(no_args_is_help=True, help="enrich stage commands.")


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
) -> None:
    """Enrich observations into <data>/enrich/{geo,models,prompts}/ (incremental)."""
    summary = enrich(data, geo_mmdb=geo_mmdb, asn_mmdb=asn_mmdb, rebuild=rebuild)
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
    res = resolve(name, digest, family=family, parameter_size=parameter_size, license_head=license_head)
    p = res.parsed
    billions = param_billions(parameter_size)
    out = {
        "name": name,
        "parsed": {"registry": p.registry, "namespace": p.namespace, "model": p.model, "tag": p.tag,
                   "digest": p.digest, "is_hf": p.is_hf, "valid": p.valid},
        "lineage": res.lineage,
        "confidence": res.confidence,
        "evidence": list(res.evidence),
        "reason": res.reason,
        "lab": res.lab,
        "lab_country": res.lab_country,
        "is_official": res.is_official,
        "is_derivative": res.is_derivative,
        "derivative_kind": res.derivative_kind,
        "is_cloud": res.is_cloud,
        "upstream_lineage": res.upstream,
        "param_band": param_band(billions),
        "name_marker": name_marker(name),
    }
    typer.echo(json.dumps(out, indent=2))  # ensure_ascii (the default) escapes controls, C1 and bidi: inert
