"""HTTP personae that answer Ollama paths without being Ollama (protocols.md §2, §4, §8, §9, §12).

Each persona keeps the tells a careful fingerprinter can use, and nothing else that would make it
trivially different. Persona details come from ``HostView.extra`` (all optional):

==================  ==========  ===========================================================
key                 persona     meaning (default)
==================  ==========  ===========================================================
``backend``         localai     backend name shown as ``details.family`` (``llama-cpp``)
``model_path``      llama_cpp   ``--model`` path, the model id (``/models/<name>.gguf``)
``alias``           llama_cpp   ``--alias``; replaces the path as id when set
``n_ctx``           llama_cpp,  runtime context size (``4096``; SGLang: model's context or 32768)
                    sglang
``build``           llama_cpp   ``build_info`` (``b6050-1ed4a2c0``)
``served_model``    sglang      ``--served-model-name`` (first model's name)
``version``         open_webui  Open WebUI version (``0.6.5``); koboldcpp version (``1.71.1``)
                    koboldcpp
``onboarding``      open_webui  ``"true"`` when the instance has no users yet
``name``            open_webui  ``WEBUI_NAME`` (``Open WebUI``)
``auth``            open_webui  ``"false"``: ``WEBUI_AUTH=False`` (``features.auth`` false; models still need
                                a session token)
``ollama_api``      localai     ``"0"``: Ollama emulation off (``/`` is LocalAI's web UI)
``model_file``      koboldcpp   the GGUF file loaded (model name ``koboldcpp/<file stem>``)
``realm``           auth_401    Basic-auth realm (``Restricted``)
``nginx``           auth_*      Server header value (``nginx``; e.g. ``nginx/1.24.0``)
==================  ==========  ===========================================================

``NOW_DEPENDENT`` lists personae whose bytes depend on ``now_ns`` (not cacheable per view). More keys, and the
runtimes that are not look-alikes, in ``runtimes.py``.

Version boundaries (fixtures ``tests/fixtures/runtimes/<runtime>/``):

- Open WebUI: a request without a session token is refused 403 ``{"detail":"Not authenticated"}`` before 0.6.0
  (older ``get_current_user``, fixture ``api_models__no_token_403.json``) and 401 from 0.6.0
  (``api_models__no_token_401.json``) [boundary assumed]; ``/api/config`` is public and names the version
  (``api_config__v0_5_16.json``, ``api_config__onboarding.json``). The model list is never readable without
  a login, whatever ``WEBUI_AUTH`` says.
- KoboldCpp: ``/api/extra/version`` is ``{"result", "version"}`` before 1.58 (fixture
  ``api_extra_version.json``), then adds the capability flags of koboldcpp.py 1.82 (``protected`` … ``tts``,
  index copy 9630005149) and, from 1.90, ``audio``, ``embeddings``, ``savedata``, ``admin``, ``guidance`` (the
  order of a later copy, 65725854511) [boundaries assumed]; OpenAI ``/v1/models`` from 1.47 and the Ollama
  ``/api/tags`` shim from 1.70 [assumed].
"""

from __future__ import annotations

import hashlib
import json

from llmcensus.simulate import farms
from llmcensus.simulate.views import Behaviour, HostView, ModelView, Reply, Request
from llmcensus.simulate.wire import ollama_show as show
from llmcensus.simulate.wire.gojson import ZERO_TIME, dumps, rfc3339nano
from llmcensus.simulate.wire.replies import (
    HTML,
    JSON_GO,
    JSON_PLAIN,
    TEXT_GO,
    UVICORN,
    fastapi_json,
    finish,
    is_get,
    reply,
)
from llmcensus.simulate.wire.runtimes import version_tuple
from llmcensus.simulate.wire.versions import features

NOW_DEPENDENT = frozenset({Behaviour.LOCALAI, Behaviour.LLAMA_CPP, Behaviour.SGLANG, Behaviour.VLLM,
                           Behaviour.OPENAI_COMPATIBLE})
_DAY_NS = 86_400_000_000_000


# --- honeypot: a canned Ollama clone --------------------------------------------------------------


