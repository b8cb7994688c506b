"""KoboldCpp end to end: loopback servers on its port (5001) serving its fixture bodies, swept by the engine."""

from __future__ import annotations

import json
from pathlib import Path

from probe_support import Persona
from runtime_support import UVICORN_404, fixture, model_ids, runtime_data, scan_fleet

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import koboldcpp

KOBOLD = {"Server": "ConcedoLlamaForKoboldServer", "Content-type": "application/json"}
NOT_FOUND = (404, {"Server": "ConcedoLlamaForKoboldServer"}, fixture("koboldcpp", "not_found__404.txt"))
EXTRA_VERSION = fixture("koboldcpp", "api_extra_version.json")
MODEL = "koboldcpp/Meta-Llama-3-8B-Instruct.Q4_K_M"
FLAGS = {"result": "KoboldCpp", "version": "1.71.1", "protected": True, "llm": True, "txt2img": False,
         "vision": False, "admin": 0}


def persona(*, server: dict[str, str] = KOBOLD, extra_version: bytes = EXTRA_VERSION,
            openai_list: bool = True) -> Persona:
    routes = {
        ("GET", "/api/extra/version"): (200, server, extra_version),
        ("GET", "/api/v1/model"): (200, server, fixture("koboldcpp", "api_v1_model.json")),
        ("GET", "/api/v1/info/version"): (200, server, fixture("koboldcpp", "api_v1_info_version.json")),
    }
    if openai_list:
        routes[("GET", "/v1/models")] = (200, server, fixture("koboldcpp", "v1_models.json"))
    default = NOT_FOUND if server is KOBOLD else (404, server, NOT_FOUND[2])
    return Persona(routes, default=default)


def test_koboldcpp_is_recognised_with_its_version_and_model(tmp_path: Path) -> None:
    personas = {
        ("192.0.2.1", 5001): persona(),
        # a build before the OpenAI list: the model comes from the KoboldAI API
        ("192.0.2.2", 5001): persona(openai_list=False),
        # --password: generation is guarded, the metadata is not; the flags say so
        ("192.0.2.3", 5001): persona(extra_version=json.dumps(FLAGS).encode()),
        # behind nginx (no Server header of its own): Python's json.dumps spacing still names it
        ("192.0.2.4", 5001): persona(server={"Server": "nginx/1.24.0", "Content-Type": "application/json"}),
        # moved to llama.cpp's port: its Server header names it on the first reply
        ("192.0.2.5", 8080): persona(),
    }
    rows, log = scan_fleet(personas, tmp_path)
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"):
        r = rows[ip]
        assert (r["runtime"], r["status"], r["auth"]) == ("koboldcpp", "success", "open"), (
            ip, r["status"], r["error"], r["runtime_evidence"])
        assert model_ids(r) == [MODEL]
    assert [rows[ip]["version"] for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3")] == ["1.43", "1.43", "1.71.1"]
    assert "server_header:concedollamaforkoboldserver" in rows["192.0.2.1"]["runtime_evidence"]
    assert runtime_data(rows["192.0.2.1"])["models"][MODEL] == {"owned_by": "koboldcpp",
                                                                "extra": {"root": "koboldcpp", "created": 1}}
    assert runtime_data(rows["192.0.2.2"])["models"][MODEL] == {
        "extra": {"model_file_stem": "Meta-Llama-3-8B-Instruct.Q4_K_M"}}
    assert runtime_data(rows["192.0.2.3"])["features"] == {"protected": True, "llm": True, "txt2img": False,
                                                           "vision": False, "admin": 0}
    assert {"result:koboldcpp", "python_json_dumps"} <= set(rows["192.0.2.4"]["runtime_evidence"])
    assert rows["192.0.2.4"]["proxied"] is True
    assert sum(h.startswith("192.0.2.5:") for h, _, _ in log) <= 4  # one identifying reply, then the detail


def test_an_impersonated_version_reply_is_not_koboldcpp(tmp_path: Path) -> None:
    """TabbyAPI and Aphrodite answer /api/extra/version through FastAPI (compact JSON): not proof."""
    compact = b'{"result":"KoboldCpp","version":"1.61"}'
    tabby_list = (b'{"object":"list","data":[{"id":"Llama-3-8B-exl2","object":"model","created":1,'
                  b'"owned_by":"tabbyAPI"}]}')
    headers = {"Server": "uvicorn", "Content-Type": "application/json"}
    personas = {("192.0.2.1", 5001): Persona({("GET", "/api/extra/version"): (200, headers, compact),
                                              ("GET", "/v1/models"): (200, headers, tabby_list)},
                                             default=UVICORN_404)}
    rows, _ = scan_fleet(personas, tmp_path)
    r = rows["192.0.2.1"]
    assert (r["runtime"], r["status"]) == ("openai_compatible", "success"), r["runtime_evidence"]
    assert model_ids(r) == ["Llama-3-8B-exl2"]
    ex = Exchange("GET", "/api/extra/version", status=200, body=compact, nbytes=len(compact))
    evidence = koboldcpp.identify({("GET", "/api/extra/version"): ex})
    assert "result:koboldcpp" in evidence and koboldcpp.claims(evidence) == 0


def test_hostile_kobold_replies_are_read_leniently() -> None:
    assert koboldcpp.parse_v1_model(b'{"result": 5}').models is None
    assert koboldcpp.parse_extra_version(b'{"result": "KoboldCpp", "version": ["x"], "llm": "yes"}').version is None
    flags = {f"f{i}": True for i in range(200)}
    assert len(koboldcpp.parse_extra_version(json.dumps(flags).encode()).extras["features"]) == 64


def test_koboldcpp_on_ollamas_port_is_handed_over_to_this_module(tmp_path: Path) -> None:
    rows, _ = scan_fleet({("192.0.2.1", 11434): persona()}, tmp_path)
    r = rows["192.0.2.1"]
    assert (r["runtime"], r["status"], r["auth"], r["version"]) == ("koboldcpp", "success", "open", "1.43"), (
        r["status"], r["error"], r["runtime_evidence"])
    assert model_ids(r) == [MODEL]
