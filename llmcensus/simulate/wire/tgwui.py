"""text-generation-webui's OpenAI-compatible API (oobabooga; FastAPI + uvicorn, port 5000), protocols.md §10.

Bodies follow ``tests/fixtures/runtimes/text_generation_webui/``: ``v1_internal_model_info.json``
(``get_current_model_info`` of extensions/openai/models.py@0241b540: ``model_name``, ``lora_names``),
``v1_models__dummy.json`` (``list_dummy_models``: ``gpt-3.5-turbo`` and ``text-embedding-ada-002``, not served
models) and ``v1_models.json`` (``model_info_dict``: ``created: 0``, ``owned_by: "user"``).

The host: ``models[0]`` is the loaded model (its name is the models-folder name, e.g.
``TheBloke_Llama-2-13B-chat-GPTQ`` or a GGUF file name); ``models[1:]`` are other folders in ``models/``.
``extra``: ``version`` (default ``3.9``; not exposed on the wire).

Version boundaries (both assumed; the fixtures record that the route/list pairing was not verified per commit):

- ``GET /v1/models`` answers the dummy list before 3.0 and ``list_models_openai_format`` (the models folder,
  ``model_info_dict`` entries) from 3.0 (extensions/openai/script.py@001198de).
- ``/v1/internal/model/info`` adds ``loader`` from 2.0.

``/v1/internal/model/list`` needs the admin key only when one is set; here none is, so it lists the folder.
Errors use the extension's envelope ``{"error":{"message","type","param","code":null}}``.
"""

from __future__ import annotations

from llmcensus.simulate.views import HostView, Reply, Request
from llmcensus.simulate.wire.replies import fastapi_json, finish
from llmcensus.simulate.wire.runtimes import NO_INFERENCE, fastapi_app, opt, version_tuple

DEFAULT_VERSION = "3.9"
REAL_LIST = (3, 0)
LOADER_KEY = (2, 0)
DUMMY = ("gpt-3.5-turbo", "text-embedding-ada-002")

_ROUTES = {"/v1/models": "GET", "/v1/internal/model/info": "GET", "/v1/internal/model/list": "GET",
           "/v1/internal/health": "GET", "/openapi.json": "GET", "/docs": "GET", "/v1/completions": "POST",
           "/v1/chat/completions": "POST", "/v1/embeddings": "POST", "/v1/internal/encode": "POST",
           "/v1/internal/token-count": "POST", "/v1/internal/logits": "POST"}


def version(view: HostView) -> str:
    return opt(view, "version", DEFAULT_VERSION)


def loaded(view: HostView) -> str:
    return view.models[0].name if view.models else "None"


def model_ids(view: HostView) -> list[str]:
    """The served model (the dummy entries of old builds are not served models)."""
    return [view.models[0].name] if view.models else []


def _card(name: str) -> dict[str, object]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "user"}


def tgwui(view: HostView, req: Request) -> Reply:
    path = req.path
    methods = _ROUTES.get(path)
    if methods is None and path.startswith("/v1/models/"):
        methods = "GET"  # /v1/models/{model}
    early = fastapi_app(req, methods, _ROUTES)
    if early is not None:
        return early
    v = version_tuple(version(view))
    folder = [m.name for m in view.models]
    if path == "/v1/models":
        names = folder if v >= REAL_LIST else list(DUMMY)
        return finish(req, fastapi_json(200, {"object": "list", "data": [_card(n) for n in names]}))
    if path.startswith("/v1/models/"):
        return finish(req, fastapi_json(200, _card(path[len("/v1/models/"):])))
    if path == "/v1/internal/model/info":
        body: dict[str, object] = {"model_name": loaded(view), "lora_names": []}
        if v >= LOADER_KEY:
            body["loader"] = "llama.cpp" if loaded(view).endswith(".gguf") else "ExLlamav2_HF"
        return finish(req, fastapi_json(200, body))
    if path == "/v1/internal/model/list":
        return finish(req, fastapi_json(200, {"model_names": folder}))
    if path == "/v1/internal/health":
        return finish(req, fastapi_json(200, {"status": "ok"}))
    return fastapi_json(400, {"error": {"message": NO_INFERENCE, "type": "invalid_request_error", "param": None,
                                        "code": None}})
