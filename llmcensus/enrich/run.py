"""``enrich(data_dir)``: observations -> ``<data>/enrich/{geo,models,prompts}/part-*.parquet``.

Reads the observations dataset with DuckDB, computes each answer once per *distinct key* and
writes new Parquet part files (temporary name, then ``os.replace``); observations are never
touched. Re-running:

* ``geo`` and ``models`` are **incremental**: only keys not yet enriched are computed and written
  as a new part file. Their answers depend only on the key and the bundled reference data.
* ``prompts`` is **rebuilt** every run, because near-duplicate clusters and host counts depend on
  every prompt seen; the new directory replaces the old one by rename.
* ``<data>/enrich/manifest.json`` records the enrichment schema version, a fingerprint of the
  reference data (catalog, rules, tiers, library) and the geo source. When any of them changes,
  or ``rebuild=True``, every dataset is rebuilt from scratch.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.datalock import writer_lock
from llmcensus.enrich.attributes import param_band, param_billions, quant_bits, quant_from_tag
from llmcensus.enrich.geo import GeoLookup, lookup_many
from llmcensus.enrich.guardrails import cluster_prompts, label_prompt, name_marker, prompt_sha
from llmcensus.enrich.lineage import CONFIDENCE, resolve
from llmcensus.enrich.schema import ENRICH_SCHEMA_VERSION, GEO_SCHEMA, MODELS_SCHEMA, PROMPTS_SCHEMA
from llmcensus.errors import DataError
from llmcensus.observations.inventories import create_view
from llmcensus.observations.reader import check_parts
from llmcensus.reference.catalog import catalog_fingerprint, digest_index, lineages
from llmcensus.store.db import connect, quote
from llmcensus.store.layout import Layout


@dataclass(frozen=True, slots=True)
class EnrichSummary:
    observations: int
    geo_new: int
    geo_total: int
    models_new: int
    models_total: int
    prompts: int
    prompt_clusters: int
    rebuilt: bool
    plevin_lookups: int
    seconds: float
    stage_seconds: dict[str, float]  # read, geo, models, prompts

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _connect() -> Any:
    return connect(threads=2)


def _write_part(table: pa.Table, folder: Path) -> None:
    if table.num_rows == 0:
        return
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    final = folder / f"part-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = folder / f".{final.name}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, final)


def _existing(con: Any, folder: Path, columns: str) -> str | None:
    """A SQL relation over an existing enrich dataset, or None."""
    if not any(folder.glob("part-*.parquet")):
        return None
    return f"(SELECT {columns} FROM read_parquet({quote(folder / 'part-*.parquet')}))"


def _manifest(geo_source: str) -> dict[str, Any]:
    return {
        "enrich_schema_version": ENRICH_SCHEMA_VERSION,
        "reference": catalog_fingerprint(),
        "geo_source": geo_source,
    }


def _model_row(r: dict[str, Any], template_lineage: dict[str, str]) -> dict[str, Any]:
    res = resolve(
        r["name"] or "",
        r["digest"],
        family=r["family"],
        parameter_size=r["parameter_size"],
        license_head=r["license_head"],
        modelfile_from=r["modelfile_from"],
        remote_model=r["remote_model"],
        remote_host=r["remote_host"],
    )
    lineage, conf, evidence = res.lineage, res.confidence, list(res.evidence)
    lab, country = res.lab, res.lab_country
    if lineage == "unknown" and r["template_sha"] in template_lineage:
        lineage = template_lineage[r["template_sha"]]
        conf = CONFIDENCE["template"]
        evidence = [e for e in evidence if not e.startswith("unknown:")] + [f"template:{r['template_sha'][:12]}"]
        lab, country = lineages()[lineage].lab, lineages()[lineage].country
    p = res.parsed
    level = r["quantization_level"]
    bits = quant_bits(level)
    if bits is None:
        bits = quant_bits(quant_from_tag(p.tag))
    billions = param_billions(r["parameter_size"], r["parameter_count"])
    marker = name_marker(r["name"])
    namespace = p.namespace
    if p.is_default_namespace:
        namespace = "library" if p.model_lower in lineages() else None
    return {
        "name": r["name"] or "",
        "digest": r["digest"],
        "namespace": namespace,
        "registry": p.registry,
        "base_name": p.model,
        "tag": p.tag,
        "lineage": lineage,
        "lineage_confidence": conf,
        "lineage_evidence": evidence,
        "lab": lab,
        "lab_country": country,
        "is_derivative": res.is_derivative,
        "derivative_kind": res.derivative_kind,
        "is_official": res.is_official,
        "is_cloud": res.is_cloud,
        "quant_bits": bits,
        "param_b": billions,
        "param_band": param_band(billions),
        "uncensored_name": marker is not None,
        "uncensored_marker": marker,
        "upstream_lineage": res.upstream,
    }


def _template_lineages(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """template sha -> lineage, from official builds (digest match) whose template is unique to one lineage.

    ``pairs`` are every distinct (digest, template sha) any host listed: a build whose copies carry several templates
    (a clone farm's canned one beside the real one) contributes each, so no copy hides the real template."""
    index = digest_index()
    seen: dict[str, set[str]] = {}
    for digest, sha in pairs:
        hit = index.get(str(digest).lower()[:12]) if sha and digest else None
        if hit is not None:
            seen.setdefault(sha, set()).add(hit[0])
    return {sha: next(iter(lins)) for sha, lins in seen.items() if len(lins) == 1}


def _ip_order(ip: str) -> tuple[int, int]:
    # numeric order keeps plevin's decompressed blocks hot: ~2-3x fewer block decodes than random order
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (9, 0)
    return (addr.version, int(addr))


def _geo(con: Any, layout: Layout, look: GeoLookup, geo_mmdb: str | Path | None = None,
         asn_mmdb: str | Path | None = None) -> tuple[int, int, int]:
    folder = layout.enrich_geo
    have = _existing(con, folder, "ip")
    sql = "SELECT DISTINCT ip FROM observations"
    if have is not None:
        sql += f" WHERE ip NOT IN {have}"
    ips = sorted((r[0] for r in con.execute(sql).fetchall()), key=_ip_order)
    rows = lookup_many(ips, look, geo_mmdb=geo_mmdb, asn_mmdb=asn_mmdb)
    _write_part(pa.Table.from_pylist(rows, schema=GEO_SCHEMA), folder)
    total = con.execute(f"SELECT count(*) FROM read_parquet({quote(folder / 'part-*.parquet')})").fetchone()
    return len(ips), int(total[0]) if ips or have else 0, look.lookups


# One scan of the nested model lists: the distinct (host, model instance) facts both the models
# and the prompts datasets need. ~host x inventory rows, orders of magnitude fewer than
# observations x models, and the only pass over the observations' model lists.
_INSTANCES = """
CREATE TEMP TABLE instances AS
SELECT DISTINCT ip, m.name AS name, m.digest AS digest, m.family AS family, m.parameter_size AS parameter_size,
       m.quantization_level AS quantization_level, m.parameter_count AS parameter_count,
       m.license_head AS license_head, m.modelfile_from AS modelfile_from, m.remote_model AS remote_model,
       m.remote_host AS remote_host, m.template_sha AS template_sha, m.system AS system
FROM (SELECT ip, unnest(models) AS m FROM observations WHERE models IS NOT NULL AND len(models) > 0)
"""

_MODEL_KEYS = """
SELECT name, digest,
       any_value(family) AS family, any_value(parameter_size) AS parameter_size,
       any_value(quantization_level) AS quantization_level, max(parameter_count) AS parameter_count,
       any_value(license_head) AS license_head, any_value(modelfile_from) AS modelfile_from,
       any_value(remote_model) AS remote_model, any_value(remote_host) AS remote_host,
       min(template_sha) AS template_sha
FROM instances
GROUP BY ALL
"""


_TEMPLATE_PAIRS = ("SELECT DISTINCT digest, template_sha FROM instances "
                   "WHERE digest IS NOT NULL AND template_sha IS NOT NULL")


def _models(con: Any, layout: Layout) -> tuple[int, int]:
    """Resolve each new (name, digest) once; returns (rows written, rows in the dataset).

    One attribution depends on the whole dataset: a custom model's template names a lineage when the official builds
    that carry it are all of one lineage (``_template_lineages``), and a later day can add an official build of
    another lineage with the same template (or the first official build with it). The rows that step decided (or
    left unknown with a template) are resolved again with the current map; when any changes, the dataset is
    rewritten whole, so its rows equal a one-shot enrichment of the same observations, whatever the order days came.
    """
    folder = layout.enrich_models
    by_template = "len(list_filter(lineage_evidence, lambda e: starts_with(e, 'template:'))) > 0"
    have = _existing(con, folder, f"name, digest, lineage, {by_template}")
    done: dict[tuple[str, str | None], tuple[str, bool]] = {}
    if have is not None:
        done = {(n, d): (lin, t) for n, d, lin, t in con.execute(f"SELECT * FROM {have}").fetchall()}
    cur = con.execute(_MODEL_KEYS + " ORDER BY name, digest")
    cols = [d[0] for d in cur.description]
    every = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    keys = [k for k in every if (k["name"], k["digest"]) not in done]
    template_lineage = _template_lineages(con.execute(_TEMPLATE_PAIRS).fetchall())
    changed = []
    for k in every:
        lineage, templated = done.get((k["name"], k["digest"]), ("", False))
        recheck = k["template_sha"] and (templated or lineage == "unknown")
        if recheck and _model_row(k, template_lineage)["lineage"] != lineage:
            changed.append(k)
    if changed:
        table = pa.Table.from_pylist([_model_row(k, template_lineage) for k in every], schema=MODELS_SCHEMA)
        _replace_dataset(table, folder)
        return len(keys) + len(changed), table.num_rows
    rows = [_model_row(k, template_lineage) for k in keys]
    _write_part(pa.Table.from_pylist(rows, schema=MODELS_SCHEMA), folder)
    return len(rows), len(done) + len(rows)


def _replace_dataset(table: pa.Table, folder: Path) -> None:
    """``folder`` replaced by one part holding ``table``: built aside, then swapped in (a crash leaves the old one)."""
    staging = folder.with_name(f".{folder.name}-{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    _write_part(table, staging)
    old = folder.with_name(f".{folder.name}-old-{uuid.uuid4().hex[:8]}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(staging, folder)
    shutil.rmtree(old, ignore_errors=True)


def _prompts(con: Any, layout: Layout) -> tuple[int, int]:
    found = con.execute(
        "SELECT system, count(DISTINCT ip) FROM instances WHERE system IS NOT NULL AND length(system) > 0 "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    texts = {prompt_sha(text): text for text, _ in found}
    hosts = {prompt_sha(text): int(n) for text, n in found}
    clusters = cluster_prompts(texts)
    cluster_hosts: dict[str, int] = {}
    for sha, (cid, _) in clusters.items():
        cluster_hosts[cid] = cluster_hosts.get(cid, 0) + hosts[sha]
    rows = []
    for sha in sorted(texts):
        label = label_prompt(texts[sha])
        cid, size = clusters[sha]
        kind = "near" if size > 1 else ("exact" if hosts[sha] > 1 else "singleton")
        rows.append(
            {
                "prompt_sha": sha,
                "cluster_id": cid,
                "cluster_kind": kind,
                "guardrail_removal": label.guardrail_removal,
                "misuse_categories": list(label.misuse_categories),
                "rule_ids": list(label.rule_ids),
                "length": len(texts[sha]),
                "hosts": hosts[sha],
                "cluster_size": size,
                "cluster_hosts": cluster_hosts[cid],
            }
        )
    _replace_dataset(pa.Table.from_pylist(rows, schema=PROMPTS_SCHEMA), layout.enrich_prompts)
    return len(rows), len({c for c, _ in clusters.values()})


def enrich(
    data_dir: str | Path,
    *,
    geo_mmdb: str | Path | None = None,
    asn_mmdb: str | Path | None = None,
    rebuild: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> EnrichSummary:
    """Enrich every observation under ``<data_dir>/observations/`` (see module docstring), holding the data
    folder's writer lock (``llmcensus.datalock``). ``progress("enrich", done, 4)`` is called after each of the
    four stages (read, geo, models, prompts)."""
    with writer_lock(data_dir, "llmcensus enrich run", create=False):
        return _enrich(data_dir, geo_mmdb=geo_mmdb, asn_mmdb=asn_mmdb, rebuild=rebuild, progress=progress)


def _enrich(data_dir: str | Path, *, geo_mmdb: str | Path | None, asn_mmdb: str | Path | None,
            rebuild: bool, progress: Callable[[str, int, int | None], None] | None = None) -> EnrichSummary:
    step = progress or (lambda stage, done, total: None)
    start = time.perf_counter()
    layout = Layout(data_dir)
    obs = layout.observations
    files = layout.observation_files()
    if not files:
        raise DataError(f"{obs}: no observation Parquet files")
    check_parts(files)  # newer schema or a broken file: refused before anything is written
    con = _connect()
    try:
        source = f"read_parquet({quote(obs / '**' / '*.parquet')}, union_by_name = true, hive_partitioning = false)"
        create_view(con, "observations", source, layout.inventories)
        (n_obs,) = con.execute("SELECT count(*) FROM observations").fetchone()
    except Exception as exc:  # duckdb's own errors stop here, as DataError
        con.close()
        raise DataError(f"{obs}: observations cannot be read: {exc}") from exc
    try:
        out = layout.enrich
        look = GeoLookup(geo_mmdb, asn_mmdb)
        manifest = _manifest(look.source)
        path = layout.enrich_manifest
        previous = json.loads(path.read_text()) if path.exists() else None
        rebuilt = rebuild or previous != manifest
        if rebuilt:
            for folder in (layout.enrich_geo, layout.enrich_models, layout.enrich_prompts):
                shutil.rmtree(folder, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        stages = {"read": time.perf_counter() - start}
        step("enrich", 1, 4)
        try:
            geo_new, geo_total, lookups = _geo(con, layout, look, geo_mmdb, asn_mmdb)
        finally:
            look.close()
        stages["geo"] = time.perf_counter() - start - sum(stages.values())
        step("enrich", 2, 4)
        con.execute(_INSTANCES)
        models_new, models_total = _models(con, layout)
        stages["models"] = time.perf_counter() - start - sum(stages.values())
        step("enrich", 3, 4)
        n_prompts, n_clusters = _prompts(con, layout)
        stages["prompts"] = time.perf_counter() - start - sum(stages.values())
        step("enrich", 4, 4)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
        os.replace(tmp, path)
    except DataError:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith("duckdb"):
            raise DataError(f"enrichment query failed: {exc}") from exc
        raise
    finally:
        con.close()
    return EnrichSummary(
        observations=int(n_obs),
        geo_new=geo_new,
        geo_total=geo_total,
        models_new=models_new,
        models_total=models_total,
        prompts=n_prompts,
        prompt_clusters=n_clusters,
        rebuilt=rebuilt,
        plevin_lookups=lookups,
        seconds=time.perf_counter() - start,
        stage_seconds={k: round(v, 3) for k, v in stages.items()},
    )
