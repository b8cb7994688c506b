"""Hugging Face TGI end to end: the real dispatch and ``tgi.scan`` against loopback servers replaying the fixture
bodies (``tests/fixtures/runtimes/tgi/``), with and without ``--api-key``, on TGI's docker port and on Ollama's."""

from __future__ import annotations

import json
from pathlib import Path

from probe_support import Persona, compact
from runtime_support import sweep

from llmcensus.probe.runtimes import ALLOWLIST

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes" / "tgi"
JSON = {"Content-Type": "application/json"}
NOT_FOUND: tuple[int, dict[str, str], bytes] = (404, {}, b"")  # axum's default: an empty 404


def server(info: bytes, model_id: str, *, api_key: bool = False) -> Persona:
    """TGI's info routes (/, /info, /health, /metrics, /v1/models) are merged outside the key layer
    (``server.rs``), so ``--api-key`` changes nothing here; it refuses generation, which the probe never asks."""
    listing = json.dumps({"object": "list", "data": [{"id": model_id, "object": "model", "created": 0,
                                                      "owned_by": model_id}]}).encode()
    routes = {("GET", "/info"): (200, JSON, info), ("GET", "/v1/models"): (200, JSON, listing),
              ("GET", "/health"): (200, {}, b""), ("GET", "/"): (200, {}, b"")}
    if api_key:
        routes[("POST", "/generate")] = (401, {}, b"")
    return Persona(routes, default=NOT_FOUND)


NEW = server((FIXTURES / "info__openapi_example.json").read_bytes(), "bigscience/blomm-560m", api_key=True)
OLD = server(compact(FIXTURES / "info__v0_8_2.json"), "google/flan-t5-large")  # 0.8.2: no "router" key yet
# a proxy that wants a key for everything: nothing tells TGI, and the refusal is all there is to record
PROXY_KEY = Persona({}, default=(401, {"Content-Type": "text/html", "Server": "nginx", "WWW-Authenticate": "Basic"},
                                 b"<html>401</html>"))


def test_tgi_with_and_without_key_on_its_port_and_on_ollamas(tmp_path: Path) -> None:
    servers = {(ip, port): persona for port in (8080, 11434)
               for ip, persona in (("192.0.2.1", NEW), ("192.0.2.2", OLD), ("192.0.2.3", PROXY_KEY))}
    rows, log = sweep(servers, tmp_path)
    assert all((method, path) in ALLOWLIST and method == "GET" for _, method, path in log)
    for port in (8080, 11434):
        new, old, proxied = rows["192.0.2.1", port], rows["192.0.2.2", port], rows["192.0.2.3", port]
        # with --api-key, /info stays open: the metadata is open, so is the recorded posture
        assert (new["runtime"], new["status"], new["auth"], new["version"]) == ("tgi", "success", "open",
                                                                                "0.5.0"), new["error"]
        assert [(m["name"], m["context_length"], m["digest"]) for m in new["models"]] == [
            ("bigscience/blomm-560m", 2048, "e985a63cdc139290c5f700ff1929f0b5942cced2")]
        assert json.loads(new["runtime_data"])["tgi"]["router"] == "text-generation-router"
        assert (old["runtime"], old["status"], old["auth"], old["version"]) == ("tgi", "success", "open", "0.8.2")
        assert [(m["name"], m["quantization_level"]) for m in old["models"]] == [("google/flan-t5-large",
                                                                                  "torch.float16")]
        assert "tgi_info_shape" in old["runtime_evidence"] and "tgi_info_router" not in old["runtime_evidence"]
        assert json.loads(old["runtime_data"])["tgi"]["sha"] == "5ce89059f8149eaf313c63e9ded4199670cd74bb"
        assert (proxied["runtime"], proxied["status"], proxied["auth"]) == ("unknown", "auth_required",
                                                                            "auth_required")
    # /health and / are never asked by TGI's module (its health check may run a prefill)
    assert not any(path == "/health" for _, _, path in log)


# --- hostile replies: every parser and the claim never break, whatever the body ----------------------------------
