"""Hostile replies never break a runtime module: every parser returns a ``Parsed`` with well-formed models or
raises ``ParseError``, and ``identify``/``claims`` always answer, for every module of the table."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcensus.probe.http import Exchange
from llmcensus.probe.runtimes import MODULES
from llmcensus.probe.runtimes.base import MODEL_KEYS, Parsed
from llmcensus.probe.runtimes.fields import ParseError

# The keys and values every module reads (from their fixtures), so generated bodies reach deep into the parsers.
KEYS = [
    "admin_api_key", "api_key", "arch", "architecture", "architectures", "auth", "bits_per_weight", "build_info",
    "capabilities", "code", "compatibility_type", "config", "context_length", "created", "data", "db",
    "default_generation_settings", "detail", "details", "digest", "docker_label", "dtype", "error", "features",
    "format", "has_image_understanding", "id", "is_generation", "key", "litellm_version", "lmstudio",
    "loaded_context_length", "loaded_instances", "lora_names", "max_batch_total_tokens", "max_best_of",
    "max_client_batch_size", "max_context_length", "max_input_length", "max_input_tokens", "max_model_len",
    "max_total_tokens", "mem_fraction_static", "message", "meta", "modalities", "model", "model_device_type",
    "model_dtype", "model_id", "model_name", "model_path", "model_pipeline_tag", "model_sha", "model_type", "models",
    "n_ctx", "n_ctx_train", "n_params", "n_vocab", "name", "oauth", "object", "onboarding", "owned_by", "param",
    "params_string", "parent", "permission", "providers", "publisher", "quantization", "result", "revision", "root",
    "router", "served_model_name", "sha", "size", "size_bytes", "state", "status", "tokenizer_path", "total_slots",
    "tp_size", "type", "validation_workers", "value", "version", "vision", "weight_version",
]
WORDS = [
    "0.6.3", "0.8.2", "0.9.0", "I'm alive!", "Invalid API Key", "Invalid LM Studio API token", "KoboldCpp",
    "Loading model", "None", "Not authenticated", "Unauthorized", "Unexpected endpoint or method. (GET /x)",
    "auth_error", "auto", "b4283-a7e2bd4", "koboldcpp/x", "list", "llamacpp", "llm", "model", "modelperm-x", "ok",
    "organization_owner", "qwen2", "sglang", "sha256:sglang00", "text-generation-router", "user", "vllm",
]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(WORDS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner,
                                                                max_size=6),
    max_leaves=24)
BODIES = st.one_of(_json.map(lambda v: json.dumps(v).encode()), st.binary(max_size=48),
                   st.sampled_from([b"", b"{", b"NaN", b'{"data": [1e400]}', b'"\\ud800"', b"\xff\xfe"]))


@pytest.mark.parametrize("module", MODULES, ids=[m.NAME for m in MODULES])
def test_hostile_bodies_never_break_a_parser_or_a_claim(module: ModuleType) -> None:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=BODIES, status=st.sampled_from([200, 401, 403, 404, 500, 503]))
    def check(body: bytes, status: int) -> None:
        for parser in module.PARSERS.values():
            try:
                parsed = parser(body)
            except ParseError:
                continue
            assert isinstance(parsed, Parsed)
            if module.NAME == "ollama":
                continue  # Ollama's /api/tags rows are MODEL struct rows, checked in test_ollama_parse
            for m in parsed.models or ():
                assert tuple(m) == MODEL_KEYS and isinstance(m["id"], str) and isinstance(m["extra"], dict)
        paths = [*module.REQUESTS, ("GET", "/api/tags")]
        replies = {req: Exchange(req[0], req[1], status=status, body=body, nbytes=len(body)) for req in paths}
        assert module.claims(module.identify(replies)) in (0, 1, 2, 3, 4)

    check()
