"""The runtime mix of the simulated internet (issue #16): population shares, versions, key-protected shares, a
mixed fleet builder and its ground truth.

Shares (``RUNTIME_SHARES``) are derived from the A/B rows of ``../shared/reference/exposure.md`` as ratios to
Ollama *on the same engine and date*, then normalised (``docs/simulation.md`` "Runtime mix" gives every figure,
its source and grade):

- Hou et al. (FOFA, early 2025, grade A): Ollama 155,423; Open WebUI 37,242; vLLM 6,077; llama.cpp 4,234;
  text-generation-webui 2,051 query hits. Every runtime is assumed to have the same hit-to-instance rate
  (NuClide's "≈50 % of title-dork hits are not the platform", A, is not applied to one runtime alone).
- NuClide (Shodan, May 2026): LiteLLM 2,710 confirmed instances (A) against 16,473 confirmed unauthenticated
  Ollama (B) in the same month by the same author.
- LM Studio, TGI, SGLang, LocalAI, KoboldCpp and the generic OpenAI-compatible servers have **no** A/B count
  (Hou's 15-framework list did not query them; exposure.md: "not found"); each is *assumed* at half the
  smallest counted ratio (text-generation-webui's), so they are present but rare.

Key-protected shares (``KEY_PROTECTED_SHARE``): LiteLLM 2,368 auth-fronted of 2,651 classified (A); Open WebUI
1.0 (its model list always needs a login: code); Ollama 0 (no built-in auth in any release: code, A; proxies in
front are the calibrated world's business); vLLM and llama.cpp *assumed* (no published figure).

``mixed_fleet(n, seed)`` builds a deterministic fleet of ``HostView``s: first a coverage block (every runtime at
every version of ``VERSIONS``, the key-protected variants, Ollama hosts, look-alikes — honeypots, LocalAI
as Ollama, llama.cpp on Ollama's port, auth proxies — and non-LLM hosts), then hosts drawn by
``RUNTIME_SHARES``. ``expected(view)`` is the ground truth of one host. The calibrated world's other-runtime hosts
(``runtime_world.py``) are built with the same ``runtime_plan``; the Ollama world (``population.py``) is untouched.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from llmcensus.errors import SimulationError
from llmcensus.simulate.views import Behaviour, HostView, ModelView, RunningView
from llmcensus.simulate.wire import engines, litellm, lm_studio, lookalikes, tgi, tgwui, vllm
from llmcensus.simulate.wire.runtimes import has_key, version_tuple
from llmcensus.simulate.wire.showdata import build_show


@dataclass(frozen=True, slots=True)
class ShareSource:
    """One figure behind a share: what was counted, how many, where, and its exposure.md trust grade."""

    runtime: str
    figure: str
    count: int | None
    source: str
    grade: str  # "A", "B" (exposure.md) or "assumed"


HOU = "Hou et al., FOFA query hits, early 2025 (security-pride/LLM_Deployment data_collection/FOFA_Query.yaml)"
NUCLIDE_LITELLM = ("NuClide, Shodan http.title:\"LiteLLM API\" re-probed, 2026-05-11 "
                   "(nuclide-research.com insight-15)")
NUCLIDE_OLLAMA = "NuClide, Shodan walk re-probed, May 2026 (nuclide-research.com insight-23)"

SOURCES: tuple[ShareSource, ...] = (
    ShareSource("ollama", "FOFA hits", 155_423, HOU, "A"),
    ShareSource("open_webui", "FOFA hits (title + port 3000/8080)", 37_242, HOU, "A"),
    ShareSource("vllm", "FOFA hits (title/body \"vLLM\" on 5000/8000)", 6_077, HOU, "A"),
    ShareSource("llama_cpp", "FOFA hits (header \"llama.cpp\")", 4_234, HOU, "A"),
    ShareSource("text_generation_webui", "FOFA hits", 2_051, HOU, "A"),
    ShareSource("litellm", "confirmed instances", 2_710, NUCLIDE_LITELLM, "A"),
    ShareSource("ollama", "confirmed unauthenticated instances (LiteLLM's denominator)", 16_473, NUCLIDE_OLLAMA,
                "B"),
    ShareSource("litellm", "auth-fronted among confirmed", 2_368, NUCLIDE_LITELLM, "A"),
    ShareSource("litellm", "unauthenticated among confirmed", 283, NUCLIDE_LITELLM, "A"),
)

_HOU_OLLAMA = 155_423
ASSUMED_RATIO = 2_051 / _HOU_OLLAMA / 2  # half of text-generation-webui's: present but rare
RATIO_TO_OLLAMA: dict[str, float] = {
    "ollama": 1.0,
    "open_webui": 37_242 / _HOU_OLLAMA,
    "litellm": 2_710 / 16_473,
    "vllm": 6_077 / _HOU_OLLAMA,
    "llama_cpp": 4_234 / _HOU_OLLAMA,
    "text_generation_webui": 2_051 / _HOU_OLLAMA,
    "lm_studio": ASSUMED_RATIO,
    "tgi": ASSUMED_RATIO,
    "sglang": ASSUMED_RATIO,
    "localai": ASSUMED_RATIO,
    "koboldcpp": ASSUMED_RATIO,
    "openai_compatible": ASSUMED_RATIO,
}
ASSUMED_SHARES = frozenset({"lm_studio", "tgi", "sglang", "localai", "koboldcpp", "openai_compatible"})
_TOTAL = sum(RATIO_TO_OLLAMA.values())
RUNTIME_SHARES: dict[str, float] = {k: v / _TOTAL for k, v in RATIO_TO_OLLAMA.items()}

KEY_PROTECTED_SHARE: dict[str, tuple[float, str]] = {
    "litellm": (2_368 / (2_368 + 283), "A: NuClide 2026-05, auth-fronted / (auth-fronted + unauthenticated)"),
    "open_webui": (1.0, "code: every model route needs a session token (fixtures api_models__no_token_*)"),
    "ollama": (0.0, "A: no built-in auth in any release (exposure.md); proxies are the calibrated world's"),
    "vllm": (0.25, "assumed: no published figure"),
    "llama_cpp": (0.10, "assumed: no published figure"),
}

# Versions in release order (oldest first), chosen on both sides of every boundary the personae model.
VERSIONS: dict[str, tuple[str, ...]] = {
    "ollama": ("0.1.32", "0.5.7", "0.9.6", "0.12.6", "0.30.0"),
    "vllm": ("0.3.3", "0.4.0.post1", "0.5.4", "0.6.3.post1", "0.8.5", "0.10.0", "0.10.1.1", "0.11.0"),
    "llama_cpp": ("b2700-328884f4", "b3400-e02b597b", "b4000-85679d37", "b4600-d7d1ecad", "b5200-5f5e39e1",
                  "b6050-1ed4a2c0", "b7100-3f3a4e5c"),
    "lm_studio": ("0.3.5", "0.3.6", "0.3.17", "0.3.31", "0.4.2"),
    "tgi": ("0.8.2", "1.4.5", "2.0.4", "2.2.0", "2.4.1", "3.0.2", "3.3.6"),
    "sglang": ("0.2.15", "0.3.6", "0.4.3", "0.4.6", "0.5.4"),
    "localai": ("v2.20.1", "v3.5.0"),
    "koboldcpp": ("1.43", "1.55.1", "1.71.1", "1.82.4", "1.98.1"),
    "text_generation_webui": ("1.15", "2.8", "3.9"),
    "litellm": ("1.19.2", "1.42.0", "1.55.8", "1.74.9", "1.84.0"),
    "open_webui": ("0.5.16", "0.5.20", "0.6.5", "0.6.30"),
    "openai_compatible": ("fastapi", "go"),
}

DEFAULT_PORTS: dict[str, tuple[int, ...]] = {  # first = default; others = common moves
    "ollama": (11434,), "vllm": (8000, 8080), "llama_cpp": (8080, 11434, 8081), "lm_studio": (1234,),
    "tgi": (8080, 80), "sglang": (30000, 8000), "localai": (8080, 11434), "koboldcpp": (5001,),
    "text_generation_webui": (5000,), "litellm": (4000,), "open_webui": (8080, 3000),
    "openai_compatible": (8000, 8080),
}

NOW_NS = 1_760_000_000 * 10**9
FIRST_ID = 6_100_000

_RUNTIME_BEHAVIOUR: dict[str, Behaviour] = {
    "ollama": Behaviour.OLLAMA, "vllm": Behaviour.VLLM, "llama_cpp": Behaviour.LLAMA_CPP,
    "lm_studio": Behaviour.LM_STUDIO, "tgi": Behaviour.TGI, "sglang": Behaviour.SGLANG, "localai": Behaviour.LOCALAI,
    "koboldcpp": Behaviour.KOBOLDCPP, "text_generation_webui": Behaviour.TEXT_GENERATION_WEBUI,
    "litellm": Behaviour.LITELLM, "open_webui": Behaviour.OPEN_WEBUI,
    "openai_compatible": Behaviour.OPENAI_COMPATIBLE,
}

# --- model catalogues, per naming convention (tests/fixtures/runtimes/README.md) -----------------------------
# (name, family, parameter size, quantization/dtype, context, capabilities)
_Spec = tuple[str, str, str, str, int, tuple[str, ...]]
HF_MODELS: tuple[_Spec, ...] = (
    ("meta-llama/Llama-3.1-8B-Instruct", "llama", "8.0B", "BF16", 131072, ("completion", "tools")),
    ("Qwen/Qwen2.5-7B-Instruct-AWQ", "qwen2", "7.6B", "AWQ", 32768, ("completion", "tools")),
    ("Qwen/Qwen3-32B", "qwen3", "32.8B", "BF16", 40960, ("completion", "tools", "thinking")),
    ("mistralai/Mistral-7B-Instruct-v0.3", "mistral", "7.2B", "BF16", 32768, ("completion", "tools")),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "qwen2", "32.8B", "BF16", 131072, ("completion", "thinking")),
    ("google/gemma-3-27b-it", "gemma3", "27.4B", "BF16", 131072, ("completion", "vision")),
    ("meta-llama/Meta-Llama-3-8B-Instruct", "llama", "8.0B", "BF16", 8192, ("completion",)),
    ("microsoft/Phi-3-mini-4k-instruct", "phi3", "3.8B", "BF16", 4096, ("completion",)),
)
OLD_HF_MODELS: tuple[_Spec, ...] = (  # what 2023 TGI hosts served
    ("google/flan-t5-large", "t5", "783M", "F16", 2048, ("completion",)),
    ("tiiuae/falcon-7b-instruct", "falcon", "7.2B", "BF16", 2048, ("completion",)),
    ("bigscience/bloom-560m", "bloom", "559M", "F16", 2048, ("completion",)),
)
GGUF_MODELS: tuple[_Spec, ...] = (
    ("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "llama", "8.0B", "Q4_K_M", 131072, ("completion",)),
    ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", "qwen2", "7.6B", "Q4_K_M", 32768, ("completion",)),
    ("gemma-3-12b-it-Q4_K_M.gguf", "gemma3", "12.2B", "Q4_K_M", 131072, ("completion", "vision")),
    ("Mistral-Nemo-Instruct-2407-Q5_K_M.gguf", "llama", "12.2B", "Q5_K_M", 131072, ("completion",)),
    ("DeepSeek-R1-Distill-Llama-8B-Q4_K_M.gguf", "llama", "8.0B", "Q4_K_M", 131072, ("completion",)),
    ("Phi-3.5-mini-instruct-Q4_K_M.gguf", "phi3", "3.8B", "Q4_K_M", 131072, ("completion",)),
)
LM_STUDIO_MODELS: tuple[_Spec, ...] = (
    ("qwen/qwen3-8b", "qwen3", "8B", "Q4_K_M", 40960, ("completion", "tools")),
    ("google/gemma-3-12b", "gemma3", "12B", "Q4_K_M", 131072, ("completion", "vision")),
    ("openai/gpt-oss-20b", "gpt-oss", "20B", "MXFP4", 131072, ("completion", "tools")),
    ("meta-llama-3.1-8b-instruct", "llama", "8B", "Q4_K_M", 131072, ("completion",)),
    ("text-embedding-nomic-embed-text-v1.5", "nomic-bert", "137M", "Q4_0", 2048, ("embedding",)),
)
LOCALAI_MODELS: tuple[_Spec, ...] = (
    ("gpt-4", "llama", "8.0B", "Q4_K_M", 8192, ("completion",)),
    ("llama-3.2-1b-instruct", "llama", "1.2B", "Q4_K_M", 131072, ("completion",)),
    ("qwen2.5-7b-instruct", "qwen2", "7.6B", "Q4_K_M", 32768, ("completion",)),
    ("text-embedding-ada-002", "bert", "335M", "F16", 512, ("embedding",)),
    ("whisper-1", "whisper", "74M", "F16", 448, ("completion",)),
)
LITELLM_ALIASES: tuple[_Spec, ...] = (
    ("gpt-4o", "", "", "", 128000, ()), ("gpt-4o-mini", "", "", "", 128000, ()),
    ("claude-3-5-sonnet", "", "", "", 200000, ()), ("llama-3.1-70b", "", "", "", 131072, ()),
    ("text-embedding-3-small", "", "", "", 8191, ()), ("deepseek-chat", "", "", "", 65536, ()),
    ("meta-llama/Llama-3.1-70B-Instruct", "", "", "", 131072, ()), ("Qwen/Qwen2.5-72B-Instruct", "", "", "", 32768, ()),
)
TGWUI_MODELS: tuple[_Spec, ...] = (
    ("TheBloke_Llama-2-13B-chat-GPTQ", "llama", "13B", "GPTQ", 4096, ("completion",)),
    ("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "llama", "8.0B", "Q4_K_M", 131072, ("completion",)),
    ("turboderp_Mistral-7B-instruct-exl2_4.0bpw", "llama", "7.2B", "EXL2", 32768, ("completion",)),
)
OLLAMA_MODELS: tuple[_Spec, ...] = (
    ("llama3.2:3b", "llama", "3.2B", "Q4_K_M", 131072, ("completion", "tools")),
    ("qwen2.5:7b", "qwen2", "7.6B", "Q4_K_M", 32768, ("completion", "tools")),
    ("nomic-embed-text:latest", "nomic-bert", "137M", "F16", 2048, ("embedding",)),
    ("gemma3:4b", "gemma3", "4.3B", "Q4_K_M", 131072, ("completion", "vision")),
    ("deepseek-r1:8b", "qwen3", "8.2B", "Q4_K_M", 131072, ("completion", "thinking")),
)

# The lineage behind each name the pools serve (catalogue names, reference/data/lineages.csv) and the part of the
# name that spells it, or None where the name does not (an alias of an unnamed local model, a proprietary API behind
# LiteLLM: lineage None). A name absent from this table (a LoRA adapter such as "sql-lora") names no lineage. What a
# reader can attribute from these: ``simulate/adoption_truth.py``.
POOL_LINEAGE: dict[str, tuple[str | None, str | None]] = {
    "meta-llama/Llama-3.1-8B-Instruct": ("llama3.1", "Llama-3.1"),
    "Qwen/Qwen2.5-7B-Instruct-AWQ": ("qwen2.5", "Qwen2.5"), "Qwen/Qwen3-32B": ("qwen3", "Qwen3"),
    "mistralai/Mistral-7B-Instruct-v0.3": ("mistral", "Mistral"),
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B": ("deepseek-r1", "DeepSeek-R1"),
    "google/gemma-3-27b-it": ("gemma3", "gemma-3"), "meta-llama/Meta-Llama-3-8B-Instruct": ("llama3", "Llama-3"),
    "microsoft/Phi-3-mini-4k-instruct": ("phi3", "Phi-3"),
    # T5 and BLOOM have no lineage in the catalogue (no Ollama library model): nothing to attribute
    "google/flan-t5-large": (None, None), "tiiuae/falcon-7b-instruct": ("falcon", "falcon"),
    "bigscience/bloom-560m": (None, None),
    "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf": ("llama3.1", "Llama-3.1"),
    "Qwen2.5-7B-Instruct-Q4_K_M.gguf": ("qwen2.5", "Qwen2.5"), "gemma-3-12b-it-Q4_K_M.gguf": ("gemma3", "gemma-3"),
    "Mistral-Nemo-Instruct-2407-Q5_K_M.gguf": ("mistral-nemo", "Mistral-Nemo"),
    "DeepSeek-R1-Distill-Llama-8B-Q4_K_M.gguf": ("deepseek-r1", "DeepSeek-R1"),
    "Phi-3.5-mini-instruct-Q4_K_M.gguf": ("phi3.5", "Phi-3.5"),
    "qwen/qwen3-8b": ("qwen3", "qwen3"), "google/gemma-3-12b": ("gemma3", "gemma-3"),
    "openai/gpt-oss-20b": ("gpt-oss", "gpt-oss"), "meta-llama-3.1-8b-instruct": ("llama3.1", "llama-3.1"),
    "text-embedding-nomic-embed-text-v1.5": ("nomic-embed-text", "nomic-embed-text"),
    # LocalAI's OpenAI-style aliases stand for local models the alias does not name (its AIO images: an 8B Llama
    # chat model behind "gpt-4", a 335M BERT embedder behind "text-embedding-ada-002"); Whisper is not catalogued
    "gpt-4": ("llama3.1", None), "llama-3.2-1b-instruct": ("llama3.2", "llama-3.2"),
    "qwen2.5-7b-instruct": ("qwen2.5", "qwen2.5"), "text-embedding-ada-002": ("mxbai-embed-large", None),
    "whisper-1": (None, None),
    # LiteLLM routes to APIs: OpenAI's and Anthropic's models have no open lineage, DeepSeek's API serves V3 under a
    # name that does not say so
    "gpt-4o": (None, None), "gpt-4o-mini": (None, None), "claude-3-5-sonnet": (None, None),
    "llama-3.1-70b": ("llama3.1", "llama-3.1"), "text-embedding-3-small": (None, None),
    "deepseek-chat": ("deepseek-v3", None), "meta-llama/Llama-3.1-70B-Instruct": ("llama3.1", "Llama-3.1"),
    "Qwen/Qwen2.5-72B-Instruct": ("qwen2.5", "Qwen2.5"),
    "TheBloke_Llama-2-13B-chat-GPTQ": ("llama2", "Llama-2"),
    "turboderp_Mistral-7B-instruct-exl2_4.0bpw": ("mistral", "Mistral"),
    "llama3.2:3b": ("llama3.2", "llama3.2"), "qwen2.5:7b": ("qwen2.5", "qwen2.5"),
    "nomic-embed-text:latest": ("nomic-embed-text", "nomic-embed-text"), "gemma3:4b": ("gemma3", "gemma3"),
    "deepseek-r1:8b": ("deepseek-r1", "deepseek-r1"),
    "gpt-3.5-turbo": (None, None),  # a generic server's OpenAI-style name for whatever it serves
    "mistral-7b-instruct-v0.1.Q4_0": ("mistral", "mistral"),
    "nomic-embed-text-v1.5.f16": ("nomic-embed-text", "nomic-embed-text"),
}  # fmt: skip


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def model(spec: _Spec, *, ollama: bool = False, age_days: int = 30) -> ModelView:
    """A ``ModelView`` standing for one model as its runtime names it (show data only for Ollama hosts)."""
    name, family, size, quant, ctx, caps = spec
    digest = _digest(name)
    show = build_show(name, family, (family,), size, quant, caps, digest=digest) if ollama else None
    return ModelView(name=name, digest=digest, size=int(digest[:8], 16) % 9_000_000_000 + 500_000_000,
                     modified_at_ns=NOW_NS - age_days * 86_400 * 10**9, format="gguf", family=family,
                     families=(family,) if family else None, parameter_size=size, quantization_level=quant,
                     context_length=ctx, embedding_length=4096, capabilities=caps, show=show)


# --- the fleet --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Plan:
    behaviour: Behaviour
    version: str = ""  # the runtime's own version ("" for non-runtimes)
    port: int = 0
    models: tuple[ModelView, ...] = ()
    running: tuple[RunningView, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    ollama_version: str = "0.12.6"


def _pick(specs: tuple[_Spec, ...], k: int, salt: int, *, ollama: bool = False) -> tuple[ModelView, ...]:
    return tuple(model(specs[(salt + j) % len(specs)], ollama=ollama) for j in range(min(k, len(specs))))


def _port(runtime: str, salt: int) -> int:
    ports = DEFAULT_PORTS[runtime]
    return ports[0] if salt % 4 or len(ports) == 1 else ports[1 + (salt // 4) % (len(ports) - 1)]


def runtime_plan(runtime: str, version: str, salt: int, *, key: bool = False, port: int | None = None) -> _Plan:
    """One host of ``runtime`` at ``version``; ``salt`` varies models, ports and options deterministically."""
    b = _RUNTIME_BEHAVIOUR[runtime]
    p = port if port is not None else _port(runtime, salt)
    extra: dict[str, str] = {"version": version}
    if key:
        extra["api_key"] = "1"
    models: tuple[ModelView, ...] = ()
    running: tuple[RunningView, ...] = ()
    if runtime == "ollama":
        return _Plan(b, version, p, _pick(OLLAMA_MODELS, 1 + salt % 3, salt, ollama=True), ollama_version=version)
    if runtime == "vllm":
        models = _pick(HF_MODELS, 1, salt)
        if salt % 3 == 0:  # LoRA adapters served beside the base model
            models += (model(("sql-lora", "", "", "", 0, ())),)
    elif runtime == "llama_cpp":
        extra = {"build": version, **({"api_key": "1"} if key else {})}
        models = _pick(GGUF_MODELS, 1, salt)
        choice = salt % 3
        if choice == 0:
            extra["model_path"] = f"../models/{models[0].name}"
        elif choice == 1:
            extra["model_path"] = f"/models/{models[0].name}"
        else:
            extra["alias"] = models[0].name.split("-Q")[0].lower()
    elif runtime == "lm_studio":
        models = _pick(LM_STUDIO_MODELS, 1 + salt % 4, salt)
        running = (RunningView(models[0], models[0].size, models[0].size, NOW_NS + 3_600 * 10**9, 8192),)
    elif runtime == "tgi":
        specs = OLD_HF_MODELS if version_tuple(version) < (1, 0) else HF_MODELS
        models = _pick(specs, 1, salt)
    elif runtime == "sglang":
        models = _pick(HF_MODELS, 1, salt)
    elif runtime == "localai":
        models = _pick(LOCALAI_MODELS, 1 + salt % 4, salt)
        extra["ollama_api"] = "1" if version_tuple(version) >= (3,) else "0"
    elif runtime == "koboldcpp":
        models = _pick(GGUF_MODELS, 1, salt)
        extra["model_file"] = models[0].name
    elif runtime == "text_generation_webui":
        models = _pick(TGWUI_MODELS, 1, salt)
    elif runtime == "litellm":
        models = _pick(LITELLM_ALIASES, 2 + salt % 4, salt)
        extra["db"] = "connected" if salt % 2 else "Not connected"
    elif runtime == "open_webui":
        if salt % 3 == 1:
            extra["onboarding"] = "true"
        if salt % 5 == 2:
            extra["auth"] = "false"
    elif runtime == "openai_compatible":
        extra = {"flavour": version}
        models = (model(("gpt-3.5-turbo", "", "", "", 0, ())),) if version == "fastapi" else (
            model(("mistral-7b-instruct-v0.1.Q4_0", "llama", "7.2B", "Q4_0", 32768, ("completion",))),
            model(("nomic-embed-text-v1.5.f16", "nomic-bert", "137M", "F16", 2048, ("embedding",))))
    return _Plan(b, version, p, models, running, tuple(extra.items()))


def _coverage() -> list[_Plan]:
    """Every runtime at every version, the key-protected variants, look-alikes and non-LLM hosts."""
    plans: list[_Plan] = []
    for runtime, versions in VERSIONS.items():
        for i, v in enumerate(versions):
            plans.append(runtime_plan(runtime, v, i))
    for runtime, versions in (("vllm", ("0.4.0.post1", "0.10.1.1")), ("llama_cpp", ("b3400-e02b597b",
                                                                                   "b6050-1ed4a2c0")),
                              ("litellm", ("1.42.0", "1.84.0"))):
        for i, v in enumerate(versions):
            plans.append(runtime_plan(runtime, v, 7 + i, key=True))
    # look-alikes on Ollama's port
    hp = _pick(OLLAMA_MODELS, 3, 0, ollama=True)
    plans += [_Plan(Behaviour.HONEYPOT, "", 11434, hp, ollama_version="0.9.0"),
              _Plan(Behaviour.HONEYPOT, "", 11434, hp, ollama_version="0.6.5"),
              runtime_plan("localai", "v3.5.0", 1, port=11434),
              runtime_plan("llama_cpp", "b6050-1ed4a2c0", 2, port=11434),
              _Plan(Behaviour.AUTH_401, "", 11434, extra=(("realm", "Ollama"),)),
              _Plan(Behaviour.AUTH_403, "", 11434, extra=(("nginx", "nginx/1.24.0"),))]
    # non-LLM hosts, on ports where an LLM runtime would be expected
    plans += [_Plan(Behaviour.NOT_LLM, "", 8000, extra=(("kind", "fastapi"),)),
              _Plan(Behaviour.NOT_LLM, "", 8080, extra=(("kind", "nginx"),)),
              _Plan(Behaviour.NOT_LLM, "", 11434, extra=(("kind", "version_api"),)),
              _Plan(Behaviour.NOT_LLM, "", 4000, extra=(("kind", "version_api"),)),
              _Plan(Behaviour.SILENT, "", 8000), _Plan(Behaviour.REFUSED, "", 8080), _Plan(Behaviour.GARBAGE, "", 1234)]
    # runtimes on ports no probe module claims (TGI's container port, a generic server on 9000)
    plans += [runtime_plan("tgi", "2.4.1", 3, port=80), runtime_plan("openai_compatible", "go", 1, port=9000)]
    return plans


def _ip(i: int) -> str:
    """Distinct public-looking identities (100.96.0.0/11, never .0 or .255); the dial map routes them."""
    return f"100.{96 + i // 64516}.{(i // 254) % 254 + 1}.{i % 254 + 1}"


def coverage_size() -> int:
    """Hosts in the coverage block: the smallest ``n`` ``mixed_fleet`` accepts."""
    return len(_coverage())


def mixed_fleet(n: int = 150, seed: int = 0, *, first_id: int = FIRST_ID) -> list[HostView]:
    """``n`` hosts: the coverage block, then hosts drawn by ``RUNTIME_SHARES`` (deterministic in ``seed``).

    Key-protected variants in the drawn part follow ``KEY_PROTECTED_SHARE``. Raises ``SimulationError`` when
    ``n`` is smaller than the coverage block (``coverage_size()``, about 80 hosts)."""
    plans = _coverage()
    if n < len(plans):
        raise SimulationError(f"mixed_fleet needs n >= {len(plans)} (the coverage block), got {n}")
    rng = np.random.default_rng(seed)
    names = list(RUNTIME_SHARES)
    weights = np.array([RUNTIME_SHARES[r] for r in names])
    for j in range(n - len(plans)):
        runtime = names[int(rng.choice(len(names), p=weights))]
        versions = VERSIONS[runtime]
        version = versions[int(rng.integers(len(versions)))]
        share = KEY_PROTECTED_SHARE.get(runtime, (0.0, ""))[0]
        key = runtime in ("vllm", "llama_cpp", "litellm") and bool(rng.random() < share)
        plans.append(runtime_plan(runtime, version, int(rng.integers(1 << 16)) + j, key=key))
    order = rng.permutation(len(plans))
    views: list[HostView] = []
    for slot, k in enumerate(order):
        p = plans[int(k)]
        # HostView.version: what Ollama-emulating routes report for Ollama and honeypots; the runtime's own
        # version for the others (their personae read it from extra["version"] / extra["build"]).
        views.append(HostView(host_id=first_id + slot, ip=_ip(slot), port=p.port, scheme="http",
                              behaviour=p.behaviour, version=p.version or p.ollama_version, tz_offset_min=0,
                              models=p.models, running=p.running, extra=dict(p.extra)))
    return views


class FleetFactory:
    """A picklable view factory for ``FleetProcess`` (``serve_process.py``): the same fleet every day."""

    def __init__(self, n: int = 150, seed: int = 0, first_id: int = FIRST_ID) -> None:
        self.n, self.seed, self.first_id = n, seed, first_id

    def __call__(self, day: int) -> list[HostView]:
        return mixed_fleet(self.n, self.seed, first_id=self.first_id)


# --- ground truth -----------------------------------------------------------------------------------------

def _ollama_version(view: HostView) -> str | None:
    v = view.version
    return v if v == "0.0.0" or version_tuple(v) >= (0, 1, 14) else None


def expected(view: HostView) -> dict[str, object]:
    """The ground truth of one host, as an unauthenticated, read-only scanner can know it.

    Keys: ``runtime`` (a ``Runtime`` value; ``unknown`` for an HTTP service that is no LLM runtime or hides it,
    None when no HTTP answers), ``status`` (the observation status a correct probe records), ``auth``
    (posture of the model list: ``open``/``auth_required``/``forbidden``; ``unknown`` without HTTP),
    ``key_protected`` (the host was started with a key/login, even where its model list stays public, as on
    llama.cpp), ``version`` (the version *as exposed* on an open metadata path, None when not exposed),
    ``version_elsewhere`` (a path that also carries the version although the usual one does not),
    ``runtime_version`` (what it really runs), ``models`` (the ids its model list shows, in order; None when
    hidden or absent) and ``models_alt`` (the same models under the names of another listing the host also
    serves, e.g. LocalAI's Ollama emulation)."""
    b = view.behaviour
    truth: dict[str, object] = {"behaviour": b.value, "runtime": None, "status": None, "auth": "open",
                                "key_protected": False, "version": None, "version_elsewhere": None,
                                "runtime_version": None, "models": None, "models_alt": None}
    names = [m.name for m in view.models]

    def runtime(name: str, version: str | None, models: list[str] | None, real: str | None) -> None:
        truth.update(runtime=name, status="success", version=version, models=models, runtime_version=real)

    if b in (Behaviour.OLLAMA, Behaviour.HONEYPOT):
        runtime("ollama", _ollama_version(view), names, view.version)
    elif b is Behaviour.VLLM:
        runtime("vllm", vllm.exposed_version(view), vllm.model_ids(view), vllm.version(view))
    elif b is Behaviour.LLAMA_CPP:
        runtime("llama_cpp", engines.llama_exposed_version(view), [engines.llama_model_id(view)],
                engines.llama_build(view))
    elif b is Behaviour.LM_STUDIO:
        runtime("lm_studio", None, lm_studio.model_ids(view), lm_studio.version(view))
    elif b is Behaviour.TGI:
        runtime("tgi", tgi.exposed_version(view), tgi.model_ids(view), tgi.version(view))
    elif b is Behaviour.SGLANG:
        runtime("sglang", engines.sglang_exposed_version(view), [engines.sglang_model_id(view)],
                engines.sglang_version(view))
    elif b is Behaviour.LOCALAI:
        runtime("localai", lookalikes.localai_exposed_version(view), lookalikes.localai_model_ids(view),
                view.extra.get("version", lookalikes.LOCALAI_DEFAULT))
        if view.extra.get("ollama_api", "1") != "0":
            truth["models_alt"] = [n if ":" in n.rsplit("/", 1)[-1] else f"{n}:latest" for n in names]
    elif b is Behaviour.KOBOLDCPP:
        runtime("koboldcpp", lookalikes.kobold_version(view), [lookalikes.kobold_model(view)],
                lookalikes.kobold_version(view))
    elif b is Behaviour.TEXT_GENERATION_WEBUI:
        runtime("text_generation_webui", None, tgwui.model_ids(view), tgwui.version(view))
    elif b is Behaviour.LITELLM:
        runtime("litellm", litellm.exposed_version(view), litellm.model_ids(view), litellm.version(view))
        if litellm.exposed_version(view) is None:
            truth["version_elsewhere"] = "/openapi.json"
    elif b is Behaviour.OPEN_WEBUI:
        # A front end recognised by its public /api/config is fingerprinted (success) with the posture the config
        # states: features.auth true = a login wall (auth_required, whether it refuses 401 or, before 0.6, 403),
        # false = anyone may sign in (open). Its model list is never readable without a session either way.
        v = lookalikes.open_webui_version(view)
        runtime("open_webui", v, None, v)
        login = view.extra.get("auth", "true") != "false"
        truth.update(auth="auth_required" if login else "open", key_protected=login)
    elif b is Behaviour.OPENAI_COMPATIBLE:
        runtime("openai_compatible", None, names, None)
    elif b is Behaviour.NOT_LLM:
        truth.update(runtime="unknown", status="not_llm")
    elif b is Behaviour.AUTH_401:
        truth.update(runtime="unknown", status="auth_required", auth="auth_required")
    elif b is Behaviour.AUTH_403:
        truth.update(runtime="unknown", status="auth_required", auth="forbidden")
    elif b is Behaviour.SILENT:
        truth.update(status="read_timeout", auth="unknown")
    elif b is Behaviour.REFUSED:
        truth.update(status="connection_refused", auth="unknown")
    elif b is Behaviour.GARBAGE:
        truth.update(status="protocol_error", auth="unknown")
    if has_key(view) and b in (Behaviour.VLLM, Behaviour.LITELLM, Behaviour.LLAMA_CPP):
        truth["key_protected"] = True
        if b is not Behaviour.LLAMA_CPP:  # llama.cpp keeps /v1/models public with --api-key
            truth.update(status="auth_required", auth="auth_required", models=None)
    return truth

