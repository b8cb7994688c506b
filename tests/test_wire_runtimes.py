"""The runtime personae of the simulated internet answer like the real runtimes (issue #16).

Every persona body is checked against the real reply it is based on (``tests/fixtures/runtimes/<runtime>/``):
byte for byte where the fixture is a whole wire body of that version, otherwise the same JSON keys (in the
same order where the fixture is a wire capture) with the same JSON types, ``null`` matching any type. Then:
no persona answers an inference or write path with anything but an error; unknown paths get each runtime's
real 404 (or LM Studio's "200 anyway"); the key-protected variants gate exactly what the real ones gate; and
``runtime_mix.expected`` agrees with what the personae serve.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcensus.simulate import runtime_mix
from llmcensus.simulate.runtime_mix import GGUF_MODELS, HF_MODELS, LM_STUDIO_MODELS, NOW_NS, model
from llmcensus.simulate.views import Behaviour, HostView, ModelView, Reply, Request, RunningView
from llmcensus.simulate.wire import respond

FIXTURES = Path(__file__).parent / "fixtures" / "runtimes"
LLAMA_GGUF = model(GGUF_MODELS[0])
QWEN_HF = model(("qwen/qwen2.5-0.5b-instruct", "qwen2", "0.5B", "BF16", 32768, ("completion",)))


def hv(b: Behaviour, *, models: tuple[ModelView, ...] = (), running: tuple[RunningView, ...] = (),
       port: int = 8000, **extra: str) -> HostView:
    return HostView(host_id=77, ip="192.0.2.77", port=port, scheme="http", behaviour=b, version="0.12.6",
                    tz_offset_min=0, models=models, running=running, extra=extra)


def call(v: HostView, method: str, path: str, body: bytes = b"", now: int = NOW_NS) -> Reply:
    r = respond(v, Request(method, path, {}, body), now)
    assert r is not None
    return r


def hdr(r: Reply, name: str) -> str | None:
    return next((v for k, v in r.headers if k.lower() == name.lower()), None)


def fixture(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_bytes())


def same_shape(want: Any, got: Any, *, ordered: bool, superset: bool = False, at: str = "$") -> None:
    """``got`` has ``want``'s JSON structure: keys (ordered if asked), types; ``null`` matches anything."""
    if want is None or got is None or want == {} or got == {}:
        return  # null matches any type; an empty object is a map whose keys are data (oauth providers)
    assert type(got) is type(want), f"{at}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, dict):
        if superset:
            assert set(want) <= set(got), f"{at}: missing {set(want) - set(got)}"
        elif ordered:
            assert list(got) == list(want), f"{at}: keys {list(got)} != {list(want)}"
        else:
            assert set(got) == set(want), f"{at}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            if k in got:
                same_shape(want[k], got[k], ordered=ordered, superset=superset, at=f"{at}.{k}")
    elif isinstance(want, list) and want and got:
        if all(isinstance(x, dict) for x in want):
            for i, item in enumerate(got):
                same_shape(want[min(i, len(want) - 1)], item, ordered=ordered, superset=superset, at=f"{at}[{i}]")
        else:
            assert {type(x) for x in got} <= {type(x) for x in want}, f"{at}: element types"


