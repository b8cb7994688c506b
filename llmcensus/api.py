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

from llmcensus.api_dossier import DossierSummary, dossier
from llmcensus.api_more import (
    ExportSummary,
    Progress,
    SweepResult,
    alerts,
    as_day,
    check_alerts,
    data_layout,
    discovery_formats,
    explain_lineage,
    notification_export,
    optout_add,
    optout_list,
    optout_remove,
    parse_port_ranges,
    sweep,
    sweep_defaults,
)
from llmcensus.api_serve import dashboard_app, export, serve, serve_token
from llmcensus.errors import SimulationError, UsageError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from llmcensus.discover.importer import ImportSummary
    from llmcensus.enrich.run import EnrichSummary
    from llmcensus.observations.merge import MergeSummary
    from llmcensus.observatory import CycleSummary
    from llmcensus.probe.engine import SweepSummary
    from llmcensus.probe.settings import ProbeSettings
    from llmcensus.report.build import ReportSummary
    from llmcensus.simstudy import StudySummary
    from llmcensus.store.relations import UpdateSummary

__all__ = ["DossierSummary", "ExportSummary", "Progress", "StudyResult", "SweepResult", "WorldSummary", "alerts",
           "build_address_pool", "check_alerts", "dashboard_app", "data_layout", "discovery_formats", "dossier",
           "enrich", "events", "explain_lineage", "export", "import_candidates", "merge", "metrics",
           "notification_export", "open_store", "optout_add", "optout_list", "optout_remove", "parse_port_ranges",
           "probe_setting_names", "probe_settings", "report", "run", "scan", "serve", "serve_token",
           "simulate_observations", "simulate_params", "simulate_serve", "simulate_truth", "simulate_world",
           "store_update", "study", "sweep", "sweep_defaults"]

# Library classes the command line and callers of the old ``llmcensus.cli.run``/``cli.study`` names reach through
# the API; loaded on first use (``__getattr__``), so that ``import llmcensus.api`` stays cheap.
_LAZY = {
    "RunState": "llmcensus.observatory", "Schedule": "llmcensus.observatory", "run_loop": "llmcensus.observatory",
    "CycleSummary": "llmcensus.observatory", "Monitoring": "llmcensus.observatory",
    "parse_every": "llmcensus.observatory", "Source": "llmcensus.observatory",
    "TargetSource": "llmcensus.observatory", "SimulatedSource": "llmcensus.simstudy",
    "simulate_study": "llmcensus.simstudy", "STUDY_PROBE_SETTINGS": "llmcensus.simstudy",
    "DayClock": "llmcensus.simstudy", "DaySummary": "llmcensus.simstudy", "StudySummary": "llmcensus.simstudy",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'llmcensus.api' has no attribute {name!r}")


def probe_settings(settings: ProbeSettings | Mapping[str, Any] | None = None,
                   overrides: Sequence[str] = ()) -> ProbeSettings:
    """``ProbeSettings`` from a mapping of setting names (``docs/configuration.md``, section ``[scan]``), then
    ``overrides``: ``name=value`` strings as ``--set`` takes them."""
    from llmcensus.probe.settings import ProbeSettings
    from llmcensus.probe.sweep import parse_setting_overrides

    if settings is None:
        base = ProbeSettings()
    elif isinstance(settings, ProbeSettings):
        base = settings
    else:
        base = ProbeSettings().with_(**dict(settings))
    return parse_setting_overrides(list(overrides), base) if overrides else base


def probe_setting_names() -> list[str]:
    """The names of every probe setting (``docs/configuration.md``, section ``[scan]``)."""
    from llmcensus.probe.settings import SETTINGS

    return [s.name for s in SETTINGS]


def scan(targets: str | Path | None = None, *, data_dir: str | Path, candidates: str | Path | None = None,
         dial_map: str | Path | None = None, sweep_id: str | None = None, resume: bool = False,
         ports: str | Sequence[int] | None = None, optout: Sequence[str | Path] = (),
         settings: ProbeSettings | Mapping[str, Any] | None = None, progress: bool = False,
         clock: Callable[[], Any] | None = None, shard: str | None = None) -> SweepSummary:
    """Probe ``targets`` (a file of ip, ip:port or CIDR lines, or ``"-"`` for stdin) or a ``candidates`` dataset,
    read-only, appending one observation per (target, port) to ``data_dir``. ``ports`` default to every runtime
    module's default ports (``"11434,8080"`` or ints); ``settings`` are probe settings (a ``ProbeSettings`` or a
    mapping of names). ``progress`` draws the probe's own bar on stderr (done/total, rate, counts by status).
    ``shard="i/n"`` sweeps only shard i of n of the targets (by address; needs ``sweep_id``, the same on every
    shard; ``docs/sharding.md``)."""
    from llmcensus.observations.shard import parse_shard
    from llmcensus.probe.runtimes import DEFAULT_PORTS
    from llmcensus.probe.sweep import ScanRequest
    from llmcensus.probe.sweep import scan as run_scan
    from llmcensus.targets.parse import parse_ports

    if isinstance(ports, str):
        ports = parse_ports(ports)

    req = ScanRequest(
        data_dir=Path(data_dir), targets_file=str(targets) if targets is not None else None,
        candidates=Path(candidates) if candidates is not None else None,
        dial_map=Path(dial_map) if dial_map is not None else None, sweep_id=sweep_id, resume=resume,
        ports=tuple(ports) if ports is not None else DEFAULT_PORTS, optout_files=[Path(p) for p in optout],
        settings=probe_settings(settings), progress=progress, shard=parse_shard(shard),
    )
    return run_scan(req, clock=clock)


def merge(sources: Sequence[str | Path], data_dir: str | Path) -> MergeSummary:
    """Copy the committed observations, bodies, inventories, show data and sweep manifests of each source data folder
    (a local path, or a URI pyarrow's filesystems open: ``s3://``, ``gs://``, ``hdfs://``, ``file://``) into
    ``data_dir``: the shards of a sweep run on n machines become one sweep (``docs/sharding.md``). Idempotent; a file
    already in ``data_dir`` with other bytes is a ``DataError`` naming it, and nothing is copied."""
    from llmcensus.observations.merge import merge as merge_folders

    return merge_folders([str(s) for s in sources], data_dir)


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
           rebuild: bool = False, progress: Progress | None = None) -> EnrichSummary:
    """Geo, ASN, network tier, lineage, capabilities and prompt clusters for the observations of ``data_dir``
    (incremental: only keys not enriched yet, unless ``rebuild``). ``progress("enrich", done, 4)`` after each
    stage."""
    from llmcensus.enrich.run import enrich as run_enrich

    return run_enrich(data_dir, geo_mmdb=geo_mmdb, asn_mmdb=asn_mmdb, rebuild=rebuild, progress=progress)


