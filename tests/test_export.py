"""``llmcensus export`` (issue #21): a copy of the observations for sharing, in the same layout, every address
replaced by the dashboard's pseudonym, no raw bodies; refused into a non-empty folder or the data folder."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from probe_support import fleet, ollama_persona
from runtime_support import FAST

from llmcensus.api import export
from llmcensus.cli.main import main
from llmcensus.errors import UsageError
from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import run_sweep
from llmcensus.pseudonym import Pseudonymizer
from llmcensus.store.db import connect, quote
from llmcensus.store.layout import Layout
from llmcensus.targets.parse import Target

V1 = Path(__file__).parent / "fixtures" / "v1_study"  # schema v1 in day= folders, bodies inline (body_zstd)
HOSTS = [("192.0.2.1", 11434), ("192.0.2.2", 11434), ("192.0.2.3", 8080)]
DAYS = [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)]


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days of a real sweep on loopback (schema v2, date folders, bodies in the body store)."""
    root = tmp_path_factory.mktemp("probed")

    async def go() -> None:
        async with fleet() as f:
            for i, host in enumerate(HOSTS[:2]):  # the third answers nothing: an error naming its dial address
                await f.add(host, ollama_persona(b'{"models":[]}' if i else b"not json", version="0.12.6"))
            for day in DAYS:
                at = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
                w = ObservationWriter(root, f"s-{day.isoformat()}", clock=lambda at=at: at)
                await run_sweep([Target(*h) for h in HOSTS], FAST, w, dial_map=f.dial_map, clock=lambda at=at: at)
                w.close(complete=True)

    asyncio.run(go())
    return root


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    data = tmp_path / "v1"
    shutil.copytree(V1 / "observations", Layout(data).observations)
    return data


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _addresses(data: Path) -> set[str]:
    t = read_observations(data, columns=["ip", "dial_ip"])
    return {a for col in ("ip", "dial_ip") for a in t.column(col).to_pylist() if a}


def _telling(data: Path) -> set[str]:
    """The source addresses a leak scan can tell from pseudonyms: those that are no address's pseudonym. Crypto-PAn
    flips bit i by a function of the address's first i bits padded with the key's pad, so the inputs for successive
    bits often coincide and flips come in runs: a pseudonym equal to its own address is far likelier than 2**-32
    (one key of a CI run mapped 34.4.178.167 to itself), and such a pseudonym is no leak."""
    addresses = _addresses(data)
    pan = Pseudonymizer.for_data(data)
    return addresses - {pan.pseudonym(a) for a in addresses}


def _leaks(out: Path, addresses: set[str]) -> list[str]:
    """Every source address found in a string of the export (any column, any depth) or in the bytes of its files."""
    pattern = re.compile(r"(?<![\d.])(?:" + "|".join(re.escape(a) for a in addresses) + r")(?![\d])")
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if pattern.search(path.read_bytes().decode("latin-1")):
            found.append(f"{path.name}: bytes")
        if path.suffix == ".parquet":
            for row in pq.read_table(path).to_pylist():
                found += [f"{path.name}: {s[:80]}" for s in _strings(row) if pattern.search(s)]
    return found


def test_the_export_loads_like_the_original(probed: Path, tmp_path: Path) -> None:
    out = tmp_path / "share"
    result = export(probed, out)
    assert result.observations == len(HOSTS) * len(DAYS) and result.days == [d.isoformat() for d in DAYS]
    frame = pd.read_parquet(Layout(out).observations)
    assert len(frame) == len(HOSTS) * len(DAYS) and sorted(set(frame["day"])) == DAYS
    assert ds.dataset(Layout(out).observations).to_table().schema.field("day").type == pa.date32()
    con = connect(threads=1)
    try:
        glob = quote(Layout(out).observations / "**" / "*.parquet")
        n = con.execute(f"SELECT count(*) FROM read_parquet({glob})").fetchone()
    finally:
        con.close()
    assert n == (len(HOSTS) * len(DAYS),)
    assert read_observations(out).num_rows == len(HOSTS) * len(DAYS)  # llmcensus reads it as a data folder too
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["addresses"] == "pseudonymised" and "Crypto-PAn" in manifest["scheme"]
    assert manifest["counts"]["observations"] == len(HOSTS) * len(DAYS)
    assert "Crypto-PAn" in (out / "README.txt").read_text()
    assert not (out / "pseudonym.key").exists() and not Layout(out).bodies.exists()


def test_no_source_address_is_left_anywhere(probed: Path, tmp_path: Path) -> None:
    export(probed, tmp_path / "share")
    addresses = _telling(probed)
    assert any(a.startswith("127.") for a in addresses)  # dial addresses too
    assert _leaks(tmp_path / "share", addresses) == []