# (case id, view, path, fixture, status, mode): mode "exact" = same bytes, "equal" = same JSON value,
# "ordered"/"unordered" = same shape, "superset" = the fixture's keys are all there.
LMS = tuple(model(s) for s in LM_STUDIO_MODELS)
LMS_RUN = (RunningView(LMS[0], 1, 1, NOW_NS, 12918),)
CASES: list[tuple[str, HostView, str, str, int, str]] = [
    ("vllm-0.5.4-models", hv(Behaviour.VLLM, models=(model(HF_MODELS[0]),), version="0.5.4"), "/v1/models",
     "vllm/v1_models.json", 200, "ordered"),
    ("vllm-0.4.0-models", hv(Behaviour.VLLM, models=(model(HF_MODELS[0]),), version="0.4.0.post1"), "/v1/models",
     "vllm/v1_models__no_max_model_len.json", 200, "ordered"),
    ("vllm-key-models", hv(Behaviour.VLLM, models=(model(HF_MODELS[0]),), api_key="1"), "/v1/models",
     "vllm/v1_models__api_key_401.json", 401, "equal"),
    ("vllm-version", hv(Behaviour.VLLM, version="0.10.1.1"), "/version", "vllm/version.json", 200, "exact"),
    ("vllm-key-version", hv(Behaviour.VLLM, version="0.10.1.1", api_key="1"), "/version", "vllm/version.json", 200,
     "exact"),
    ("vllm-health", hv(Behaviour.VLLM), "/health", "vllm/health.txt", 200, "exact"),
    ("llama-b4000-models", hv(Behaviour.LLAMA_CPP, models=(LLAMA_GGUF,), build="b4000-85679d37",
                              model_path="../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"), "/v1/models",
     "llama_cpp/v1_models.json", 200, "ordered"),
    ("llama-b6050-models", hv(Behaviour.LLAMA_CPP, models=(LLAMA_GGUF,), build="b6050-1ed4a2c0"), "/v1/models",
     "llama_cpp/v1_models__models_and_data.json", 200, "ordered"),
    ("llama-b6050-tags", hv(Behaviour.LLAMA_CPP, models=(LLAMA_GGUF,), build="b6050-1ed4a2c0"), "/api/tags",
     "llama_cpp/v1_models__models_and_data.json", 200, "ordered"),
    ("llama-b6050-props", hv(Behaviour.LLAMA_CPP, models=(LLAMA_GGUF,), build="b6050-1ed4a2c0"), "/props",
     "llama_cpp/props.json", 200, "superset"),
    ("llama-health", hv(Behaviour.LLAMA_CPP, build="b6050-1ed4a2c0"), "/health", "llama_cpp/health.json", 200,
     "equal"),
    ("llama-key-props", hv(Behaviour.LLAMA_CPP, models=(LLAMA_GGUF,), api_key="1"), "/props",
     "llama_cpp/v1_models__api_key_401.json", 401, "equal"),
    ("lms-0.3.17-v1", hv(Behaviour.LM_STUDIO, models=LMS[:4], version="0.3.17"), "/v1/models",
     "lm_studio/v1_models.json", 200, "ordered"),
    ("lms-0.3.17-v0", hv(Behaviour.LM_STUDIO, models=LMS[:1], running=LMS_RUN, version="0.3.17"), "/api/v0/models",
     "lm_studio/api_v0_models__0_3_17.json", 200, "ordered"),
    ("lms-0.4.2-v1api", hv(Behaviour.LM_STUDIO, models=(LMS[3], LMS[4]), running=(RunningView(LMS[3], 1, 1, NOW_NS,
                                                                                              4096),),
                           version="0.4.2"), "/api/v1/models", "lm_studio/api_v1_models.json", 200, "ordered"),
    ("tgi-0.8.2-info", hv(Behaviour.TGI, models=(model(runtime_mix.OLD_HF_MODELS[0]),), version="0.8.2"), "/info",
     "tgi/info__v0_8_2.json", 200, "ordered"),
    ("tgi-3.3.6-info", hv(Behaviour.TGI, models=(model(HF_MODELS[1]),), version="3.3.6"), "/info",
     "tgi/info__openapi_example.json", 200, "ordered"),
    ("sglang-model-info", hv(Behaviour.SGLANG, models=(QWEN_HF,), version="0.5.4"), "/get_model_info",
     "sglang/get_model_info.json", 200, "equal"),
    ("sglang-server-info", hv(Behaviour.SGLANG, models=(QWEN_HF,), version="0.0.0.dev1+g753da2753"),
     "/get_server_info", "sglang/get_server_info.json", 200, "ordered"),
    ("sglang-models", hv(Behaviour.SGLANG, models=(QWEN_HF,), version="0.5.4"), "/v1/models",
     "sglang/v1_models.json", 200, "ordered"),
    ("sglang-health", hv(Behaviour.SGLANG), "/health", "sglang/health.txt", 200, "exact"),
    ("localai-models", hv(Behaviour.LOCALAI, models=(model(runtime_mix.LOCALAI_MODELS[0]),)), "/v1/models",
     "localai/v1_models__2023_04.json", 200, "ordered"),
    ("localai-version", hv(Behaviour.LOCALAI), "/api/version", "localai/api_version.json", 200, "equal"),
    ("localai-root", hv(Behaviour.LOCALAI), "/", "localai/root.txt", 200, "exact"),
    ("kobold-1.43-version", hv(Behaviour.KOBOLDCPP, version="1.43"), "/api/extra/version",
     "koboldcpp/api_extra_version.json", 200, "exact"),
    ("kobold-model", hv(Behaviour.KOBOLDCPP, model_file="Meta-Llama-3-8B-Instruct.Q4_K_M.gguf"), "/api/v1/model",
     "koboldcpp/api_v1_model.json", 200, "exact"),
    ("kobold-v1-models", hv(Behaviour.KOBOLDCPP, model_file="Meta-Llama-3-8B-Instruct.Q4_K_M.gguf"), "/v1/models",
     "koboldcpp/v1_models.json", 200, "exact"),
    ("kobold-info-version", hv(Behaviour.KOBOLDCPP), "/api/v1/info/version", "koboldcpp/api_v1_info_version.json",
     200, "exact"),
    ("kobold-404", hv(Behaviour.KOBOLDCPP), "/nope", "koboldcpp/not_found__404.txt", 404, "exact"),
    ("tgwui-1.15-models", hv(Behaviour.TEXT_GENERATION_WEBUI, models=(model(runtime_mix.TGWUI_MODELS[0]),),
                             version="1.15"), "/v1/models", "text_generation_webui/v1_models__dummy.json", 200,
     "exact"),
    ("tgwui-3.9-models", hv(Behaviour.TEXT_GENERATION_WEBUI, models=(model(runtime_mix.TGWUI_MODELS[0]),),
                            version="3.9"), "/v1/models", "text_generation_webui/v1_models.json", 200, "exact"),
    ("tgwui-1.15-info", hv(Behaviour.TEXT_GENERATION_WEBUI, models=(model(runtime_mix.TGWUI_MODELS[0]),),
                           version="1.15"), "/v1/internal/model/info",
     "text_generation_webui/v1_internal_model_info.json", 200, "exact"),
    ("litellm-liveliness", hv(Behaviour.LITELLM), "/health/liveliness", "litellm/health_liveliness.json", 200,
     "equal"),
    ("litellm-1.19-readiness", hv(Behaviour.LITELLM, version="1.19.2", db="connected"), "/health/readiness",
     "litellm/health_readiness__v1_19_2.json", 200, "ordered"),
    ("litellm-1.84-readiness", hv(Behaviour.LITELLM, version="1.84.0", db="connected"), "/health/readiness",
     "litellm/health_readiness__v1_84.json", 200, "equal"),
    ("litellm-key-models", hv(Behaviour.LITELLM, version="1.42.0", api_key="1"), "/v1/models",
     "litellm/v1_models__master_key_401.json", 401, "ordered"),
    ("webui-0.5.16-config", hv(Behaviour.OPEN_WEBUI, version="0.5.16"), "/api/config",
     "open_webui/api_config__v0_5_16.json", 200, "ordered"),
    ("webui-onboarding", hv(Behaviour.OPEN_WEBUI, version="0.6.5", onboarding="true"), "/api/config",
     "open_webui/api_config__onboarding.json", 200, "exact"),
    ("webui-version", hv(Behaviour.OPEN_WEBUI, version="0.5.16"), "/api/version", "open_webui/api_version.json",
     200, "exact"),
    ("webui-0.6-models", hv(Behaviour.OPEN_WEBUI, version="0.6.5"), "/api/models",
     "open_webui/api_models__no_token_401.json", 401, "exact"),
    ("webui-0.5-models", hv(Behaviour.OPEN_WEBUI, version="0.5.16"), "/api/models",
     "open_webui/api_models__no_token_403.json", 403, "exact"),
    ("generic-fastapi", hv(Behaviour.OPENAI_COMPATIBLE, models=(model(("gpt-3.5-turbo", "", "", "", 0, ())),)),
     "/v1/models", "openai_compatible/v1_models__qwen_openai_api.json", 200, "ordered"),
    ("generic-go", hv(Behaviour.OPENAI_COMPATIBLE, flavour="go",
                      models=(model(("nomic-embed-text-v1.5.f16", "", "", "", 0, ())),)), "/v1/models",
     "openai_compatible/v1_models__cortex_llamacpp.json", 200, "ordered"),
]


