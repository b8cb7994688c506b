"""Target lists: ip, ip:port, [v6]:port, CIDR (streamed, capped), comments; candidates Parquet."""

from __future__ import annotations

import io
import itertools
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcensus.errors import InputError, TargetParseError, UsageError
from llmcensus.targets.parse import Target, TargetSource, count_targets, iter_targets, parse_ports, read_candidates


def test_forms_and_comments() -> None:
    lines = ["# header", "", "203.0.113.7", "203.0.113.8:8080  # trailing comment", "[2001:db8::1]:11434",
             "2001:db8:0:0::2", "198.51.100.0/30", "  10.0.0.1  "]
    got = list(iter_targets(lines, ports=(11434, 8000)))
    assert got[:3] == [Target("203.0.113.7", 11434), Target("203.0.113.7", 8000), Target("203.0.113.8", 8080)]
    assert Target("2001:db8::1", 11434) in got and Target("2001:db8::2", 8000) in got
    assert [t.ip for t in got if t.ip.startswith("198.51.100.")][::2] == [f"198.51.100.{i}" for i in range(4)]
    assert got[-1] == Target("10.0.0.1", 8000)
    assert count_targets(lines, ports=(11434, 8000)) == len(got) == 2 + 1 + 1 + 2 + 8 + 2


@pytest.mark.parametrize(("line", "words"), [
    ("foo", "not an IP"), ("1.2.3.4:", "port is not a number"), ("1.2.3.4:70000", "port out of range"),
    ("1.2.3.4:0", "port out of range"), ("10.0.0.0/33", "not a CIDR"), ("[::1", "unclosed"),
    ("1.2.3.4 5.6.7.8", "one target per line"), ("10.0.0.0/8", "above the cap"), ("[::1]x", "expected ':port'"),
    ("256.1.1.1", "not an IP"),
])
def test_malformed_lines_name_file_and_line(line: str, words: str) -> None:
    with pytest.raises(TargetParseError) as err:
        list(iter_targets(["1.1.1.1", "# ok", line], path="t.txt"))
    assert err.value.line == 3 and err.value.path == "t.txt"
    assert str(err.value).startswith("t.txt:3: ") and words in str(err.value)


def test_cidr_is_streamed_not_materialised() -> None:
    it = iter_targets(["10.0.0.0/16"], max_cidr=1 << 16)
    first = list(itertools.islice(it, 3))
    assert [t.ip for t in first] == ["10.0.0.0", "10.0.0.1", "10.0.0.2"]
    assert count_targets(["10.0.0.0/16", "2001:db8::/112"], max_cidr=1 << 16) == 2 * 65536


def test_ports_option() -> None:
    assert parse_ports("11434, 8080,11434") == (11434, 8080)
    assert parse_ports(None) == (11434,)
    for bad in ("0", "abc", "", "65536"):
        with pytest.raises(UsageError):
            parse_ports(bad)


def test_target_source_file_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "t.txt"
    f.write_text("203.0.113.1\n198.51.100.0/31\n")
    src = TargetSource(f, ports=(1, 2))
    assert src.total == 6 and len(list(src)) == 6 and len(list(src)) == 6  # re-iterable
    monkeypatch.setattr(sys, "stdin", io.StringIO("203.0.113.9:99\n"))
    assert list(TargetSource("-")) == [Target("203.0.113.9", 99)]
    with pytest.raises(InputError, match="cannot read target file"):
        TargetSource(tmp_path / "missing.txt")
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="UTF-8"):
        TargetSource(tmp_path / "bin")
    (tmp_path / "bad").write_text("1.1.1.1\n1.1.1.1/8\n")
    with pytest.raises(TargetParseError, match=":2: "):
        TargetSource(tmp_path / "bad")  # validated before any target is handed out


def test_candidates_dataset(tmp_path: Path) -> None:
    table = pa.table({"ip": ["203.0.113.1", "2001:db8:0::1"], "port": pa.array([11434, 443], pa.int32()),
                      "scheme": [None, "https"], "extra": ["x", "y"]})
    pq.write_table(table, tmp_path / "c.parquet")
    total, it = read_candidates(tmp_path / "c.parquet")
    assert total == 2
    assert list(it) == [Target("203.0.113.1", 11434, "http"), Target("2001:db8::1", 443, "https")]
    pq.write_table(pa.table({"ip": ["nope"], "port": pa.array([1], pa.int32())}), tmp_path / "bad.parquet")
    _, it = read_candidates(tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="not an IP"):
        list(it)
    pq.write_table(pa.table({"host": ["1.1.1.1"]}), tmp_path / "nocol.parquet")
    with pytest.raises(InputError, match="lacks column"):
        read_candidates(tmp_path / "nocol.parquet")
    with pytest.raises(InputError):
        read_candidates(tmp_path / "absent.parquet")


@given(st.text(max_size=60))
def test_any_line_parses_or_raises_target_parse_error(line: str) -> None:
    try:
        for t in itertools.islice(iter_targets([line], max_cidr=256), 300):
            assert 0 < t.port < 65536 and t.ip
    except TargetParseError as exc:
        assert exc.line == 1
