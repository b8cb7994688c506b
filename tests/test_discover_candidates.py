"""The candidates dataset: dedup keeps every source, parts are append-only and atomic; the channel report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.discover.candidates import CANDIDATE_SCHEMA, CandidateWriter, candidates_dir, read_candidates
from llmcensus.discover.channels import QUERY_NAMES, channel_report, query_header
from llmcensus.discover.formats import Candidate
from llmcensus.discover.importer import import_files
from llmcensus.observations.schema import OBSERVATION_SCHEMA

T0 = datetime(2025, 10, 1, tzinfo=UTC)


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def test_dedup_keeps_all_sources_across_imports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shodan = _write(
        tmp_path,
        "s.json",
        '{"ip_str": "192.0.2.1", "port": 11434, "transport": "tcp", '
        '"timestamp": "2025-10-05T00:00:00", "product": "Ollama"}\n',
    )
    masscan = _write(
        tmp_path, "m.txt", "#masscan\nopen tcp 11434 192.0.2.1 1759276800\nopen tcp 80 192.0.2.2 1759276800\n"
    )
    plain = _write(tmp_path, "l.txt", "https://192.0.2.1:11434\n192.0.2.1:11434\n")
    import_files("shodan", [shodan], data)
    import_files("masscan", [masscan], data)
    import_files("list", [plain], data, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert len(list(candidates_dir(data).glob("part-*.parquet"))) == 3  # one new part per import
    rows = {(r["ip"], r["port"]): r for r in read_candidates(data).to_pylist()}
    assert set(rows) == {("192.0.2.1", 11434), ("192.0.2.2", 80)}
    one = rows[("192.0.2.1", 11434)]
    assert one["sources"] == ["list", "masscan", "shodan"]
    assert one["first_seen"] == datetime(2025, 10, 1, tzinfo=UTC)  # masscan's epoch is the earliest
    assert one["scheme"] == "https"  # the only hint, from the list's URL
    assert {"source": "shodan", "key": "product", "value": "Ollama"} in one["labels"]
    assert rows[("192.0.2.2", 80)]["sources"] == ["masscan"]


def test_writer_merges_within_a_part_and_is_atomic(tmp_path: Path) -> None:
    with CandidateWriter(tmp_path, tag="t", now=T0, max_rows_per_part=2) as w:
        w.add(Candidate("192.0.2.1", 1, "censys", None, T0.replace(day=5), (("product", "a"),)))
        w.add(Candidate("192.0.2.1", 1, "fofa", "http", T0.replace(day=3), (("product", "a"),)))
        w.add(Candidate("192.0.2.2", 1, "fofa"))  # second distinct key: flushes a part of 2
        w.add(Candidate("192.0.2.3", 1, "zmap"))
    assert len(w.parts) == 2 and w.rows_written == 3
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".tmp")]
    first = pq.read_table(w.parts[0])
    assert first.schema.equals(CANDIDATE_SCHEMA)
    row = first.to_pylist()[0]
    assert row["sources"] == ["censys", "fofa"] and row["scheme"] == "http"
    assert row["first_seen"] == T0.replace(day=3)
    assert row["labels"] == [
        {"source": "censys", "key": "product", "value": "a"},
        {"source": "fofa", "key": "product", "value": "a"},
    ]
    assert first.to_pylist()[1]["first_seen"] == T0  # no source time: the import time


def test_read_candidates_of_an_empty_directory(tmp_path: Path) -> None:
    table = read_candidates(tmp_path, columns=["ip", "port", "scheme"])
    assert table.num_rows == 0 and table.column_names == ["ip", "port", "scheme"]


def _observations(data: Path, rows: list[tuple[str, int, str, str | None]]) -> None:
    fields = [OBSERVATION_SCHEMA.field(n) for n in ("ip", "port", "status", "runtime")]
    table = pa.Table.from_pylist(
        [{"ip": ip, "port": port, "status": status, "runtime": rt} for ip, port, status, rt in rows],
        schema=pa.schema(fields),
    )
    out = data / "observations" / "day=2025-11-01"
    out.mkdir(parents=True)
    pq.write_table(table, out / "part-s1-0.parquet")


def test_channel_report_on_a_hand_made_dataset(tmp_path: Path) -> None:
    # censys: A, B, C   shodan: B, C, D   sweep: E        confirmed LLM hosts: A, B, E (D answered, not an LLM)
    with CandidateWriter(tmp_path, tag="x", now=T0) as w:
        for ip, src in [
            ("A", "censys"),
            ("B", "censys"),
            ("C", "censys"),
            ("B", "shodan"),
            ("C", "shodan"),
            ("D", "shodan"),
            ("E", "sweep"),
        ]:
            w.add(Candidate(f"192.0.2.{ord(ip)}", 11434, src))
    _observations(
        tmp_path,
        [
            ("192.0.2.65", 11434, "success", "ollama"),
            ("192.0.2.65", 11434, "success", "ollama"),  # a second visit counts once
            ("192.0.2.66", 11434, "success", "localai"),
            ("192.0.2.67", 11434, "connection_refused", None),
            ("192.0.2.68", 11434, "not_llm", "unknown"),
            ("192.0.2.69", 11434, "success", "ollama"),
            ("192.0.2.66", 8080, "success", "ollama"),  # another port: not that candidate
        ],
    )
    report = channel_report(tmp_path)
    summary = {r["source"]: r for r in report["channel_summary"].to_pylist()}
    assert {k: (v["candidates"], v["confirmed"]) for k, v in summary.items()} == {
        "censys": (3, 2),
        "shodan": (3, 1),
        "sweep": (1, 1),
        "all": (5, 3),
    }
    assert summary["censys"]["confirmation_rate"] == 2 / 3
    assert summary["shodan"]["share_of_all_confirmed"] == 1 / 3
    assert (summary["censys"]["only_this_channel"], summary["censys"]["confirmed_only_this_channel"]) == (1, 1)
    assert (summary["shodan"]["only_this_channel"], summary["shodan"]["confirmed_only_this_channel"]) == (1, 0)
    overlap = {(r["source_a"], r["source_b"]): r for r in report["channel_overlap"].to_pylist()}
    assert set(overlap) == {("censys", "shodan"), ("censys", "sweep"), ("shodan", "sweep")}
    cs = overlap[("censys", "shodan")]
    assert (cs["both_candidates"], cs["both_confirmed"], cs["jaccard"]) == (2, 1, 2 / 4)
    assert cs["confirmed_jaccard"] == 1 / 2
    assert overlap[("censys", "sweep")]["both_candidates"] == 0  # disjoint channels are listed too


def test_channel_report_without_data(tmp_path: Path) -> None:
    report = channel_report(tmp_path)
    assert report["channel_summary"].num_rows == 0 and report["channel_overlap"].num_rows == 0


def test_channel_queries_have_the_analytics_header() -> None:
    for name in QUERY_NAMES:
        header = query_header(name)
        assert header["name"] == name
        assert all(header.get(k) for k in ("definition", "denominator", "window", "params"))
