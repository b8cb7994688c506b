"""The dashboard's HTTP API (issue #21): the same numbers as ``llmcensus.metrics``, filters and pages, hostile
parameters refused without reaching SQL, no raw address unless raw mode, and the token rule."""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from analyze_data import write_tiny
from fastapi.testclient import TestClient

import llmcensus
from llmcensus.cli.main import main as cli_main
from llmcensus.errors import ConfigError, UsageError
from llmcensus.inert import inert_json
from llmcensus.pseudonym import Pseudonymizer, load_or_create_key
from llmcensus.web import readmodel
from llmcensus.web.app import plain
from llmcensus.web.security import check_bind, is_loopback, read_token

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOKEN = "s3cret-token-of-the-test-0123"
RAW = ["1.0.0.1", "1.0.0.2", "1.0.0.3", "1.0.0.4", "1.0.0.5", "1.0.0.6", "1.0.1.1", "1.0.1.2", "1.0.2.1"]
HOSTILE_VALUES = ["' OR 1=1 --", "1; DROP TABLE host_geo; --", "9" * 400, "\u202e\x00evil", "１２", "1e999", "-",
                  "0x10", "NaN", "$persistent_min_obs"]  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tiny(tmp_path_factory.mktemp("web") / "data")
    llmcensus.store_update(root)
    return root


@pytest.fixture(scope="module")
def expected(data: Path) -> dict[str, Any]:
    """The metric results, computed before any server attaches the store (one process attaches a file once)."""
    return {"all": llmcensus.metrics(data),
            "headline_1": llmcensus.metrics(data, ["headline"], params={"persistent_min_obs": 1})["headline"]}


@pytest.fixture(scope="module")
def client(data: Path, expected: dict[str, Any]) -> Iterator[TestClient]:
    app = llmcensus.dashboard_app(data)
    yield TestClient(app)
    app.app.state.model.close()


def _copy(data: Path, tmp_path: Path) -> Path:
    """A copy of the data folder: a second server in this process cannot attach the same store file."""
    return Path(shutil.copytree(data, tmp_path / "copy", ignore=shutil.ignore_patterns("pseudonym.key")))


def _norm(rows: list[dict[str, Any]]) -> list[str]:
    def r12(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 12)
        if isinstance(v, dict):
            return {k: r12(x) for k, x in v.items()}
        if isinstance(v, list):
            return [r12(x) for x in v]
        return v

    return sorted(orjson.dumps(r12(r), option=orjson.OPT_SORT_KEYS).decode() for r in rows)


def test_every_metric_endpoint_returns_the_numbers_of_llmcensus_metrics(expected: dict[str, Any],
                                                                        client: TestClient) -> None:
    listed = client.get("/api/metrics").json()
    assert listed["total"] == len(expected["all"]) and {m["name"] for m in listed["metrics"]} == set(expected["all"])
    assert {"name", "definition", "denominator", "window", "params"} <= set(listed["metrics"][0])
    for name, table in expected["all"].items():
        body = client.get(f"/api/metrics/{name}", params={"limit": 10_000}).json()
        assert body["total"] == table.num_rows, name
        want = inert_json(orjson.loads(orjson.dumps(plain(table.to_pylist()))))
        assert _norm(body["rows"]) == _norm(want), name
        assert body["columns"] == table.column_names and body["addresses"] == "pseudonymised"


def test_parameters_are_bound_and_change_the_answer(expected: dict[str, Any], client: TestClient) -> None:
    want = expected["headline_1"].to_pylist()
    got = client.get("/api/metrics/headline", params={"persistent_min_obs": "1"}).json()
    assert got["params"]["persistent_min_obs"] == 1
    assert _norm(got["rows"]) == _norm(inert_json(orjson.loads(orjson.dumps(plain(want)))))


