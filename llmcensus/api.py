"""The public Python API of llmcensus: what the command line calls, for notebooks and scripts.

Every function takes paths and plain values, returns a summary object (each has ``as_dict()`` for JSON) or a
table, and raises only ``llmcensus.errors.LLMCensusError`` subclasses. Nothing here prints or exits: the CLI
(``llmcensus.cli``) parses options, calls one of these functions and prints its summary. Documented with runnable
examples in ``docs/api.md`` (``tests/test_api_docs.py`` executes them).

Like ``cli``, this module wires stages together, so it may import every stage; the simulator only inside
``study`` (``tests/test_import_contract.py``). Each heavy import is deferred to the call, so that
``import llmcensus`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcensus.errors import UsageError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from llmcensus.discover.importer import ImportSummary
    from llmcensus.enrich.run import EnrichSummary
    from llmcensus.probe.engine import SweepSummary
    from llmcensus.probe.settings import ProbeSettings
    from llmcensus.report.build import ReportSummary
    from llmcensus.simstudy import StudySummary
    from llmcensus.store.relations import UpdateSummary

__all__ = ["StudyResult", "enrich", "events", "import_candidates", "metrics", "open_store", "probe_settings",
           "report", "scan", "store_update", "study"]


def probe_settings(settings: ProbeSettings | Mapping[str, Any] | None = None) -> ProbeSettings:
    """``ProbeSettings`` from a mapping of setting names (``docs/configuration.md``, section ``[scan]``)."""
    from llmcensus.probe.settings import ProbeSettings

    if settings is None:
        return ProbeSettings()
    if isinstance(settings, ProbeSettings):
        return settings
    return ProbeSettings().with_(**dict(settings))


def scan(targets: str | Path | None = None, *, data_dir: str | Path, candidates: str | Path | None = None,
         dial_map: str | Path | None = None, sweep_id: str | None = None, resume: bool = False,
         ports: Sequence[int] | None = None, optout: Sequence[str | Path] = (),
         settings: ProbeSettings | Mapping[str, Any] | None = None, progress: bool = False,
         clock: Callable[[], Any] | None = None) -> SweepSummary:
    """Probe ``targets`` (a file of ip, ip:port or CIDR lines, or ``"-"`` for stdin) or a ``candidates`` dataset,
    read-only, appending one observation per (target, port) to ``data_dir``. ``ports`` default to every runtime
    module's default ports; ``settings`` are probe settings (a ``ProbeSettings`` or a mapping of names)."""
    from llmcensus.probe.runtimes import DEFAULT_PORTS
    from llmcensus.probe.sweep import ScanRequest
    from llmcensus.probe.sweep import scan as run_scan

    req = ScanRequest(
        data_dir=Path(data_dir), targets_file=str(targets) if targets is not None else None,
        candidates=Path(candidates) if candidates is not None else None,
        dial_map=Path(dial_map) if dial_map is not None else None, sweep_id=sweep_id, resume=resume,
        ports=tuple(ports) if ports is not None else DEFAULT_PORTS, optout_files=[Path(p) for p in optout],
        settings=probe_settings(settings), progress=progress,
    )
    return run_scan(req, clock=clock)


def import_candidates(fmt: str, files: Iterable[str | Path], data_dir: str | Path, *,
                      ports: Sequence[int] | None = None, cidr_cap: int = 65536,
                      on_issue: Callable[[Any], None] | None = None) -> ImportSummary:
    """Import scan-engine exports (``fmt``: censys, shodan, fofa, masscan, zmap, list, ...) into the candidates
    dataset of ``data_dir``; malformed records are skipped and passed to ``on_issue``."""
    from llmcensus.discover.formats import ImportOptions
    from llmcensus.discover.importer import import_files

    options = ImportOptions(ports=tuple(ports) if ports is not None else None, cidr_cap=cidr_cap)
    return import_files(fmt, [Path(f) for f in files], Path(data_dir), options=options, on_issue=on_issue)


def enrich(data_dir: str | Path, *, geo_mmdb: str | Path | None = None, asn_mmdb: str | Path | None = None,
           rebuild: bool = False) -> EnrichSummary:
    """Geo, ASN, network tier, lineage, capabilities and prompt clusters for the observations of ``data_dir``
    (incremental: only keys not enriched yet, unless ``rebuild``)."""
    from llmcensus.enrich.run import enrich as run_enrich

    return run_enrich(data_dir, geo_mmdb=geo_mmdb, asn_mmdb=asn_mmdb, rebuild=rebuild)


def store_update(data_dir: str | Path, *, host_key: str = "ip", rebuild: bool = False) -> UpdateSummary:
    """Fold observation files not folded yet into the store of ``data_dir`` (or rebuild it), holding the data
    folder's writer lock; derives the events."""
    from llmcensus.datalock import writer_lock
    from llmcensus.store.relations import update

    if not Path(data_dir).is_dir():
        raise UsageError(f"no data folder {data_dir}")
    with writer_lock(data_dir, "llmcensus store update"):
        return update(data_dir, host_key, rebuild=rebuild)