def test_the_pseudonyms_are_the_dashboards_and_stable(probed: Path, tmp_path: Path) -> None:
    export(probed, tmp_path / "a")
    export(probed, tmp_path / "b")
    pan = Pseudonymizer.for_data(probed)  # what the dashboard shows (llmcensus.pseudonym, the data folder's key)
    src = read_observations(probed, columns=["ip", "dial_ip", "port", "day"]).sort_by([("day", "ascending"),
                                                                                        ("port", "ascending")])
    a = read_observations(tmp_path / "a").sort_by([("day", "ascending"), ("port", "ascending")])
    b = read_observations(tmp_path / "b").sort_by([("day", "ascending"), ("port", "ascending")])
    assert sorted(a.column("ip").to_pylist()) == sorted(pan.pseudonym(ip) for ip in src.column("ip").to_pylist())
    assert sorted(filter(None, a.column("dial_ip").to_pylist())) == sorted(
        pan.pseudonym(ip) for ip in src.column("dial_ip").to_pylist() if ip)
    for col in ("ip", "dial_ip", "observation_id", "error"):
        assert a.column(col).to_pylist() == b.column(col).to_pylist(), col
    ids = a.column("observation_id").to_pylist()
    assert len(set(ids)) == len(ids)
    assert not set(ids) & set(read_observations(probed, columns=["observation_id"]).column(0).to_pylist())


def test_a_v1_source_exports_without_bodies_or_addresses(v1: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "share"
    assert main(["export", "--data", str(v1), "--out", str(out), "--since", "2026-01-28",
                 "--until", "2026-01-29", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["days"] == ["2026-01-28", "2026-01-29"]
    src = read_observations(v1).to_pylist()
    want = [r for r in src if dt.date(2026, 1, 28) <= r["day"] <= dt.date(2026, 1, 29)]
    assert sorted(p.name for p in Layout(out).observations.iterdir()) == ["2026-01-28", "2026-01-29"]
    got = read_observations(out)
    assert got.num_rows == len(want) and set(got.column("schema_version").to_pylist()) == {1}
    bodies = [e["body_zstd"] for r in got.to_pylist() for e in r["exchanges"] or ()]
    assert bodies and not any(bodies)  # the inline raw bodies are gone
    assert any(e["body_zstd"] for r in want for e in r["exchanges"] or ())
    assert any("Cannot connect to host 127." in (r["error"] or "") for r in want)  # error text names the address
    assert [r["status"] for r in got.to_pylist()] == [r["status"] for r in want]
    assert _leaks(out, _telling(v1)) == []
    pan = Pseudonymizer.for_data(v1)
    refused = [r for r in want if (r["error"] or "").startswith("ClientConnectorError: Cannot connect to host")]
    assert refused and {f"Cannot connect to host {pan.pseudonym(r['dial_ip'])}:" in (r2["error"] or "")
                        for r, r2 in zip(want, got.to_pylist(), strict=True) if r in refused} == {True}


def test_raw_addresses_keep_them_and_say_so(v1: Path, tmp_path: Path) -> None:
    result = export(v1, tmp_path / "raw", raw_addresses=True)
    got = read_observations(tmp_path / "raw")
    assert got.column("ip").to_pylist() == read_observations(v1, columns=["ip"]).column("ip").to_pylist()
    assert result.raw_addresses and not (v1 / "pseudonym.key").exists()  # no key needed, none created
    manifest = json.loads((tmp_path / "raw" / "manifest.json").read_text())
    assert manifest["addresses"] == "RAW" and "Do not publish" in manifest["warning"]
    assert (tmp_path / "raw" / "README.txt").read_text().startswith("llmcensus export")
    assert "RAW ADDRESSES" in (tmp_path / "raw" / "README.txt").read_text()
    assert not any(e["body_zstd"] for r in got.to_pylist() for e in r["exchanges"] or ())
    assert _leaks(tmp_path / "raw", _addresses(v1))  # the scan finds addresses where they are


@pytest.mark.parametrize("where", ["same", "inside", "nonempty", "file"])
def test_refuses_a_used_folder_and_writes_nothing(v1: Path, tmp_path: Path, where: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = {"same": v1, "inside": v1 / "share", "nonempty": tmp_path / "used", "file": tmp_path / "f"}[where]
    if where == "nonempty":
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    if where == "file":
        target.write_text("mine")
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(UsageError):
        export(v1, target)
    assert main(["export", "--data", str(v1), "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("llmcensus: error: --out")
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_bad_windows_are_usage_errors(v1: Path, tmp_path: Path) -> None:
    assert main(["export", "--data", str(v1), "--out", str(tmp_path / "x"), "--since", "yesterday"]) == 2
    assert main(["export", "--data", str(v1), "--out", str(tmp_path / "x"), "--since", "2026-02-01"]) == 2
    assert main(["export", "--data", str(v1), "--out", str(tmp_path / "x"), "--since", "2026-01-29",
                 "--until", "2026-01-28"]) == 2
    assert not (tmp_path / "x").exists()
