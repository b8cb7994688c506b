"""Bad input from users (issue #14): one clear line on stderr, a non-zero exit, and the data folder untouched.

Every case drives the real CLI in-process. ``_refused`` is the contract: exit code != 0, stderr is exactly one
line starting ``llmcensus: error:`` (no traceback), and every file under the data folder is byte-identical
before and after.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import random
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analyze_data import observation, write_tiny

from llmcensus.cli.main import main
from llmcensus.discover.formats import FORMATS, _common
from llmcensus.discover.sweepplan import SweepSettings
from llmcensus.errors import ConfigError, DataError, SchemaVersionError, TargetParseError
from llmcensus.observations.manifest import _FIELD_KINDS, Manifest
from llmcensus.observations.reader import check_parts
from llmcensus.observations.schema import OBSERVATION_SCHEMA, SCHEMA_VERSION
from llmcensus.targets.parse import QUOTE_LIMIT, excerpt, iter_targets

SAMPLES = Path(__file__).parent / "fixtures" / "discovery"
# The writer lock another command may leave in a data folder (llmcensus/datalock.py): machinery, not data.
LOCK_FILE = ".llmcensus.lock"
LINE_LIMIT = 400  # what "one short line" means here: a quoted excerpt plus a path and the message


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != LOCK_FILE
    }


def _refused(argv: list[str], data: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``argv``; assert the bad-input contract and return the one error line."""
    assert data.is_dir() and _snapshot(data), "the data folder must hold files for the snapshot to mean anything"
    before = _snapshot(data)
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("llmcensus: error: "), err[:2000]
    assert _snapshot(data) == before
    return lines[0]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder that already holds candidates, so that "nothing written" is checked against real files."""
    folder = tmp_path / "data"
    assert main(["discover", "import", "list", str(SAMPLES / "list" / "targets.txt"), "--data", str(folder)]) == 0
    return folder


# -- 1. sweep manifests -----------------------------------------------------------------------------------------

GOOD_MANIFEST = json.loads(Manifest("s1").to_json())
MANIFEST_FIELDS = [
    ("schema_version", "abc"), ("schema_version", True), ("schema_version", 1.5), ("schema_version", -1),
    ("runs", "2"), ("runs", None), ("observations", [1]), ("targets_total", -3), ("targets_total", "all"),
    ("counts", []), ("counts", {"success": "3"}), ("counts", {"success": -1}), ("parts", {"a": 1}),
    ("parts", [1, 2]), ("complete", "yes"), ("interrupted", 0), ("settings", []), ("extra", "x"),
    ("started_at", 5), ("finished_at", ["2026"]), ("source", None), ("llmcensus_version", 1), ("sweep_id", 7),
    ("sweep_id", "another-sweep"),
]  # fmt: skip
MANIFEST_BYTES = {
    "not_json": b"{ this is not json",
    "deep": b"[" * 200_000 + b"]" * 200_000,
    "deep_in_field": b'{"sweep_id": "s1", "settings": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001,
    "huge_number": b'{"sweep_id": "s1", "runs": 1' + b"0" * 5000 + b"}",
    "array": b'["sweep_id", "s1"]',
    "invalid_utf8": b'{"sweep_id": "s1\xff\xfe"}',
    "binary": random.Random(14).randbytes(4096),
    "empty": b"",
    "truncated": json.dumps(GOOD_MANIFEST).encode()[:40],
    "no_sweep_id": json.dumps({k: v for k, v in GOOD_MANIFEST.items() if k != "sweep_id"}).encode(),
}


def _resume_argv(tmp_path: Path, data: Path) -> list[str]:
    targets = tmp_path / "targets.txt"
    targets.write_text("192.0.2.1\n")  # TEST-NET-1: on the default blocklist, never contacted even by mistake
    return ["scan", str(targets), "--data", str(data), "--sweep-id", "s1", "--resume", "--no-progress"]


@pytest.mark.parametrize(("name", "value"), MANIFEST_FIELDS, ids=[f"{n}={v!r}" for n, v in MANIFEST_FIELDS])
def test_manifest_field_of_the_wrong_type(
    name: str, value: object, tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data / "sweeps" / "s1" / "manifest.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(GOOD_MANIFEST | {name: value}))
    line = _refused(_resume_argv(tmp_path, data), data, capsys)
    assert str(path) in line and repr(name) in line


@pytest.mark.parametrize("case", sorted(MANIFEST_BYTES))
def test_manifest_that_is_not_a_manifest(
    case: str, tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data / "sweeps" / "s1" / "manifest.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(MANIFEST_BYTES[case])
    line = _refused(_resume_argv(tmp_path, data), data, capsys)
    assert str(path) in line and len(line) < LINE_LIMIT


def test_newer_manifest_is_a_schema_version_error(tmp_path: Path) -> None:
    Manifest("s1").write(tmp_path)
    path = tmp_path / "sweeps" / "s1" / "manifest.json"
    path.write_text(json.dumps(GOOD_MANIFEST | {"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(SchemaVersionError, match=f"v{SCHEMA_VERSION + 1}"):
        Manifest.read(tmp_path, "s1")


def test_every_manifest_field_is_checked_and_a_good_one_reads_back(tmp_path: Path) -> None:
    assert set(_FIELD_KINDS) == set(Manifest.__dataclass_fields__)
    part = "observations/day=2026-01-01/part-s1-000000.parquet"
    written = Manifest("s1", runs=3, counts={"success": 2}, parts=[part], settings={"rate": 1.5}, extra={"a": [1]})
    written.write(tmp_path)
    assert Manifest.read(tmp_path, "s1") == written
    path = tmp_path / "sweeps" / "s1" / "manifest.json"
    path.write_text(json.dumps({"sweep_id": "s1", "unknown_later_field": 1}))  # older/newer extras: defaults, ignored
    assert Manifest.read(tmp_path, "s1") == Manifest("s1")
    path.write_text(json.dumps(GOOD_MANIFEST | {"runs": "2"}))
    with pytest.raises(DataError, match="'runs' must be a non-negative integer"):
        Manifest.read(tmp_path, "s1")


# -- 2-4. discovery imports -------------------------------------------------------------------------------------

# One file per format in which every record is malformed.
ALL_GARBAGE = {
    "censys": ("hosts.jsonl", b'{"ip": "not-an-ip", "services": []}\n{"services": []}\n[1, 2]\n'),
    "shodan": ("banners.json", b'{"port": 80}\n{"ip_str": "1.2.3.4", "port": "http"}\n"just a string"\n'),
    "fofa": ("export.csv", b"ip,port,protocol\nnot-an-ip,80,http\n1.2.3.4,99999,http\n"),
    "masscan": ("scan.txt", b"#masscan\nopen tcp 80 not-an-ip 1700000000\nopen tcp 99999 1.2.3.4 1700000000\n"),
    "zmap": ("out.csv", b"saddr,sport\nnot-an-ip,80\n1.2.3.4,0\n"),
    "list": ("targets.txt", b"not-a-target\n1.2.3.4:99999\nhttp://example.com:80/\n"),
}
BINARY = random.Random(7).randbytes(64 * 1024)
XML_HEAD = b'<?xml version="1.0"?>\n'
XML_HOST = (
    b'<host endtime="1"><address addr="{addr}" addrtype="ipv4"/><ports><port protocol="tcp" portid="80">'
    b'<state state="open"/></port></ports></host>\n'
)
LAUGHS = b"".join(b' <!ENTITY lol%d "%s">\n' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
BOMB = (XML_HEAD + b'<!DOCTYPE lolz [\n <!ENTITY lol0 "lol">\n' + LAUGHS + b"]>\n<nmaprun>\n"
        + XML_HOST.replace(b"{addr}", b"&lol9;") + b"</nmaprun>\n")  # fmt: skip
XXE = (XML_HEAD + b'<!DOCTYPE nmaprun [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<nmaprun>\n'
       + XML_HOST.replace(b"{addr}", b"&xxe;") + b"</nmaprun>\n")  # fmt: skip
ONE_LINE_BOMB = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>\n'
HOST_ENTITY = XML_HEAD + b"<nmaprun>\n" + XML_HOST.replace(b"{addr}", b"&undefined;") + b"</nmaprun>\n"
DEEP = b"[" * 200_000 + b"]" * 200_000
NINES = b"9" * 5000


class BadFile(NamedTuple):
    fmt: str
    name: str
    body: bytes
    words: str  # expected in the error line


MALFORMED = {
    "deep_json_array": BadFile("censys", "deep.json", DEEP, "depth"),
    "deep_json_in_array": BadFile("censys", "deep2.json", b'[{"ip": ' + DEEP + b"}]", "depth"),
    "deep_jsonl_censys": BadFile("censys", "deep.jsonl", b'{"a": ' * 200_000 + b"1" + b"}" * 200_000, "depth"),
    "deep_json_line_shodan": BadFile("shodan", "deep.json", DEEP + b"\n", "depth"),
    "deep_json_line_masscan": BadFile("masscan", "deep.json", b'{"ip": ' + b"[" * 200_000 + b"\n", "not JSON"),
    "huge_int_censys_array": BadFile(
        "censys", "huge.json", b'[{"ip": "1.2.3.4", "services": [{"port": ' + NINES + b"}]}]", "infinity"
    ),
    "huge_float_shodan": BadFile(
        "shodan", "huge.json", b'{"ip_str": "1.2.3.4", "port": 80, "timestamp": 1e300}', "not a timestamp"
    ),
    "huge_port_masscan": BadFile("masscan", "huge.txt", b"open tcp " + NINES + b" 1.2.3.4 1700000000\n", "port out"),
    "huge_time_masscan": BadFile("masscan", "huge_t.txt", b"open tcp 80 1.2.3.4 " + NINES + b"\n", "not a timestamp"),
    "huge_time_zmap": BadFile("zmap", "huge.csv", b"saddr,sport,timestamp_ts\n1.2.3.4,80,1e300\n", "not a timestamp"),
    "truncated_censys_array": BadFile("censys", "cut.json", b'[{"ip": "1.2.3.4", "services": [{"port": 80', "not JSON"),
    "truncated_gzip_shodan": BadFile(
        "shodan", "cut.json.gz", gzip.compress(b'{"ip_str": "1.2.3.4"}\n' * 50)[:30], "cannot read further"
    ),
    "unterminated_string_array": BadFile("censys", "str.json", b'[{"ip": "1.2.3.4' + b'\\"' * 100_000, "not JSON"),
    "xml_bomb": BadFile("masscan", "bomb.xml", BOMB, "DTD"),
    "xml_external_entity": BadFile("masscan", "xxe.xml", XXE, "DTD"),
    "xml_bomb_one_line": BadFile("masscan", "bomb1.xml", ONE_LINE_BOMB, "DTD"),
    "xml_undefined_entity": BadFile("masscan", "ent.xml", HOST_ENTITY, "not XML"),
    "csv_field_too_large": BadFile("fofa", "big.csv", b'ip,port\n"' + b"x" * 300_000 + b'",80\n', "field larger"),
    "csv_nul_bytes": BadFile("zmap", "nul.csv", b"saddr,sport\n1.2.3.4\x00,80\n", "not an IP"),
    "xlsx_not_a_zip": BadFile("fofa", "bad.xlsx", b"PK\x03\x04 not really a zip", "XLSX"),
}


def _import(fmt: str, files: list[Path], data: Path) -> list[str]:
    return ["discover", "import", fmt, *map(str, files), "--data", str(data), "--ports", "11434"]


@pytest.mark.parametrize("fmt", sorted(ALL_GARBAGE))
def test_every_record_garbage(fmt: str, tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name, body = ALL_GARBAGE[fmt]
    path = tmp_path / name
    path.write_bytes(body)
    line = _refused(_import(fmt, [path], data), data, capsys)
    assert "nothing imported" in line and f"{path}:" in line


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file(case: str, tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fmt, name, body, words = MALFORMED[case]
    path = tmp_path / name
    path.write_bytes(body)
    line = _refused(_import(fmt, [path], data), data, capsys)
    assert str(path) in line and words in line and len(line) < LINE_LIMIT


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("kind", ["binary", "invalid_utf8", "empty"])
def test_binary_invalid_utf8_and_empty_files(
    fmt: str, kind: str, tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {"binary": BINARY, "invalid_utf8": b"\xff\xfe\xc3\x28 \xa0\xa1\n" * 200, "empty": b""}[kind]
    path = tmp_path / f"input.{kind}"
    path.write_bytes(body)
    line = _refused(_import(fmt, [path], data), data, capsys)
    assert str(path) in line and len(line) < LINE_LIMIT


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_missing_file_is_refused_before_anything_is_written(
    fmt: str, tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.txt"
    good.write_text("192.0.2.1:11434\n")
    line = _refused(_import(fmt, [good, tmp_path / "missing.txt"], data), data, capsys)
    assert line == f"llmcensus: error: {tmp_path / 'missing.txt'}: no such file"


@pytest.mark.parametrize(("fmt", "body"), [
    ("shodan", '{"ip_str": "' + "9" * 50_000 + '"}\n'),
    ("masscan", "open tcp 80 " + "9" * 50_000 + "\n"),
    ("list", "1" * 50_000 + "\r"),
    ("zmap", "saddr,sport\n" + "9" * 50_000 + ",80\n"),
    ("fofa", "ip,port\n" + "9," * 25_000 + "\r\n"),
])  # fmt: skip
def test_overlong_line_is_one_issue_read_no_further(
    fmt: str, body: str, tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(_common, "MAX_LINE_CHARS", 1000)
    path = tmp_path / "long.txt"
    path.write_text(body, newline="")
    line = _refused(_import(fmt, [path], data), data, capsys)
    assert f"{path}:{body.count(chr(10)) or 1}: line longer than 1,000 characters" in line


def test_partial_garbage_is_reported_and_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mixed.json"  # garbage before the first candidate: held, then reported with it
    path.write_text('not json\n{"ip_str": "' + "7" * 1000 + '", "port": 80}\n{"ip_str": "198.51.100.9", "port": 80}\n')
    assert main(_import("shodan", [path], tmp_path / "data")) == 0
    out, err = capsys.readouterr()
    assert err.splitlines()[0].startswith(f"llmcensus: skipped: {path}:1: not JSON: ")
    assert f"{path}:2: not an IP address: '{'7' * QUOTE_LIMIT}'… (1,000 chars)" in err.splitlines()[1]
    assert "1 distinct candidates from 1 records (2 malformed)" in out


# -- 5. observation parts: newer schema, corrupted bytes ----------------------------------------------------------


@pytest.fixture
def study_data(tmp_path: Path) -> Path:
    return write_tiny(tmp_path / "study")


def _newer_part(data: Path) -> Path:
    row = observation("1.0.9.9", dt.date(2025, 4, 3), []) | {"schema_version": SCHEMA_VERSION + 1}
    path = data / "observations" / "day=2025-04-03" / "part-newer.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([row], schema=OBSERVATION_SCHEMA), path)
    return path


def _corrupt_head(data: Path) -> Path:
    path = sorted((data / "observations").glob("day=*/*.parquet"))[-1]
    raw = bytearray(path.read_bytes())
    raw[:64] = b"\x00" * 64
    path.write_bytes(bytes(raw))
    return path


def _cut_tail(data: Path) -> Path:
    path = sorted((data / "observations").glob("day=*/*.parquet"))[0]
    path.write_bytes(path.read_bytes()[:-100])
    return path


def _not_parquet(data: Path) -> Path:
    path = sorted((data / "observations").glob("day=*"))[0] / "part-text.parquet"
    path.write_text("observation_id,ip\n1,1.2.3.4\n")
    return path


BROKEN_PARTS = {"newer_schema": (_newer_part, f"schema v{SCHEMA_VERSION + 1}"),
                "corrupted_leading_bytes": (_corrupt_head, "not a Parquet file"),
                "truncated_footer": (_cut_tail, "unreadable observation file"),
                "text_file": (_not_parquet, "not a Parquet file")}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN_PARTS))
def test_report_refuses_an_unreadable_part_and_writes_nothing(
    case: str, tmp_path: Path, study_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, words = BROKEN_PARTS[case]
    part = make(study_data)
    out = tmp_path / "out"
    line = _refused(["report", "--data", str(study_data), "--out", str(out)], study_data, capsys)
    assert str(part) in line and words in line
    assert not out.exists()


@pytest.mark.parametrize("case", sorted(BROKEN_PARTS))
def test_enrich_refuses_an_unreadable_part_and_writes_nothing(
    case: str, study_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, words = BROKEN_PARTS[case]
    part = make(study_data)
    line = _refused(["enrich", "run", "--data", str(study_data)], study_data, capsys)
    assert str(part) in line and words in line
    assert not (study_data / "enrich" / "manifest.json").exists()


def _part(path: Path, version: int, *, statistics: bool = True, metadata: int | None = None) -> Path:
    row = observation("1.0.9.9", dt.date(2025, 4, 3), []) | {"schema_version": version}
    schema = OBSERVATION_SCHEMA
    if metadata is not None:
        schema = schema.with_metadata({b"llmcensus.schema_version": str(metadata).encode()})
    pq.write_table(pa.Table.from_pylist([row], schema=schema), path, write_statistics=statistics)
    return path


@pytest.mark.parametrize(("version", "statistics", "metadata", "newer"), [
    (SCHEMA_VERSION, True, None, False), (SCHEMA_VERSION, True, SCHEMA_VERSION, False),
    (SCHEMA_VERSION + 1, True, None, True), (SCHEMA_VERSION + 1, False, None, True),
    (SCHEMA_VERSION, False, SCHEMA_VERSION + 1, True), (SCHEMA_VERSION, False, None, False),
])  # fmt: skip
def test_check_parts_reads_the_version_from_the_footer(
    tmp_path: Path, version: int, statistics: bool, metadata: int | None, newer: bool
) -> None:
    path = _part(tmp_path / "p.parquet", version, statistics=statistics, metadata=metadata)
    if newer:
        with pytest.raises(SchemaVersionError, match=str(path)):
            check_parts([path])
    else:
        check_parts([path])


def test_check_parts_without_a_schema_version_column_reads_as_v1(tmp_path: Path) -> None:
    path = tmp_path / "old.parquet"
    pq.write_table(pa.table({"ip": ["1.2.3.4"]}), path)
    check_parts([path])
    bad = tmp_path / "bad-meta.parquet"
    pq.write_table(pa.table({"ip": ["1.2.3.4"]}).replace_schema_metadata({b"llmcensus.schema_version": b"v9"}), bad)
    with pytest.raises(DataError, match="not a number"):
        check_parts([bad])


# -- 6. huge target lines -----------------------------------------------------------------------------------------


def test_fifty_megabyte_target_line_is_one_short_line(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "targets.txt"
    with targets.open("w") as handle:
        handle.write("192.0.2.1\n")
        for _ in range(50):
            handle.write("x" * 1_000_000)
        handle.write("\n")
    line = _refused(["scan", str(targets), "--data", str(data), "--no-progress"], data, capsys)
    assert line.startswith(f"llmcensus: error: {targets}:2: line longer than 65,536 characters, starting 'xxx")
    assert len(line) < LINE_LIMIT


@pytest.mark.parametrize(("option", "body", "needle"), [
    ("--dial-map", b"public_ip,port,dial_ip,dial_port\n\xff\xfe,1,127.0.0.1,1\n", "dial map is not UTF-8 text"),
    ("--dial-map", b"public_ip,port,dial_ip,dial_port\n" + b"z" * 100_000 + b",1,127.0.0.1,1\n", "chars)"),
    ("--dial-map", b"public_ip,port,dial_ip,dial_port\n" + b"z" * 200_000 + b",1\n", "not valid CSV"),
    ("--dial-map", b"public_ip,port,dial_ip,dial_port\n1.2.3.4,1,127.0.0.1," + b"9" * 5000 + b"\n", "chars)"),
    ("--optout", b"\xff\xfe\n", "opt-out file is not UTF-8 text"),
    ("--optout", b"q" * 100_000 + b"\n", "chars)"),
])
def test_bad_dial_maps_and_opt_out_files(tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str],
                                         option: str, body: bytes, needle: str) -> None:
    (tmp_path / "t.txt").write_text("192.0.2.1\n")
    (tmp_path / "f").write_bytes(body)
    line = _refused(["scan", str(tmp_path / "t.txt"), "--data", str(data), option, str(tmp_path / "f")], data, capsys)
    assert needle in line and len(line) < LINE_LIMIT


def test_target_messages_quote_an_excerpt() -> None:
    with pytest.raises(TargetParseError) as err:
        list(iter_targets(["y" * 50_000]))
    assert str(err.value).endswith(f"'{'y' * QUOTE_LIMIT}'… (50,000 chars)")
    for line in ("1.2.3.4:" + "5" * 50_000, "1.2.3.4:²", "[::1]:" + "٣" * 4):
        with pytest.raises(TargetParseError) as err:
            list(iter_targets([line]))
        assert len(str(err.value)) < LINE_LIMIT


EXCERPTS = [
    ("short", "'short'"),
    ("z" * 500, f"'{'z' * QUOTE_LIMIT}'… (500 chars)"),
    (10**5000, "<an integer of 16,610 bits>"),
    ([10**5000], None),
    (["a" * 500] * 500, None),
    ({"k": [[[[[1]]]]]}, None),
    (1.5, "1.5"),
]


@pytest.mark.parametrize(("value", "shown"), EXCERPTS, ids=[str(i) for i in range(len(EXCERPTS))])
def test_excerpt_is_short(value: Any, shown: str | None) -> None:
    text = excerpt(value)
    assert len(text) <= QUOTE_LIMIT + 30
    if shown is not None:
        assert text == shown


# -- 7. discover sweep settings -----------------------------------------------------------------------------------

SWEEP_OPTIONS = [
    ("--timeout", "nan", "connect_timeout"), ("--timeout", "inf", "connect_timeout"),
    ("--timeout", "-1", "connect_timeout"), ("--timeout", "0", "connect_timeout"), ("--rate", "nan", "rate"),
    ("--rate", "inf", "rate"), ("--rate", "-5", "rate"), ("--per-host-rate", "0", "per_host_rate"),
    ("--per-host-rate", "nan", "per_host_rate"), ("--per-host-rate", "-inf", "per_host_rate"),
    ("--concurrency", "0", "concurrency"), ("--concurrency", "-3", "concurrency"),
    ("--concurrency", "1000000000", "concurrency"),
]  # fmt: skip


@pytest.mark.parametrize(("option", "value", "setting"), SWEEP_OPTIONS)
def test_sweep_setting_out_of_range(
    option: str, value: str, setting: str, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["discover", "sweep", "192.0.2.0/30", "--data", str(data), "--live", "--dry-run", f"{option}={value}"]
    line = _refused(argv, data, capsys)
    assert f"sweep setting {setting} must be" in line


@pytest.mark.parametrize("kwargs", [
    {"per_host_budget": 0}, {"per_host_budget": -4}, {"max_addresses": 0}, {"seed": 1.5}, {"concurrency": True},
    {"rate": float("nan")}, {"connect_timeout": float("inf")}, {"ports": ()}, {"ports": (0, 80)},
])  # fmt: skip
def test_sweep_settings_are_checked_when_made(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="sweep setting " + next(iter(kwargs))):
        SweepSettings(**kwargs)


def test_good_sweep_settings_still_plan(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["discover", "sweep", "192.0.2.0/30", "--data", str(data), "--live", "--dry-run", "--rate", "0"]
    assert main(argv) == 0
    assert "rate: unlimited" in capsys.readouterr().out