def store_update(data_dir: str | Path, *, host_key: str = "ip", rebuild: bool = False,
                 progress: Progress | None = None) -> UpdateSummary:
    """Fold observation files not folded yet into the store of ``data_dir`` (or rebuild it), holding the data
    folder's writer lock; derives the events. ``progress("store", done, files)`` as files are taken."""
    from llmcensus.datalock import writer_lock
    from llmcensus.store.relations import update

    if not Path(data_dir).is_dir():
        raise UsageError(f"no data folder {data_dir}")
    with writer_lock(data_dir, "llmcensus store update"):
        return update(data_dir, host_key, rebuild=rebuild, progress=progress)


def events(data_dir: str | Path, *, kinds: Sequence[str] | None = None, since: date | str | None = None,
           limit: int = 100, host_key: str = "ip") -> list[dict[str, object]]:
    """The store's events (first seen, model added/removed/updated, version, auth and runtime changes), newest
    first; ``since`` is a UTC day (``date`` or ``"YYYY-MM-DD"``)."""
    from llmcensus.store.relations import read_events

    since = as_day(since, "since")
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
            params: Mapping[str, Any] | None = None, progress: Progress | None = None) -> dict[str, pa.Table]:
    """Run the named metric queries (all, or ``names``; ``docs/metrics.md``) and return ``{name: Arrow table}``;
    ``progress("metrics", done, total)`` after each query."""
    from llmcensus.analyze.run import run_study as run_queries
    from llmcensus.store.derive import ViewParams

    res = run_queries(data_dir, view_params=ViewParams(host_key=host_key), params=dict(params or {}),
                      names=list(names) if names is not None else None, progress=progress)
    return {name: m.table for name, m in res.metrics.items()}


