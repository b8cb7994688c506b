"""Hostile requests never crash the wire layer: every persona answers with a sane reply."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcensus.simulate.views import Behaviour, HostView, ModelView, Request, RunningView
from llmcensus.simulate.wire import build_show, respond

M = ModelView(name="qwen3:8b", digest="5" * 64, size=5_225_376_047, modified_at_ns=1_750_000_000_000_000_000,
              format="gguf", family="qwen3", families=("qwen3",), parameter_size="8.2B", quantization_level="Q4_K_M",
              capabilities=("completion", "tools", "thinking"),
              show=build_show("qwen3:8b", "qwen3", ("qwen3",), "8.2B", "Q4_K_M", ("completion", "tools", "thinking")))
CLOUD = ModelView(name="glm-4.6:cloud", digest="6" * 64, size=366, modified_at_ns=1_760_000_000_000_000_000,
                  format="", family="glm4", families=("glm4",), parameter_size="355B", quantization_level="FP8",
                  remote_model="glm-4.6", remote_host="https://ollama.com:443")
LLAVA = ModelView(name="llava:7b", digest="7" * 64, size=4_733_363_377, modified_at_ns=1_700_000_000_000_000_000,
                  format="gguf", family="llama", families=("llama", "clip"), parameter_size="7B",
                  quantization_level="Q4_0", capabilities=("completion", "vision"))
BEHAVIOURS = [b for b in Behaviour if b not in (Behaviour.REFUSED, Behaviour.GARBAGE, Behaviour.SILENT)]
VERSIONS = ["0.1.10", "0.1.20", "0.1.40", "0.1.45", "0.5.7", "0.6.8", "0.9.0", "0.12.6", "0.30.1", "0.0.0", "junk"]
VIEWS = [HostView(host_id=i, ip="192.0.2.9", port=11434, scheme="http", behaviour=b, version=ver, tz_offset_min=60,
                  models=(M, CLOUD, LLAVA), running=(RunningView(M, 6 * 10**9, 6 * 10**9, 2 * 10**18, 4096),),
                  origins_wildcard=i % 2 == 0, proxy="nginx" if i % 3 == 0 else None)
         for i, (b, ver) in enumerate([(Behaviour.OLLAMA, v) for v in VERSIONS] + [(b, "0.6.5") for b in BEHAVIOURS])]

paths = st.one_of(
    st.sampled_from(["/", "/api/tags", "/api/ps", "/api/show", "/api/version", "/v1/models", "/v1/models/qwen3:8b",
                     "/api/status", "/api/blobs/sha256:00", "/api/generate", "/props", "/api/config", "/api/tags/",
                     "/health", "/get_model_info", "/api/extra/version", "//", "/api//tags", "/v1/models/"]),
    st.text(max_size=40).map(lambda s: "/" + s),
)
methods = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "get", "head", "BREW"])
bodies = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"", b"{", b"[]", b"null", b'{"model":"qwen3:8b"}', b'{"name":"llava:7b"}', b'{"model":[1]}',
                     b'{"model":"glm-4.6:cloud"}', b'{"model":"a/b/c/d"}', b'{"model":"x","model":"qwen3"}',
                     b'{"verbose":"yes","model":"qwen3:8b"}', b"NaN", b'"\\ud800"', b'{"model":"\xff"}']),
)
header_values = st.one_of(
    st.sampled_from(["https://evil.example", "http://localhost:8080", "app://x", "192.0.2.9:11434",
                     "http://192.0.2.9:11434", "http://localhost:\r\nX-Injected: 1"]),
    st.text(max_size=20),
    st.text(max_size=20).map(lambda s: "http://localhost:" + s),
)
headers = st.dictionaries(st.sampled_from(["origin", "host", "user-agent", "content-type"]), header_values, max_size=3)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VIEWS), methods, paths, bodies, headers)
def test_any_request_gets_a_sane_reply(view: HostView, method: str, path: str, body: bytes,
                                       hdrs: dict[str, str]) -> None:
    req = Request(method, path, hdrs, body)
    r = respond(view, req, 1_760_000_000_000_000_000)
    assert r is not None
    assert 100 <= r.status <= 599 and isinstance(r.reason, str) and r.reason
    assert isinstance(r.body, bytes)
    for k, v in r.headers:
        assert isinstance(k, str) and isinstance(v, str) and "\n" not in k + v and "\r" not in k + v
        assert k.lower() != "date"
    if method == "HEAD":
        assert r.body == b""
        assert sum(k.lower() == "content-length" for k, _ in r.headers) == 1
    else:
        assert all(k.lower() != "content-length" for k, _ in r.headers)
    assert respond(view, req, 1_760_000_000_000_000_000) == r
