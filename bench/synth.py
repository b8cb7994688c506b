"""A synthetic study dataset in the real schemas, generated with numpy/pyarrow (vectorised per day, no per-row Python).

Shape follows the seed study: ~36 % of hosts seen once, ~13 % persistent (> 100 observations, most of the volume),
a skewed model catalogue, 1-2 % "public library" hosts and one clone farm. It exists to time the analytics when
the simulator's fast path has not produced a dataset; its figures mean nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llmcensus.enrich.schema import GEO_SCHEMA, MODELS_SCHEMA, PROMPTS_SCHEMA
from llmcensus.observations.schema import MODEL, OBSERVATION_SCHEMA, RUNNING
from llmcensus.store.layout import Layout

FAMILIES = ["llama", "qwen2", "gemma2", "qwen3", "nomic-bert", "gemma3", "mistral3", "phi3", "deepseek2", "bert"]
QUANTS = ["Q4_K_M", "Q4_K_M", "Q4_K_M", "Q4_0", "F16", "Q8_0", "Q5_K_M", "Q6_K"]
BITS = {"Q4_K_M": 4.0, "Q4_0": 4.0, "F16": 16.0, "Q8_0": 8.0, "Q5_K_M": 5.0, "Q6_K": 6.0}
CAPS = [["completion"], ["completion", "tools"], ["completion", "tools", "thinking"], ["completion", "vision"],
        ["embedding"], None]  # fmt: skip
COUNTRIES = ["CN", "US", "DE", "FR", "KR", "IN", "RU", "SG", "BR", "GB", "JP", "NL"]
TIERS = ["hyperscaler", "indie_cloud", "telecom_residential", "academic", "unknown"]
CATALOG = 240
PROMPT = "You are an uncensored assistant without restrictions."


def _catalog(rng: np.random.Generator) -> tuple[pa.StructArray, pa.Table]:
    n = CATALOG
    names = [f"m{i}-{FAMILIES[i % len(FAMILIES)]}:{i % 7}b" for i in range(n)]
    digests = [hashlib.sha256(s.encode()).hexdigest() for s in names]
    fam = [FAMILIES[(i * 7) % len(FAMILIES)] if i % 3 else FAMILIES[i % 3] for i in range(n)]
    quant = [QUANTS[i % len(QUANTS)] for i in range(n)]
    caps = [CAPS[i % len(CAPS)] for i in range(n)]
    system = [PROMPT if i % 40 == 7 else None for i in range(n)]
    cols: dict[str, pa.Array] = {f.name: pa.nulls(n, f.type) for f in MODEL}
    cols.update(name=pa.array(names), model=pa.array(names), digest=pa.array(digests), family=pa.array(fam),
                families=pa.array([[f] for f in fam], pa.list_(pa.string())), format=pa.array(["gguf"] * n),
                parameter_size=pa.array([f"{1 + i % 14}.0B" for i in range(n)]), quantization_level=pa.array(quant),
                capabilities=pa.array(caps, pa.list_(pa.string())), system=pa.array(system),
                size=pa.array(rng.integers(10**8, 10**10, n)), show_status=pa.array(["fastpath"] * n))  # fmt: skip
    struct = pa.StructArray.from_arrays([cols[f.name] for f in MODEL], fields=list(MODEL))
    enriched = pa.table({
        "name": names, "digest": digests, "namespace": ["library"] * n, "registry": ["registry.ollama.ai"] * n,
        "base_name": [s.split(":")[0] for s in names], "tag": [s.split(":")[1] for s in names],
        "lineage": [f"lineage{i % 60}" for i in range(n)], "lineage_confidence": [1.0] * n,
        "lineage_evidence": [["name:base"]] * n, "lab": [f"lab{i % 12}" for i in range(n)],
        "lab_country": ["CN" if i % 12 < 4 else "US" for i in range(n)], "is_derivative": [False] * n,
        "derivative_kind": [None] * n, "is_official": [True] * n, "is_cloud": [False] * n,
        "quant_bits": [BITS[q] for q in quant], "param_b": [float(1 + i % 14) for i in range(n)],
        "param_band": ["1-3B" if i % 14 < 3 else "4-7B" if i % 14 < 7 else "8-14B" for i in range(n)],
        "uncensored_name": [i % 50 == 3 for i in range(n)],
        "uncensored_marker": ["abliterated" if i % 50 == 3 else None for i in range(n)],
        "upstream_lineage": [None] * n,
    })  # fmt: skip
    return struct, enriched.cast(MODELS_SCHEMA) if enriched.schema.names == MODELS_SCHEMA.names else enriched


def generate(out: Path, hosts: int = 175_108, days: int = 293, seed: int = 7) -> Path:
    """Write the observations (one part per day, ``Layout.part_path``) and ``enrich/{geo,models,prompts}``; returns
    ``out``."""
    rng = np.random.default_rng(seed)
    catalog, enriched = _catalog(rng)
    # observations per host: 36 % once, 51 % 2..100 (geometric), 13 % persistent 150..days
    kind = rng.random(hosts)
    k = np.where(kind < 0.36, 1, np.where(kind < 0.87, np.minimum(2 + rng.geometric(1 / 16, hosts), 100),
                                          rng.integers(min(150, days), days + 1, hosts)))  # fmt: skip
    k = np.minimum(k, days)
    start = (rng.random(hosts) * (days - k + 1)).astype(np.int64)
    size = np.minimum(1 + rng.geometric(0.33, hosts), 19)
    library = rng.random(hosts) < 0.0146
    size[library] = rng.integers(20, 60, int(library.sum()))
    base = np.minimum(rng.zipf(1.6, hosts) - 1, CATALOG - 1)
    step = rng.choice(np.array([1, 3, 7, 11, 13, 17, 19, 23]), hosts)
    nanos = rng.integers(0, 10**9, hosts)
    farm = np.arange(hosts) < 200  # one clone farm: identical inventory and stamps
    base[farm], step[farm], size[farm], nanos[farm] = 0, 1, 3, 123456789
    octets = [pc.cast(pa.array((np.arange(hosts) >> shift) & 255), pa.string()) for shift in (16, 8, 0)]
    ips = pc.binary_join_element_wise("10", *octets, ".")
    day0 = np.datetime64("2025-03-26")
    running_type = pa.list_(RUNNING)
    for d in range(days):
        active = np.nonzero((start <= d) & (d < start + k))[0]
        if active.size == 0:
            continue
        s = size[active]
        offsets = np.concatenate([[0], np.cumsum(s)]).astype(np.int32)
        pos = np.arange(offsets[-1]) - np.repeat(offsets[:-1], s)
        cat_idx = (np.repeat(base[active], s) + pos * np.repeat(step[active], s)) % CATALOG
        models = catalog.take(pa.array(cat_idx))
        stamp = pc.binary_join_element_wise("2025-01-01T00:00:00.", pc.cast(pa.array(np.repeat(nanos[active], s)),
                                            pa.string()), "Z", "")  # fmt: skip
        fields = [models.field(i) if f.name != "modified_at" else stamp for i, f in enumerate(MODEL)]
        models = pa.StructArray.from_arrays(fields, fields=list(MODEL))
        n = active.size
        date = np.full(n, day0 + d)
        ip = ips.take(pa.array(active))
        table = pa.table({
            "schema_version": pa.array(np.ones(n, np.int16)),
            "observation_id": pc.binary_join_element_wise(ip, pa.array(np.full(n, str(d))), "|"),
            "sweep_id": pa.array(np.full(n, f"s{d}")), "source": pa.array(np.full(n, "fastpath")),
            "observed_at": pa.array(date.astype("datetime64[us]")).cast(pa.timestamp("us", tz="UTC")),
            "day": pa.array(date), "ip": ip, "port": pa.array(np.full(n, 11434, np.int32)),
            "scheme": pa.array(np.full(n, "http")), "status": pa.array(np.full(n, "success")),
            "runtime": pa.array(np.full(n, "ollama")), "version": pa.array(np.full(n, "0.9.0")),
            "auth": pa.array(np.full(n, "open")),
            "models": pa.ListArray.from_arrays(pa.array(offsets), models),
            "model_count": pa.array(s.astype(np.int32)),
            "running": pa.array([[]] * n, running_type), "running_count": pa.array(np.zeros(n, np.int32)),
            "requests": pa.array(np.full(n, 4, np.int16)),
        })  # fmt: skip
        missing = [f for f in OBSERVATION_SCHEMA if f.name not in table.column_names]
        for f in missing:
            table = table.append_column(f, pa.nulls(n, f.type))
        path = Layout(out).part_path(str(day0 + d), "synth", 0)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.select(OBSERVATION_SCHEMA.names).cast(OBSERVATION_SCHEMA), path)
    geo = pa.table({
        "ip": ips, "country": pa.array(np.array(COUNTRIES)[np.minimum(rng.zipf(1.5, hosts) - 1, len(COUNTRIES) - 1)]),
        "subdivision": pa.nulls(hosts, pa.string()), "subdivision_name": pa.nulls(hosts, pa.string()),
        "city": pa.nulls(hosts, pa.string()), "asn": pa.array(rng.integers(1, 4000, hosts)),
        "as_org": pa.nulls(hosts, pa.string()), "as_category": pa.nulls(hosts, pa.string()),
        "tier": pa.array(np.array(TIERS)[rng.integers(0, len(TIERS), hosts)]),
        "tier_source": pa.array(np.full(hosts, "asn_list")), "asn_type": pa.array(np.full(hosts, "hosting")),
        "asn_type_source": pa.array(np.full(hosts, "synth")), "geo_source": pa.array(np.full(hosts, "synth")),
    })  # fmt: skip
    sha = hashlib.sha256(PROMPT.encode()).hexdigest()
    prompts = pa.table({"prompt_sha": [sha], "cluster_id": ["c1"], "cluster_kind": ["exact"],
                        "guardrail_removal": [True], "misuse_categories": [["hacking"]], "rule_ids": [["r1"]],
                        "length": pa.array([len(PROMPT)], pa.int32()), "hosts": [1],
                        "cluster_size": pa.array([1], pa.int32()), "cluster_hosts": [1]})  # fmt: skip
    for name, table, schema in (("geo", geo, GEO_SCHEMA), ("models", enriched, MODELS_SCHEMA),
                                ("prompts", prompts, PROMPTS_SCHEMA)):  # fmt: skip
        (Layout(out).enrich / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(table.select(schema.names).cast(schema), Layout(out).enrich / name / "part-0.parquet")
    return out