def report(data_dir: str | Path, out_dir: str | Path | None = None, *, host_key: str = "ip",
           params: Mapping[str, Any] | None = None, progress: Progress | None = None, engine: str = "duckdb",
           master: str | None = None, spark_conf: Sequence[str] | Mapping[str, str] | None = None) -> ReportSummary:
    """Compute every metric and write ``report.html``, ``report.md``, ``metrics.json`` and ``tables/*.csv`` to
    ``out_dir`` (default ``<data_dir>/report``); ``progress("metrics", done, total)`` after each query. ``engine``
    ``"spark"`` computes them on Apache Spark instead of DuckDB (``master``, default ``local[*]``, and ``spark_conf``
    settings ``key=value``; docs/spark.md)."""
    from llmcensus.report.build import build_report
    from llmcensus.spark.session import check_engine
    from llmcensus.store.derive import ViewParams
    from llmcensus.store.layout import Layout

    check_engine(engine, spark_options=bool(master or spark_conf))
    out = Path(out_dir) if out_dir is not None else Layout(data_dir).report
    view, bound = ViewParams(host_key=host_key), dict(params or {})
    results = None
    if engine == "spark":
        from llmcensus.spark.study import study_results

        results = study_results(data_dir, view_params=view, params=bound, master=master, conf=spark_conf,
                                progress=progress)
    summary = build_report(data_dir, out, view_params=view, params=bound, results=results, progress=progress)
    if results is not None:  # the analysis ran before build_report: count it in the summary's times
        spent = results.setup_seconds + sum(m.seconds for m in results.metrics.values())
        summary.seconds += spent
        summary.analyze_seconds += spent
    return summary


@dataclass
class StudyResult:
    """What ``study`` did: the simulated days, enrichment and the report (``None`` when skipped)."""

    out: Path
    sweeps: StudySummary
    enrich: EnrichSummary | None = None
    report: ReportSummary | None = None
    truth: dict[str, Any] = field(default_factory=dict)
    # issue #18: the lineages whose host share rose / fell most from the first month to the last (with the report),
    # and the alerts the watchlist raised (None: no watchlist, the monitor did not run)
    risers: list[Any] = field(default_factory=list)
    fallers: list[Any] = field(default_factory=list)
    alerts: list[dict[str, Any]] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "days": [vars(d) for d in self.sweeps.days],
            "sweep_seconds": round(self.sweeps.seconds, 3),
            "enrich": self.enrich.as_dict() if self.enrich is not None else None,
            "report": None if self.report is None else {
                "out_dir": str(self.report.out_dir), "metrics": self.report.metrics,
                "seconds": round(self.report.seconds, 3), "headline": self.report.headline},
            "movers": {"risers": [m.as_dict() for m in self.risers], "fallers": [m.as_dict() for m in self.fallers]},
            "alerts": self.alerts,
        }


def _sim_params(hosts: int, days: int, seed: int, params: Mapping[str, Any] | Sequence[str] | None) -> Any:
    """Simulation ``Params``: the defaults, ``hosts``/``days``/``seed``, then ``params`` (a mapping or
    ``name=value`` strings with JSON values, as ``--param`` takes them)."""
    from llmcensus.simulate.params import Params, with_overrides

    return with_overrides(Params(hosts=hosts, days=days, seed=seed), _param_items(params or []))


def study(out: str | Path, *, hosts: int = 2_000, days: int = 14, seed: int = 7,
          params: Mapping[str, Any] | Sequence[str] | None = None,
          imports: Sequence[tuple[str, Sequence[str | Path]]] | None = None, progress: Progress | None = None,
          scan_progress: bool = False, echo: Callable[[str], Any] | None = None, with_enrich: bool = True,
          with_report: bool = True, watchlist: str | Path | None = None) -> StudyResult:
    """The study on the simulated internet, into the empty folder ``out``: serve, sweep and store each day through
    real HTTP on loopback, then enrich and report (``docs/simulation.md``). ``params`` override simulation
    parameters (a mapping or ``name=value`` strings); ``imports`` start from discovery exports, as (format, files)
    pairs; ``echo`` receives one line per simulated day. ``progress`` is called with the stages ``days``,
    ``enrich`` and ``metrics``; ``scan_progress`` draws the probe's own bar during each sweep instead. With the
    report come the top adoption movers and, given a ``watchlist`` (or lineage events planted in the world, whose
    watchlist is then written to ``<out>/watchlist.toml``), the lineage alerts (``llmcensus/monitor/``)."""
    import json

    from llmcensus.simstudy import simulate_study
    from llmcensus.store.layout import Layout

    p = _sim_params(hosts, days, seed, params)
    sweeps = simulate_study(Path(out), p, progress=scan_progress, echo=echo, on_progress=progress,
                            imports=[(fmt, [Path(f) for f in files]) for fmt, files in imports] if imports else None)
    result = StudyResult(Path(out), sweeps)
    truth = Layout(out).truth / "metrics.json"
    if truth.exists():
        result.truth = json.loads(truth.read_text(encoding="utf-8"))
    if with_enrich:
        result.enrich = enrich(out, progress=progress)
    if with_report:
        from llmcensus.monitor.movers import movers

        if watchlist is None and p.lineage_events:
            from llmcensus.simulate.lineage_plan import watchlist_toml

            watchlist = Layout(out).watchlist
            Path(watchlist).write_text(watchlist_toml(p), encoding="utf-8")
        if watchlist is not None:  # before the report, so that its dossiers show the alerts
            store_update(out)
            checked = check_alerts(out, watchlist=watchlist)
            result.alerts = checked.new if checked is not None else []
        result.report = report(out, progress=progress)
        result.risers, result.fallers = movers(out)
    return result


