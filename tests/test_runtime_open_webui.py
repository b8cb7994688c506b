"""Open WebUI end to end: loopback servers on its ports (8080, 3000) serving its fixture bodies, with its login
wall (the 401 of newer releases, the 403 of older ones) and without a readable config."""

from __future__ import annotations

import json
from pathlib import Path

from probe_support import Persona
from runtime_support import fixture, model_ids, runtime_data, scan_fleet

from llmcensus.probe.runtimes import open_webui

UVICORN = {"Server": "uvicorn", "Content-Type": "application/json"}
PAGE = (200, {"Server": "uvicorn", "Content-Type": "text/html; charset=utf-8"},
        b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\" /><title>Open WebUI</title></head></html>")
CONFIG = fixture("open_webui", "api_config__v0_5_16.json")
ONBOARDING = fixture("open_webui", "api_config__onboarding.json")
VERSION = fixture("open_webui", "api_version.json")


def persona(config: tuple[int, bytes], *, refusal: int = 401) -> Persona:
    wall = (refusal, UVICORN, fixture("open_webui", f"api_models__no_token_{refusal}.json"))
    return Persona({("GET", "/api/config"): (config[0], UVICORN, config[1]),
                    ("GET", "/api/version"): (200, UVICORN, VERSION),
                    ("GET", "/api/models"): wall,
                    ("GET", "/api/tags"): wall,
                    ("GET", "/"): PAGE}, default=PAGE)  # the single-page app answers every other path


def test_open_webui_front_end_and_login_wall(tmp_path: Path) -> None:
    no_login = json.loads(ONBOARDING)
    no_login["features"]["auth"] = False
    no_login.pop("onboarding")
    personas = {
        ("192.0.2.1", 8080): persona((200, CONFIG)),
        ("192.0.2.2", 3000): persona((200, ONBOARDING), refusal=403),
        ("192.0.2.3", 3000): persona((200, json.dumps(no_login).encode())),  # WEBUI_AUTH=False: everyone is admin
        # the config is not readable (a proxy rule): the page names it, its refusals decide
        ("192.0.2.4", 8080): persona((401, b'{"detail":"Not authenticated"}'), refusal=403),
    }
    rows, _ = scan_fleet(personas, tmp_path)
    expect = {
        "192.0.2.1": ("success", "auth_required", "0.5.16"),
        "192.0.2.2": ("success", "auth_required", "0.6.5"),
        "192.0.2.3": ("success", "open", "0.6.5"),
        "192.0.2.4": ("auth_required", "auth_required", "0.5.16"),
    }
    for ip, (status, auth, version) in expect.items():
        r = rows[ip]
        assert (r["runtime"], r["status"], r["auth"], r["version"], model_ids(r)) == (
            "open_webui", status, auth, version, None), (ip, r["status"], r["error"], r["runtime_evidence"])
    first = runtime_data(rows["192.0.2.1"])
    assert (first["instance_name"], first["onboarding"], first["enable_signup"]) == (" open webui", None, True)
    assert first["oauth_providers"] == ["google", "oidc"]
    assert runtime_data(rows["192.0.2.2"])["onboarding"] is True
    assert "owui_onboarding" in rows["192.0.2.2"]["runtime_evidence"]
    assert "root_title:open_webui" in rows["192.0.2.4"]["runtime_evidence"]
    assert rows["192.0.2.4"]["error"] == "HTTP 403 on /api/models"


def test_a_fastapi_refusal_alone_is_not_open_webui() -> None:
    from llmcensus.probe.http import Exchange

    body = fixture("open_webui", "api_models__no_token_401.json")
    replies = {("GET", "/api/models"): Exchange("GET", "/api/models", status=401, body=body, nbytes=len(body))}
    evidence = open_webui.identify(replies)
    assert "detail_not_authenticated" in evidence and open_webui.claims(evidence) == 0
    assert open_webui.parse_config(b'{"status": true, "name": "x"}').evidence == []  # no features: not its config


def test_open_webui_on_ollamas_port_is_handed_over_to_this_module(tmp_path: Path) -> None:
    rows, _ = scan_fleet({("192.0.2.1", 11434): persona((200, CONFIG))}, tmp_path)
    r = rows["192.0.2.1"]
    assert (r["runtime"], r["status"], r["auth"], r["version"], r["models"]) == (
        "open_webui", "success", "auth_required", "0.5.16", None), (r["status"], r["error"], r["runtime_evidence"])
    assert runtime_data(r)["instance_name"] == " open webui"
