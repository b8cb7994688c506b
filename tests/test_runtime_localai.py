"""LocalAI end to end: loopback servers on its port (8080) serving its fixture bodies, swept by the engine.

LocalAI names itself nowhere: it is told from plain Ollama by what contradicts Ollama (an id+object-only list beside
the emulated Ollama version, or echo's JSON habits), and from a generic list by its Ollama emulation.
"""

from __future__ import annotations

from pathlib import Path

from probe_support import JSON, TEXT, Persona
from runtime_support import fixture, model_ids, runtime_data, scan_fleet

from llmcensus.probe.runtimes import localai

V1_MODELS = fixture("localai", "v1_models__2023_04.json")
API_VERSION = fixture("localai", "api_version.json")
ROOT = fixture("localai", "root.txt")
ECHO_404 = (404, JSON, b'{"message":"Not Found"}\n')
LISTED = [".DS_Store", ".devcontainer", ".dockerignore", ".env", ".git", ".github", ".gitignore", ".vscode",
          "Dockerfile", "Earthfile", "LICENSE", "Makefile", "README.md", "api", "charts", "examples", "go-gpt2",
          "go-gpt4all-j", "go-llama", "go.mod", "go.sum", "local-ai", "main.go", "models", "pkg",
          "prompt-templates", "renovate.json", "tests", ""]
TAGS = (b'{"models":[{"name":"phi-2:latest","model":"phi-2:latest","modified_at":"2025-06-01T10:00:00Z","size":0,'
        b'"digest":"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",'
        b'"details":{"format":"gguf","family":"llama-cpp","families":["llama-cpp"]}}]}\n')


WELCOME = (b'<!DOCTYPE html>\n<html lang="en">\n<head>\n    <meta charset="UTF-8">\n'
           b"    <title>LocalAI API - v2.20.1 (8b0b2b5ac8ac6a2d9c4e3d2a1f0e9d8c7b6a5948)</title>\n</head>\n</html>\n")


def persona(*, root: tuple[int, dict[str, str], bytes] = (200, TEXT, ROOT),
            version_body: bytes = API_VERSION) -> Persona:
    return Persona({
        ("GET", "/v1/models"): (200, JSON, V1_MODELS),
        ("GET", "/api/version"): (200, JSON, version_body),
        ("GET", "/api/tags"): (200, JSON, TAGS),
        ("GET", "/"): root,
    }, default=ECHO_404)


def test_localai_is_recognised_on_its_port(tmp_path: Path) -> None:
    personas = {
        # the fixture bodies as stored: the id+object list beside Ollama's banner contradicts plain Ollama
        ("192.0.2.1", 8080): persona(),
        # the welcome page instead of the banner: its title names LocalAI and its version
        ("192.0.2.2", 8080): persona(root=(200, {"Content-Type": "text/html; charset=utf-8"}, WELCOME)),
        # no page at all: the emulated version constant (with echo's newline) beside the list
        ("192.0.2.3", 8080): persona(root=ECHO_404, version_body=API_VERSION + b"\n"),
    }
    rows, log = scan_fleet(personas, tmp_path)
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        r = rows[ip]
        assert (r["runtime"], r["status"], r["auth"]) == ("localai", "success", "open"), (
            ip, r["status"], r["error"], r["runtime_evidence"])
        assert model_ids(r) == LISTED  # /v1/models as listed, the empty id included
    assert [rows[ip]["version"] for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3")] == [None, "v2.20.1", None]
    assert {"openai_list_id_object_only", "root_banner"} <= set(rows["192.0.2.1"]["runtime_evidence"])
    assert "root_title:localai" in rows["192.0.2.2"]["runtime_evidence"]
    assert {"json_trailing_newline", "version_const:0.9.0"} <= set(rows["192.0.2.3"]["runtime_evidence"])
    assert runtime_data(rows["192.0.2.3"]) == {"ollama_api_version": "0.9.0"}  # the emulated version is not LocalAI's
    assert not any(path in ("/api/show", "/api/ps") for _, _, path in log)  # no Ollama detail visit


def test_the_list_alone_is_not_localai_and_real_ollama_is_not_either() -> None:
    from llmcensus.probe.http import Exchange
    from llmcensus.probe.runtimes import ollama

    def ex(path: str, body: bytes) -> Exchange:
        return Exchange("GET", path, status=200, content_type="application/json", body=body, nbytes=len(body))

    only_list = {("GET", "/v1/models"): ex("/v1/models", V1_MODELS)}
    assert localai.claims(localai.identify(only_list)) == 0
    ollama_like = {
        ("GET", "/api/version"): ex("/api/version", b'{"version":"0.9.0"}'),
        ("GET", "/v1/models"): ex("/v1/models", b'{"object":"list","data":[{"id":"llama3:latest","object":"model",'
                                                b'"created":1718000000,"owned_by":"library"}]}'),
        ("GET", "/api/tags"): ex("/api/tags", b'{"models":[]}'),
    }
    assert localai.claims(localai.identify(ollama_like)) == 0
    assert ollama.claims(ollama.identify(ollama_like)) == 3
    both = {**ollama_like, ("GET", "/v1/models"): ex("/v1/models", V1_MODELS)}
    assert localai.claims(localai.identify(both)) > ollama.claims(ollama.identify(both))
    # through Ollama's paths alone: the emulation's sha256: digests (``lookalikes.classify``)
    tags = {("GET", "/api/version"): ex("/api/version", API_VERSION), ("GET", "/api/tags"): ex("/api/tags", TAGS)}
    assert (localai.claims(localai.identify(tags)), ollama.claims(ollama.identify(tags))) == (3, 0)


def test_localai_on_ollamas_port_is_handed_over_to_this_module(tmp_path: Path) -> None:
    """On 11434 Ollama's visit runs first; its look-alike verdict (the sha256: digests) hands the visit over here."""
    rows, _ = scan_fleet({("192.0.2.1", 11434): persona()}, tmp_path)
    r = rows["192.0.2.1"]
    assert (r["runtime"], r["status"], r["auth"], r["version"]) == ("localai", "success", "open", None), (
        r["status"], r["error"], r["runtime_evidence"])
    assert model_ids(r) == LISTED and "digest_prefix:sha256" in r["runtime_evidence"]
    assert runtime_data(r) == {"ollama_api_version": "0.9.0"}
