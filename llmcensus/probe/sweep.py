"""``scan``: the one library call behind ``llmcensus scan`` (targets file -> observations on disk).

Everything that can be wrong with the input is checked before the first packet and before anything
is written: the target file is validated line by line (and counted), the dial map and opt-out files
are parsed, the settings are validated. A failure raises an ``LLMCensusError`` naming the problem.

``shard`` (``--shard i/n``) keeps the targets of one shard (``observations/shard.py``: by address, CIDRs expanded
first) where they are enumerated, before the engine; the blocklist and the opt-out list still apply to each kept
target in the engine, exactly as unsharded, so the n shards' rows are together the unsharded sweep's rows.
``targets_total`` is then the shard's count, which costs one more pass over the targets (hashing each address).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from llmcensus.datalock import writer_lock
from llmcensus.errors import ConfigError, InputError, UsageError
from llmcensus.observations.manifest import check_sweep_id
from llmcensus.observations.shard import Shard
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import SweepSummary, run_sweep
from llmcensus.probe.runtimes import DEFAULT_PORTS as RUNTIME_PORTS
from llmcensus.probe.settings import ProbeSettings
from llmcensus.probe.showcache import ShowCache
from llmcensus.store.layout import Layout
from llmcensus.targets.blocklist import Blocklist
from llmcensus.targets.dialmap import DialMap, read_dial_map
from llmcensus.targets.parse import Target, TargetSource, read_candidates


@dataclass(slots=True)
class ScanRequest:
    data_dir: Path
    targets_file: str | None = None  # path or "-" (stdin)
    candidates: Path | None = None
    dial_map: Path | None = None
    sweep_id: str | None = None
    resume: bool = False
    ports: tuple[int, ...] = RUNTIME_PORTS  # for targets without a port: every runtime module's default ports
    optout_files: Sequence[Path] = ()
    settings: ProbeSettings = field(default_factory=ProbeSettings)
    progress: bool = False
    shard: Shard | None = None  # sweep only this shard's targets (requires an explicit sweep_id)


def parse_setting_overrides(items: Iterable[str], base: ProbeSettings) -> ProbeSettings:
    """``name=value`` strings (``--set``) -> settings; unknown names and bad values are ``UsageError``."""
    types = {f.name: str(f.type) for f in fields(ProbeSettings)}
    changes: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in types:
            raise UsageError(f"--set expects name=value with a known setting name, got {item[:80]!r}")
        kind = types[name]
        try:
            if kind == "int":
                changes[name] = int(text)
            elif kind == "float":
                changes[name] = float(text)
            elif kind == "bool":
                if text.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(text)
                changes[name] = text.lower() in ("1", "true", "yes", "on")
            else:
                changes[name] = text
        except ValueError:
            raise UsageError(f"--set {name}: expected {kind}, got {text[:80]!r}") from None
    return base.with_(**changes)


def default_sweep_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def scan(req: ScanRequest, *, clock: Callable[[], datetime] | None = None) -> SweepSummary:
    if (req.targets_file is None) == (req.candidates is None):
        raise UsageError("give exactly one of TARGETS_FILE (or '-') and --candidates")
    if req.shard is not None and req.sweep_id is None:
        # the default id is this machine's clock: n machines would each start a sweep of their own
        raise ConfigError(f"--shard {req.shard} needs --sweep-id: every shard of one sweep uses the same id")
    sweep_id = check_sweep_id(req.sweep_id or default_sweep_id())
    total: int
    targets: Iterable[Target]
    if req.targets_file is not None:
        source = TargetSource(req.targets_file, ports=req.ports, max_cidr=req.settings.max_cidr)
        total, targets = source.total, source
        if req.shard is not None:
            total, targets = sum(1 for _ in req.shard.select(source)), req.shard.select(source)
    else:
        assert req.candidates is not None
        total, targets = read_candidates(req.candidates)
        if req.shard is not None:  # the candidates stream is read once per pass: open it again to count
            total = sum(1 for _ in req.shard.select(read_candidates(req.candidates)[1]))
            targets = req.shard.select(targets)
    dial_map = read_dial_map(req.dial_map) if req.dial_map is not None else None
    for f in req.optout_files:
        if not Path(f).exists():
            raise InputError("opt-out file not found", f)
    optout = Blocklist()
    for f in [*req.optout_files, Layout(req.data_dir).optout]:
        optout.add_file(f)
    with writer_lock(req.data_dir, "llmcensus scan"):
        return _scan_locked(req, sweep_id, total, targets, dial_map, optout, clock)


def _scan_locked(req: ScanRequest, sweep_id: str, total: int, targets: Iterable[Target],
                 dial_map: DialMap | None, optout: Blocklist,
                 clock: Callable[[], datetime] | None) -> SweepSummary:
    settings = req.settings
    writer = ObservationWriter(
        req.data_dir, sweep_id, settings=settings.as_dict(), resume=req.resume, targets_total=total,
        flush_records=settings.flush_records, flush_seconds=settings.flush_seconds, clock=clock, shard=req.shard,
    )
    # One body store for the observations and the show data: a show reply is the /api/show exchange's body.
    cache = ShowCache(Layout(req.data_dir).show, raw_body_cap=settings.raw_body_cap, bodies=writer.bodies)
    summary = _run(run_sweep(targets, settings, writer, dial_map=dial_map, clock=clock, show_cache=cache,
                             optout=optout if optout.networks else None, total=total, progress=req.progress))
    complete = not summary.interrupted and summary.targets >= total
    writer.close(complete=complete, interrupted=summary.interrupted, extra={
        "last_run": summary.as_dict(), "source_file": req.targets_file, "candidates": str(req.candidates or ""),
        "dial_map": str(req.dial_map or ""),
    })
    return summary


def _run(coro: Any) -> SweepSummary:
    try:
        import uvloop

        result: SweepSummary = uvloop.run(coro)
        return result
    except ImportError:  # pragma: no cover - uvloop is a pinned dependency
        fallback: SweepSummary = asyncio.run(coro)
        return fallback


def is_tty() -> bool:
    return sys.stderr.isatty()
