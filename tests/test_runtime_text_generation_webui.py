"""text-generation-webui end to end: loopback servers on its API port (5000) serving its fixture bodies."""

from __future__ import annotations

from pathlib import Path

from probe_support import Persona
from runtime_support import UVICORN_404, fixture, model_ids, runtime_data, scan_fleet

from llmcensus.probe.runtimes import text_generation_webui as tgw

UVICORN = {"Server": "uvicorn", "Content-Type": "application/json"}
INFO = fixture("text_generation_webui", "v1_internal_model_info.json")
LIST = fixture("text_generation_webui", "v1_models.json")
DUMMY = fixture("text_generation_webui", "v1_models__dummy.json")
LOADED = "TheBloke_Llama-2-13B-chat-GPTQ"


def persona(info: bytes | None, listing: bytes) -> Persona:
    routes = {("GET", "/v1/models"): (200, UVICORN, listing)}
    if info is not None:
        routes[("GET", "/v1/internal/model/info")] = (200, UVICORN, info)
    return Persona(routes, default=UVICORN_404)


FOLDER = b'{"object":"list","data":[' + b",".join(
    b'{"id":"%s","object":"model","created":0,"owned_by":"user"}' % n
    for n in (LOADED.encode(), b"Qwen2.5-7B-Instruct-Q4_K_M.gguf")) + b"]}"


def test_text_generation_webui_lists_its_loaded_model_not_the_dummies(tmp_path: Path) -> None:
    personas = {
        ("192.0.2.1", 5000): persona(INFO, DUMMY),
        ("192.0.2.2", 5000): persona(INFO, FOLDER),  # 3.0+: /v1/models lists the models folder
        # no model-info path answered: the list's shape (created 0, owned_by user) names it
        ("192.0.2.3", 5000): persona(None, LIST),
        # nothing loaded yet: "None" is the web UI's placeholder, not a model
        ("192.0.2.4", 5000): persona(b'{"model_name":"None","lora_names":[]}', DUMMY),
    }
    rows, _ = scan_fleet(personas, tmp_path)
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"):
        r = rows[ip]
        assert (r["runtime"], r["status"], r["auth"], r["version"]) == (
            "text_generation_webui", "success", "open", None), (ip, r["status"], r["error"], r["runtime_evidence"])
    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert model_ids(rows[ip]) == [LOADED]
    assert model_ids(rows["192.0.2.4"]) == []
    data = runtime_data(rows["192.0.2.1"])
    assert data["dummy_models"] == ["gpt-3.5-turbo", "text-embedding-ada-002"] and "available_models" not in data
    assert data["models"][LOADED] == {"extra": {"lora_names": []}}
    assert runtime_data(rows["192.0.2.2"])["available_models"] == [LOADED, "Qwen2.5-7B-Instruct-Q4_K_M.gguf"]
    assert "tgw_model_list" in rows["192.0.2.3"]["runtime_evidence"]
    assert "tgw_no_model_loaded" in rows["192.0.2.4"]["runtime_evidence"]


def test_an_api_key_hides_it(tmp_path: Path) -> None:
    """--api-key: 401 {"detail": "Unauthorized"} on both paths (verify_api_key); nothing names the product."""
    refused = Persona({}, default=(401, UVICORN, b'{"detail":"Unauthorized"}'))
    rows, _ = scan_fleet({("192.0.2.1", 5000): refused}, tmp_path)
    r = rows["192.0.2.1"]
    assert (r["runtime"], r["status"], r["auth"]) == ("unknown", "auth_required", "auth_required")


def test_tabbyapi_model_card_is_not_text_generation_webui() -> None:
    card = (b'{"id":"Llama-3-8B-exl2","object":"model","created":1,"owned_by":"tabbyAPI",'
            b'"parameters":{"max_seq_len":8192}}')
    assert tgw.parse_model_info(card).evidence == [] and tgw.parse_model_info(card).models is None
    models = tgw.parse_model_info(b'{"model_name":"m","lora_names":"x","loader":"llama.cpp"}').models
    assert models is not None and (models[0]["id"], models[0]["extra"]) == ("m", {"loader": "llama.cpp"})
