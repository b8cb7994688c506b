"""One monitoring pass: evaluate the watchlist on the store, append new alerts, deliver pending ones.

Delivery to a webhook (``POST`` of one alert's JSON per request) happens after the alerts are safely written and is
bounded: each request waits at most ``timeout`` seconds and the whole pass at most ``budget`` seconds, so a receiver
that is down or slow never holds up the store update or the run. What was not delivered stays pending in
``<data>/monitor/webhook.json`` (the ids delivered so far) and is retried on the next pass, oldest first: never
lost, and delivered once to a receiver that answers 2xx (a receiver that times out after accepting may see an alert
again; each carries its ``id``).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmcensus import __version__
from llmcensus.errors import ConfigError
from llmcensus.monitor.alerts import connect_relations, evaluate, read_alerts, write_new
from llmcensus.monitor.watchlist import load_watchlist
from llmcensus.store.layout import Layout


@dataclass
class CheckSummary:
    new: list[dict[str, Any]]
    total: int
    delivered: int = 0
    pending: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"new_alerts": len(self.new), "alerts": self.total, "delivered": self.delivered,
                "pending": self.pending}  # fmt: skip


def check(data_dir: str | Path, *, watchlist: str | Path | None = None, webhook: str | None = None,
          timeout: float = 2.0, budget: float = 5.0) -> CheckSummary:
    """Evaluate the watchlist (default ``<data>/watchlist.toml``) and write new alerts; deliver to ``webhook``."""
    layout = Layout(data_dir)
    wl = load_watchlist(watchlist or layout.watchlist)
    alerts_path = layout.monitor / "alerts.jsonl"
    new: list[dict[str, Any]] = []
    if wl.watches:
        con = connect_relations(data_dir)
        try:
            new = write_new(alerts_path, evaluate(con, wl))
        finally:
            con.close()
    summary = CheckSummary(new, len(read_alerts(alerts_path)))
    if webhook:
        summary.delivered, summary.pending = deliver(layout, webhook, timeout=timeout, budget=budget)
    return summary


def deliver(layout: Layout, url: str, *, timeout: float, budget: float) -> tuple[int, int]:
    """POST pending alerts to ``url`` in order until one fails or the budget is spent; (delivered, pending)."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"webhook must be an http(s) URL, not {url[:80]!r}")
    state_path = layout.monitor / "webhook.json"
    done: set[str] = set()
    if state_path.exists():
        try:
            done = set(json.loads(state_path.read_text(encoding="utf-8")).get("delivered", []))
        except (OSError, ValueError, AttributeError):
            done = set()
    pending = [a for a in read_alerts(layout.monitor / "alerts.jsonl") if a["id"] not in done]
    start = time.monotonic()
    sent = 0
    for alert in pending:
        left = budget - (time.monotonic() - start)
        if left <= 0:
            break
        req = urllib.request.Request(url, data=json.dumps(alert).encode(), method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"llmcensus/{__version__} (alerts)"})  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=min(timeout, left)) as resp:
                if not 200 <= resp.status < 300:
                    break
        except (urllib.error.URLError, OSError, ValueError):
            break
        done.add(alert["id"])
        sent += 1
        tmp = state_path.with_name(".webhook.json.tmp")
        tmp.write_text(json.dumps({"url": url, "delivered": sorted(done)}), encoding="utf-8")
        os.replace(tmp, state_path)
    return sent, len(pending) - sent
