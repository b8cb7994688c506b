"""Notification export for coordinated disclosure (issue #19): per network (ASN and organisation), the exposed
endpoints that answer openly with a version affected by a published advisory an unauthenticated attacker can
reach, in a form a CERT can forward to network owners.

An endpoint is listed when its **last** day with a runtime verdict in the data was a successful, open visit
(metadata readable without credentials) and that day's version is ``affected`` by at least one advisory of the
bundled table (``reference/advisories.py``) with ``unauthenticated_remote``; an unknown or ambiguous version is
never listed (no claim the data cannot back), nor is a host flagged ``clone_farm`` or ``fake_ollama`` (a honeypot
is nobody's to patch). Addresses are pseudonymised unless asked for, with the one scheme of every output
(``llmcensus.pseudonym``: Crypto-PAn under the data folder's key), so an endpoint has the same pseudonym here, in
the dashboard and in ``llmcensus export``, and a recipient can match repeated endpoints across exports without
learning the address. Another 32-byte ``key`` gives pseudonyms unlinkable to those (one fresh key per recipient).
Host-supplied text (versions, organisation names) goes through ``llmcensus.inert`` in every format.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from llmcensus.errors import UsageError
from llmcensus.inert import csv_cell, inert_json
from llmcensus.pseudonym import Pseudonymizer
from llmcensus.store import db
from llmcensus.store.derive import ViewParams, attach

FORMATS = ("csv", "json")
COLUMNS = ("asn", "as_org", "country", "address", "port", "runtime", "version", "last_seen", "advisories",
           "single_request", "max_severity")
ADDRESSES_PSEUDONYMISED = ("pseudonymised: Crypto-PAn, keyed and prefix-preserving (llmcensus.pseudonym); a "
                           "pseudonym looks like an address and is not the host")
_SEVERITY = ("unrated", "low", "medium", "high", "critical")

_SQL = """
WITH last AS (
  SELECT endpoint, day, runtime, version, status, auth FROM endpoint_days
  WHERE host NOT IN (SELECT host FROM flags WHERE flag IN ('clone_farm', 'fake_ollama'))
  QUALIFY row_number() OVER (PARTITION BY endpoint ORDER BY day DESC, observed_at DESC, visit DESC) = 1
),
hits AS (
  SELECT l.endpoint, list(a.advisory ORDER BY a.advisory) AS advisories, bool_or(a.single_request) AS single_request,
         max(CASE a.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1
                             ELSE 0 END) AS severity
  FROM last l JOIN advisory_versions v ON v.runtime = l.runtime AND v.version = l.version
  JOIN advisories a ON a.runtime = v.runtime AND a.advisory = v.advisory
  WHERE l.status = 'success' AND l.auth = 'open' AND v.verdict = 'affected' AND a.unauthenticated_remote
  GROUP BY l.endpoint
)
SELECT g.asn, g.as_org, g.country, i.ip, i.port, l.runtime, l.version, l.day, h.advisories, h.single_request,
       h.severity
FROM hits h JOIN last l USING (endpoint) JOIN (SELECT DISTINCT endpoint, ip, port FROM endpoint_ids) i USING (endpoint)
LEFT JOIN geo g ON g.ip = i.ip
ORDER BY g.asn NULLS LAST, i.ip, i.port
"""


@dataclass
class NotificationExport:
    generated: str
    raw_addresses: bool
    rows: list[dict[str, Any]] = field(default_factory=list)

    def networks(self) -> list[dict[str, Any]]:
        """The rows grouped by network (ASN, organisation), endpoints in address order."""
        out: dict[tuple[Any, Any], dict[str, Any]] = {}
        for r in self.rows:
            net = out.setdefault((r["asn"], r["as_org"]), {"asn": r["asn"], "as_org": r["as_org"], "endpoints": []})
            net["endpoints"].append({k: r[k] for k in COLUMNS if k not in ("asn", "as_org")})
        return list(out.values())

    def to_json(self) -> bytes:
        doc = {
            "generated": self.generated,
            "producer": "llmcensus security export",
            "addresses": "raw" if self.raw_addresses else ADDRESSES_PSEUDONYMISED,
            "criteria": "last answer open (no credentials needed) with a version affected by a published advisory "
                        "that an unauthenticated attacker can reach (llmcensus/reference/data/advisories.csv)",
            "endpoints": len(self.rows),
            "networks": self.networks(),
        }
        return orjson.dumps(inert_json(doc), option=orjson.OPT_INDENT_2, default=str)

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        # a pseudonym looks like an address: its column says it is not one (the JSON says so in its header)
        w.writerow([c if c != "address" or self.raw_addresses else "address_pseudonym" for c in COLUMNS])
        for r in self.rows:
            w.writerow([csv_cell(r[k]) for k in COLUMNS])
        return buf.getvalue()


def _shown(ip: str, pan: Pseudonymizer | None) -> str:
    if pan is None:
        return ip
    try:
        return pan.pseudonym(ip)
    except ValueError:
        return "(not an address)"  # as the dashboard shows it: a store written by a test or another tool


def export_notifications(data_dir: str | Path, *, addresses: bool = False, key: bytes | None = None,
                         host_key: str = "ip", refresh: bool = True) -> NotificationExport:
    """The endpoints to notify, from the store of ``data_dir`` (see the module doc). ``key``: a 32-byte Crypto-PAn
    key instead of the data folder's (created there on first use)."""
    pan = None if addresses else Pseudonymizer(key) if key is not None else Pseudonymizer.for_data(data_dir)
    con = db.connect()
    try:
        attach(con, data_dir, ViewParams(host_key=host_key), refresh=refresh)
        with db.errors(f"{data_dir}: cannot build the notification export"):
            found = con.execute(_SQL).fetchall()
    finally:
        con.close()
    rows = []
    for asn, org, country, ip, port, runtime, version, day, advisories, single, severity in found:
        rows.append({"asn": asn, "as_org": org, "country": country or "unknown",
                     "address": _shown(ip, pan), "port": port, "runtime": runtime,
                     "version": version, "last_seen": day.isoformat(), "advisories": ";".join(advisories),
                     "single_request": bool(single), "max_severity": _SEVERITY[int(severity)]})
    return NotificationExport(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), addresses, rows)


def write_export(export: NotificationExport, out: str | Path, fmt: str = "csv") -> Path:
    """Write the export as ``csv`` (one row per endpoint) or ``json`` (grouped by network)."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    path = Path(out)
    if fmt == "json":
        path.write_bytes(export.to_json())
    else:
        path.write_text(export.to_csv(), encoding="utf-8")
    return path
