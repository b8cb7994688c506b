"""Adoption movers: the lineages whose share of hosts rose or fell most across the window (issue #18).

From ``lineage_adoption_by_month`` (every runtime): a lineage's host share in the window's first month and in its
last (0 when the lineage was not listed that month), and the change in percentage points. ``unknown`` (names that
resolve to no lineage) is not a lineage and is left out. With one month of data there is nothing to compare: no
movers. Ties are broken by lineage name, so the list is the same on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from llmcensus.analyze.registry import load_registry
from llmcensus.analyze.run import run_query
from llmcensus.monitor.alerts import connect_relations


@dataclass(frozen=True)
class Mover:
    lineage: str
    first_month: date
    last_month: date
    first_share: float
    last_share: float
    first_hosts: int
    last_hosts: int

    @property
    def change_pp(self) -> float:
        return (self.last_share - self.first_share) * 100

    def as_dict(self) -> dict[str, Any]:
        return {"lineage": self.lineage, "first_month": self.first_month.strftime("%Y-%m"),
                "last_month": self.last_month.strftime("%Y-%m"), "first_share": self.first_share,
                "last_share": self.last_share, "first_hosts": self.first_hosts, "last_hosts": self.last_hosts,
                "change_pp": round(self.change_pp, 2)}  # fmt: skip


def adoption_movers(rows: list[dict[str, Any]], top: int = 5) -> tuple[list[Mover], list[Mover]]:
    """(risers, fallers) among ``lineage_adoption_by_month`` rows: the ``top`` largest rises and falls of host
    share from the first month to the last, largest first; a lineage that did not move is in neither."""
    months = sorted({r["month"] for r in rows})
    if len(months) < 2:
        return [], []
    first, last = months[0], months[-1]
    cell = {(r["month"], r["lineage"]): r for r in rows if r["month"] in (first, last)}
    movers = []
    for lineage in sorted({lin for _, lin in cell} - {"unknown"}):
        a, b = cell.get((first, lineage)), cell.get((last, lineage))
        movers.append(Mover(lineage, first, last, float(a["host_share"]) if a else 0.0,
                            float(b["host_share"]) if b else 0.0, int(a["hosts"]) if a else 0,
                            int(b["hosts"]) if b else 0))  # fmt: skip
    risers = sorted((m for m in movers if m.change_pp > 0), key=lambda m: (-m.change_pp, m.lineage))[:top]
    fallers = sorted((m for m in movers if m.change_pp < 0), key=lambda m: (m.change_pp, m.lineage))[:top]
    return risers, fallers


def movers(data_dir: str | Path, top: int = 5) -> tuple[list[Mover], list[Mover]]:
    """``adoption_movers`` of the data folder's store (read as it is: update it first)."""
    con = connect_relations(data_dir)
    try:
        rows = run_query(con, load_registry()["lineage_adoption_by_month"]).rows()
    finally:
        con.close()
    return adoption_movers(rows, top)
