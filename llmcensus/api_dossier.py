"""The lineage dossier of the public API (re-exported by ``llmcensus.api``): one HTML page about one lineage.

Kept beside ``api.py`` so that the lineage-monitoring work does not edit the shared API module; it follows the same
rules (paths and plain values in, a summary with ``as_dict()`` out, only ``LLMCensusError`` raised, nothing printed,
heavy imports deferred to the call).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmcensus.errors import UsageError


@dataclass
class DossierSummary:
    lineage: str
    path: Path
    hosts_ever: int
    alerts: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return {"lineage": self.lineage, "path": str(self.path), "hosts_ever": self.hosts_ever,
                "alerts": self.alerts, "seconds": round(self.seconds, 3)}  # fmt: skip


def dossier(lineage: str, data_dir: str | Path, out: str | Path | None = None, *, host_key: str = "ip",
            params: Mapping[str, Any] | None = None, refresh: bool = True) -> DossierSummary:
    """Write the dossier of ``lineage`` (adoption, derivatives, geography, runtimes, risk profile, alerts) from the
    store of ``data_dir`` to ``out`` (default ``<data_dir>/report/dossiers/<safe name>.html``). Runs only the
    lineage metrics the page reads; with ``refresh`` the store first folds in new observation files. A lineage
    neither catalogued nor seen in the data is a ``UsageError``."""
    import datetime as dt
    import time

    from llmcensus.analyze.run import run_study
    from llmcensus.errors import DataError
    from llmcensus.report.dossier import DOSSIER_METRICS, Pages, load_alerts, safe_name
    from llmcensus.store.derive import ViewParams
    from llmcensus.store.layout import Layout

    if not lineage.strip():
        raise UsageError("a lineage name is required (e.g. llama3.1; see llmcensus enrich lineage NAME)")
    if not Path(data_dir).is_dir():
        raise UsageError(f"no data folder {data_dir}")
    t0 = time.perf_counter()
    res = run_study(data_dir, view_params=ViewParams(host_key=host_key), refresh=refresh, names=list(DOSSIER_METRICS),
                    params=dict(params or {}))
    metrics = {n: res.metrics[n].rows() for n in DOSSIER_METRICS}
    alerts = load_alerts(data_dir)
    pages = Pages(metrics, alerts)
    if not pages.known(lineage):
        raise UsageError(f"lineage {lineage!r} is neither in the lineage catalogue nor seen in {data_dir}")
    path = Path(out) if out is not None else Layout(data_dir).report / "dossiers" / f"{safe_name(lineage)}.html"
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pages.render(lineage, generated_at=stamp), encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{path}: cannot write the dossier: {exc}") from exc
    hosts = pages.milestones.get(lineage, {}).get("hosts_ever") or 0
    return DossierSummary(lineage, path, int(hosts), len(pages.alerts.get(lineage, [])), time.perf_counter() - t0)
