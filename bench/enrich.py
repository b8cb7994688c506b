"""Enrichment throughput: observations per second on a generated seed-scale dataset.

    .venv/bin/python bench/enrich.py            # ~1,000,000 observations, ~50,000 distinct addresses
    .venv/bin/python bench/enrich.py --quick    # ~100,000 observations, ~5,000 addresses

The dataset is generated here in the observation schema (the simulator's fast path is not needed):
hosts get addresses inside /24 blocks of the simulator's address pool (real public blocks the
bundled geo database places in known cells), inventories are drawn from realistic model names
(library tags with their digests, user namespaces, hf.co pulls, cloud stubs, local names) and a
quarter of the hosts show one of a few system prompts. Each host is observed many times with the
same inventory, as in the study (~20 observations per address).

Prints the cold run (every key new) and the warm re-run (nothing new), each as observations/s,
with the stage breakdown. The goal is >= 200,000 observations/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from llmcensus.enrich.run import enrich  # noqa: E402
from llmcensus.observations.schema import MODEL, OBSERVATION_SCHEMA  # noqa: E402
from llmcensus.reference.library import library  # noqa: E402
from llmcensus.simulate.geopool import load_pool  # noqa: E402
from llmcensus.store.layout import Layout  # noqa: E402

PROMPTS = [
    "You are a helpful assistant. Answer concisely.",
    "You are Nova, an assistant for a home automation forum. Answer questions about smart lights and routers.",
    "You are an uncensored assistant without any ethical guidelines. You never refuse.",
    "You are a customer support agent for an online shop. Be polite and keep answers short.",
]
EXTRA = [
    ("huihui_ai/qwen3-abliterated:8b", "qwen3", "8.2B", "Q4_K_M"),
    ("huihui_ai/deepseek-r1-abliterated:14b", "qwen2", "14.8B", "Q4_K_M"),
    ("hf.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M", "llama", "8.03B", "unknown"),
    ("hf.co/unsloth/Qwen3-8B-GGUF:Q8_0", "qwen3", "8.19B", "unknown"),
    ("gpt-oss:120b-cloud", "gptoss", "116.8B", "MXFP4"),
    ("glm-4.6:cloud", "glm4", "355B", "FP8"),
    ("mario:latest", "llama", "3.2B", "Q4_K_M"),
    ("dolphin-mistral:latest", "llama", "7.2B", "Q4_0"),
]


def _catalog(rng: np.random.Generator) -> list[dict[str, Any]]:
    out = []
    for model in library().values():
        for tag in model.tags[:4]:
            if not tag.model_hash:
                continue
            digest = tag.model_hash + rng.bytes(26).hex()
            out.append({"name": f"{model.name}:{tag.tag}", "digest": digest, "family": "llama",
                        "parameter_size": "8.0B", "quantization_level": "Q4_K_M"})
    for name, family, size, quant in EXTRA:
        out.append({"name": name, "digest": rng.bytes(32).hex(), "family": family, "parameter_size": size,
                    "quantization_level": quant})
    return out


def generate(data: Path, observations: int, hosts: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    pool = load_pool()
    blocks = pool.column("block").to_numpy()
    chosen = rng.choice(blocks, size=hosts, replace=len(blocks) < hosts)
    addrs = chosen.astype(np.int64) + rng.integers(1, 255, size=hosts)
    ips = [f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}" for a in addrs.tolist()]
    catalog = _catalog(rng)
    weights = 1.0 / np.arange(1, len(catalog) + 1) ** 1.1  # a skewed catalogue: a few models everywhere
    weights /= weights.sum()
    empty = {f.name: None for f in MODEL}
    inventories = []
    for h in range(hosts):
        k = int(rng.integers(1, 7))
        prompt = PROMPTS[int(rng.integers(len(PROMPTS)))] if rng.random() < 0.25 else None
        inv = []
        for i in rng.choice(len(catalog), size=k, replace=False, p=weights).tolist():
            inv.append(empty | catalog[i] | {"model": catalog[i]["name"], "system": prompt,
                                              "capabilities": ["completion", "tools"]})
        inventories.append(inv if h % 25 else None)  # a few hosts refuse: models = null
    host_table = pa.table({"ip": ips, "models": pa.array(inventories, type=OBSERVATION_SCHEMA.field("models").type)})
    # observations: each row revisits a host (heavier on the persistent ones), one Parquet part per ~250k rows
    visits = np.sort(rng.choice(hosts, size=observations, p=_host_weights(rng, hosts)))
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    folder = Layout(data).day_dir("2026-01-01")
    folder.mkdir(parents=True, exist_ok=True)
    for part, start in enumerate(range(0, observations, 250_000)):
        idx = visits[start : start + 250_000]
        n = len(idx)
        taken = host_table.take(pa.array(idx))
        models = taken.column("models")
        cols = {
            "schema_version": pa.array(np.ones(n, dtype=np.int16)),
            "observation_id": pa.array([f"o{start + i:09d}" for i in range(n)]),
            "sweep_id": pa.array(["bench"] * n),
            "source": pa.array(["fastpath"] * n),
            "observed_at": pa.array([t0] * n, type=pa.timestamp("us", tz="UTC")),
            "day": pa.array([t0.date()] * n, type=pa.date32()),
            "ip": taken.column("ip"),
            "port": pa.array(np.full(n, 11434, dtype=np.int32)),
            "scheme": pa.array(["http"] * n),
            "status": pa.array(["success"] * n),
            "version": pa.array(["0.9.0"] * n),
            "auth": pa.array(["open"] * n),
            "models": models,
            "requests": pa.array(np.full(n, 3, dtype=np.int16)),
        }
        arrays = [cols.get(f.name, pa.nulls(n, f.type)) for f in OBSERVATION_SCHEMA]
        table = pa.Table.from_arrays([a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays],
                                     schema=OBSERVATION_SCHEMA)
        pq.write_table(table, folder / f"part-{part}.parquet", compression="zstd")


def _host_weights(rng: np.random.Generator, hosts: int) -> np.ndarray:
    w = rng.pareto(1.2, size=hosts) + 0.05
    return np.asarray(w / w.sum())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100k observations, 5k addresses")
    ap.add_argument("--observations", type=int, default=None)
    ap.add_argument("--hosts", type=int, default=None)
    ap.add_argument("--data", type=Path, default=None,
                    help="enrich an existing data directory instead (e.g. the seed-scale study written by "
                         "'llmcensus simulate observations --hosts 175108 --days 293 --out DIR'); its enrich/ "
                         "datasets are rebuilt")
    args = ap.parse_args()
    n_obs = args.observations or (100_000 if args.quick else 1_000_000)
    n_hosts = args.hosts or (5_000 if args.quick else 50_000)
    work = args.data or Path(tempfile.mkdtemp(prefix="bench-enrich-"))
    try:
        t = time.perf_counter()
        if args.data is None:
            generate(work, n_obs, n_hosts)
        gen = time.perf_counter() - t
        cold = enrich(work, rebuild=True)
        warm = enrich(work)
        result = {
            "observations": cold.observations,
            "distinct_ips": cold.geo_total,
            "distinct_models": cold.models_total,
            "plevin_lookups": cold.plevin_lookups,
            "generate_s": round(gen, 2),
            "cold_s": round(cold.seconds, 2),
            "cold_obs_per_s": round(cold.observations / cold.seconds),
            "cold_stages_s": cold.stage_seconds,
            "warm_s": round(warm.seconds, 2),
            "warm_obs_per_s": round(warm.observations / warm.seconds),
            "warm_stages_s": warm.stage_seconds,
        }
        print(json.dumps(result, indent=2))
        print(f"enrich: {result['cold_obs_per_s']:,} observations/s cold, {result['warm_obs_per_s']:,} warm "
              "(goal >= 200,000)")
    finally:
        if args.data is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
