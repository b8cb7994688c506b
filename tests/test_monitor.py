"""Lineage monitoring: watchlists, alert rules on a hand-made study, deduplication, and webhook delivery."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from analyze_data import D2, D3, tiny_models, write_tiny

from llmcensus.errors import ConfigError
from llmcensus.monitor.alerts import read_alerts
from llmcensus.monitor.check import check
from llmcensus.monitor.movers import adoption_movers
from llmcensus.monitor.watchlist import load_watchlist
from llmcensus.store.relations import update

WATCHLIST = """
[[watch]]
name = "meta"
lineages = ["llama3", "llama3.2"]
adoption = [3]
uncensored_hosts = 2

[[watch]]
name = "quiet"
lineages = ["nomic-embed-text"]
adoption = [1]
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    data = write_tiny(tmp_path / "d")
    update(data)
    (data / "watchlist.toml").write_text(WATCHLIST)
    return data


def test_each_rule_fires_once_on_its_day_and_nothing_else(tiny: Path) -> None:
    first = check(tiny)
    got = {(a["rule"], a["watch"], a["lineage"], a["subject"], a["first_seen"]) for a in first.new}
    abl = tiny_models()["abl"]["name"]
    # baseline D1: what held on the first day is not news. llama3 reaches its third host (LocalAI) on D2, first
    # served by LocalAI that day; the abliterated llama3.2 appears on E and F (DE) on D3, on Ollama.
    assert got == {
        ("adoption", "meta", "llama3", "llama3", D2.isoformat()),
        ("new_runtime", "meta", "llama3", "localai", D2.isoformat()),
        ("new_derivative", "meta", "llama3.2", abl, D3.isoformat()),
        ("uncensored_hosts", "meta", "llama3.2", abl, D3.isoformat()),
        ("new_country", "meta", "llama3.2", "DE", D3.isoformat()),
        ("new_runtime", "meta", "llama3.2", "ollama", D3.isoformat()),
    }
    evidence = {a["rule"]: a for a in first.new}
    assert evidence["new_derivative"]["evidence"] == {"kind": "uncensored", "lineage": "llama3.2"}
    assert evidence["uncensored_hosts"]["counts"] == {"hosts": 2} and evidence["adoption"]["threshold"] == 3
    # the quiet watch's lineage changed nothing after the baseline: no alert
    assert not [a for a in first.new if a["watch"] == "quiet"]
    again = check(tiny)
    assert again.new == [] and again.total == len(first.new)  # a rerun repeats nothing
    assert len(read_alerts(tiny / "monitor" / "alerts.jsonl")) == len(first.new)


def test_a_bad_watchlist_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "w.toml"
    for text, needle in (("[[watch]]\nlineages = ['x']\n", "'name'"), ("[[watch]]\nname='a'\nlabz=['x']\n", "labz"),
                         ("[[watch]]\nname='a'\nadoption=[0]\n", "adoption"), ("watch = 3", "array of tables"),
                         ("[[watch]]\nname='a'\n[[watch]]\nname='a'\n", "duplicate"), ("= =", "not TOML"),
                         ("[[watch]]\nname='a'\nrisk_jump_hosts=0\n", "risk_jump_hosts"),
                         ("[[watch]]\nname='a'\nrisk_jump_share=1.5\n", "risk_jump_share")):
        bad.write_text(text)
        with pytest.raises(ConfigError, match=needle):
            load_watchlist(bad)
    assert load_watchlist(tmp_path / "missing.toml").watches == ()
    bad.write_text("[[watch]]\nname='a'\nrisk_jump_hosts=3\nrisk_jump_share=0.1\n")
    w = load_watchlist(bad).watches[0]
    assert (w.risk_jump_hosts, w.risk_jump_share) == (3, 0.1)


def test_adoption_movers_rank_share_changes_from_the_first_month_to_the_last() -> None:
    m1, m2, m3 = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    rows = [{"month": m, "lineage": lin, "host_share": share, "hosts": hosts} for m, lin, share, hosts in (
        (m1, "a", 0.50, 50), (m3, "a", 0.20, 22), (m1, "b", 0.10, 10), (m2, "b", 0.90, 90), (m3, "b", 0.30, 33),
        (m3, "c", 0.05, 5), (m1, "d", 0.25, 25), (m3, "d", 0.25, 27), (m1, "unknown", 0.0, 0),
        (m3, "unknown", 0.6, 66))]  # fmt: skip
    risers, fallers = adoption_movers(rows, top=5)
    # b +20 pp (its February peak is not the window's end), c +5 pp (new); a -30 pp; d did not move; unknown is out
    assert [(m.lineage, round(m.change_pp, 6)) for m in risers] == [("b", 20.0), ("c", 5.0)]
    assert [(m.lineage, round(m.change_pp, 6), m.first_hosts, m.last_hosts) for m in fallers] == [("a", -30.0, 50, 22)]
    assert adoption_movers(rows, top=1)[0][0].lineage == "b"
    assert adoption_movers([r for r in rows if r["month"] == m1]) == ([], [])


class _Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[dict[str, Any]]] = []
    delay: ClassVar[float] = 0.0

    def do_POST(self) -> None:
        time.sleep(type(self).delay)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"got": [], "delay": 0.0})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


def test_the_webhook_gets_each_alert_once_and_a_dead_or_slow_one_holds_nothing_up(
    tiny: Path, receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    dead = "http://127.0.0.1:9/hook"  # nothing listens on the discard port
    t0 = time.monotonic()
    down = check(tiny, webhook=dead, timeout=0.5, budget=1.0)
    assert down.delivered == 0 and down.pending == len(down.new) > 0  # kept, not lost
    handler.delay = 2.0  # slow: the pass gives up within its budget, the alert stays pending
    slow = check(tiny, webhook=url, timeout=0.3, budget=0.6)
    assert time.monotonic() - t0 < 10 and slow.pending == down.pending
    handler.delay = 0.0
    up = check(tiny, webhook=url)
    assert up.pending == 0
    assert check(tiny, webhook=url).delivered == 0  # delivered once
    ids = [a["id"] for a in handler.got]
    assert set(ids) == {a["id"] for a in down.new}