def events(data_dir: str | Path, *, kinds: Sequence[str] | None = None, since: date | str | None = None,
           limit: int = 100, host_key: str = "ip") -> list[dict[str, object]]:
    """The store's events (first seen, model added/removed/updated, version, auth and runtime changes), newest
    first; ``since`` is a UTC day (``date`` or ``"YYYY-MM-DD"``)."""
    from llmcensus.store.relations import read_events

    if isinstance(since, str):
        try:
            since = date.fromisoformat(since)
        except ValueError:
            raise UsageError(f"since takes a day YYYY-MM-DD, not {since!r}") from None
    if limit < 1:
        raise UsageError("limit must be at least 1")
    return read_events(data_dir, host_key, kinds=list(kinds) if kinds else None, since=since, limit=limit)


def open_store(data_dir: str | Path, *, host_key: str = "ip", refresh: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with every relation the metrics read (``docs/store.md``): ``host_stats``,
    ``host_geo``, ``host_models``, ``observations``, ... Close it when done (``with open_store(d) as con:``)."""
    from llmcensus.store import db
    from llmcensus.store.derive import ViewParams, attach

    con = db.connect()
    try:
        attach(con, data_dir, ViewParams(host_key=host_key), refresh=refresh)
    except BaseException:
        con.close()
        raise
    return con


def metrics(data_dir: str | Path, names: Sequence[str] | None = None, *, host_key: str = "ip",
            params: Mapping[str, Any] | None = None) -> dict[str, pa.Table]:
    """Run the named metric queries (all, or ``names``; ``docs/metrics.md``) and return ``{name: Arrow table}``."""
    from llmcensus.analyze.run import run_study as run_queries
    from llmcensus.store.derive import ViewParams

    res = run_queries(data_dir, view_params=ViewParams(host_key=host_key), params=dict(params or {}),
                      names=list(names) if names is not None else None)
    return {name: m.table for name, m in res.metrics.items()}


def report(data_dir: str | Path, out_dir: str | Path | None = None, *, host_key: str = "ip",
           params: Mapping[str, Any] | None = None) -> ReportSummary:
    """Compute every metric and write ``report.html``, ``report.md``, ``metrics.json`` and ``tables/*.csv`` to
    ``out_dir`` (default ``<data_dir>/report``)."""
    from llmcensus.report.build import build_report
    from llmcensus.store.derive import ViewParams
    from llmcensus.store.layout import Layout

    out = Path(out_dir) if out_dir is not None else Layout(data_dir).report
    return build_report(data_dir, out, view_params=ViewParams(host_key=host_key), params=dict(params or {}))


@dataclass
class StudyResult:
    """What ``study`` did: the simulated days, enrichment and the report (``None`` when skipped)."""

    out: Path
    sweeps: StudySummary
    enrich: EnrichSummary | None = None
    report: ReportSummary | None = None
    truth: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "days": [vars(d) for d in self.sweeps.days],
            "sweep_seconds": round(self.sweeps.seconds, 3),
            "enrich": self.enrich.as_dict() if self.enrich is not None else None,
            "report": None if self.report is None else {
                "out_dir": str(self.report.out_dir), "metrics": self.report.metrics,
                "seconds": round(self.report.seconds, 3), "headline": self.report.headline},
        }


def study(out: str | Path, *, hosts: int = 2_000, days: int = 14, seed: int = 7,
          params: Mapping[str, Any] | Sequence[str] | None = None,
          imports: Sequence[tuple[str, Sequence[str | Path]]] | None = None, progress: bool = False,
          echo: Callable[[str], Any] | None = None, with_enrich: bool = True,
          with_report: bool = True) -> StudyResult:
    """The study on the simulated internet, into the empty folder ``out``: serve, sweep and store each day through
    real HTTP on loopback, then enrich and report (``docs/simulation.md``). ``params`` override simulation
    parameters (a mapping or ``name=value`` strings); ``imports`` start from discovery exports, as (format, files)
    pairs; ``echo`` receives one line per simulated day."""
    import json

    from llmcensus.simstudy import simulate_study
    from llmcensus.simulate.params import Params, with_overrides
    from llmcensus.store.layout import Layout

    if isinstance(params, Mapping):
        items = [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in params.items()]
    else:
        items = list(params or [])
    p = with_overrides(Params(hosts=hosts, days=days, seed=seed), items)
    sweeps = simulate_study(Path(out), p, progress=progress, echo=echo,
                            imports=[(fmt, [Path(f) for f in files]) for fmt, files in imports] if imports else None)
    result = StudyResult(Path(out), sweeps)
    truth = Layout(out).truth / "metrics.json"
    if truth.exists():
        result.truth = json.loads(truth.read_text(encoding="utf-8"))
    if with_enrich:
        result.enrich = enrich(out)
    if with_report:
        result.report = report(out)
    return result
