"""docs/http-api.md cannot drift from the server (issue #21, "stable field names documented"): every endpoint of
``/openapi.json`` has a section, its parameters are the documented ones, and every field an endpoint answers is
documented with the JSON type it has (and no documented field is missing)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from analyze_data import write_tiny
from fastapi.testclient import TestClient

import llmcensus

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
DOC = Path(__file__).resolve().parents[1] / "docs" / "http-api.md"
# lists whose items are documented elsewhere: a metric's own columns (docs/metrics.md), alerts (docs/monitoring.md)
OPAQUE = {("/api/metrics/{name}", "rows"), ("/api/alerts", "alerts")}
SCALARS: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                        "boolean": (bool,), "object": (dict,)}  # fmt: skip


def sections() -> dict[str, dict[str, dict[str, str]]]:
    """Per endpoint path (and ``errors`` for the common error shape): its ``fields`` (name -> type) and
    ``params`` (name -> where), from the tables of the page."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    current = out.setdefault("errors", {"fields": {}, "params": {}})
    kind = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        head = re.match(r"^### `GET (\S+)`$", line)
        if head:
            current = out.setdefault(head.group(1), {"fields": {}, "params": {}})
            kind = None
        elif line.startswith("| field | type |"):
            kind = "fields"
        elif line.startswith("| parameter | in |"):
            kind = "params"
        elif not line.startswith("|"):
            kind = None
        elif kind and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            current[kind][cells[0].strip("`")] = cells[1]
    return out


def type_ok(value: Any, doc: str) -> bool:
    if value is None:
        return doc.endswith(" or null")
    doc = doc.removesuffix(" or null")
    if doc.startswith("array of "):
        item = doc.removeprefix("array of ").removesuffix("s")
        return isinstance(value, list) and all(type_ok(v, item) for v in value)
    return isinstance(value, SCALARS[doc]) and not (doc in ("integer", "number") and isinstance(value, bool))


def fields_of(body: dict[str, Any], endpoint: str, documented: dict[str, str]) -> dict[str, list[Any]]:
    """Every field path of ``body`` (``list[].key`` inside lists of objects) -> the values it had."""
    out: dict[str, list[Any]] = {}
    for key, value in body.items():
        out.setdefault(key, []).append(value)
        if isinstance(value, list) and (endpoint, key) not in OPAQUE:
            for item in value:
                assert isinstance(item, dict) or not any(f.startswith(f"{key}[].") for f in documented), key
                if isinstance(item, dict):
                    for k, v in item.items():
                        out.setdefault(f"{key}[].{k}", []).append(v)
    return out


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = write_tiny(tmp_path_factory.mktemp("webdocs") / "data")
    llmcensus.store_update(data)
    app = llmcensus.dashboard_app(data, reload_seconds=None)
    yield TestClient(app)
    app.app.state.model.close()


def test_every_endpoint_and_parameter_is_documented(client: TestClient) -> None:
    doc = sections()
    api = client.get("/openapi.json").json()
    assert set(doc) - {"errors"} == {*api["paths"], "/openapi.json"}
    for path, item in api["paths"].items():
        want = {p["name"]: p["in"] for p in item["get"].get("parameters", [])}
        got = {k: v for k, v in doc[path]["params"].items() if not k.startswith("<")}  # <parameter>: the metric's
        assert got == want, path


def test_every_field_is_documented_with_its_type(client: TestClient) -> None:
    doc = sections()
    host = client.get("/api/hosts").json()["hosts"][-1]["host"]  # the oldest host: it has days and events
    answers = {
        "/api/metrics": [client.get("/api/metrics")],
        "/api/metrics/{name}": [client.get("/api/metrics/countries", params={"country": "DE"}),
                                client.get("/api/metrics/headline", params={"persistent_min_obs": "1"})],
        "/api/hosts": [client.get("/api/hosts")],
        "/api/hosts/{pseudonym}": [client.get(f"/api/hosts/{host}")],
        "/api/alerts": [client.get("/api/alerts")],
        "/api/activity": [client.get("/api/activity")],
        "errors": [client.get("/api/metrics/nope"), client.get("/api/hosts", params={"limit": "x"})],
    }  # fmt: skip
    for endpoint, responses in answers.items():
        documented = doc[endpoint]["fields"]
        seen: dict[str, list[Any]] = {}
        for r in responses:
            for k, values in fields_of(r.json(), endpoint, documented).items():
                seen.setdefault(k, []).extend(values)
        assert set(seen) == set(documented), endpoint
        for name, values in seen.items():
            assert all(type_ok(v, documented[name]) for v in values), (endpoint, name, documented[name], values[:3])
    assert client.get(f"/api/hosts/{host}").json()["events"]  # the event fields were seen, not vacuously true
