"""Alerts for watched lineages, computed from the store after each update, deduplicated across runs.

Rules (``rule`` in an alert), each about a watch of the watchlist (``watchlist.py``); "watched lineages" are the
watch's lineages, every lineage of its labs, and the catalogued fine-tunes of either (``lineage_catalog.upstream``):

* ``new_derivative``    a derivative model name of a watched lineage (a catalogued fine-tune, an uncensoring marker,
                        or a user namespace: the ``lineage_derivatives`` metric) or a name matching a watched pattern
                        is first listed by a host
* ``uncensored_hosts``  an uncensored variant of a watched lineage has been listed by ``uncensored_hosts`` hosts
* ``adoption``          the hosts that ever listed a watched lineage reach one of the watch's ``adoption`` counts
* ``new_country``       a watched lineage is first listed in a country (only the watch's ``countries`` if given)
* ``new_runtime``       a watched lineage is first served by a runtime
* ``modified_digest``   a model name served with a watched digest somewhere is served with another digest
* ``risk_jump``         the exposed hosts of a watched lineage (``lineage_risk_by_month``: tools ∧ thinking ∧ open ∧
                        uptime >= exposure_min_uptime) rise, in a month, by ``risk_jump_hosts`` or more over the month
                        before, or their share of the lineage's hosts by ``risk_jump_share`` or more; a month counts
                        from its first day, so the alert is dated to the day the month so far first made the jump
                        (an exposed host counts from its first day listing the lineage that month). Only a lineage
                        listed the month before can jump (a new one raises ``new_runtime`` and ``adoption``).
                        ``subject`` is the month (YYYY-MM); ``evidence`` has both months' exposed hosts and shares

Every alert is dated to the UTC day its condition first held (``first_seen``). Conditions that already held on the
first day of the data (the baseline) raise nothing: an alert says what changed while the observatory watched.
Schema of one alert (a JSON line in ``<data>/monitor/alerts.jsonl``; stable: fields are only ever added):
``id`` (16 hex: a hash of rule, watch, lineage, subject and threshold: the same condition is the same alert on
every run), ``rule``, ``watch``, ``lineage``, ``subject`` (model name, country, runtime or digest), ``threshold``
(or null), ``first_seen`` (YYYY-MM-DD), ``counts`` (hosts), ``evidence`` (what matched), ``detected_at`` (UTC
time the alert was first written).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from llmcensus.analyze.registry import load_registry
from llmcensus.analyze.run import run_query
from llmcensus.monitor.watchlist import Watch, Watchlist
from llmcensus.store import db


@dataclass(frozen=True)
class Alert:
    rule: str
    watch: str
    lineage: str
    subject: str
    first_seen: date
    hosts: int
    evidence: dict[str, Any]
    threshold: int | None = None

    @property
    def id(self) -> str:
        key = "|".join([self.rule, self.watch, self.lineage, self.subject, str(self.threshold or "")])
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def record(self, detected_at: datetime) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "watch": self.watch, "lineage": self.lineage,
                "subject": self.subject, "threshold": self.threshold, "first_seen": self.first_seen.isoformat(),
                "counts": {"hosts": self.hosts}, "evidence": self.evidence,
                "detected_at": detected_at.isoformat(timespec="seconds")}  # fmt: skip


def watched_lineages(con: duckdb.DuckDBPyConnection, watch: Watch) -> set[str]:
    """The watch's lineages, its labs' lineages, and their catalogued fine-tunes."""
    base = set(watch.lineages)
    rows = con.execute("SELECT lineage, lab, upstream FROM lineage_catalog").fetchall()
    base |= {lin for lin, lab, _ in rows if lab in watch.labs}
    return base | {lin for lin, _, up in rows if set(up or ()) & base}


# Per (lineage, host): the first day the host listed the lineage; per (lineage, country) and (lineage, runtime): the
# first day any host did. From host_lineage_months (every runtime).
_HOST_FIRSTS = """
SELECT lineage, host, min(first_day) AS first_day FROM host_lineage_months
WHERE list_contains($lineages, lineage) GROUP BY lineage, host
"""


def evaluate(con: duckdb.DuckDBPyConnection, watchlist: Watchlist) -> list[Alert]:
    """Every alert the watchlist's rules raise on the store's relations (attached on ``con``), in date order."""
    baseline = con.execute("SELECT min(day) FROM sweep_days").fetchall()[0][0]
    if baseline is None or not watchlist.watches:
        return []
    derivatives = run_query(con, load_registry()["lineage_derivatives"]).rows()
    out: list[Alert] = []
    for w in watchlist.watches:
        lineages = watched_lineages(con, w)
        out += _derivative_alerts(w, lineages, derivatives, baseline)
        out += _uncensored_alerts(con, w, lineages, derivatives, baseline)
        if lineages:
            out += _adoption_alerts(con, w, sorted(lineages), baseline)
            out += _spread_alerts(con, w, sorted(lineages), baseline)
        if w.digests:
            out += _digest_alerts(con, w, baseline)
        if lineages and (w.risk_jump_hosts is not None or w.risk_jump_share is not None):
            out += _risk_jump_alerts(con, w, sorted(lineages), baseline)
    return sorted(out, key=lambda a: (a.first_seen, a.rule, a.watch, a.lineage, a.subject, a.threshold or 0))


def _derivative_alerts(w: Watch, lineages: set[str], derivatives: list[dict[str, Any]], baseline: date) -> list[Alert]:
    out = []
    for d in derivatives:
        if (d["upstream"] in lineages or w.matches_name(d["name"])) and d["first_seen"] > baseline:
            out.append(Alert("new_derivative", w.name, d["upstream"], d["name"], d["first_seen"], d["hosts"],
                             {"kind": d["kind"], "lineage": d["lineage"]}))  # fmt: skip
    return out


def _uncensored_alerts(con: duckdb.DuckDBPyConnection, w: Watch, lineages: set[str],
                       derivatives: list[dict[str, Any]], baseline: date) -> list[Alert]:
    if w.uncensored_hosts is None:
        return []
    names = sorted({d["name"] for d in derivatives if d["kind"] == "uncensored"
                    and (d["upstream"] in lineages or w.matches_name(d["name"])) and d["hosts"] >= w.uncensored_hosts})
    if not names:
        return []
    rows = con.execute("""
        WITH firsts AS (
          SELECT n.name, h.host, min(h.first_day) AS first_day FROM host_inv_spans h
          JOIN inventory_names n USING (inv) WHERE list_contains($names, n.name) GROUP BY n.name, h.host
        ),
        ranked AS (SELECT name, first_day, row_number() OVER (PARTITION BY name ORDER BY first_day) AS k FROM firsts)
        SELECT name, first_day FROM ranked WHERE k = $n
    """, {"names": names, "n": w.uncensored_hosts}).fetchall()  # fmt: skip
    upstream = {d["name"]: d["upstream"] for d in derivatives}
    return [Alert("uncensored_hosts", w.name, upstream[name], name, day, w.uncensored_hosts, {"kind": "uncensored"},
                  w.uncensored_hosts) for name, day in rows if day > baseline]  # fmt: skip


def _adoption_alerts(con: duckdb.DuckDBPyConnection, w: Watch, lineages: list[str], baseline: date) -> list[Alert]:
    out = []
    for threshold in w.adoption:
        rows = con.execute(f"""
            WITH firsts AS ({_HOST_FIRSTS}),
            ranked AS (SELECT lineage, first_day, row_number() OVER (PARTITION BY lineage ORDER BY first_day) AS k
                       FROM firsts)
            SELECT lineage, first_day FROM ranked WHERE k = $n
        """, {"lineages": lineages, "n": threshold}).fetchall()  # fmt: skip
        out += [Alert("adoption", w.name, lin, lin, day, threshold, {}, threshold) for lin, day in rows
                if day > baseline]  # fmt: skip
    return out


def _spread_alerts(con: duckdb.DuckDBPyConnection, w: Watch, lineages: list[str], baseline: date) -> list[Alert]:
    out = []
    for rule, dimension, source in (
        ("new_country", "g.country", "host_lineage_months h JOIN host_geo g USING (host)"),
        ("new_runtime", "h.runtime", "host_lineage_months h"),
    ):
        rows = con.execute(f"""
            SELECT h.lineage, {dimension} AS value, min(h.first_day) AS first_day, count(DISTINCT h.host) AS hosts
            FROM {source} WHERE list_contains($lineages, h.lineage) GROUP BY ALL
        """, {"lineages": lineages}).fetchall()  # fmt: skip
        for lin, value, day, hosts in rows:
            if rule == "new_country" and (value == "unknown" or (w.countries and value not in w.countries)):
                continue
            if day > baseline:
                out.append(Alert(rule, w.name, lin, str(value), day, int(hosts), {}))
    return out


def _digest_alerts(con: duckdb.DuckDBPyConnection, w: Watch, baseline: date) -> list[Alert]:
    # the lineage is the modified build's own (models_enriched, one row per name and digest), not any lineage of an
    # inventory that holds it: that was any model's, and changed from run to run, so the alert's id did too
    rows = con.execute("""
        WITH watched AS (SELECT DISTINCT name FROM inventory_names WHERE list_contains($digests, digest)),
        other AS (
          SELECT n.name, n.digest, h.host, h.first_day FROM inventory_names n
          JOIN watched USING (name) JOIN host_inv_spans h USING (inv)
          WHERE NOT list_contains($digests, coalesce(n.digest, ''))
        )
        SELECT o.name, o.digest, min(o.first_day), count(DISTINCT o.host), any_value(e.lineage)
        FROM other o LEFT JOIN models_enriched e ON e.name = o.name AND e.digest IS NOT DISTINCT FROM o.digest
        GROUP BY o.name, o.digest
    """, {"digests": list(w.digests)}).fetchall()  # fmt: skip
    return [Alert("modified_digest", w.name, lineage or "unknown", str(digest), day, int(hosts), {"name": name})
            for name, digest, day, hosts, lineage in rows if day > baseline]  # fmt: skip


# Per (lineage, month, day): the hosts first listing the lineage that day of the month, and how many of them are
# exposed that month (store/derive.py's lineage_exposure, as lineage_risk_by_month counts them).
_EXPOSED_BY_DAY = """
WITH exposed AS (
  SELECT month, lineage, host FROM lineage_exposure
  WHERE uptime >= $min_uptime AND list_contains($lineages, lineage)
)
SELECT l.lineage, l.month, l.first_day, count(*) AS hosts, count(e.host) AS exposed
FROM lineage_host_months l LEFT JOIN exposed e USING (month, lineage, host)
WHERE list_contains($lineages, l.lineage) GROUP BY ALL ORDER BY l.lineage, l.month, l.first_day
"""


def _risk_jump_alerts(con: duckdb.DuckDBPyConnection, w: Watch, lineages: list[str], baseline: date) -> list[Alert]:
    min_uptime = load_registry()["lineage_risk_by_month"].params["exposure_min_uptime"]
    rows = con.execute(_EXPOSED_BY_DAY, {"lineages": lineages, "min_uptime": min_uptime}).fetchall()
    days: dict[tuple[str, date], list[tuple[date, int, int]]] = {}
    for lineage, month, day, hosts, exposed in rows:
        days.setdefault((lineage, month), []).append((day, int(hosts), int(exposed)))
    totals = {k: (sum(v[1] for v in vs), sum(v[2] for v in vs)) for k, vs in days.items()}
    out = []
    for (lineage, month), per_day in sorted(days.items()):
        before = month.replace(year=month.year - (month.month == 1), month=(month.month - 2) % 12 + 1)
        if (lineage, before) not in totals:
            continue
        prev_hosts, prev_exposed = totals[(lineage, before)]
        prev_share = prev_exposed / prev_hosts
        hosts = exposed = 0
        for day, n, x in per_day:
            hosts, exposed = hosts + n, exposed + x
            by_hosts = w.risk_jump_hosts is not None and exposed - prev_exposed >= w.risk_jump_hosts
            by_share = w.risk_jump_share is not None and exposed / hosts - prev_share >= w.risk_jump_share - 1e-9
            if (by_hosts or by_share) and day > baseline:
                evidence = {"month": month.strftime("%Y-%m"), "exposed_hosts": exposed, "hosts": hosts,
                            "exposed_share": round(exposed / hosts, 4), "previous_exposed_hosts": prev_exposed,
                            "previous_exposed_share": round(prev_share, 4), "by": "hosts" if by_hosts else "share",
                            "share_threshold": w.risk_jump_share}  # fmt: skip
                out.append(Alert("risk_jump", w.name, lineage, month.strftime("%Y-%m"), day, exposed, evidence,
                                 w.risk_jump_hosts))  # fmt: skip
                break
    return out


def write_new(path: Path, alerts: Iterable[Alert], now: datetime | None = None) -> list[dict[str, Any]]:
    """Append the alerts not already in ``path`` (by id); return the records written. Append-only, fsynced."""
    seen = {r["id"] for r in read_alerts(path)}
    stamp = now or datetime.now(UTC)
    new = [a.record(stamp) for a in alerts if a.id not in seen]
    unique = list({r["id"]: r for r in new}.values())
    if unique:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as handle:
            for record in unique:
                handle.write(orjson.dumps(record) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    return unique


def read_alerts(path: Path) -> list[dict[str, Any]]:
    """Every alert written so far (a torn last line, from a crash mid-write, is skipped)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_bytes().splitlines():
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(record, dict) and "id" in record:
            out.append(record)
    return out


def connect_relations(data_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """A connection with the store's relations and the derived ones the monitor reads (the store is read as it is;
    the security relations are left out)."""
    from llmcensus.store.derive import attach

    con = db.connect()
    attach(con, data_dir, refresh=False, security=False)
    return con
