"""`llmcensus study` can start from discovery exports instead of a sweep; the report shows the channels."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from llmcensus.cli.study import run_study
from llmcensus.enrich.run import enrich
from llmcensus.report.build import build_report
from llmcensus.simulate.params import Params
from llmcensus.simulate.world import build_world


def test_study_from_two_channels_sees_only_their_candidates_and_reports_them(tmp_path: Path) -> None:
    params = Params(hosts=150, days=2, seed=4)
    targets = build_world(params).targets(0)
    cut = len(targets) * 6 // 10
    by_masscan, by_list = targets[:cut], targets[len(targets) - cut:]
    masscan = tmp_path / "scan.lst"
    masscan.write_text("#masscan\n" + "".join(f"open tcp {port} {ip} 1769500000\n" for ip, port in by_masscan)
                       + "# end\n")
    listing = tmp_path / "hosts.txt"
    listing.write_text("".join(f"{ip}:{port}\n" for ip, port in by_list))

    out = tmp_path / "study"
    run_study(out, params, echo=lambda _: None, imports=[("masscan", [masscan]), ("list", [listing])])

    seen = set(duckdb.sql(f"SELECT DISTINCT ip, port FROM read_parquet('{out}/observations/*/*.parquet')").fetchall())
    assert seen == set(by_masscan) | set(by_list)

    enrich(out)
    build_report(out, out / "report")
    metrics = json.loads((out / "report" / "metrics.json").read_text())["metrics"]
    summary = {r["source"]: r for r in metrics["channel_summary"]["rows"]}
    assert set(summary) == {"masscan", "list", "all"}  # "all": every channel together
    assert summary["masscan"]["candidates"] == len(set(by_masscan))
    assert 0 < summary["list"]["confirmed"] <= summary["list"]["candidates"] == len(set(by_list))
    overlap = metrics["channel_overlap"]["rows"]
    both = len(set(by_masscan) & set(by_list))
    assert any(r["both_candidates"] == both for r in overlap), overlap
    assert "Discovery channels" in (out / "report" / "report.html").read_text()