def run(data_dir: str | Path, *, targets: str | Path | None = None, candidates: str | Path | None = None,
        simulate: bool = False, hosts: int = 2_000, days: int = 14, seed: int = 7,
        params: Mapping[str, Any] | Sequence[str] | None = None, every: str | float | None = None,
        cron: str | None = None, cycles: int | None = None, settings: ProbeSettings | Mapping[str, Any] | None = None,
        overrides: Sequence[str] = (), host_key: str = "ip", write_report: bool = True,
        events_out: str | Path | None = None, watchlist: str | Path | None = None, webhook: str | None = None,
        on_cycle: Callable[[CycleSummary], Any] | None = None,
        echo: Callable[[str], Any] = print) -> list[CycleSummary]:
    """Run the observatory on ``data_dir``: each cycle scans ``targets`` (or ``candidates``; with ``simulate``, one
    day of a simulated world of ``hosts``/``days``/``seed``/``params``), enriches, updates the store, writes the
    report and appends new events to ``events_out`` (default ``<data_dir>/run/events.jsonl``), then evaluates the
    watchlist. Cycles start every ``every`` (seconds or ``"30m"``, ``"6h"``, ``"1d"``; default a day, at once with
    ``simulate``) or at the times of ``cron`` (UTC), until ``cycles`` are done or the simulated window ends.
    ``settings`` and ``overrides`` are probe settings (ignored by ``simulate``, which probes loopback only, except
    ``overrides``). Each finished cycle goes to ``on_cycle`` (default: its line to ``echo``). Ctrl+C or SIGTERM
    stops cleanly with ``SystemExit(130)``; running again resumes (``llmcensus/observatory.py``)."""
    from llmcensus.observatory import Monitoring, Schedule, Source, TargetSource, parse_every, run_loop

    if every is not None and cron is not None:
        raise UsageError("give every (--every) or cron (--cron), not both")
    if cycles is not None and cycles < 1:
        raise UsageError("cycles (--cycles) must be at least 1")
    source: Source
    if simulate:
        if targets is not None or candidates is not None:
            raise UsageError("simulate (--simulate) brings its own targets: drop targets and candidates")
        from llmcensus.simstudy import SimulatedSource
        from llmcensus.store.layout import Layout

        source = SimulatedSource(Layout(data_dir), hosts=hosts, days=days, seed=seed,
                                 param=_param_items(params or []))
        base = source.settings  # the simulator's loopback settings; [scan] is for real sweeps
    else:
        source = TargetSource(str(targets) if targets is not None else None,
                              Path(candidates) if candidates is not None else None)
        base = probe_settings(settings)
    every_s = every if isinstance(every, int | float) else parse_every(every or ("0" if simulate else "1d"))
    return run_loop(Path(data_dir), source, schedule=Schedule(float(every_s), cron), cycles=cycles,
                    settings=probe_settings(base, overrides), host_key=host_key, write_report=write_report,
                    echo=echo, events_out=Path(events_out) if events_out is not None else None, on_cycle=on_cycle,
                    monitoring=Monitoring(Path(watchlist) if watchlist is not None else None, webhook))


def _param_items(params: Mapping[str, Any] | Sequence[str]) -> list[str]:
    import json

    if isinstance(params, Mapping):
        return [f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in params.items()]
    return list(params)