def test_filters_and_pagination(client: TestClient) -> None:
    full = client.get("/api/metrics/countries").json()
    de = client.get("/api/metrics/countries", params={"country": "DE"}).json()
    assert de["total"] == 1 and [r["country"] for r in de["rows"]] == ["DE"]
    page = client.get("/api/metrics/countries", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == full["total"] == 5 and page["rows"] == full["rows"][1:3]
    days = client.get("/api/metrics/runtime_mix_by_day", params={"since": "2025-03-31", "until": "2025-04-01"}).json()
    assert days["rows"] and all("2025-03-31" <= r["day"] <= "2025-04-01" for r in days["rows"])
    rt = client.get("/api/metrics/runtime_mix_by_day", params={"runtime": "localai"}).json()
    assert rt["total"] == 1 and rt["rows"][0]["runtime"] == "localai"
    none = client.get("/api/metrics/countries", params={"runtime": "ollama"})
    assert none.status_code == 400 and "filters it takes: country" in none.json()["error"]
    csv = client.get("/api/metrics/countries.csv", params={"country": "DE"})
    assert csv.status_code == 200 and csv.text.splitlines()[1].startswith('"DE"')
    parquet = client.get("/api/metrics/countries.parquet")
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
    assert client.get("/api/metrics/countries.json").json() == full["rows"]
    assert client.get("/api/metrics/countries.xyz").status_code == 404  # csv, parquet and json only


def test_hostile_parameters_get_a_4xx_and_never_reach_sql(client: TestClient, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    seen: list[str] = []
    real = readmodel.run_query

    def spy(con: Any, query: Any, overrides: Any = None) -> Any:
        seen.append(query.sql + repr(overrides))
        return real(con, query, overrides)

    monkeypatch.setattr(readmodel, "run_query", spy)
    for value in HOSTILE_VALUES:
        for name, param in (("headline", "persistent_min_obs"), ("high_capability_availability",
                                                                  "high_availability_uptime"),
                            ("countries", "limit"), ("countries", "offset"), ("runtime_mix_by_day", "since")):
            r = client.get(f"/api/metrics/{name}", params={param: value})
            assert 400 <= r.status_code < 500, (name, param, value, r.text)
            assert r.headers["content-type"] == "application/json" and r.json()["error"]
    for value in HOSTILE_VALUES[:4]:
        r = client.get("/api/metrics/countries", params={"country": value})
        assert r.status_code in (200, 400) and (r.status_code == 400 or r.json()["total"] == 0)
    assert client.get("/api/metrics/countries", params={"nope": "1"}).status_code == 400
    assert client.get("/api/metrics/countries?country=DE&country=FR").status_code == 400
    assert client.get("/api/metrics/headline%27%20OR%201=1").status_code == 404
    assert client.get("/api/hosts/' OR 1=1").status_code == 400
    for text in seen:
        assert not any(v in text for v in HOSTILE_VALUES if len(v) > 2)


def _raw_in(text: str) -> list[str]:
    return [ip for ip in RAW if re.search(rf"(?<![\d.]){re.escape(ip)}(?![\d.])", text)]


def test_no_response_leaks_a_raw_address(expected: dict[str, Any], client: TestClient) -> None:
    urls = ["/api/metrics", "/api/hosts", "/api/alerts", "/api/activity", "/", "/metrics", "/lineages", "/alerts",
            "/hosts", "/openapi.json"]  # fmt: skip
    urls += [f"/api/metrics/{n}?limit=10000" for n in expected["all"]]
    urls += [f"/metrics/{n}" for n in expected["all"]]
    urls += [f"/api/metrics/{n}.csv" for n in ("countries", "events_by_month", "population_summary")]
    hosts = client.get("/api/hosts").json()["hosts"]
    assert len(hosts) == 8
    urls += [f"/api/hosts/{h['host']}" for h in hosts] + [f"/hosts/{h['host']}" for h in hosts]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert _raw_in(r.text) == [], url
    first = client.get(f"/api/hosts/{hosts[-1]['host']}").json()
    assert first["days"] and first["events"] and first["addresses"] == "pseudonymised"
    assert client.get("/api/hosts/1.0.0.1").status_code == 404  # a raw address is not a key either


def test_raw_mode_shows_addresses(data: Path, tmp_path: Path) -> None:
    app = llmcensus.dashboard_app(_copy(data, tmp_path), raw_addresses=True)
    raw = TestClient(app)
    body = raw.get("/api/hosts").json()
    assert body["addresses"] == "raw" and "1.0.0.1" in {h["host"] for h in body["hosts"]}
    assert raw.get("/api/hosts/1.0.0.1").json()["host"] == "1.0.0.1"
    app.app.state.model.close()


def test_pseudonyms_are_keyed_deterministic_and_prefix_preserving(data: Path, tmp_path: Path) -> None:
    key = data / "pseudonym.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    a, b = Pseudonymizer.for_data(data), Pseudonymizer.for_data(data)
    assert a.pseudonym("1.0.0.1") == b.pseudonym("1.0.0.1") != "1.0.0.1"
    p1, p2, p3 = (a.pseudonym(ip) for ip in ("1.0.0.1", "1.0.0.2", "1.0.1.1"))
    assert p1.rsplit(".", 1)[0] == p2.rsplit(".", 1)[0] and p1.split(".")[:2] == p3.split(".")[:2]
    v6 = a.pseudonym("2001:db8::1")
    assert ":" in v6 and v6 != "2001:db8::1" and a.pseudonym("::ffff:1.0.0.1") == p1
    other = tmp_path / "other"
    other.mkdir()
    assert Pseudonymizer.for_data(other).pseudonym("1.0.0.1") != p1  # another folder, another key
    with pytest.raises(ValueError):
        a.pseudonym("not an address")
    os.chmod(other / "pseudonym.key", 0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        load_or_create_key(other)


def test_bind_rule() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.9.9.9")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("example.org")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", TOKEN)
    with pytest.raises(UsageError, match="without a token"):
        check_bind("0.0.0.0", None)
    assert read_token(None, {"LLMCENSUS_TOKEN": TOKEN}) == TOKEN and read_token(None, {}) is None
    with pytest.raises(UsageError, match="at least 16"):
        read_token(None, {"LLMCENSUS_TOKEN": "short"})
    with pytest.raises(UsageError):
        llmcensus.serve_token("192.0.2.10", None, {})
    assert llmcensus.serve_token("192.0.2.10", None, {"LLMCENSUS_TOKEN": TOKEN}) == TOKEN


def test_the_cli_refuses_a_public_bind_without_a_token(data: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("LLMCENSUS_TOKEN", raising=False)
    code = cli_main(["serve", "--data", str(data), "--host", "0.0.0.0", "--port", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "without a token" in err[0]
    empty = data.parent / "empty-token"
    empty.write_text("\n")
    assert cli_main(["serve", "--data", str(data), "--host", "0.0.0.0", "--token-file", str(empty)]) == 2


def test_with_a_token_every_request_needs_it(data: Path, tmp_path: Path) -> None:
    app = llmcensus.dashboard_app(_copy(data, tmp_path), token=TOKEN)
    guarded = TestClient(app)
    for url in ("/api/metrics", "/", "/openapi.json", "/static/dashboard.js", "/api/hosts/nope"):
        assert guarded.get(url).status_code == 401
        assert guarded.get(url, headers={"Authorization": "Bearer wrong-token-0000000000"}).status_code == 401
        assert guarded.get(url, headers={"Authorization": TOKEN}).status_code == 401
    ok = guarded.get("/api/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.headers["content-security-policy"].startswith("default-src 'none'")
    app.app.state.model.close()


def test_addresses_inside_text_get_the_same_pseudonym_and_times_stay() -> None:
    pan = Pseudonymizer(b"t" * 32)
    text = "Cannot connect to host 127.162.67.39:11434 at 12:30:45 via ::ffff:10.0.0.1, build 1.2.3.4.5"
    got = pan.in_text(text)
    assert got == (f"Cannot connect to host {pan.pseudonym('127.162.67.39')}:11434 at 12:30:45 via "
                   f"{pan.pseudonym('10.0.0.1')}, build 1.2.3.4.5")  # fmt: skip
