"""The request log: columns in, the same rows out (iteration, Arrow, Parquet, pickle)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcensus.errors import DataError
from llmcensus.simulate.requestlog import MAX_PATH, LoggedRequest, RequestLog

ROWS = [
    LoggedRequest(1, "198.18.0.2", 11434, "GET", "/api/tags", 0, 100),
    LoggedRequest(1, "198.18.0.2", 11434, "POST", "/api/show", 27, 150),
    LoggedRequest(2, "198.18.0.3", 80, "GET", "/api/tags", 0, 200),
    LoggedRequest(3, "198.18.0.4", 443, "HEAD", "/", 0, 250),
    LoggedRequest(3, "198.18.0.4", 443, "", "", 0, 300),
]


def filled(rows: list[LoggedRequest]) -> RequestLog:
    log = RequestLog()
    for row in rows:
        log.append(*row)
    return log


def test_rows_round_trip_and_counters() -> None:
    log = filled(ROWS)
    assert list(log) == ROWS and len(log) == 5
    assert log.count_by("GET", "/api/tags") == 2
    assert log.count_by("GET") == 2
    assert log.count_by(path="/api/show") == 1
    assert log.count_by("DELETE") == 0 and log.count_by(path="/nowhere") == 0
    assert log.count_by() == 5
    assert log.count_by(method="") == 1  # unparseable bytes are rows with an empty method
    assert log.per_host_counts() == {1: 2, 2: 1, 3: 2}
    assert log.body_bytes_total() == 27


def test_arrow_and_parquet(tmp_path: Path) -> None:
    log = filled(ROWS)
    table = log.to_arrow()
    assert table.column_names == [
        "host_id",
        "public_ip",
        "public_port",
        "method",
        "path",
        "body_bytes",
        "t_monotonic_ns",
    ]
    assert [tuple(r.values()) for r in table.to_pylist()] == [tuple(r) for r in ROWS]
    log.write_parquet(tmp_path / "requests.parquet")
    back = pq.read_table(tmp_path / "requests.parquet")
    assert back.to_pylist() == table.to_pylist()
    assert not (tmp_path / "requests.parquet.tmp").exists()
    with pytest.raises(DataError):
        log.write_parquet(tmp_path / "missing-dir" / "requests.parquet")


def test_empty_log_exports() -> None:
    table = RequestLog().to_arrow()
    assert table.num_rows == 0 and table.num_columns == 7


def test_pickle_drain_extend() -> None:
    log = filled(ROWS)
    copy = pickle.loads(pickle.dumps(log))
    assert list(copy) == ROWS
    copy.append(9, "198.18.0.10", 11434, "GET", "/api/tags", 0, 400)  # interning still works after unpickling
    assert copy.count_by("GET", "/api/tags") == 3
    taken = log.drain()
    assert list(taken) == ROWS and len(log) == 0
    log.append(*ROWS[0])
    merged = RequestLog()
    merged.extend(taken)
    merged.extend(log)
    assert list(merged) == [*ROWS, ROWS[0]]


def test_long_paths_are_cut() -> None:
    log = RequestLog()
    log.append(1, "198.18.0.2", 11434, "GET", "/" + "a" * 10_000, 0, 0)
    assert len(next(iter(log)).path) == MAX_PATH


rows = st.builds(
    LoggedRequest,
    st.integers(0, 2**40),
    st.ip_addresses(v=4).map(str),
    st.integers(1, 65535),
    st.sampled_from(["GET", "HEAD", "POST", "OPTIONS", ""]),
    st.text(max_size=40),
    st.integers(0, 2**31),
    st.integers(0, 2**62),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, max_size=30))
def test_any_rows_survive_arrow(items: list[LoggedRequest]) -> None:
    log = filled(items)
    assert list(log) == items
    assert [LoggedRequest(*r.values()) for r in log.to_arrow().to_pylist()] == items
    assert sum(log.per_host_counts().values()) == len(items)
