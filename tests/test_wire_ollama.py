"""Genuine Ollama replies, version by version (protocols.md §1.5–§1.13, gotchas §16)."""

from __future__ import annotations

import json

import pytest

from llmcensus.simulate.views import Behaviour, HostView, ModelView, Reply, Request, RunningView
from llmcensus.simulate.wire import build_show, respond

DIGEST = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72"
T0 = 1_746_889_608_639_712_648  # 2025-05-10T15:06:48.639712648Z


def model(name: str = "llama3.2:latest", **kw: object) -> ModelView:
    base: dict[str, object] = dict(name=name, digest=DIGEST, size=2019393189, modified_at_ns=T0, format="gguf",
                                   family="llama", families=("llama",), parameter_size="3.2B",
                                   quantization_level="Q4_K_M", context_length=131072, embedding_length=3072,
                                   capabilities=("completion", "tools"))
    base.update(kw)
    return ModelView(**base)  # type: ignore[arg-type]


def host(version: str, models: tuple[ModelView, ...] | None = None, **kw: object) -> HostView:
    ms = (model(),) if models is None else models
    run = (RunningView(model=ms[0], size=3_000_000_000, size_vram=2_000_000_000, expires_at_ns=T0 + 300 * 10**9,
                       context_length=4096),) if ms else ()
    base: dict[str, object] = dict(host_id=7, ip="192.0.2.7", port=11434, scheme="http", behaviour=Behaviour.OLLAMA,
                                   version=version, tz_offset_min=-420, models=ms, running=run)
    base.update(kw)
    return HostView(**base)  # type: ignore[arg-type]