# --- the simulated internet (``docs/simulation.md``) ---------------------------------------------------------------


@dataclass
class WorldSummary:
    """A simulated world that was built: its size, where its ground truth is, and (``simulate_observations``) the
    observations written for it."""

    out: Path
    ollama_hosts: int
    other_targets: int
    model_instances: int
    days: int
    build_seconds: float
    truth: Path
    observations: int | None = None
    successes: int | None = None
    write_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else round(v, 3) if isinstance(v, float) else v
                for k, v in vars(self).items()}


def simulate_params() -> list[tuple[str, Any, str, str]]:
    """Every simulation parameter as (name, default, help, the study figure it comes from)."""
    from llmcensus.simulate.params import param_table

    return list(param_table())


def _world(out: str | Path, hosts: int, days: int, seed: int,
           params: Mapping[str, Any] | Sequence[str] | None) -> tuple[Any, WorldSummary]:
    import time

    from llmcensus.simulate.truth import write_truth
    from llmcensus.simulate.world import build_world

    p = _sim_params(hosts, days, seed, params)
    t0 = time.perf_counter()
    world = build_world(p)
    seconds = time.perf_counter() - t0
    path = write_truth(world, Path(out))
    return world, WorldSummary(Path(out), world.hosts.n_ollama, world.hosts.n - world.hosts.n_ollama,
                               world.inventory.n, p.days, seconds, Path(path))


def simulate_world(out: str | Path, *, hosts: int = 2_000, days: int = 14, seed: int = 7,
                   params: Mapping[str, Any] | Sequence[str] | None = None) -> WorldSummary:
    """Build a simulated world and write its ground truth (hosts, inventories, expected metrics) under
    ``<out>/truth/``; the same seed and parameters give the same world."""
    return _world(out, hosts, days, seed, params)[1]


def simulate_observations(out: str | Path, *, hosts: int = 2_000, days: int = 14, seed: int = 7,
                          params: Mapping[str, Any] | Sequence[str] | None = None,
                          progress: Progress | None = None) -> WorldSummary:
    """The fast path: write a whole study's observations for a simulated world directly into ``out`` (no HTTP),
    in the probe's schema, with its ground truth. ``progress("days", done, days)`` after each day."""
    from llmcensus.simulate.fastpath import write_fastpath
    from llmcensus.store.layout import Layout

    if Layout(out).has_observations():
        raise SimulationError(f"{Layout(out).observations} already holds data; choose an empty --out")
    world, summary = _world(out, hosts, days, seed, params)
    step = None if progress is None else (lambda done, total: progress("days", done, total))
    written = write_fastpath(world, Path(out), progress=step)
    summary.observations, summary.successes, summary.write_seconds = (written.observations, written.successes,
                                                                      written.seconds)
    return summary


def simulate_truth(data_dir: str | Path) -> dict[str, Any]:
    """The expected headline figures of a built world (``<data_dir>/truth/metrics.json``, scope ``all``)."""
    import json

    from llmcensus.store.layout import Layout

    path = Layout(data_dir).truth / "metrics.json"
    if not path.exists():
        raise SimulationError(f"no ground truth at {path}; run 'llmcensus simulate build' first")
    truth: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["all"]
    return truth


def simulate_serve(out: str | Path, *, hosts: int = 2_000, days: int = 14, seed: int = 7,
                   params: Mapping[str, Any] | Sequence[str] | None = None, day: int = 0, duration: float = 0.0,
                   read_command: Callable[[], str] | None = None, echo: Callable[[str], Any] | None = None) -> int:
    """Serve the fleet of one simulated day on loopback (dial map in ``out/dialmap.csv``) for ``duration`` seconds,
    or until ``read_command`` (default: a line of stdin) says 'quit'; 'next' and 'day N' switch days. Returns the
    number of requests served (logged to ``out/requests.parquet``)."""
    from llmcensus.simstudy import serve_fleet

    return serve_fleet(Path(out), _sim_params(hosts, days, seed, params), day=day, duration=duration,
                       read_command=read_command, echo=echo)


def build_address_pool(out: str | Path) -> int:
    """Maintenance: rebuild the simulator's address pool from the installed plevin database (~1 min); returns the
    number of blocks written to the Parquet file ``out``."""
    from llmcensus.simulate.geopool import build_pool

    return int(build_pool(Path(out)))
