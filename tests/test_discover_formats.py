"""Every source format: sample files import with their known counts; malformed records are reported, never fatal."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcensus.discover.candidates import read_candidates
from llmcensus.discover.formats import FORMATS, Candidate, ImportOptions, ParseIssue, get_format
from llmcensus.discover.importer import import_files, iter_file
from llmcensus.errors import InputError, UsageError

SAMPLES = Path(__file__).parent / "fixtures" / "discovery"
EXPECTED = {k: v for k, v in json.loads((SAMPLES / "EXPECTED.json").read_text()).items() if not k.startswith("_")}


def _options(spec: dict[str, object]) -> ImportOptions:
    ports = spec.get("ports")
    return ImportOptions(ports=tuple(ports) if isinstance(ports, list) else None)


def test_every_format_has_a_sample() -> None:
    assert {spec["format"] for spec in EXPECTED.values()} == set(FORMATS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_parses_to_known_counts(name: str) -> None:
    spec = EXPECTED[name]
    items = iter_file(str(spec["format"]), SAMPLES / name, _options(spec))
    cands = [i for i in items if isinstance(i, Candidate)]
    issues = [i for i in items if isinstance(i, ParseIssue)]
    assert len(cands) == spec["records"]
    assert len({(c.ip, c.port) for c in cands}) == spec["candidates"]
    assert [i.line for i in issues] == spec["issue_lines"]
    for issue in issues:  # the message names the file and the line
        assert str(issue).startswith(f"{SAMPLES / name}:{issue.line}: ")
    assert all(c.source == spec["format"] for c in cands)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_imports_into_dataset(name: str, tmp_path: Path) -> None:
    spec = EXPECTED[name]
    seen: list[ParseIssue] = []
    summary = import_files(
        str(spec["format"]), [SAMPLES / name], tmp_path, options=_options(spec), on_issue=seen.append
    )
    assert summary.candidates == spec["candidates"]
    assert summary.issue_count == len(spec["issue_lines"]) == len(seen)
    table = read_candidates(tmp_path)
    assert table.num_rows == spec["candidates"]
    assert set(table.column("sources").to_pylist()[0]) == {spec["format"]}


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as err:
        get_format("nmap")
    assert all(name in str(err.value) for name in FORMATS)


def test_zmap_without_sport_needs_the_port() -> None:
    items = iter_file("zmap", SAMPLES / "zmap" / "saddr.csv", ImportOptions())
    assert len(items) == 1 and isinstance(items[0], ParseIssue) and "--ports" in items[0].message


def _by_key(name: str, fmt: str, options: ImportOptions | None = None) -> dict[tuple[str, int], Candidate]:
    out: dict[tuple[str, int], Candidate] = {}
    for item in iter_file(fmt, SAMPLES / name, options or ImportOptions()):
        if isinstance(item, Candidate):
            out.setdefault((item.ip, item.port), item)
    return out


def test_fields_are_read_as_documented() -> None:
    shodan = _by_key("shodan/ollama.json.gz", "shodan")
    assert shodan[("192.0.2.5", 443)].scheme == "https"  # ssl present
    assert ("title", "Open WebUI") in shodan[("192.0.2.5", 443)].labels
    assert shodan[("192.0.2.4", 11434)].first_seen == datetime(2025, 10, 20, 3, 14, 15, 926535, tzinfo=UTC)
    assert ("2001:db8::4", 11434) in shodan

    censys = _by_key("censys/hosts.jsonl", "censys")
    assert censys[("192.0.2.11", 443)].scheme == "https"  # extended_service_name HTTPS
    assert ("product", "ollama") in censys[("192.0.2.10", 11434)].labels
    assert ("198.51.100.20", 11434) in censys  # Platform record unwrapped
    assert ("192.0.2.12", 53) not in censys  # UDP skipped

    fofa = _by_key("fofa/export.csv", "fofa")
    assert fofa[("203.0.113.52", 8443)].scheme == "https"  # address and scheme from the host URL
    assert ("title", "Ollama WebUI") in fofa[("203.0.113.51", 443)].labels

    masscan = [
        i for i in iter_file("masscan", SAMPLES / "masscan" / "scan.txt", ImportOptions()) if isinstance(i, Candidate)
    ]
    banner = [c for c in masscan if c.labels]
    assert banner and ("banner", "HTTP/1.0 200 OK") in banner[0].labels and banner[0].scheme == "http"
    assert masscan[0].first_seen == datetime.fromtimestamp(1761984100, UTC)

    zmap = _by_key("zmap/results.csv", "zmap")
    assert ("192.0.2.112", 11434) not in zmap  # RST
    assert zmap[("192.0.2.110", 11434)].first_seen == datetime(2025, 11, 3, 9, 0, 0, 123000, tzinfo=UTC)

    plain = _by_key("list/targets.txt", "list")
    assert plain[("198.51.100.130", 8443)].scheme == "https"
    assert {("198.51.100.128", 11434), ("198.51.100.131", 11434)} <= set(plain)


def test_truncated_gzip_is_an_issue_and_the_next_file_still_imports(tmp_path: Path) -> None:
    whole = (SAMPLES / "shodan" / "ollama.json.gz").read_bytes()
    lines = gzip.decompress(whole).splitlines(keepends=True)
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(gzip.compress(b"".join(lines[:3]) * 200)[:-40])
    summary = import_files("shodan", [broken, SAMPLES / "shodan" / "ollama.json.gz"], tmp_path)
    assert [f.issues for f in summary.files][1:] == [2]
    assert summary.files[0].issues == 1 and summary.files[0].records > 0
    assert any("cannot read further" in str(i) for i in summary.issues)
    # the broken file repeats the good file's first three banners, so the union is the good file's 4
    assert read_candidates(tmp_path).num_rows == 4


def test_a_missing_file_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    good = SAMPLES / "shodan" / "ollama.json.gz"
    with pytest.raises(InputError, match=r"missing\.json\.gz: no such file"):
        import_files("shodan", [good, tmp_path / "missing.json.gz"], tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_fofa_xlsx_that_is_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    items = iter_file("fofa", bad, ImportOptions())
    assert len(items) == 1 and isinstance(items[0], ParseIssue) and "not a readable XLSX" in items[0].message
    with pytest.raises(InputError, match="nothing imported"):
        import_files("fofa", [bad], tmp_path)
    assert not (tmp_path / "candidates").exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)), fmt=st.sampled_from(sorted(FORMATS))
)
def test_hostile_input_never_raises(tmp_path: Path, body: bytes, fmt: str) -> None:
    path = tmp_path / f"fuzz.{fmt}"
    path.write_bytes(body)
    items = iter_file(fmt, path, ImportOptions(ports=(11434,), cidr_cap=256))
    for item in items:
        assert isinstance(item, Candidate | ParseIssue)
        if isinstance(item, Candidate):
            assert 0 < item.port < 65536 and item.ip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {"ip_str": st.text(max_size=20), "port": st.one_of(st.integers(), st.text(max_size=5))}
            ),
            st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.integers(), st.text(max_size=8)), max_size=4),
            st.lists(st.integers(), max_size=3),
        ),
        max_size=8,
    )
)
def test_hostile_json_records_never_raise(tmp_path: Path, lines: list[object]) -> None:
    text = "\n".join(json.dumps(x) for x in lines)
    for fmt in ("shodan", "censys", "masscan"):
        path = tmp_path / f"records.{fmt}.json"
        path.write_text(text)
        items = iter_file(fmt, path, ImportOptions())
        assert all(isinstance(i, Candidate | ParseIssue) for i in items)



_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
_SERVICE = st.fixed_dictionaries(
    {"port": st.integers(0, 70000), "service_name": st.sampled_from(["HTTP", '"]},[{', '\\"]', "a,b"])}
)
_HOSTS = st.fixed_dictionaries(
    {"ip": st.sampled_from(["192.0.2.1", "2001:db8::1", "nope"]), "services": st.lists(_SERVICE, max_size=3)}
)


@settings(max_examples=60, deadline=None)
@given(records=st.lists(st.one_of(_HOSTS, _JSON_VALUES), max_size=6), indent=st.sampled_from([None, 0, 2]))
def test_censys_array_scan_agrees_with_a_whole_parse(records: list[object], indent: int | None) -> None:
    """The element scanner (strings and brackets only) splits an array exactly where a JSON parser would."""
    from llmcensus.discover.formats.censys import _host_candidates, _parse_json_array

    got = list(_parse_json_array(Path("a.json"), json.dumps(records, indent=indent)))
    want: list[object] = []
    for record in records:
        try:
            want.extend(_host_candidates(record))
        except ValueError:
            want.append("issue")
    assert [i if isinstance(i, Candidate) else "issue" for i in got] == want