def call(v: HostView, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Reply:
    r = respond(v, Request(method, path, headers or {}, body), T0)
    assert r is not None
    return r


def js(r: Reply) -> dict[str, object]:
    assert r.status == 200, (r.status, r.body)
    out = json.loads(r.body)
    assert isinstance(out, dict)
    return out


D6 = ["parent_model", "format", "family", "families", "parameter_size", "quantization_level"]
TAG_KEYS = [
    ("0.1.14", ["name", "modified_at", "size", "digest"], None),
    ("0.1.15", ["name", "modified_at", "size", "digest", "details"], D6[1:]),
    ("0.1.20", ["name", "modified_at", "size", "digest", "details"], D6[1:]),
    ("0.1.21", ["name", "model", "modified_at", "size", "digest", "details"], D6),
    ("0.1.38", ["name", "model", "modified_at", "size", "digest", "details", "expires_at"], D6),
    ("0.1.41", ["name", "model", "modified_at", "size", "digest", "details", "expires_at"], D6),
    ("0.1.42", ["name", "model", "modified_at", "size", "digest", "details"], D6),
    ("0.11.10", ["name", "model", "modified_at", "size", "digest", "details"], D6),
    ("0.24.0", ["name", "model", "modified_at", "size", "digest", "details"], D6),
    ("0.30.0", ["name", "model", "modified_at", "size", "digest", "details", "capabilities"],
     [*D6, "context_length", "embedding_length"]),
    ("0.0.0", ["name", "model", "modified_at", "size", "digest", "details", "capabilities"],
     [*D6, "context_length", "embedding_length"]),
]


@pytest.mark.parametrize(("version", "keys", "details"), TAG_KEYS, ids=[t[0] for t in TAG_KEYS])
def test_tags_keys_and_order_per_version(version: str, keys: list[str], details: list[str] | None) -> None:
    entry = js(call(host(version), "GET", "/api/tags"))["models"][0]  # type: ignore[index]
    assert list(entry) == keys
    if details is not None:
        assert list(entry["details"]) == details
    assert entry["modified_at"] == "2025-05-10T08:06:48.639712648-07:00"


def test_cloud_stub_remote_fields_from_0_12() -> None:
    stub = model("gpt-oss:120b-cloud", size=384, format="", remote_model="gpt-oss:120b",
                 remote_host="https://ollama.com:443")
    old = js(call(host("0.11.10", (stub,)), "GET", "/api/tags"))["models"][0]  # type: ignore[index]
    new = js(call(host("0.12.0", (stub,)), "GET", "/api/tags"))["models"][0]  # type: ignore[index]
    assert "remote_model" not in old
    assert list(new)[:5] == ["name", "model", "remote_model", "remote_host", "modified_at"]
    show = js(call(host("0.12.0", (stub,)), "POST", "/api/show", b'{"model":"gpt-oss:120b-cloud"}'))
    assert show["remote_model"] == "gpt-oss:120b" and "tensors" not in show


def test_tags_sorted_by_modified_second_descending_stable() -> None:
    a, b, c = model("a:latest", modified_at_ns=T0), model("b:latest", modified_at_ns=T0 + 5 * 10**9), \
        model("c:latest", modified_at_ns=T0 + 1)  # same second as a: keeps view order (a before c)
    names = [m["name"] for m in js(call(host("0.5.7", (a, b, c)), "GET", "/api/tags"))["models"]]  # type: ignore[attr-defined]
    assert names == ["b:latest", "a:latest", "c:latest"]


PS = [("0.1.37", None), ("0.1.38", ["name", "model", "modified_at", "size", "digest", "details", "expires_at",
                                     "size_vram"]),
      ("0.1.42", ["name", "model", "size", "digest", "details", "expires_at", "size_vram"]),
      ("0.9.6", ["name", "model", "size", "digest", "details", "expires_at", "size_vram"]),
      ("0.10.0", ["name", "model", "size", "digest", "details", "expires_at", "size_vram", "context_length"])]


@pytest.mark.parametrize(("version", "keys"), PS, ids=[p[0] for p in PS])
def test_ps_keys_per_version(version: str, keys: list[str] | None) -> None:
    r = call(host(version), "GET", "/api/ps")
    if keys is None:
        assert r.status == 404 and r.body == b"404 page not found"
        return
    entry = js(r)["models"][0]  # type: ignore[index]
    assert list(entry) == keys
    assert list(entry["details"]) == D6  # ps details never carry the v0.30 extras


def test_ps_sorted_by_expiry_and_pinned_year() -> None:
    m1, m2 = model("a:latest"), model("b:latest")
    run = (RunningView(m1, 10, 10, T0, 2048), RunningView(m2, 10, 0, 10_900_000_000 * 10**9, 8192))
    body = js(call(host("0.12.6", (m1, m2), running=run), "GET", "/api/ps"))
    assert [e["name"] for e in body["models"]] == ["b:latest", "a:latest"]  # type: ignore[attr-defined]
    assert body["models"][0]["expires_at"].startswith("2315-")  # type: ignore[index]
    empty = call(host("0.12.6", ()), "GET", "/api/ps")
    assert empty.body == b'{"models":[]}'


SHOW = [
    ("0.1.14", ["license", "modelfile", "parameters", "template"]),
    ("0.1.15", ["license", "modelfile", "parameters", "template", "details"]),
    ("0.1.45", ["license", "modelfile", "parameters", "template", "details", "model_info", "modified_at"]),
    ("0.6.0", ["license", "modelfile", "parameters", "template", "details", "model_info", "modified_at"]),
    ("0.6.1", ["license", "modelfile", "parameters", "template", "details", "model_info", "tensors", "modified_at"]),
    ("0.6.4", ["license", "modelfile", "parameters", "template", "details", "model_info", "tensors", "capabilities",
               "modified_at"]),
    ("0.12.0", ["license", "modelfile", "parameters", "template", "renderer", "parser", "details", "model_info",
                "tensors", "capabilities", "modified_at"]),
]


@pytest.mark.parametrize(("version", "keys"), SHOW, ids=[s[0] for s in SHOW])
def test_show_keys_per_version(version: str, keys: list[str]) -> None:
    caps = ("completion", "tools")
    sd = build_show("qwen3-coder:30b", "qwen3moe", ("qwen3moe",), "30.5B", "Q4_K_M", caps, digest=DIGEST)
    m = model("qwen3-coder:30b", show=sd, family="qwen3moe", families=("qwen3moe",))
    body = json.dumps({"name" if version < "0.1.21" else "model": "qwen3-coder:30b"}).encode()
    out = js(call(host(version, (m,)), "POST", "/api/show", body))
    assert list(out) == keys
    if "model_info" in out:
        mi = list(out["model_info"])  # type: ignore[arg-type]
        assert mi == sorted(mi)
        assert out["model_info"]["tokenizer.ggml.tokens"] is None  # type: ignore[index]


def test_show_capabilities_gated() -> None:
    caps = ("completion", "tools", "thinking")
    sd = build_show("qwen3:8b", "qwen3", ("qwen3",), "8.2B", "Q4_K_M", caps, digest=DIGEST)
    m = model("qwen3:8b", show=sd)
    got = {v: js(call(host(v, (m,)), "POST", "/api/show", b'{"model":"qwen3:8b"}')).get("capabilities")
           for v in ("0.6.3", "0.6.4", "0.8.0", "0.9.0")}
    assert got == {"0.6.3": None, "0.6.4": ["completion", "tools"], "0.8.0": ["completion", "tools"],
                   "0.9.0": ["completion", "tools", "thinking"]}


def test_projector_vision_only_from_0_6_8() -> None:
    m = model("llava:7b", families=("llama", "clip"), capabilities=("completion", "vision"), parameter_size="7B",
              quantization_level="Q4_0")
    caps = {v: js(call(host(v, (m,)), "POST", "/api/show", b'{"model":"llava:7b"}'))["capabilities"]
            for v in ("0.6.4", "0.6.8")}
    assert caps == {"0.6.4": ["completion"], "0.6.8": ["completion", "vision"]}
    out = js(call(host("0.6.8", (m,)), "POST", "/api/show", b'{"model":"llava:7b"}'))
    assert out["projector_info"]["general.architecture"] == "clip"  # type: ignore[index]


def test_show_errors() -> None:
    v = host("0.5.7")
    cases = {b"": (400, "missing request body"), b"  \n": (400, "missing request body"),
             b"{": (400, "unexpected EOF"), b"x": (400, "invalid character 'x' looking for beginning of value"),
             b"{}": (400, "model is required"), b'{"model":1}': (400, "json: cannot unmarshal number into Go struct "
                                                                  "field ShowRequest.model of type string"),
             b'{"model":"nope"}': (404, "model 'nope' not found"), b'{"model":"a/b/c/d"}': (400, "invalid model name"),
             b'{"Model":"llama3.2"} trailing': (200, None), b'{"name":"LLAMA3.2:latest"}': (200, None)}
    for body, (status, message) in cases.items():
        r = call(v, "POST", "/api/show", body)
        assert r.status == status, body
        assert dict(r.headers)["Content-Type"] == "application/json; charset=utf-8"
        if message is not None:
            assert json.loads(r.body) == {"error": message}, body


def test_show_404_normalised_from_0_30() -> None:
    assert json.loads(call(host("0.24.0"), "POST", "/api/show", b'{"model":"nope"}').body)["error"] == \
        "model 'nope' not found"
    assert json.loads(call(host("0.30.0"), "POST", "/api/show", b'{"model":"nope"}').body)["error"] == \
        "model 'nope:latest' not found"


def test_show_before_0_1_21_ignores_model_key() -> None:
    assert call(host("0.1.20"), "POST", "/api/show", b'{"model":"llama3.2"}').status == 400
    assert call(host("0.1.21"), "POST", "/api/show", b'{"model":"llama3.2"}').status == 200


@pytest.mark.parametrize(("version", "status"), [("0.6.8", 404), ("0.7.0", 405), ("0.0.0", 405)])
def test_wrong_method_boundary_at_0_7_0(version: str, status: int) -> None:
    for method, path, allow in (("GET", "/api/show", "POST"), ("HEAD", "/api/ps", "GET"),
                                ("POST", "/api/tags", "HEAD, GET"), ("DELETE", "/", "HEAD, GET")):
        r = call(host(version), method, path)
        assert r.status == status
        hdrs = dict(r.headers)
        if status == 405:
            assert hdrs["Allow"] == allow and hdrs["Content-Type"] == "text/plain"
            assert r.body == (b"" if method == "HEAD" else b"405 method not allowed")
        else:
            assert "Allow" not in hdrs


def test_root_unknown_and_head() -> None:
    v = host("0.12.6")
    root = call(v, "GET", "/")
    assert (root.status, root.body, root.headers) == (200, b"Ollama is running",
                                                      (("Content-Type", "text/plain; charset=utf-8"),))
    head = call(v, "HEAD", "/")
    assert head.body == b"" and ("Content-Length", "17") in head.headers
    tags_head = call(v, "HEAD", "/api/tags")
    assert dict(tags_head.headers)["Content-Length"] == str(len(call(v, "GET", "/api/tags").body))
    nf = call(v, "GET", "/nonexistent")
    assert (nf.status, nf.body, dict(nf.headers)["Content-Type"]) == (404, b"404 page not found", "text/plain")
    assert all(k != "Server" for k, _ in root.headers)


def test_trailing_slash_redirect() -> None:
    r = call(host("0.5.7"), "GET", "/api/tags/")
    assert r.status == 301 and dict(r.headers)["Location"] == "/api/tags"
    assert r.body == b'<a href="/api/tags">Moved Permanently</a>.\n\n'
    assert call(host("0.5.7"), "POST", "/api/show/").status == 307


def test_cors() -> None:
    v = host("0.5.7")
    foreign = call(v, "GET", "/api/tags", headers={"origin": "https://example.org"})
    assert (foreign.status, foreign.body, foreign.headers) == (403, b"", ())
    assert call(v, "GET", "/", headers={"origin": "https://example.org"}).status == 403
    assert call(v, "GET", "/nope", headers={"origin": "https://example.org"}).status == 403
    local = call(v, "GET", "/", headers={"origin": "http://localhost:3000"})
    assert dict(local.headers)["Access-Control-Allow-Origin"] == "http://localhost:3000"
    same = call(v, "GET", "/", headers={"origin": "http://192.0.2.7:11434", "host": "192.0.2.7:11434"})
    assert same.status == 200 and "Access-Control-Allow-Origin" not in dict(same.headers)
    wild = call(host("0.5.7", origins_wildcard=True), "GET", "/api/tags", headers={"origin": "https://example.org"})
    assert wild.status == 200 and ("Access-Control-Allow-Origin", "*") in wild.headers
    assert [k for k, _ in wild.headers] == sorted(k for k, _ in wild.headers)
    pre = call(host("0.5.7", origins_wildcard=True), "OPTIONS", "/api/chat", headers={"origin": "https://x.org"})
    assert pre.status == 204


def test_v1_models() -> None:
    assert call(host("0.1.48"), "GET", "/v1/models").status == 404
    empty = call(host("0.2.0", ()), "GET", "/v1/models")
    assert empty.body == b'{"object":"list","data":null}\n'
    assert dict(empty.headers)["Content-Type"] == "application/json"
    ms = (model("hf.co/bartowski/Qwen-GGUF:Q4_K_M"), model("huihui_ai/qwen3-abliterated:8b", modified_at_ns=T0 + 10**9),
          model())
    data = json.loads(call(host("0.5.7", ms), "GET", "/v1/models").body)["data"]
    assert [(d["id"], d["owned_by"]) for d in data] == [("huihui_ai/qwen3-abliterated:8b", "huihui_ai"),
                                                          ("hf.co/bartowski/Qwen-GGUF:Q4_K_M", "bartowski"),
                                                          ("llama3.2:latest", "library")]
    assert data[1]["created"] == T0 // 10**9
    one = call(host("0.5.7", ms), "GET", "/v1/models/llama3.2")
    assert json.loads(one.body)["id"] == "llama3.2"
    miss = call(host("0.5.7", ms), "GET", "/v1/models/nope")
    assert json.loads(miss.body)["error"]["type"] == "not_found_error" and miss.body.endswith(b"\n")


def test_version_and_status_endpoints() -> None:
    assert call(host("0.1.13"), "GET", "/api/version").status == 404
    assert call(host("0.6.9-rc0"), "GET", "/api/version").body == b'{"version":"0.6.9-rc0"}'
    assert call(host("0.16.1"), "GET", "/api/status").status == 404
    assert js(call(host("0.16.2"), "GET", "/api/status")) == {"cloud": {"disabled": False, "source": "none"}}


def test_html_escaping_in_templates() -> None:
    r = call(host("0.5.7"), "POST", "/api/show", b'{"model":"llama3.2"}')
    assert b"\\u003c|start_header_id|\\u003e" in r.body and b"<|" not in r.body


def test_nginx_proxy_header() -> None:
    r = call(host("0.5.7", proxy="nginx"), "GET", "/api/version")
    assert r.headers[0] == ("Server", "nginx/1.24.0")


def test_determinism_and_cache_identity() -> None:
    def render() -> list[bytes]:
        v = host("0.9.6", (model(), model("qwen3:8b", capabilities=("completion", "tools", "thinking"))))
        reqs = [("GET", "/api/tags", b""), ("GET", "/api/ps", b""), ("POST", "/api/show", b'{"model":"qwen3:8b"}'),
                ("GET", "/v1/models", b""), ("HEAD", "/api/tags", b"")]
        return [call(v, m, p, b).body + repr(call(v, m, p, b).headers).encode() for m, p, b in reqs]

    assert render() == render()


def test_write_routes_never_run_inference() -> None:
    v = host("0.12.6")
    assert call(v, "POST", "/api/generate").status == 400
    r = call(v, "POST", "/api/generate", b'{"model":"llama3.2","prompt":"hi"}')
    assert r.status == 503
    assert call(v, "POST", "/api/pull", b'{"model":"nope"}').status == 404
