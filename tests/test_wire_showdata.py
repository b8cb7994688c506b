"""build_show: templates that drive capability inference, GGUF metadata, licences, parameters."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from llmcensus.simulate.views import Behaviour, HostView, ModelView, Request
from llmcensus.simulate.wire import build_show, respond
from llmcensus.simulate.wire.showdata import FILE_TYPES, parameter_count

LINEAGE_MODELS = [("llama3.1:8b", "llama", "8.0B"), ("qwen2.5:7b", "qwen2", "7.6B"), ("qwen3:8b", "qwen3", "8.2B"),
                  ("gemma3:4b", "gemma3", "4.3B"), ("phi4:14b", "phi3", "14.7B"), ("mistral:7b", "llama", "7.2B"),
                  ("deepseek-r1:7b", "qwen2", "7.6B"), ("llama2:7b", "llama", "7B"), ("custom:latest", "olmo2", "7.3B")]


def infer(template: str) -> set[str]:
    """Ollama's template-based capability inference (v0.6.4 vars + v0.9.0 thinking tags), as a fingerprinter
    would re-implement it for hosts too old to print capabilities."""
    caps = set()
    actions = re.findall(r"\{\{-?(.*?)-?\}\}", template, re.S)
    if any(re.search(r"\.Tools\b", a) for a in actions):
        caps.add("tools")
    if any(re.search(r"\.Suffix\b", a) for a in actions):
        caps.add("insert")
    rng = template.find("range $i, $_ := .Messages")
    if rng == -1:
        rng = template.find("range .Messages")
    pattern = r"\{\{-?\s*if \.Thinking\s*-?\}\}(.+?)\{\{-?\s*\.Thinking\s*-?\}\}(.+?)\{\{"
    m = re.search(pattern, template[rng:], re.S) if rng != -1 else None
    if m and m.group(1).strip() == "<think>" and m.group(2).strip() == "</think>":
        caps.add("thinking")
    return caps


@pytest.mark.parametrize(("name", "family", "size"), LINEAGE_MODELS, ids=[m[0] for m in LINEAGE_MODELS])
def test_template_references_follow_capabilities(name: str, family: str, size: str) -> None:
    for n in range(4):
        for extra in itertools.combinations(("tools", "insert", "thinking"), n):
            sd = build_show(name, family, (family,), size, "Q4_K_M", ("completion", *extra), digest="ab" * 32)
            assert infer(sd.template) == set(extra), (name, extra)
            # Balanced blocks: every if/range opens exactly one {{ end }} (text/template would refuse it otherwise).
            opens = len(re.findall(r"\{\{-?\s*(?:if|range|with)\b", sd.template))
            assert opens == len(re.findall(r"\{\{-?\s*end\s*-?\}\}", sd.template))
            assert "{{ .System }}" in sd.template
            assert sd.capabilities[0] == "completion"


def test_embedding_model() -> None:
    sd = build_show("nomic-embed-text:latest", "nomic-bert", ("nomic-bert",), "137M", "F16", ("embedding",))
    assert sd.template == "{{ .Prompt }}" and sd.capabilities == ("embedding",)
    assert sd.model_info["nomic-bert.pooling_type"] == 1
    assert sd.model_info["general.file_type"] == 1
    assert sd.parameters == "num_ctx                        8192"


@pytest.mark.parametrize("quant", ["F16", "Q4_0", "Q8_0", "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q6_K", "Q2_K", "Q3_K_M",
                                   "Q5_0", "BF16"])
def test_file_type_matches_quantization(quant: str) -> None:
    sd = build_show("llama3.2:3b", "llama", ("llama",), "3.2B", quant, ("completion",))
    assert sd.model_info["general.file_type"] == FILE_TYPES[quant]
    assert {"F16": 1, "Q4_0": 2, "Q8_0": 7, "Q4_K_M": 15, "BF16": 32}.get(quant, FILE_TYPES[quant]) == FILE_TYPES[quant]


def human_number(b: int) -> str:
    """Go format.HumanNumber as Ollama uses it for parameter_size."""
    if b >= 1e9:
        n = b / 1e9
        return f"{n:.0f}B" if n == int(n) else f"{n:.1f}B"
    n = b / 1e6
    return f"{n:.0f}M" if n == int(n) else f"{n:.2f}M"


@pytest.mark.parametrize("size", ["8.0B", "7.6B", "116.8B", "999.89M", "2.7B", "14.7B", "751.63M"])
def test_parameter_count_round_trips(size: str) -> None:
    for salt in ("a", "b", "c", "d"):
        assert human_number(parameter_count(size, salt)) == size


def test_model_info_shape() -> None:
    sd = build_show("gemma3:12b", "gemma3", ("gemma3",), "12.2B", "Q4_K_M", ("completion", "vision"), digest="cd" * 32)
    info = sd.model_info
    assert info["general.architecture"] == "gemma3"
    assert isinstance(info["general.parameter_count"], int) and info["general.quantization_version"] == 2
    assert info["gemma3.context_length"] == 131072 and "gemma3.vision.block_count" in info
    assert info["tokenizer.ggml.tokens"] is None and info["tokenizer.ggml.token_type"] is None
    assert sd.projector_info is None
    llava = build_show("llava:7b", "llama", ("llama", "clip"), "7B", "Q4_0", ("completion", "vision"))
    assert llava.projector_info is not None and "llama.vision.block_count" not in llava.model_info
    assert all(k.startswith(("clip.", "general.")) for k in llava.projector_info)


def test_licences_by_lineage() -> None:
    heads = {"llama3.1:8b": "LLAMA 3.1 COMMUNITY LICENSE", "llama3:8b": "META LLAMA 3 COMMUNITY LICENSE",
             "gemma2:9b": "Gemma Terms of Use", "phi4:14b": "Microsoft.", "qwen2.5:7b": "\n" + " " * 33 + "Apache",
             "deepseek-r1:7b": "MIT License"}
    fams = {"gemma2:9b": "gemma2", "phi4:14b": "phi3", "qwen2.5:7b": "qwen2", "deepseek-r1:7b": "qwen2"}
    for name, head in heads.items():
        sd = build_show(name, fams.get(name, "llama"), None, "8.0B", "Q4_K_M", ("completion",))
        assert sd.license.startswith(head), name
        assert len(sd.license.encode()) <= 1200


def test_parameters_and_blob_path_format() -> None:
    sd = build_show("llama3:8b", "llama", ("llama",), "8.0B", "Q4_0", ("completion",), digest="ef" * 32)
    assert sd.parameters.split("\n") == ['num_keep                       24',
                                         'stop                           "<|start_header_id|>"',
                                         'stop                           "<|end_header_id|>"',
                                         'stop                           "<|eot_id|>"']
    assert re.fullmatch(r"(/root|/usr/share/ollama)/\.ollama/models/blobs/sha256-[0-9a-f]{64}", sd.modelfile_from)
    again = build_show("llama3:8b", "llama", ("llama",), "8.0B", "Q4_0", ("completion",), digest="ef" * 32)
    assert again == sd


def test_modelfile_rendered_from_showdata() -> None:
    sd = build_show("qwen3:8b", "qwen3", ("qwen3",), "8.2B", "Q4_K_M", ("completion", "tools", "thinking"),
                    system="You are helpful.", digest="12" * 32)
    m = ModelView(name="qwen3:8b", digest="12" * 32, size=5_225_376_047, modified_at_ns=1_750_000_000 * 10**9,
                  format="gguf", family="qwen3", families=("qwen3",), parameter_size="8.2B",
                  quantization_level="Q4_K_M", show=sd)
    v = HostView(host_id=1, ip="192.0.2.1", port=11434, scheme="http", behaviour=Behaviour.OLLAMA, version="0.9.0",
                 tz_offset_min=0, models=(m,))
    r = respond(v, Request("POST", "/api/show", {}, b'{"model":"qwen3:8b"}'), 0)
    assert r is not None and r.status == 200
    mf = json.loads(r.body)["modelfile"]
    lines = mf.split("\n")
    assert lines[:4] == ['# Modelfile generated by "ollama show"',
                         "# To build a new Modelfile based on this, replace FROM with:", "# FROM qwen3:8b", ""]
    assert lines[4] == f"FROM {sd.modelfile_from}"
    assert 'TEMPLATE """' in mf and "SYSTEM You are helpful." in mf
    assert "PARAMETER stop <|im_end|>" in mf and "PARAMETER temperature 0.6" in mf
    assert 'LICENSE """' in mf and mf.endswith('"""\n')
    assert json.loads(r.body)["system"] == "You are helpful."


def test_views_without_show_get_library_capabilities() -> None:
    m = ModelView(name="qwen3:8b", digest="34" * 32, size=5_225_376_047, modified_at_ns=1_750_000_000 * 10**9,
                  format="gguf", family="qwen3", families=("qwen3",), parameter_size="8.2B",
                  quantization_level="Q4_K_M")
    v = HostView(host_id=1, ip="192.0.2.1", port=11434, scheme="http", behaviour=Behaviour.OLLAMA, version="0.5.7",
                 tz_offset_min=0, models=(m,))
    r = respond(v, Request("POST", "/api/show", {}, b'{"model":"qwen3:8b"}'), 0)
    assert r is not None
    assert infer(json.loads(r.body)["template"]) == {"tools", "thinking"}
