"""Real /api/tags captures as a tiny study: one host per copy ``MULTIPLICITY.csv`` counts, one successful Ollama
visit each, models and markers exactly as the probe parses them (``ollama.parse_tags``)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from analyze_data import D1, observation, write_dataset
from probe_support import CAPTURES, compact

from llmcensus.probe.runtimes import ollama
from llmcensus.store import db
from llmcensus.store.derive import attach

TAGS = CAPTURES / "api_tags"


def multiplicity() -> dict[str, int]:
    with (TAGS / "MULTIPLICITY.csv").open() as f:
        return {row[0]: int(row[1]) for row in csv.reader(f) if row}


def write_captures(root: Path) -> dict[str, str]:
    """The captures as observations on D1; returns ip -> capture file name."""
    obs: list[dict[str, Any]] = []
    owner: dict[str, str] = {}
    n = 0
    for name, copies in sorted(multiplicity().items()):
        models, evidence = ollama.parse_tags(compact(TAGS / name), dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
        for _ in range(copies):
            n += 1
            ip = f"5.{n // 250}.{n % 250}.1"
            row = observation(ip, D1, models, version="0.5.7")
            row["runtime_evidence"] = evidence
            obs.append(row)
            owner[ip] = name
    write_dataset(root, obs)
    return owner


def capture_evidence(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(capture -> evidence names, capture -> flags) over every host that served it."""
    owner = write_captures(root)
    con = db.connect()
    attach(con, root)
    ip_of = "(SELECT host, min(ip) AS ip FROM endpoints GROUP BY host) i"
    ev: dict[str, set[str]] = {}
    for ip, e in con.execute(f"SELECT i.ip, e.evidence FROM honeypot_evidence e JOIN {ip_of} USING (host)").fetchall():
        ev.setdefault(owner[ip], set()).add(e)
    flags: dict[str, set[str]] = {}
    for ip, f in con.execute(f"SELECT i.ip, f.flag FROM flags f JOIN {ip_of} USING (host)").fetchall():
        flags.setdefault(owner[ip], set()).add(f)
    return ev, flags
