"""Issue #19's two probe bugs: the genuine v0.1.38-v0.1.41 tags shape carries no clone marker, and an HTML
page with a null version and an empty inventory is a look-alike, not Ollama."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from probe_support import CAPTURES, JSON, TEXT, Persona, compact
from runtime_support import scan_fleet

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import lookalikes, ollama
from llmcensus.simulate.views import Behaviour, HostView, ModelView, Request
from llmcensus.simulate.wire.lookalikes import honeypot
from llmcensus.simulate.wire.ollama import respond_ollama

TAGS = sorted((CAPTURES / "api_tags").glob("*.json"))
HTML_TEXT = {"Content-Type": "text/html; charset=utf-8"}
GET_TAGS = Request("GET", "/api/tags", {}, b"")


def _models_from_capture(path: Path) -> tuple[ModelView, ...]:
    """The capture's models as the simulator's model views (so its wire renders them version by version)."""
    out = []
    for e in json.loads(path.read_text())["models"]:
        d = e.get("details") or {}
        out.append(ModelView(name=e["name"], digest=e["digest"], size=e["size"],
                             modified_at_ns=1_714_000_000_000_000_000, format=d.get("format") or "gguf",
                             family=d.get("family") or "",
                             families=tuple(d.get("families") or ()) or None,
                             parameter_size=d.get("parameter_size") or "",
                             quantization_level=d.get("quantization_level") or ""))
    return tuple(out)


def _view(version: str, behaviour: Behaviour = Behaviour.OLLAMA) -> HostView:
    return HostView(1, "11.19.0.1", 11434, "http", behaviour, version, 480, models=_models_from_capture(TAGS[1]))


def _exchange(path: str, body: bytes, status: int = 200) -> Exchange:
    return Exchange(method="GET", path=path, status=status, body=body)


@pytest.mark.parametrize("version", ["0.1.38", "0.1.39", "0.1.40", "0.1.41"])
def test_genuine_shared_ps_struct_versions_carry_no_clone_marker(version: str) -> None:
    body = respond_ollama(_view(version), GET_TAGS, 0).body
    assert b'"expires_at":"0001-01-01T00:00:00Z"' in body and b"size_vram" not in body  # what they really send
    _, ev = ollama.parse_tags(body)
    assert "tags_expires_zero" in ev and "tags_ps_fields" not in ev
    assert ollama.version_slips(ev, version) == []
    replies = {("GET", "/api/version"): _exchange("/api/version", json.dumps({"version": version}).encode()),
               ("GET", "/api/tags"): _exchange("/api/tags", body)}
    evidence = ollama.identify(replies)
    assert "tags_ps_fields" not in evidence and lookalikes.classify(evidence) is lookalikes.Runtime.OLLAMA


@pytest.mark.parametrize("version", ["0.1.37", "0.1.42", "0.5.7"])
def test_other_versions_do_not_send_expires_at(version: str) -> None:
    body = respond_ollama(_view(version), GET_TAGS, 0).body
    assert b"expires_at" not in body
    assert not {"tags_expires_zero", "tags_ps_fields"} & set(ollama.parse_tags(body)[1])


def test_the_zero_expires_at_under_another_version_is_a_slip() -> None:
    body = respond_ollama(_view("0.1.40"), GET_TAGS, 0).body
    _, ev = ollama.parse_tags(body)
    assert ollama.version_slips(ev, "0.5.7") == ["tags_ps_fields"]
    assert ollama.version_slips(ev, None) == []  # an unknown version proves nothing


def test_the_planted_honeypot_keeps_its_marker() -> None:
    body = honeypot(_view("0.5.7", Behaviour.HONEYPOT), GET_TAGS).body
    assert "tags_ps_fields" in ollama.parse_tags(body)[1]


def test_no_real_capture_carries_a_ps_marker() -> None:
    for path in TAGS:
        assert not {"tags_ps_fields", "tags_expires_zero"} & set(ollama.parse_tags(compact(path))[1]), path.name


def test_genuine_0_1_40_through_the_engine_is_plain_ollama_with_show(tmp_path: Path) -> None:
    view = _view("0.1.40")
    tags = respond_ollama(view, GET_TAGS, 0).body
    routes = {("GET", "/"): (200, TEXT, b"Ollama is running"),
              ("GET", "/api/version"): (200, JSON, b'{"version":"0.1.40"}'),
              ("GET", "/api/tags"): (200, JSON, tags),
              ("GET", "/api/ps"): (200, JSON, b'{"models":[]}')}
    show = (200, JSON, json.dumps({"license": "", "modelfile": "FROM x\n", "parameters": "",
                                   "template": "{{ .Prompt }}", "details": {"format": "gguf"}}).encode())
    rows, _ = scan_fleet({("11.19.0.2", 11434): Persona(routes, show=lambda _b: show)}, tmp_path)
    row = rows["11.19.0.2"]
    assert (row["runtime"], row["status"]) == ("ollama", "success")
    assert "tags_ps_fields" not in row["runtime_evidence"]
    assert all(m["show_status"] == "fetched" for m in row["models"])


def test_html_page_with_null_version_and_empty_inventory_is_a_lookalike(tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><head><title>Dashboard</title></head><body>hello</body></html>"
    routes = {("GET", "/"): (200, HTML_TEXT, page),
              ("GET", "/api/version"): (200, JSON, b'{"version":null}'),
              ("GET", "/api/tags"): (200, JSON, b'{"models":[]}')}
    rows, _ = scan_fleet({("11.19.0.3", 11434): Persona(routes)}, tmp_path)
    row = rows["11.19.0.3"]
    assert row["runtime"] != "ollama" and row["status"] == "not_llm"
    assert {"root_html", "tags_empty"} <= set(row["runtime_evidence"])


def test_real_ollama_with_an_empty_inventory_stays_ollama() -> None:
    ev = ["root_banner", "version_json", "tags_models_list", "tags_empty"]
    assert lookalikes.classify(ev) is lookalikes.Runtime.OLLAMA
