"""Hugging Face TGI end to end: the real dispatch and ``tgi.scan`` against loopback servers replaying the fixture
bodies (``tests/fixtures/runtimes/tgi/``), with and without ``--api-key``, on TGI's docker port and on Ollama's."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from probe_support import Persona, compact, fleet

from llmcensus.observations.reader import read_observations
from llmcensus.observations.writer import ObservationWriter
from llmcensus.probe.engine import run_sweep
from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import ALLOWLIST, tgi
from llmcensus.probe.runtimes.base import MODEL_KEYS, Parsed
from llmcensus.probe.runtimes.fields import ParseError
from llmcensus.probe.settings import ProbeSettings
from llmcensus.targets.parse import Target

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes" / "tgi"
FAST = ProbeSettings(connect_timeout=1.0, read_timeout=0.6, total_timeout=5.0, per_ip_rate=0, loopback_only=True,
                     concurrency=20)
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


def sweep(servers: dict[tuple[str, int], Persona], data: Path) -> tuple[dict[tuple[str, int], dict[str, Any]],
                                                                         list[tuple[str, str, str]]]:
    async def main() -> list[tuple[str, str, str]]:
        async with fleet() as f:
            for public, persona in servers.items():
                await f.add(public, persona)
            writer = ObservationWriter(data, "s1")
            await run_sweep([Target(ip, port) for ip, port in servers], FAST, writer, dial_map=f.dial_map)
            writer.close(complete=True)
            return list(f.log)

    log = asyncio.run(main())
    return {(r["ip"], r["port"]): r for r in read_observations(data).to_pylist()}, log


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

_KEYS = [
    "model_id", "model_sha", "model_dtype", "model_device_type", "model_pipeline_tag", "max_total_tokens",
    "max_best_of", "validation_workers", "max_input_length", "max_input_tokens", "max_batch_total_tokens",
    "max_client_batch_size", "router", "version", "sha", "docker_label", "data", "id", "owned_by", "created",
]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["text-generation-router", "m", "0.8.2"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), inner,
                                                                max_size=6),
    max_leaves=24)
_bodies = st.one_of(_json.map(lambda v: json.dumps(v).encode()), st.binary(max_size=48),
                    st.sampled_from([b"", b"{", b"NaN", b'{"data": [1e400]}', b'"\\ud800"', b"\xff\xfe"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies, status=st.sampled_from([200, 401, 403, 404, 503]))
def test_hostile_bodies_never_break_a_parser_or_a_claim(body: bytes, status: int) -> None:
    for parser in tgi.PARSERS.values():
        try:
            parsed = parser(body)
        except ParseError:
            continue
        assert isinstance(parsed, Parsed)
        for m in parsed.models or ():
            assert tuple(m) == MODEL_KEYS and isinstance(m["id"], str) and isinstance(m["extra"], dict)
    paths = [*tgi.REQUESTS, ("GET", "/api/tags")]
    replies = {req: Exchange(req[0], req[1], status=status, body=body, nbytes=len(body)) for req in paths}
    assert tgi.claims(tgi.identify(replies)) in (0, 1, 2, 3, 4)
