"""``llmcensus security export`` (issue #19): per network, the open endpoints on a version an unauthenticated
advisory affects; addresses pseudonymised (the dashboard's Crypto-PAn pseudonyms) unless asked for; flagged fakes
and unknown versions never listed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from analyze_data import fixture_advisories, write_runtimes

from llmcensus.analyze.notify import export_notifications, write_export
from llmcensus.api import export
from llmcensus.cli.main import main
from llmcensus.errors import ConfigError, UsageError
from llmcensus.observations.reader import read_observations
from llmcensus.pseudonym import Pseudonymizer


def pseudonym(ip: str, key: bytes) -> str:
    return Pseudonymizer(key).pseudonym(ip)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_runtimes(tmp_path / "data")


def test_the_endpoints_to_notify(data: Path) -> None:
    # last days: H1 locked (D3), H2 vLLM locked, H4:11434 0.9.1 open (T-2), H5 forbidden, H6:11434 0.9.0 open
    # (T-1 and T-2), H6:8443 locked: H4 and H6 only; no geo rows, so one unknown network
    with fixture_advisories():
        export = export_notifications(data, addresses=True)
    got = {(r["address"], r["port"]): r for r in export.rows}
    assert set(got) == {("2.0.0.4", 11434), ("2.0.0.6", 11434)}
    assert got[("2.0.0.4", 11434)]["advisories"] == "T-2" and not got[("2.0.0.4", 11434)]["single_request"]
    assert got[("2.0.0.6", 11434)]["advisories"] == "T-1;T-2" and got[("2.0.0.6", 11434)]["single_request"]
    assert got[("2.0.0.6", 11434)]["max_severity"] == "critical"
    assert [n["asn"] for n in export.networks()] == [None]


def test_addresses_are_pseudonymised_unless_asked(data: Path) -> None:
    with fixture_advisories():
        a = export_notifications(data, key=b"k" * 32)
        b = export_notifications(data, key=b"k" * 32)
        c = export_notifications(data)
    assert {r["address"] for r in a.rows} == {pseudonym("2.0.0.4", b"k" * 32), pseudonym("2.0.0.6", b"k" * 32)}
    assert [r["address"] for r in a.rows] == [r["address"] for r in b.rows]  # the same key links exports
    assert not {r["address"] for r in c.rows} & {r["address"] for r in a.rows}  # another key does not
    assert "2.0.0" not in a.to_csv() + a.to_json().decode()
    with pytest.raises(ConfigError):
        export_notifications(data, key=b"short")


def test_one_pseudonym_per_host_in_every_output(data: Path, tmp_path: Path) -> None:
    # by default the data folder's key: the dashboard's pseudonyms (llmcensus.pseudonym) and llmcensus export's
    with fixture_advisories():
        notified = {r["address"] for r in export_notifications(data).rows}
    dashboard = Pseudonymizer.for_data(data)
    assert notified == {dashboard.pseudonym("2.0.0.4"), dashboard.pseudonym("2.0.0.6")}
    export(data, tmp_path / "share")
    assert notified <= set(read_observations(tmp_path / "share", columns=["ip"]).column("ip").to_pylist())
    assert "Crypto-PAn" in export_notifications(data).to_json().decode()


def test_the_cli_writes_csv_and_json(data: Path, tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_bytes(b"s" * 32)
    with fixture_advisories():
        assert main(["security", "export", "--data", str(data), "--out", str(tmp_path / "n.csv"),
                     "--key-file", str(key)]) == 0
        assert main(["security", "export", "--data", str(data), "--out", str(tmp_path / "n.json"),
                     "--format", "json", "--addresses"]) == 0
        assert main(["security", "export", "--data", str(data), "--out", str(tmp_path / "x"),
                     "--key-file", str(tmp_path / "missing")]) == 1
        (tmp_path / "short").write_bytes(b"s" * 16)  # the HMAC scheme's keys (16 bytes or more) are refused
        assert main(["security", "export", "--data", str(data), "--out", str(tmp_path / "x"),
                     "--key-file", str(tmp_path / "short")]) == 1
    rows = list(csv.DictReader((tmp_path / "n.csv").open()))
    assert "address" not in rows[0]  # a pseudonym looks like an address: its column says it is not one
    assert [r["address_pseudonym"] for r in rows] == [pseudonym("2.0.0.4", b"s" * 32), pseudonym("2.0.0.6", b"s" * 32)]
    doc = json.loads((tmp_path / "n.json").read_text())
    assert doc["addresses"] == "raw" and doc["endpoints"] == 2
    assert [e["address"] for e in doc["networks"][0]["endpoints"]] == ["2.0.0.4", "2.0.0.6"]


def test_a_bad_format_is_a_usage_error(data: Path, tmp_path: Path) -> None:
    with fixture_advisories():
        export = export_notifications(data)
    with pytest.raises(UsageError):
        write_export(export, tmp_path / "x", "xml")


def test_host_text_cannot_become_a_formula(data: Path) -> None:
    with fixture_advisories():
        export = export_notifications(data)
    export.rows[0]["version"] = "=HYPERLINK(\"http://x\")"
    assert "'=HYPERLINK" in export.to_csv()
