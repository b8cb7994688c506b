"""The public API, continued: discovery sweeps, the opt-out list, lineage, alerts and notification exports.

Re-exported by ``llmcensus.api`` (import from there); split off only to keep ``api.py`` a readable size. The same
rules hold: paths and plain values in, a summary object (with ``as_dict()``) or plain data out, nothing printed,
only ``llmcensus.errors.LLMCensusError`` raised, and every heavy import deferred to the call. Unlike ``api.py``
this module never touches the simulator (``tests/test_import_contract.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcensus.errors import InputError, UsageError

if TYPE_CHECKING:
    from llmcensus.discover.sweep import OpenPort
    from llmcensus.discover.sweepplan import SweepPlan
    from llmcensus.monitor.check import CheckSummary
    from llmcensus.store.layout import Layout

# A progress callback: ``progress(stage, done, total)``, ``total`` None when unknown. The library calls it as long
# work advances, with ``done`` never going back within a stage; the CLI draws it as a rich bar on a terminal.
Progress = Callable[[str, int, int | None], None]

__all__ = ["ExportSummary", "Progress", "SweepResult", "alerts", "check_alerts", "data_layout", "discovery_formats",
           "explain_lineage", "notification_export", "optout_add", "optout_list", "optout_remove",
           "parse_port_ranges", "sweep", "sweep_defaults"]


def as_day(value: dt.date | str | None, option: str) -> dt.date | None:
    """``value`` as a UTC day: a ``date`` as it is, a string as ``YYYY-MM-DD`` (else one ``UsageError`` line)."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} must be a day YYYY-MM-DD, not {value[:40]!r}") from None


def parse_port_ranges(text: str | Sequence[int] | None) -> tuple[int, ...] | None:
    """``"11434,80,8000-8010"`` (or a sequence of ints) -> ports in order, without repeats; ``None`` stays None."""
    from llmcensus.targets.parse import excerpt

    if text is None:
        return None
    if not isinstance(text, str):
        return tuple(dict.fromkeys(int(p) for p in text)) or None
    ports: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            start, end = int(lo), int(hi or lo)
        except ValueError:
            raise UsageError(f"not a port or port range: {excerpt(part)}") from None
        if not 0 < start <= end < 65536:
            raise UsageError(f"port out of range: {excerpt(part)}")
        ports.extend(range(start, end + 1))
    if not ports:
        raise UsageError("no ports given")
    return tuple(dict.fromkeys(ports))


def discovery_formats() -> list[str]:
    """The export formats ``import_candidates`` reads (censys, shodan, fofa, masscan, zmap, list, ...)."""
    from llmcensus.discover.formats import FORMATS

    return sorted(FORMATS)


def sweep_defaults() -> dict[str, Any]:
    """The default discovery-sweep settings by name (ports, rate, per_host_rate, concurrency, ...)."""
    from dataclasses import asdict

    from llmcensus.discover.sweepplan import SweepSettings

    return asdict(SweepSettings())


@dataclass
class SweepResult:
    """What ``sweep`` did (or, with ``dry_run``, would do: ``plan`` lines and nothing else)."""

    plan: list[str]
    dry_run: bool = False
    addresses: int = 0
    ports: tuple[int, ...] = ()
    attempted: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    parts: list[Path] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        if self.dry_run:
            return {"dry_run": True, "plan": self.plan}
        return {"addresses": self.addresses, "ports": list(self.ports), "attempted": self.attempted,
                "seconds": round(self.seconds, 3), "counts": dict(self.counts), "parts": [str(p) for p in self.parts]}


def sweep(cidrs: Sequence[str], data_dir: str | Path, *, ports: str | Sequence[int] | None = None,
          dial_map: str | Path | None = None, live: bool = False, dry_run: bool = False,
          settings: Mapping[str, Any] | None = None, optout: Sequence[str | Path] = (),
          on_open: Callable[[OpenPort], None] | None = None, progress: Progress | None = None) -> SweepResult:
    """TCP-connect sweep of ``cidrs`` on ``ports`` (default: the sweep's default ports); open ports go to the
    candidates dataset of ``data_dir`` and, as found, to ``on_open``. Without ``dial_map`` (the simulator's routes)
    ``live=True`` is required to touch real addresses. ``settings`` override ``sweep_defaults()`` by name;
    ``data_dir/optout.txt`` and ``optout`` files are never contacted. ``dry_run``: only the plan."""
    import asyncio
    from dataclasses import replace

    from llmcensus.discover.optout import optout_path
    from llmcensus.discover.sweep import sweep_to_candidates
    from llmcensus.discover.sweepplan import SweepSettings, parse_ranges, plan_sweep
    from llmcensus.targets.blocklist import Blocklist
    from llmcensus.targets.dialmap import read_dial_map

    unknown = set(settings or {}) - set(sweep_defaults())
    if unknown:
        raise UsageError(f"unknown sweep settings: {', '.join(sorted(unknown))}")
    cfg = replace(SweepSettings(), **dict(settings or {}))
    parsed = parse_port_ranges(ports)
    if parsed is not None:
        cfg = replace(cfg, ports=parsed)
    ranges = parse_ranges(cidrs)
    blocklist = Blocklist.default([optout_path(data_dir), *(Path(p) for p in optout)])
    routes = read_dial_map(Path(dial_map)) if dial_map is not None else None
    if routes is None and not live:
        raise UsageError("no dial map: pass live=True (--live) to sweep real addresses (see docs/scanning-policy.md)")
    plan: SweepPlan = plan_sweep(ranges, cfg, blocklist, routes)
    if dry_run:
        return SweepResult(plan.lines(), dry_run=True)
    stats, parts = asyncio.run(sweep_to_candidates(ranges, data_dir, cfg, blocklist=blocklist, dial_map=routes,
                                                   live=live, on_open=on_open, progress=progress))
    if progress is not None:  # blocked targets counted after the last connect attempt
        progress("sweep", sum(stats.counts.values()), stats.targets)
    return SweepResult(plan.lines(), addresses=stats.addresses, ports=cfg.ports, attempted=stats.attempted,
                       seconds=stats.elapsed, counts=dict(stats.counts), parts=list(parts))


