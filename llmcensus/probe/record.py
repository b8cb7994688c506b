"""Turning a visit into one observation row (a dict in ``OBSERVATION_SCHEMA`` shape)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from llmcensus.observations.schema import SCHEMA_VERSION, Auth, Status
from llmcensus.observations.writer import observation_id, round_ms
from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes.base import Result, runtime_data_json
from llmcensus.targets.parse import Target


def exchange_row(ex: Exchange, raw_body_cap: int) -> dict[str, Any]:
    """One exchange; ``body`` is the raw body as kept (capped), which the observation writer moves to the body
    store and replaces by ``body_hash`` (schema.py)."""
    body = ex.body[:raw_body_cap]
    return {
        "method": ex.method,
        "path": ex.path,
        "status": ex.status,
        "content_type": ex.content_type,
        "server": ex.server,
        "allow": ex.allow,
        "bytes": (len(ex.body) if ex.nbytes is None else ex.nbytes) if ex.status is not None else None,
        "ms": round_ms(ex.ms),
        "truncated": ex.truncated,
        "error": ex.error,
        "body": bytes(body) if ex.status is not None else None,
    }


def observation_row(
    *, sweep_id: str, target: Target, observed_at: datetime, dial: tuple[str, int] | None, result: Result,
    exchanges: Sequence[Exchange], elapsed_ms: float | None, raw_body_cap: int, source: str = "probe",
    obs_id: str | None = None,
) -> dict[str, Any]:
    status = result.status or Status.UNKNOWN_ERROR
    models = result.models
    running = result.running
    return {
        "schema_version": SCHEMA_VERSION,
        "observation_id": obs_id or observation_id(sweep_id, target.ip, target.port),
        "sweep_id": sweep_id,
        "source": source,
        "observed_at": observed_at,
        "day": observed_at.date(),
        "ip": target.ip,
        "port": target.port,
        "scheme": target.scheme,
        "dial_ip": dial[0] if dial is not None else None,
        "dial_port": dial[1] if dial is not None else None,
        "status": str(status),
        "error": result.error if status != Status.SUCCESS else None,
        "runtime": result.runtime,
        "runtime_evidence": list(result.evidence) if result.runtime is not None else None,
        "version": result.version,
        "auth": result.auth,
        "proxied": result.proxied,
        "server_header": result.server_header,
        "runtime_data": runtime_data_json(result.runtime, result) if result.runtime else None,
        "models": models,
        "model_count": len(models) if models is not None else None,
        "running": running,
        "running_count": len(running) if running is not None else None,
        "requests": len(exchanges),
        "elapsed_ms": round_ms(elapsed_ms),
        "exchanges": [exchange_row(ex, raw_body_cap) for ex in exchanges],
    }


def blocked_row(*, sweep_id: str, target: Target, observed_at: datetime, reason: str,
                obs_id: str | None = None) -> dict[str, Any]:
    result = Result(status=Status.BLOCKED, error=reason, auth=Auth.UNKNOWN.value)
    return observation_row(sweep_id=sweep_id, target=target, observed_at=observed_at, dial=None, result=result,
                           exchanges=(), elapsed_ms=None, raw_body_cap=0, obs_id=obs_id)