def honeypot(view: HostView, req: Request) -> Reply:
    """A fake Ollama host of the kind ``extra["farm_kind"]`` names (``farms.py``; ``canned`` by default). Every kind:
    Origin is never checked, wrong methods get 404 whatever version is claimed, ``/api/ps`` is always empty. The
    /api/tags slips: ``canned`` entries carry ps fields (``expires_at`` zero time *and* a zero ``size_vram``, which
    no Ollama version emits together); ``pool`` lists its entries oldest first under a generate reply's top-level
    keys; ``sequential`` writes ``digest`` before ``name`` and names itself in a ``Server`` header."""
    path, ok = req.path, is_get(req)
    kind = view.extra.get("farm_kind", "canned")
    feats = features(view.version)
    server = (("Server", farms.SERVER[kind]),) if kind in farms.SERVER else ()
    txt = (("Content-Type", TEXT_GO), *server)
    js = (("Content-Type", JSON_GO), *server)
    if path == "/" and ok:
        return finish(req, reply(200, b"Ollama is running", txt))
    if path == "/api/version" and ok:
        return finish(req, reply(200, dumps({"version": view.version}), js))
    if path == "/api/tags" and ok:
        newest_first = sorted(view.models, key=lambda x: -(x.modified_at_ns // 1_000_000_000))
        entries: list[dict[str, object]] = []
        for mv in reversed(newest_first) if kind == "pool" else newest_first:
            e: dict[str, object] = {"name": mv.name, "model": mv.name,
                                    "modified_at": rfc3339nano(mv.modified_at_ns, view.tz_offset_min),
                                    "size": mv.size, "digest": mv.digest,
                                    "details": show.details(mv, feats, in_tags=False)}
            if kind == "canned":
                e.update(expires_at=ZERO_TIME, size_vram=0)
            elif kind == "sequential":
                e = {"digest": e.pop("digest"), **e}
            entries.append(e)
        tags: dict[str, object] = {"models": entries, **(farms.GENERATE_KEYS if kind == "pool" else {})}
        return finish(req, reply(200, dumps(tags), js))
    if path == "/api/ps" and req.method == "GET":
        return reply(200, b'{"models":[]}', js)
    if path == "/api/show" and req.method == "POST":
        try:
            obj = json.loads(req.body or b"null")
        except ValueError:
            obj = None
        name = str(obj.get("model") or obj.get("name") or "") if isinstance(obj, dict) else ""
        display = show.normalise_name(name) if name else None
        m = show.find_model(view, display) if display else None
        if m is None:
            return reply(404, dumps({"error": f"model '{name}' not found"}), js)
        body = {"license": "", "modelfile": f'# Modelfile generated by "ollama show"\nFROM {m.name}\n',
                "parameters": "", "template": "{{ .Prompt }}", "details": show.details(m, feats, in_tags=False),
                "model_info": {"general.architecture": m.family}}
        return reply(200, dumps(body), js)
    return reply(404, b"404 page not found", (("Content-Type", "text/plain"),))


# --- LocalAI (Go, echo) ------------------------------------------------------------------------------


def _echo_json(status: int, obj: object) -> Reply:
    return reply(status, dumps(obj) + b"\n", (("Content-Type", JSON_PLAIN),))


def _localai_name(m: ModelView) -> str:
    base = m.name.rsplit(":", 1)[0] if ":" in m.name.rsplit("/", 1)[-1] else m.name
    return f"{base}:latest"


def localai_model_ids(view: HostView) -> list[str]:
    """The ids ``/v1/models`` lists: the model config names (the emulated Ollama names without ``:latest``)."""
    return [_localai_name(m).split(":")[0] for m in view.models]


LOCALAI_DEFAULT = "v2.20.1"


def localai_exposed_version(view: HostView) -> str | None:
    """The welcome page's title names the version (``LocalAI API - v2.20.1 (<commit>)``); with the Ollama
    emulation on, ``/`` is Ollama's banner instead and ``/api/version`` only the emulated ``0.9.0``."""
    return view.extra.get("version", LOCALAI_DEFAULT) if view.extra.get("ollama_api", "1") == "0" else None


def _localai_page(version: str) -> bytes:
    # core/http/routes/ui.go: "Title": "LocalAI API - " + internal.PrintableVersion() = "<version> (<commit>)"
    commit = hashlib.sha1(version.encode()).hexdigest()
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8">\n'
            f'<title>LocalAI API - {version} ({commit})</title>\n</head>\n<body class="bg-gray-900 text-gray-200">\n'
            '<div class="container"></div>\n</body>\n</html>\n').encode()


def localai(view: HostView, req: Request, now_ns: int) -> Reply:
    """LocalAI (fixtures ``localai/``): ``/v1/models`` entries with only ``id`` and ``object``
    (``v1_models__2023_04.json``) and, unless ``ollama_api`` is ``"0"``, the Ollama emulation of
    core/http/endpoints/ollama (``root.txt``, ``api_version.json``: the constant 0.9.0); with it off, ``/`` is
    the welcome page whose title carries ``extra["version"]`` (default ``v2.20.1``)."""
    backend = view.extra.get("backend", "llama-cpp")
    path, ok = req.path, is_get(req)
    names = [_localai_name(m) for m in view.models]
    if view.extra.get("ollama_api", "1") == "0":
        if path == "/" and ok:
            page = _localai_page(view.extra.get("version", LOCALAI_DEFAULT))
            return finish(req, reply(200, page, (("Content-Type", "text/html; charset=utf-8"),)))
        if path.startswith("/api/"):
            return _echo_json(404, {"message": "Not Found"})

    def details() -> dict[str, object]:
        return {"parent_model": "", "format": "gguf", "family": backend, "families": [backend],
                "parameter_size": "", "quantization_level": ""}

    def digest(n: str) -> str:
        return "sha256:" + hashlib.sha256(n.encode()).hexdigest()

    if path == "/" and ok:
        return finish(req, reply(200, b"Ollama is running", (("Content-Type", "text/plain; charset=UTF-8"),)))
    if path == "/api/version" and ok:
        return finish(req, _echo_json(200, {"version": "0.9.0"}))
    if path == "/api/tags" and ok:
        now = rfc3339nano(now_ns, 0)
        entries = [{"name": n, "model": n, "modified_at": now, "size": 0, "digest": digest(n), "details": details()}
                   for n in names]
        return finish(req, _echo_json(200, {"models": entries}))
    if path == "/api/ps" and ok:
        exp = rfc3339nano(now_ns + _DAY_NS, 0)
        running = [_localai_name(r.model) for r in view.running]
        entries = [{"name": n, "model": n, "size": 0, "digest": digest(n), "details": details(), "expires_at": exp}
                   for n in running]
        return finish(req, _echo_json(200, {"models": entries}))
    if path == "/api/show" and req.method == "POST":
        try:
            obj = json.loads(req.body or b"{}")
        except ValueError:
            return _echo_json(400, {"error": "invalid request body"})
        name = str(obj.get("model") or obj.get("name") or "") if isinstance(obj, dict) else ""
        if not name:
            return _echo_json(400, {"error": "name is required"})
        want = name if ":" in name else f"{name}:latest"
        if want not in names:
            return _echo_json(404, {"error": f"model '{name}' not found"})
        m = view.models[names.index(want)]
        info = {"general.architecture": backend, "general.context_length": m.context_length or 4096}
        return _echo_json(200, {"modelfile": f"FROM {m.name.split(':')[0]}.gguf", "parameters": "", "template": "",
                                "details": details(), "model_info": info})
    if path == "/v1/models" and ok:
        return finish(req, _echo_json(200, {"object": "list", "data": [{"id": n.split(":")[0], "object": "model"}
                                                                        for n in names]}))
    if path in ("/healthz", "/readyz") and ok:
        return finish(req, reply(200, b""))
    return _echo_json(404, {"message": "Not Found"})


# --- auth proxies (nginx) ----------------------------------------------------------------------------


def nginx_page(status: int, title: str, server: str) -> bytes:
    """nginx's built-in error page (CRLF line ends; the tail names the server when tokens are on)."""
    lines = ["<html>", f"<head><title>{status} {title}</title></head>", "<body>",
             f"<center><h1>{status} {title}</h1></center>", f"<hr><center>{server}</center>", "</body>", "</html>"]
    return ("\r\n".join(lines) + "\r\n").encode()


def auth(view: HostView, req: Request) -> Reply:
    server = view.extra.get("nginx", "nginx")
    if view.behaviour is Behaviour.AUTH_401:
        realm = view.extra.get("realm", "Restricted").replace('"', "")
        r = reply(401, nginx_page(401, "Authorization Required", server),
                  (("Server", server), ("Content-Type", "text/html"), ("WWW-Authenticate", f'Basic realm="{realm}"')))
    else:
        r = reply(403, nginx_page(403, "Forbidden", server), (("Server", server), ("Content-Type", "text/html")))
    return finish(req, r)


# --- Open WebUI (FastAPI + uvicorn) -----------------------------------------------------------------

_WEBUI_HTML = (
    '<!doctype html>\n<html lang="en">\n\t<head>\n\t\t<meta charset="utf-8" />\n\t\t<link rel="icon" type="image/png" '
    'href="/static/favicon.png" />\n\t\t<meta name="viewport" content="width=device-width, initial-scale=1, '
    'maximum-scale=1, viewport-fit=cover" />\n\t\t<meta name="apple-mobile-web-app-title" content="Open WebUI" />\n'
    '\t\t<link rel="manifest" href="/manifest.json" crossorigin="use-credentials" />\n\t\t<title>Open WebUI</title>\n'
    '\t</head>\n\t<body data-sveltekit-preload-data="hover">\n\t\t<div style="display: contents"></div>\n\t</body>\n'
    "</html>\n"
)


OPEN_WEBUI_DEFAULT = "0.6.5"
WEBUI_401 = (0, 6, 0)  # missing token: 403 before, 401 from [assumed]


def open_webui_version(view: HostView) -> str:
    return view.extra.get("version", OPEN_WEBUI_DEFAULT)


def open_webui(view: HostView, req: Request) -> Reply:
    version = open_webui_version(view)
    path, ok = req.path, is_get(req)
    if path == "/api/config" and ok:
        cfg: dict[str, object] = {"status": True, "name": view.extra.get("name", "Open WebUI"), "version": version,
                                  "default_locale": "", "oauth": {"providers": {}},
                                  "features": {"auth": view.extra.get("auth", "true") != "false",
                                               "auth_trusted_header": False, "enable_ldap": False,
                                               "enable_api_key": True, "enable_signup": True,
                                               "enable_login_form": True, "enable_websocket": True}}
        if view.extra.get("onboarding") == "true":
            cfg = {"onboarding": True, **cfg}
        return finish(req, fastapi_json(200, cfg))
    if path == "/api/version" and ok:
        return finish(req, fastapi_json(200, {"version": version}))
    if path == "/health" and ok:
        return finish(req, fastapi_json(200, {"status": True}))
    if path == "/manifest.json" and ok:
        return finish(req, fastapi_json(200, {"name": "Open WebUI", "short_name": "Open WebUI", "start_url": "/",
                                           "display": "standalone", "background_color": "#343541"}))
    if path in ("/api/tags", "/api/models", "/api/ps") or path.startswith(("/ollama/", "/openai/", "/api/v1/")):
        refused = 401 if version_tuple(version) >= WEBUI_401 else 403
        return finish(req, fastapi_json(refused, {"detail": "Not authenticated"}))
    if path.startswith("/api/") or path == "/api":
        return finish(req, fastapi_json(404, {"detail": "Not Found"}))
    if ok:  # the SvelteKit SPA answers every other path with its shell
        return finish(req, reply(200, _WEBUI_HTML.encode(), (UVICORN, ("content-type", HTML))))
    return fastapi_json(405, {"detail": "Method Not Allowed"}, (("allow", "GET"),))


# --- KoboldCpp (Python http.server) -----------------------------------------------------------------

_KOBOLD_404 = b"Error: HTTP Server is running, but this endpoint does not exist. Please check the URL."


def _kobold(status: int, body: bytes, ctype: str) -> Reply:
    return reply(status, body, (("Server", "ConcedoLlamaForKoboldServer"), ("Access-Control-Allow-Origin", "*"),
                                ("Access-Control-Allow-Methods", "*"), ("Access-Control-Allow-Headers", "*"),
                                ("Content-type", ctype)))


KOBOLD_DEFAULT = "1.71.1"
KOBOLD_FLAGS = (1, 58)  # capability flags in /api/extra/version
KOBOLD_FLAGS2 = (1, 90)  # audio, embeddings, savedata, admin, guidance
KOBOLD_OPENAI = (1, 47)  # /v1/models
KOBOLD_OLLAMA = (1, 70)  # /api/tags


def kobold_version(view: HostView) -> str:
    return view.extra.get("version", KOBOLD_DEFAULT)


def kobold_model(view: HostView) -> str:
    """``friendlymodelname``: ``koboldcpp/`` + the model file's stem (``--model`` path without extension)."""
    if "model_file" in view.extra:
        stem = view.extra["model_file"].rsplit("/", 1)[-1]
        return "koboldcpp/" + (stem[: -len(".gguf")] if stem.endswith(".gguf") else stem)
    m = view.models[0] if view.models else None
    return "koboldcpp/" + (m.name.split(":")[0].rsplit("/", 1)[-1] if m else "model") + (
        "-" + m.quantization_level if m else "")


def _kobold_version_body(version: str) -> dict[str, object]:
    v = version_tuple(version)
    body: dict[str, object] = {"result": "KoboldCpp", "version": version}
    if v < KOBOLD_FLAGS:
        return body
    body.update(protected=False, llm=True, txt2img=False, vision=False)
    if v >= KOBOLD_FLAGS2:
        body["audio"] = False
    body.update(transcribe=False, multiplayer=False, websearch=False, tts=False)
    if v >= KOBOLD_FLAGS2:
        body.update(embeddings=False, savedata=False, admin=0, guidance=False)
    return body


def koboldcpp(view: HostView, req: Request) -> Reply:
    m = view.models[0] if view.models else None
    model = kobold_model(view)[len("koboldcpp/"):]
    version = kobold_version(view)
    v = version_tuple(version)
    path, ok = req.path.rstrip("/") or "/", is_get(req)

    def js(obj: object) -> Reply:  # json.dumps defaults: ", " and ": " separators, ASCII escapes
        return finish(req, _kobold(200, json.dumps(obj).encode(), "application/json"))

    if not ok:
        return _kobold(404, _KOBOLD_404, "text/html")
    if path in ("/api/v1/model", "/api/latest/model"):
        return js({"result": f"koboldcpp/{model}"})
    if path == "/api/extra/version":
        return js(_kobold_version_body(version))
    if path in ("/api/v1/info/version", "/api/latest/info/version"):
        return js({"result": "1.2.5"})
    if path in ("/api/v1/config/max_context_length", "/api/extra/true_max_context_length"):
        return js({"value": int(view.extra.get("n_ctx", "4096"))})
    if path == "/api/tags" and v >= KOBOLD_OLLAMA:
        # KoboldCpp's Ollama shim: one fixed-date entry standing for the loaded model.
        entry = {"name": f"koboldcpp/{model}", "model": f"koboldcpp/{model}:latest",
                 "modified_at": "2024-07-19T15:26:55.6122841+08:00", "size": m.size if m else 394998579,
                 "digest": m.digest if m else hashlib.sha256(model.encode()).hexdigest(),
                 "details": {"parent_model": "", "format": "gguf", "family": "koboldcpp", "families": ["koboldcpp"],
                             "parameter_size": m.parameter_size if m else "128M",
                             "quantization_level": m.quantization_level if m else "Q4_0"}}
        return js({"models": [entry]})
    if path == "/v1/models" and v >= KOBOLD_OPENAI:
        return js({"object": "list", "data": [{"id": f"koboldcpp/{model}", "object": "model", "created": 1,
                                               "owned_by": "koboldcpp", "permission": [], "root": "koboldcpp"}]})
    if path in ("/", "/api", "/api/v1"):
        page = b"<!DOCTYPE html><html><head><title>KoboldAI Lite</title></head><body></body></html>"
        return finish(req, _kobold(200, page, "text/html"))
    return finish(req, _kobold(404, _KOBOLD_404, "text/html"))
