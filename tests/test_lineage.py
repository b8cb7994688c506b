"""Lineage resolution: every library and captured name, the tricky cases, hostile names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcensus.enrich.lineage import match_lineage, resolve
from llmcensus.enrich.names import normalise_model, parse_name
from llmcensus.reference.catalog import digest_index, families, labs, lineages
from llmcensus.reference.library import library

CAPTURES = Path(__file__).parent / "fixtures" / "captures"


def _captured_models() -> list[dict[str, object]]:
    out: dict[tuple[str, str], dict[str, object]] = {}
    for folder in ("api_tags", "api_ps"):
        for path in sorted((CAPTURES / folder).glob("*.json")):
            for m in json.loads(path.read_text()).get("models") or []:
                out[(m["name"], m.get("digest", ""))] = m
    return list(out.values())


def _assert_resolved_or_explained(res: object) -> None:
    lineage, lab, country, reason = (getattr(res, k) for k in ("lineage", "lab", "lab_country", "reason"))
    if lineage == "unknown":
        assert reason, f"{res}: unknown without a reason"
    else:
        assert lineage in lineages()
        assert (lab and lab != "unknown") or lineages()[lineage].lab == "unknown"
        assert country == labs()[lab]


def test_every_library_model_is_catalogued_with_lab_and_country() -> None:
    cat = lineages()
    assert set(library()) <= set(cat)
    for name in library():
        entry = cat[name]
        assert entry.lab in labs()
        assert entry.country == labs()[entry.lab]
        assert entry.badges == library()[name].badges  # badges copied from the scrape, kept in sync
    unknown_labs = sorted(n for n, e in cat.items() if e.lab == "unknown")
    assert all("lab not named" in cat[n].note for n in unknown_labs)


def test_every_library_tag_resolves_to_its_own_lineage() -> None:
    for model in library().values():
        for tag in model.tags:
            res = resolve(f"{model.name}:{tag.tag}", tag.model_hash or None)
            assert res.lineage == model.name, (model.name, tag.tag, res.evidence)
            assert not res.is_derivative
            if tag.model_hash:
                assert res.is_official and res.confidence == 1.0


def test_every_captured_name_resolves_or_is_explained() -> None:
    models = _captured_models()
    assert len(models) > 50
    resolved = 0
    for m in models:
        details = m.get("details") or {}
        assert isinstance(details, dict)
        res = resolve(
            str(m["name"]),
            str(m.get("digest") or "") or None,
            family=details.get("family"),
            parameter_size=details.get("parameter_size"),
        )
        _assert_resolved_or_explained(res)
        resolved += res.lineage != "unknown"
    assert resolved / len(models) > 0.9


def test_catalog_is_consistent() -> None:
    cat = lineages()
    normalised = [normalise_model(n) for n in cat]
    assert len(normalised) == len(set(normalised)), "two lineages normalise to the same key"
    for entry in cat.values():
        for up in entry.upstream:
            assert up in cat
    for fam in families().values():
        assert fam.lineage is None or fam.lineage in cat
        assert fam.lab is None or fam.lab in labs()
    for lineage, _tag, _src in digest_index().values():
        assert lineage in cat


# name, digest, family, parameter_size -> lineage, lab, country, official, derivative_kind, upstream
TRICKY = [
    # deepseek-r1 distills: one lineage, the upstream follows architecture, size and date
    ("deepseek-r1:7b", "0a8c266910232fd3291e71e5ba1e058cc5af9d411192cf88b6d30e92b6e73163", "qwen2", "7.6B",
     "deepseek-r1", "DeepSeek", "CN", True, None, "qwen2.5"),
    ("deepseek-r1:8b", "28f8fd6cdc677661426adab9338ce3c013d7e69a5bea9e704b364171a5d61a10", "llama", "8.0B",
     "deepseek-r1", "DeepSeek", "CN", True, None, "llama3.1"),
    ("deepseek-r1:8b", "6995872bfe4c" + "0" * 52, "qwen3", "8.2B",
     "deepseek-r1", "DeepSeek", "CN", True, None, "qwen3"),
    ("deepseek-r1:70b", None, "llama", "70.6B", "deepseek-r1", "DeepSeek", "CN", False, None, "llama3.3"),
    ("deepseek-r1:1.5b", None, "qwen2", "1.8B", "deepseek-r1", "DeepSeek", "CN", False, None, "qwen2.5"),
    # QwQ reports qwen2 but is its own lineage
    ("qwq:latest", None, "qwen2", "32.8B", "qwq", "Alibaba", "CN", False, None, None),
    # Mistral reports llama: the family never decides the lab when the name is known
    ("mistral:latest", None, "llama", "7.2B", "mistral", "Mistral AI", "FR", False, None, None),
    ("llava:latest", "8dd30f6b0cb19f555f2c7a7ebda861449ea2cc76bf1f44e262931f45fc81d081", "llama", "7B",
     "llava", "LLaVA team", "US", True, None, None),
    # derivatives resolve to their base lineage, marked as such
    ("huihui_ai/qwen3-abliterated:8b", None, "qwen3", "8.2B", "qwen3", "Alibaba", "CN", False, "namespace", None),
    ("huihui_ai/deepseek-r1-abliterated:14b", None, "qwen2", "14.8B",
     "deepseek-r1", "DeepSeek", "CN", False, "namespace", "qwen2.5"),
    ("hf.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M", None, "llama", "8.03B",
     "llama3.1", "Meta", "US", False, "hf", None),
    ("hf.co/mradermacher/RoGemma2-9b-Instruct-DPO-GGUF:Q4_K_M", None, "gemma2", "9.24B",
     "gemma2", "Google", "US", False, "hf", None),
    ("huggingface.co/janhq/Jan-v1-4B-GGUF:latest", None, "qwen3", "4.0B", "unknown", "unknown", "unknown", False,
     "hf", None),
    ("hf.co/LiquidAI/LFM2-2.6B-Exp-GGUF:Q4_K_M", None, "lfm2", "2.7B", "lfm2", "Liquid AI", "US", False, "hf", None),
    ("MHKetbi/Mistral-Small3.1-24B-Instruct-2503:q5_K_L", None, "llama", "23.6B",
     "mistral-small3.1", "Mistral AI", "FR", False, "namespace", None),
    # a renamed copy of an official build is recognised by its digest
    ("llama3-backup:latest", "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72", "llama", "3.2B",
     "llama3.2", "Meta", "US", True, None, None),
    # cloud models
    ("gpt-oss:120b-cloud", None, "gptoss", "116.8B", "gpt-oss", "OpenAI", "US", False, None, None),
    ("glm-4.6:cloud", None, "glm4", "355B", "glm-4.6", "Zhipu AI", "CN", False, None, None),
    ("kimi-k2:1t-cloud", None, "deepseek2", "1T", "kimi-k2", "Moonshot AI", "CN", False, None, None),
    ("deepseek-v3.1:671b-cloud", None, "deepseek2", "671.0B", "deepseek-v3.1", "DeepSeek", "CN", False, None, None),
    # names that say nothing stay unknown with a reason
    ("mario:latest", None, "llama", "3.2B", "unknown", "unknown", "unknown", False, None, None),
    ("test123:latest", None, "", "", "unknown", "unknown", "unknown", False, None, None),
]


@pytest.mark.parametrize(
    ("name", "digest", "family", "size", "lineage", "lab", "country", "official", "kind", "upstream"), TRICKY
)
def test_tricky_cases(
    name: str, digest: str | None, family: str, size: str, lineage: str, lab: str, country: str,
    official: bool, kind: str | None, upstream: str | None,
) -> None:
    res = resolve(name, digest, family=family, parameter_size=size)
    assert (res.lineage, res.lab, res.lab_country) == (lineage, lab, country), res.evidence
    assert res.is_official is official
    assert res.derivative_kind == kind
    assert res.is_derivative is (kind is not None)
    assert res.upstream == upstream
    if lineage == "unknown":
        assert res.reason and res.confidence == 0.0


def test_cloud_flags() -> None:
    assert resolve("gpt-oss:120b-cloud").is_cloud
    assert resolve("glm-4.6:cloud").is_cloud
    assert resolve("x:latest", remote_model="gpt-oss:120b", remote_host="https://ollama.com:443").is_cloud
    assert resolve("x:latest", remote_model="gpt-oss:120b").lineage == "gpt-oss"
    assert not resolve("gpt-oss:20b").is_cloud


def test_other_signals_when_the_name_says_nothing() -> None:
    lic = resolve("mymodel:latest", license_head="META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n\nMeta Llama 3 …")
    assert (lic.lineage, lic.lab, lic.derivative_kind) == ("llama3", "Meta", "local")
    assert lic.evidence[-1] == "license:llama3"
    frm = resolve("assistant:latest", modelfile_from="FROM qwen2.5:7b")
    assert frm.lineage == "qwen2.5" and "modelfile_from:qwen2.5:7b" in frm.evidence
    blob = resolve("assistant:latest", modelfile_from="FROM /root/.ollama/models/blobs/sha256-abc")
    assert blob.lineage == "unknown"
    fam = resolve("my-gemma:latest", family="gemma3")
    assert (fam.lineage, fam.confidence, fam.evidence[-1]) == ("gemma3", 0.35, "family:gemma3")
    lab_only = resolve("private:latest", family="phi3")
    assert (lab_only.lineage, lab_only.lab, lab_only.lab_country) == ("unknown", "Microsoft", "US")


def test_the_captured_show_license_resolves_a_local_model() -> None:
    show = json.loads(next((CAPTURES / "api_show").glob("*.json")).read_text())
    res = resolve("renamed:latest", license_head=show["license"][:200])
    assert res.lab == "Meta"


def test_name_parser_forms() -> None:
    p = parse_name("registry.ollama.ai/library/llama3.2:3b")
    assert (p.registry, p.namespace, p.model, p.tag, p.is_default_namespace) == (
        "registry.ollama.ai", "library", "llama3.2", "3b", True)
    p = parse_name("hf.co/unsloth/Qwen3-8B-GGUF:Q4_K_M")
    assert (p.registry, p.namespace, p.model, p.tag, p.is_hf) == ("hf.co", "unsloth", "Qwen3-8B-GGUF", "Q4_K_M", True)
    p = parse_name("huihui_ai/qwen3-abliterated")
    assert (p.namespace, p.model, p.tag) == ("huihui_ai", "qwen3-abliterated", "latest")
    p = parse_name("llama3.2@sha256:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72")
    assert p.digest is not None and p.digest.startswith("a80c4f17acd5") and p.tag == "latest"
    p = parse_name("myregistry:5000/team/model:v1")
    assert (p.registry, p.namespace, p.model, p.tag) == ("myregistry:5000", "team", "model", "v1")
    assert parse_name("qwen3-coder:480b-cloud").is_cloud and parse_name("glm-4.6:cloud").is_cloud
    assert not parse_name("a/b/c/d").valid
    assert match_lineage("qwen3-8b") == "qwen3"
    assert match_lineage("Qwen3.8-27B") == "qwen3.8"
    assert match_lineage("Meta-Llama-3.1-8B-Instruct") == "llama3.1"
    assert match_lineage("bge-reranker-large") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.one_of(st.none(), st.text(max_size=70)), st.one_of(st.none(), st.text(max_size=20)))
def test_hostile_names_never_raise(name: str, digest: str | None, family: str | None) -> None:
    res = resolve(name, digest, family=family, parameter_size=name[:8], license_head=name, modelfile_from=name)
    assert res.lineage == "unknown" or res.lineage in lineages()
    assert 0.0 <= res.confidence <= 1.0