def data_layout(data_dir: str | Path) -> Layout:
    """Where everything of a data folder lives (``docs/store.md``): ``.observations``, ``.candidates``, ``.optout``,
    ``.report``, ``.watchlist``, ``.monitor``, ``.truth``, ... (paths; nothing is created)."""
    from llmcensus.store.layout import Layout

    return Layout(data_dir)


def optout_add(data_dir: str | Path, cidr: str, reason: str = "") -> tuple[str, bool]:
    """Add ``cidr`` to ``<data_dir>/optout.txt``; returns (the covering network, whether it was added). A network
    already covered by an entry is left alone."""
    from llmcensus.discover import optout

    entry, added = optout.add(data_dir, cidr, reason)
    return str(entry.network), added


def optout_remove(data_dir: str | Path, cidr: str) -> bool:
    """Remove exactly ``cidr`` from the opt-out list; False when it is not on it."""
    from llmcensus.discover import optout

    return optout.remove(data_dir, cidr)


def optout_list(data_dir: str | Path) -> list[str]:
    """The opt-out list, one line per network as written (``CIDR  # date reason``)."""
    from llmcensus.discover import optout

    return [entry.line() for entry in optout.list_entries(data_dir)]


def explain_lineage(name: str, digest: str | None = None, *, family: str | None = None,
                    parameter_size: str | None = None, license_head: str | None = None) -> dict[str, Any]:
    """How one model name (as a host lists it) resolves to a lineage, lab and country, with the evidence."""
    from llmcensus.enrich.attributes import param_band, param_billions
    from llmcensus.enrich.guardrails import name_marker
    from llmcensus.enrich.lineage import resolve

    res = resolve(name, digest, family=family, parameter_size=parameter_size, license_head=license_head)
    p = res.parsed
    return {
        "name": name,
        "parsed": {"registry": p.registry, "namespace": p.namespace, "model": p.model, "tag": p.tag,
                   "digest": p.digest, "is_hf": p.is_hf, "valid": p.valid},
        "lineage": res.lineage, "confidence": res.confidence, "evidence": list(res.evidence), "reason": res.reason,
        "lab": res.lab, "lab_country": res.lab_country, "is_official": res.is_official,
        "is_derivative": res.is_derivative, "derivative_kind": res.derivative_kind, "is_cloud": res.is_cloud,
        "upstream_lineage": res.upstream, "param_band": param_band(param_billions(parameter_size)),
        "name_marker": name_marker(name),
    }


def check_alerts(data_dir: str | Path, *, watchlist: str | Path | None = None,
                 webhook: str | None = None) -> CheckSummary | None:
    """Evaluate the lineage watchlist (default ``<data_dir>/watchlist.toml``) against the store, append new alerts
    to ``<data_dir>/monitor/alerts.jsonl`` and POST them to ``webhook``; None when there is no watchlist."""
    from llmcensus.monitor.check import check
    from llmcensus.store.layout import Layout

    if not Path(watchlist or Layout(data_dir).watchlist).exists():
        return None
    return check(data_dir, watchlist=watchlist, webhook=webhook)


def alerts(data_dir: str | Path) -> list[dict[str, Any]]:
    """Every lineage alert raised so far (``docs/lineage.md``, "Watchlists and alerts"), oldest first."""
    from llmcensus.monitor.alerts import read_alerts
    from llmcensus.store.layout import Layout

    return read_alerts(Layout(data_dir).monitor / "alerts.jsonl")


@dataclass
class ExportSummary:
    """What ``notification_export`` wrote."""

    path: Path
    endpoints: int
    networks: int
    raw_addresses: bool

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "endpoints": self.endpoints, "networks": self.networks,
                "raw_addresses": self.raw_addresses}


def notification_export(data_dir: str | Path, out: str | Path, *, fmt: str = "csv", addresses: bool = False,
                        key_file: str | Path | None = None, host_key: str = "ip") -> ExportSummary:
    """Write the notification export for CERTs (``docs/security.md``): per network, the open endpoints on a version
    with an unauthenticated, remotely reachable advisory; ``fmt`` csv or json. Addresses are the dashboard's
    pseudonyms (the data folder's key) unless ``addresses``; ``key_file``: a 32-byte key to use instead."""
    from llmcensus.analyze.notify import export_notifications, write_export

    key = None
    if key_file is not None:
        try:
            key = Path(key_file).read_bytes()
        except OSError as exc:
            raise InputError(f"{key_file}: cannot read the key file: {exc.strerror}") from exc
        if len(key) != 32:
            raise InputError(f"{key_file}: a pseudonym key is 32 bytes (head -c 32 /dev/urandom), not {len(key)}")
    export = export_notifications(data_dir, addresses=addresses, key=key, host_key=host_key)
    path = write_export(export, out, fmt)
    return ExportSummary(path, len(export.rows), len(export.networks()), addresses)