@pytest.mark.parametrize(("view", "path", "rel", "status", "mode"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_persona_matches_fixture(view: HostView, path: str, rel: str, status: int, mode: str) -> None:
    r = call(view, "GET", path)
    assert r.status == status, r.body[:200]
    raw = (FIXTURES / rel).read_bytes()
    if mode == "exact":
        assert r.body == raw.rstrip(b"\n") if rel.endswith(".txt") else r.body == raw
        return
    got = json.loads(r.body)
    if mode == "equal":
        assert got == json.loads(raw)
        return
    same_shape(json.loads(raw), got, ordered=mode == "ordered", superset=mode == "superset")


def test_version_boundaries() -> None:
    m = (model(HF_MODELS[0]),)
    assert call(hv(Behaviour.VLLM, version="0.3.3"), "GET", "/version").status == 404  # before PR #3161
    assert "max_model_len" not in json.loads(call(hv(Behaviour.VLLM, models=m, version="0.4.0.post1"), "GET",
                                                  "/v1/models").body)["data"][0]
    flat = json.loads(call(hv(Behaviour.VLLM, version="0.10.0"), "POST", "/v1/completions").body)
    nested = json.loads(call(hv(Behaviour.VLLM, version="0.10.1.1"), "POST", "/v1/completions").body)
    assert flat["object"] == "error" and set(nested) == {"error"}
    old = hv(Behaviour.LLAMA_CPP, models=(LLAMA_GGUF,), build="b3400-e02b597b")
    assert json.loads(call(old, "GET", "/health").body) == {"status": "ok", "slots_idle": 1, "slots_processing": 0}
    assert call(old, "GET", "/api/tags").status == 404
    assert "build_info" not in json.loads(call(old, "GET", "/props").body)
    assert "build_info" in json.loads(call(hv(Behaviour.LLAMA_CPP, build="b4600-d7d1ecad"), "GET", "/props").body)
    lms = hv(Behaviour.LM_STUDIO, models=LMS[:1], version="0.3.5")
    assert json.loads(call(lms, "GET", "/api/v0/models").body)["error"].startswith("Unexpected endpoint")
    assert "error" in json.loads(call(hv(Behaviour.LM_STUDIO, version="0.3.17"), "GET", "/api/v1/models").body)
    assert call(hv(Behaviour.TGI, models=m, version="2.2.0"), "GET", "/v1/models").status == 404  # PR #2433: 2.3
    v1 = json.loads(call(hv(Behaviour.TGI, models=m, version="2.4.1"), "GET", "/v1/models").body)
    assert v1["data"][0] == {"id": m[0].name, "object": "model", "created": 0, "owned_by": m[0].name}
    assert "router" not in json.loads(call(hv(Behaviour.TGI, models=m, version="2.0.4"), "GET", "/info").body)
    assert call(hv(Behaviour.SGLANG, models=m, version="0.2.15"), "GET", "/get_server_info").status == 404
    old_card = json.loads(call(hv(Behaviour.SGLANG, models=m, version="0.4.3"), "GET", "/v1/models").body)["data"][0]
    assert list(old_card) == ["id", "object", "created", "owned_by", "root"]
    assert call(hv(Behaviour.SGLANG, models=m, version="0.4.6"), "GET", "/api/tags").status == 404
    assert "litellm_version" in json.loads(call(hv(Behaviour.LITELLM, version="1.83.0"), "GET",
                                                "/health/readiness").body)
    assert call(hv(Behaviour.KOBOLDCPP, version="1.43"), "GET", "/api/tags").status == 404
    ui = hv(Behaviour.LOCALAI, models=(model(runtime_mix.LOCALAI_MODELS[0]),), ollama_api="0")
    assert b"<title>LocalAI API - v2.20.1 (" in call(ui, "GET", "/").body and call(ui, "GET", "/api/tags").status == 404


def test_key_protected_variants_gate_what_the_real_ones_gate() -> None:
    m = (model(HF_MODELS[0]),)
    v = hv(Behaviour.VLLM, models=m, api_key="1")
    assert call(v, "GET", "/v1/nothing").status == 401  # the middleware runs before routing: all of /v1
    assert call(v, "GET", "/health").status == 200 and call(v, "GET", "/metrics").status == 200
    ll = hv(Behaviour.LLAMA_CPP, models=(LLAMA_GGUF,), api_key="1")
    assert call(ll, "GET", "/v1/models").status == 200 and call(ll, "GET", "/health").status == 200
    assert call(ll, "GET", "/slots").status == 401 and hdr(call(ll, "GET", "/props"), "Server") == "llama.cpp"
    lt = hv(Behaviour.LITELLM, models=m, api_key="1")
    assert call(lt, "GET", "/health/readiness").status == 200 and call(lt, "GET", "/health/liveliness").status == 200
    assert call(lt, "GET", "/models").status == 401
    assert json.loads(call(hv(Behaviour.LITELLM, version="1.74.9", api_key="1"), "GET", "/v1/models").body)[
        "error"]["code"] == "401"
    ui = hv(Behaviour.OPEN_WEBUI, version="0.6.30", auth="false")
    assert json.loads(call(ui, "GET", "/api/config").body)["features"]["auth"] is False
    assert call(ui, "GET", "/ollama/api/tags").status == 401 and call(ui, "GET", "/openai/models").status == 401


def test_unknown_paths_get_the_runtime_404() -> None:
    fastapi = [hv(Behaviour.VLLM), hv(Behaviour.SGLANG), hv(Behaviour.LITELLM), hv(Behaviour.TEXT_GENERATION_WEBUI),
               hv(Behaviour.OPENAI_COMPATIBLE), hv(Behaviour.NOT_LLM, kind="fastapi")]
    for v in fastapi:
        r = call(v, "GET", "/no/such/path")
        assert (r.status, r.body, hdr(r, "server")) == (404, b'{"detail":"Not Found"}', "uvicorn"), v.behaviour
    wrong = call(hv(Behaviour.VLLM), "GET", "/v1/chat/completions")
    assert wrong.status == 405 and json.loads(wrong.body) == {"detail": "Method Not Allowed"}
    ll = call(hv(Behaviour.LLAMA_CPP), "GET", "/no/such/path")
    assert ll.status == 404 and hdr(ll, "Server") == "llama.cpp" and json.loads(ll.body)["error"]["code"] == 404
    t = call(hv(Behaviour.TGI, models=(model(HF_MODELS[0]),)), "GET", "/no/such/path")
    assert (t.status, t.body) == (404, b"") and hdr(t, "vary") is not None
    assert call(hv(Behaviour.TGI), "GET", "/generate").status == 405
    # LM Studio answers 200 anyway; body, length and Express's ETag exactly as lmstudio-bug-tracker #618 shows
    lms = call(hv(Behaviour.LM_STUDIO), "POST", "/chat/completions")
    assert lms.status == 200 and lms.body == b'{"error":"Unexpected endpoint or method. (POST /chat/completions)"}'
    assert hdr(lms, "ETag") == 'W/"43-qTdCaLfEMe8wb/ShYO0yTUTunEg"' and hdr(lms, "X-Powered-By") == "Express"
    ng = call(hv(Behaviour.NOT_LLM, kind="nginx"), "GET", "/v1/models")
    assert ng.status == 404 and b"<center>nginx/1.24.0</center>" in ng.body
    assert call(hv(Behaviour.NOT_LLM, kind="version_api"), "GET", "/nope").body == b"404 page not found\n"


INFERENCE = [("POST", p) for p in (
    "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/chat/completions", "/completions",
    "/embeddings", "/api/generate", "/api/chat", "/api/embed", "/api/embeddings", "/api/pull", "/api/create",
    "/api/push", "/api/copy", "/completion", "/generate", "/generate_stream", "/tokenize", "/detokenize", "/infill",
    "/embedding", "/api/v1/generate", "/api/extra/generate/stream", "/v1/internal/encode", "/v1/internal/logits",
    "/v1/images/generations", "/v1/audio/transcriptions", "/api/v1/auths/signup", "/api/v1/chat/completions",
    "/ollama/api/generate", "/key/generate", "/model/new", "/v1/internal/model/load", "/", "/api/show")] + [
    ("DELETE", "/api/delete"), ("GET", "/health_generate"), ("PUT", "/api/v1/models"), ("DELETE", "/v1/models")]
BODY = b'{"model":"m","prompt":"hi","messages":[{"role":"user","content":"hi"}],"input":"hi"}'


def is_error(r: Reply) -> bool:
    if r.status >= 400:
        return True
    try:
        body = json.loads(r.body)
    except ValueError:
        return False
    return isinstance(body, dict) and "error" in body  # LM Studio: 200 "anyway" with an error body


def is_refusal(r: Reply, method: str) -> bool:
    """An error, or (GET only) a web UI's HTML shell, which a single-page app serves for every path."""
    html = any(k.lower() == "content-type" and v.startswith("text/html") for k, v in r.headers)
    return is_error(r) or (method == "GET" and html and r.body.lstrip().lower().startswith(b"<!doctype html"))


def test_no_persona_ever_infers_or_writes() -> None:
    seen: set[tuple[str, str, str]] = set()
    for v in runtime_mix.mixed_fleet(150, 0):
        key = (v.behaviour.value, v.extra.get("version", v.extra.get("build", "")), v.extra.get("api_key", ""))
        if key in seen or v.behaviour in (Behaviour.SILENT, Behaviour.REFUSED, Behaviour.GARBAGE):
            continue
        seen.add(key)
        for method, path in INFERENCE:
            r = call(v, method, path, BODY)
            if path == "/api/show":
                continue  # POST /api/show is Ollama's read-only metadata request (allowlisted), not inference
            assert is_refusal(r, method), (v.behaviour, key, method, path, r.status, r.body[:120])


def test_personae_are_deterministic_and_serve_head() -> None:
    for v in runtime_mix.mixed_fleet(150, 3)[:60]:
        if v.behaviour in (Behaviour.SILENT, Behaviour.REFUSED, Behaviour.GARBAGE, Behaviour.OLLAMA,
                           Behaviour.HONEYPOT):  # Ollama's own HEAD rules are test_wire_ollama's
            continue
        for path in ("/", "/v1/models", "/version", "/info", "/api/config", "/props"):
            assert call(v, "GET", path) == call(v, "GET", path)
            get, head = call(v, "GET", path), call(v, "HEAD", path)
            assert head.body == b"" and head.status == get.status


def listed_ids(v: HostView) -> list[str] | None:
    """The model ids a persona's own listing shows (parsed here from the bodies, independently of the truth)."""
    b = v.behaviour
    if b is Behaviour.LM_STUDIO or b is Behaviour.VLLM or b is Behaviour.SGLANG or b is Behaviour.LOCALAI:
        r = call(v, "GET", "/v1/models")
    elif b is Behaviour.TGI:
        return [json.loads(call(v, "GET", "/info").body)["model_id"]]
    elif b is Behaviour.LLAMA_CPP:
        r = call(v, "GET", "/v1/models")
    elif b is Behaviour.KOBOLDCPP:
        return [json.loads(call(v, "GET", "/api/v1/model").body)["result"]]
    elif b is Behaviour.TEXT_GENERATION_WEBUI:
        return [json.loads(call(v, "GET", "/v1/internal/model/info").body)["model_name"]]
    elif b in (Behaviour.LITELLM, Behaviour.OPENAI_COMPATIBLE, Behaviour.OPEN_WEBUI):
        r = call(v, "GET", "/v1/models" if b is not Behaviour.OPEN_WEBUI else "/api/models")
    elif b in (Behaviour.OLLAMA, Behaviour.HONEYPOT):
        return [m["name"] for m in json.loads(call(v, "GET", "/api/tags").body)["models"]]
    else:
        return None
    if r.status != 200:
        return None
    return [m["id"] for m in json.loads(r.body)["data"]]


def test_ground_truth_matches_what_the_personae_serve() -> None:
    fleet = runtime_mix.mixed_fleet(150, 0)
    assert fleet == runtime_mix.mixed_fleet(150, 0) and fleet != runtime_mix.mixed_fleet(150, 1)
    runtimes = {str(runtime_mix.expected(v)["runtime"]) for v in fleet}
    assert set(runtime_mix.RUNTIME_SHARES) <= runtimes and "unknown" in runtimes
    keyed = {v.behaviour for v in fleet if runtime_mix.expected(v)["key_protected"]}
    assert keyed == {Behaviour.VLLM, Behaviour.LLAMA_CPP, Behaviour.LITELLM, Behaviour.OPEN_WEBUI}
    for v in fleet:
        truth = runtime_mix.expected(v)
        ids = listed_ids(v)
        if truth["models"] is not None or ids is not None:
            assert ids == truth["models"], (v.behaviour, v.extra, ids, truth["models"])


def test_shares_are_a_distribution() -> None:
    shares = runtime_mix.RUNTIME_SHARES
    assert abs(sum(shares.values()) - 1) < 1e-12 and max(shares, key=shares.__getitem__) == "ollama"
    assert shares["open_webui"] > shares["litellm"] > shares["vllm"] > shares["llama_cpp"]
    assert {r for r in shares if r in runtime_mix.ASSUMED_SHARES} == set(runtime_mix.ASSUMED_SHARES)
    assert all(s.grade in ("A", "B") for s in runtime_mix.SOURCES)
    with pytest.raises(Exception, match="coverage"):
        runtime_mix.mixed_fleet(10, 0)


FUZZ_VIEWS = [v for v in runtime_mix.mixed_fleet(150, 5)
              if v.behaviour not in (Behaviour.SILENT, Behaviour.REFUSED, Behaviour.GARBAGE, Behaviour.OLLAMA)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FUZZ_VIEWS), st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get"]),
       st.one_of(st.sampled_from(["/v1/models", "/v1/models/x", "/version", "/info", "/props", "/api/show",
                                  "/get_server_info", "/health/readiness", "/api/v1/models", "/api/config", "/v1"]),
                 st.text(max_size=30).map(lambda s: "/" + s)),
       st.one_of(st.binary(max_size=48), st.sampled_from([b"", b"{", b"null", b'{"model":"x"}', b'{"model":[1]}'])))
def test_hostile_requests_get_sane_replies(view: HostView, method: str, path: str, body: bytes) -> None:
    r = call(view, method, path, body)
    assert 100 <= r.status <= 599 and r.reason and isinstance(r.body, bytes)
    for k, v in r.headers:
        assert "\n" not in k + v and "\r" not in k + v
