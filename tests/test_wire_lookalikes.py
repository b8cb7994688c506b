"""Look-alike personae keep the tells that separate them from a genuine Ollama (protocols.md §2, §14)."""

from __future__ import annotations

import hashlib
import json
import re

from llmcensus.simulate.views import Behaviour, HostView, ModelView, Reply, Request, RunningView
from llmcensus.simulate.wire import respond

NOW = 1_760_000_000_123_456_789
M = ModelView(name="llama3.2:3b", digest="a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
              size=2019393189, modified_at_ns=1_746_889_608_639_712_648, format="gguf", family="llama",
              families=("llama",), parameter_size="3.2B", quantization_level="Q4_K_M", context_length=131072)


def view(b: Behaviour, extra: dict[str, str] | None = None, version: str = "0.6.5") -> HostView:
    return HostView(host_id=3, ip="192.0.2.3", port=11434, scheme="http", behaviour=b, version=version,
                    tz_offset_min=120, models=(M,), running=(RunningView(M, 3 * 10**9, 0, NOW + 10**12, 2048),),
                    extra=extra or {})


def call(v: HostView, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Reply:
    r = respond(v, Request(method, path, headers or {}, body), NOW)
    assert r is not None
    return r


def hdr(r: Reply, name: str) -> str | None:
    return next((v for k, v in r.headers if k.lower() == name.lower()), None)


def test_honeypot_slips() -> None:
    v = view(Behaviour.HONEYPOT, version="0.6.5")
    entry = json.loads(call(v, "GET", "/api/tags").body)["models"][0]
    assert entry["expires_at"] == "0001-01-01T00:00:00Z" and entry["size_vram"] == 0  # ps fields inside tags
    assert entry["modified_at"] == "2025-05-10T17:06:48.639712648+02:00"
    assert call(v, "GET", "/api/version").body == b'{"version":"0.6.5"}'
    assert call(v, "GET", "/", headers={"origin": "https://example.org"}).status == 200  # no CORS check
    assert call(v, "GET", "/api/show").status == 404  # a real 0.7+ would say 405; any version here says 404
    assert call(v, "GET", "/api/ps").body == b'{"models":[]}'


def test_localai_tells() -> None:
    v = view(Behaviour.LOCALAI, {"backend": "llama-cpp"})
    assert json.loads(call(v, "GET", "/api/version").body) == {"version": "0.9.0"}
    r = call(v, "GET", "/api/tags")
    entry = json.loads(r.body)["models"][0]
    assert entry["name"] == "llama3.2:latest"
    assert entry["digest"] == "sha256:" + hashlib.sha256(b"llama3.2:latest").hexdigest()
    assert entry["size"] == 0 and entry["details"]["family"] == "llama-cpp"
    assert entry["modified_at"] == "2025-10-09T08:53:20.123456789Z"  # now, UTC
    assert r.body.endswith(b"\n") and hdr(r, "Content-Type") == "application/json"
    later = json.loads(respond(v, Request("GET", "/api/tags", {}, b""), NOW + 10**9).body)  # type: ignore[union-attr]
    assert later["models"][0]["modified_at"] != entry["modified_at"]
    assert call(v, "GET", "/").body == b"Ollama is running"
    assert "size_vram" not in json.loads(call(v, "GET", "/api/ps").body)["models"][0]


def test_llama_cpp_tells() -> None:
    v = view(Behaviour.LLAMA_CPP, {"model_path": "/models/Llama-3.2-3B-Instruct-Q4_K_M.gguf"})
    for path in ("/", "/api/tags", "/health", "/props", "/nope"):
        assert hdr(call(v, "GET", path), "Server") == "llama.cpp"
    assert b"<html" in call(v, "GET", "/").body
    tags = json.loads(call(v, "GET", "/api/tags").body)
    assert list(tags) == ["models", "object", "data"]
    assert tags["models"][0]["size"] == "" and tags["models"][0]["digest"] == ""
    v1 = json.loads(call(v, "GET", "/v1/models").body)
    assert v1["data"][0]["owned_by"] == "llamacpp" and v1["data"][0]["id"].endswith(".gguf")
    props = json.loads(call(v, "GET", "/props").body)
    assert props["model_path"] == "/models/Llama-3.2-3B-Instruct-Q4_K_M.gguf" and "build_info" in props
    assert json.loads(call(v, "GET", "/health").body) == {"status": "ok"}
    assert call(v, "GET", "/nope").status == 404


def test_sglang_tells() -> None:
    v = view(Behaviour.SGLANG, {"served_model": "meta-llama/Llama-3.1-8B-Instruct"})
    r = call(v, "GET", "/api/tags")
    assert hdr(r, "server") == "uvicorn"
    entry = json.loads(r.body)["models"][0]
    assert entry["digest"].startswith("sha256:sglang") and len(entry["digest"]) == 7 + 64
    assert entry["details"]["format"] == "sglang"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["modified_at"])
    assert json.loads(call(v, "GET", "/v1/models").body)["data"][0]["owned_by"] == "sglang"
    assert json.loads(call(v, "GET", "/get_model_info").body)["model_path"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert json.loads(call(v, "GET", "/nope").body) == {"detail": "Not Found"}
    show = json.loads(call(v, "POST", "/api/show", b'{"model":"meta-llama/Llama-3.1-8B-Instruct"}').body)
    assert show["details"]["family"] == "Llama-3.1-8B" and show["model_info"]["general.parameter_count"] == 0


def test_open_webui_tells() -> None:
    v = view(Behaviour.OPEN_WEBUI, {"onboarding": "true"})
    assert b"<title>Open WebUI</title>" in call(v, "GET", "/").body
    cfg = json.loads(call(v, "GET", "/api/config").body)
    assert cfg["name"] == "Open WebUI" and cfg["onboarding"] is True and cfg["features"]["auth"] is True
    assert json.loads(call(v, "GET", "/api/version").body) == {"version": "0.6.5"}
    tags = call(v, "GET", "/api/tags")
    assert tags.status == 401 and json.loads(tags.body) == {"detail": "Not authenticated"}


def test_koboldcpp_tells() -> None:
    v = view(Behaviour.KOBOLDCPP)
    r = call(v, "GET", "/api/extra/version")
    assert hdr(r, "Server") == "ConcedoLlamaForKoboldServer"
    assert json.loads(r.body)["result"] == "KoboldCpp" and b'", "' in r.body  # Python json.dumps separators
    assert json.loads(call(v, "GET", "/api/v1/model").body)["result"].startswith("koboldcpp/")
    nf = call(v, "GET", "/nope")
    assert nf.status == 404 and nf.body.startswith(b"Error: HTTP Server is running, but this endpoint does not exist")
    assert json.loads(call(v, "GET", "/api/tags").body)["models"][0]["details"]["family"] == "koboldcpp"


def test_auth_proxies() -> None:
    r = call(view(Behaviour.AUTH_401, {"realm": "Ollama"}), "GET", "/api/tags")
    assert r.status == 401 and hdr(r, "WWW-Authenticate") == 'Basic realm="Ollama"'
    assert hdr(r, "Server") == "nginx" and b"<center><h1>401 Authorization Required</h1></center>\r\n" in r.body
    f = call(view(Behaviour.AUTH_403), "GET", "/")
    assert f.status == 403 and b"403 Forbidden" in f.body
    head = call(view(Behaviour.AUTH_403), "HEAD", "/")
    assert head.body == b"" and hdr(head, "Content-Length") == str(len(f.body))


def test_silent_returns_none() -> None:
    assert respond(view(Behaviour.SILENT), Request("GET", "/", {}, b""), NOW) is None


def test_lookalikes_deterministic() -> None:
    for b in (Behaviour.HONEYPOT, Behaviour.LOCALAI, Behaviour.LLAMA_CPP, Behaviour.SGLANG, Behaviour.OPEN_WEBUI,
              Behaviour.KOBOLDCPP, Behaviour.AUTH_401):
        for path in ("/", "/api/tags", "/api/version", "/v1/models"):
            assert call(view(b), "GET", path) == call(view(b), "GET", path)
