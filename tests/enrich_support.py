"""Builders for tiny hand-made observation datasets used by the enrich tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.observations.schema import MODEL, OBSERVATION_SCHEMA

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def model(name: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {f.name: None for f in MODEL}
    row["name"] = row["model"] = name
    row.update(fields)
    return row


def observation(oid: str, ip: str, version: str | None, models: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "observation_id": oid,
        "sweep_id": "sweep-1",
        "source": "probe",
        "observed_at": T0,
        "day": T0.date(),
        "ip": ip,
        "port": 11434,
        "scheme": "http",
        "dial_ip": None,
        "dial_port": None,
        "status": "success" if models is not None else "connection_refused",
        "error": None,
        "runtime": "ollama" if models is not None else None,
        "runtime_evidence": [],
        "version": version,
        "auth": "open" if models is not None else "unknown",
        "proxied": False,
        "server_header": None,
        "models": models,
        "model_count": len(models) if models is not None else None,
        "running": None,
        "running_count": None,
        "requests": 3,
        "elapsed_ms": 5.0,
        "exchanges": [],
    }


def write_observations(data_dir: Path, rows: list[dict[str, Any]], part: str = "part-0") -> Path:
    folder = data_dir / "observations" / f"day={T0.date().isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{part}.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=OBSERVATION_SCHEMA), path)
    return path
