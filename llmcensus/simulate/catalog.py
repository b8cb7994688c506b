"""The models simulated hosts carry: library builds, quantization variants, derivatives, cloud stubs.

Base entries come from ``simulate/data/models.csv`` (lineage, architecture family, size,
default quantization, capabilities, popularity weight, date the model appeared). Digests and sizes
come from the bundled library scrape wherever it has the tag (its ``modelHash`` is the first 12 hex
of the manifest digest, so an enrichment that matches digests against the library can recognise
official builds), and from the real captures in protocols.md §15.1 where those give the full hash.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from importlib import resources

from llmcensus.reference.catalog import lineages
from llmcensus.reference.library import library, parse_size_text

# Full 64-hex digests seen in real captures (protocols.md §15.1), keyed by display name.
KNOWN_DIGESTS = {
    "llama3.2:latest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
    "llama3.2:1b": "baf6a787fdffd633537aa2eb51cfd54cb93ff08e28040095462bb63daf552878",
    "llama3:latest": "365c0bd3c000a25d28ddbf732fe1c6add414de7275464c4e4d1c3b5fcb5d8ad1",
    "qwen3:8b": "500a1f067a9f782620b40bee6f7b0c89e17ae61f686b92c24933e4ca4b2b8b41",
    "deepseek-r1:1.5b": "e0979632db5a88d1a53884cb2a941772d10ff5d055aabaa6801c4e36f3a6c2d7",
    "deepseek-r1:8b@2025-01": "28f8fd6cdc677661426adab9338ce3c013d7e69a5bea9e704b364171a5d61a10",
    "gemma2:2b": "8ccf136fdd5298f3ffe2d69862750ea7fb56555fa4d5b18c04e3fa4d82ee09d7",
    "gemma3:1b": "8648f39daa8fbf5b18c7b4e6a8fb4990c692751d49917417b8842ca5758e7ffc",
    "gemma3:27b": "a418f5838eaf7fe2cfe0a3046c8384b68ba43a4435542c942f9db00a5f342203",
    "llava:latest": "8dd30f6b0cb19f555f2c7a7ebda861449ea2cc76bf1f44e262931f45fc81d081",
    "nomic-embed-text:latest": "0a109f422b47e3a30ba2b10eca18548e944e8a23073ee3f3e947efcf3c45e59f",
    "mxbai-embed-large:latest": "468836162de7f81e041c43663fedbbba921dcea9b9fefea135685a39b2d83dd8",
    "gpt-oss:20b": "17052f91a42e97930aa6e28a6c6c06a983e6a58dbb00434885a0cf5313e376f7",
    "gpt-oss:120b": "a951a23b46a1f6093dafee2ea481d634b4e31ac720a8a16f3f91e04f5a40ecd9",
    "starcoder2:3b": "f67ae0f64584a4d1d7c609bf4778dd0d07054582362d21ca4f0eddea22aafd0c",
    "deepseek-coder-v2:16b": "63fb193b3a9b4322a18e8c6b250ca2e70a5ff531e962dbf95ba089b2566f2fa5",
}

QUANT_BITS = {
    "F16": 16,
    "BF16": 16,
    "F32": 32,
    "Q8_0": 8,
    "Q6_K": 6,
    "Q5_K_M": 5,
    "Q5_0": 5,
    "Q4_K_M": 4,
    "Q4_0": 4,
    "Q4_K_S": 4,
    "Q3_K_M": 3,
    "Q2_K": 2,
    "MXFP4": 4,
    "FP8": 8,
    "unknown": 0,
}
# Variant tag suffix -> quantization it selects
VARIANT_QUANTS = (("fp16", "F16"), ("q8_0", "Q8_0"), ("q6_K", "Q6_K"), ("q5_K_M", "Q5_K_M"))


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One concrete model build a host can carry (a digest)."""

    name: str  # display name as /api/tags shows it
    lineage: str  # ground-truth lineage
    family: str
    families: tuple[str, ...] | None
    parameter_size: str
    quantization: str
    capabilities: tuple[str, ...]
    weight: float
    available_from: date
    context_length: int
    embedding_length: int
    digest: str
    size: int
    kind: str = "library"  # library | variant | derivative_ns | derivative_hf | cloud | custom | third_party
    base: str = ""  # for derivatives/custom/variants: the base entry's name
    remote_model: str | None = None
    remote_host: str | None = None
    system: str | None = None  # custom models: the SYSTEM prompt
    prompt_label: str | None = None  # ground truth: benign | guardrail_removal | <misuse category>
    uncensored_name: bool = False

    @property
    def bits(self) -> int:
        return QUANT_BITS.get(self.quantization, 0)


def _hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def digest_for(display: str, library_hash: str | None) -> str:
    if display in KNOWN_DIGESTS:
        return KNOWN_DIGESTS[display]
    if library_hash and len(library_hash) == 12:
        return library_hash + _hex("llmcensus-digest:" + display)[:52]
    return _hex("llmcensus-digest:" + display)


def _param_billions(text: str) -> float:
    t = text.strip().upper()
    mult = {"B": 1.0, "M": 1e-3, "K": 1e-6, "T": 1e3}
    try:
        return float(t[:-1]) * mult.get(t[-1], 1.0)
    except (ValueError, IndexError):
        return 1.0


def _size_bytes(display: str, digest: str, size_text: str | None, params_b: float, bits: int) -> int:
    base = parse_size_text(size_text) if size_text else None
    if base is None:
        base = int(params_b * 1e9 * max(bits, 4) / 8 * 1.08)
    return base + int(digest[:7], 16) % 40_000_000


def _library_tag(lineage: str, tag: str) -> tuple[str | None, str | None, str | None]:
    """(model_hash, size_text, size tag) of a library tag, following ``latest`` to its size tag."""
    m = library().get(lineage)
    if m is None:
        return None, None, None
    by_tag = {t.tag: t for t in m.tags}
    t = by_tag.get(tag)
    if t is None:
        return None, None, None
    size_tag = tag
    if tag == "latest":
        size_tag = next((o.tag for o in m.tags if o.model_hash == t.model_hash and o.tag != "latest"), tag)
    return t.model_hash, t.size_text, size_tag


@lru_cache(maxsize=1)
def base_specs() -> tuple[ModelSpec, ...]:
    text = resources.files("llmcensus.simulate").joinpath("data/models.csv").read_text()
    out = []
    for row in csv.DictReader(text.splitlines()):
        key = row["name"]
        display = key.split("@", 1)[0]
        lineage, tag = display.split(":", 1)
        lib_hash, size_text, _ = _library_tag(lineage, tag)
        if "@" in key:  # an older build of the tag: the library's current hash does not apply
            lib_hash, size_text = None, None
        digest = digest_for(key, lib_hash)
        fams = None if row["families"] == "-" else tuple(row["families"].split("|"))
        caps = tuple(row["capabilities"].split("|"))
        quant = row["quantization"]
        params_b = _param_billions(row["parameter_size"])
        out.append(
            ModelSpec(
                name=display,
                lineage=row["lineage"],
                family=row["family"],
                families=fams,
                parameter_size=row["parameter_size"],
                quantization=quant,
                capabilities=caps,
                weight=float(row["weight"]),
                available_from=date.fromisoformat(row["available_from"]),
                context_length=int(row["context_length"]),
                embedding_length=int(row["embedding_length"]),
                digest=digest,
                size=_size_bytes(display, digest, size_text, params_b, QUANT_BITS.get(quant, 4)),
                uncensored_name=lineage.startswith("dolphin"),
            )
        )
    return tuple(out)


def is_official(spec: ModelSpec) -> bool:
    """The build's digest is an official library build's: the library tag's manifest hash (``digest_for`` keeps its
    first 12 hex) or a real capture of one (``KNOWN_DIGESTS``). Older builds of a re-pushed tag, derivatives,
    custom models and fakes have digests of their own."""
    if spec.kind not in ("library", "variant") or ":" not in spec.name:
        return False
    if spec.digest in KNOWN_DIGESTS.values():
        return True
    lineage, tag = spec.name.split(":", 1)
    lib_hash = _library_tag(lineage, tag)[0]
    return lib_hash is not None and spec.digest.startswith(lib_hash)


def variant(spec: ModelSpec, suffix: str, quant: str) -> ModelSpec | None:
    """The same model under an explicit quantization tag (e.g. ``8b-instruct-fp16``), if the library has one."""
    lineage, tag = spec.name.split(":", 1)
    _, _, size_tag = _library_tag(lineage, tag)
    m = library().get(lineage)
    if m is None or size_tag is None or spec.kind != "library":
        return None
    choice = next((t for t in m.tags if t.tag.startswith(size_tag + "-") and t.tag.endswith("-" + suffix)), None)
    if choice is None:
        return None
    display = f"{lineage}:{choice.tag}"
    digest = digest_for(display, choice.model_hash)
    bits = QUANT_BITS.get(quant, 16)
    return replace(
        spec,
        name=display,
        quantization=quant,
        digest=digest,
        size=_size_bytes(display, digest, choice.size_text, _param_billions(spec.parameter_size), bits),
        kind="variant",
        base=spec.name,
        weight=0.0,
    )


DERIVATIVE_NAMESPACES = ("huihui_ai", "mlabonne", "bartowski", "sam860", "krtkygpta", "omercelik", "library-mirror")


def derivative(spec: ModelSpec, index: int) -> ModelSpec:
    """A community build of a base model: a user-namespace push or an hf.co GGUF pull."""
    lineage, tag = spec.name.split(":", 1)
    size_label = spec.parameter_size.lower().replace(".0b", "b")
    if index % 3 == 2:
        repo = f"{lineage}-{size_label.upper()}-Instruct-GGUF"  # the lineage kept whole, as GGUF repos name it
        display = f"hf.co/bartowski/{repo}:Q4_K_M"
        kind = "derivative_hf"
        # Hugging Face generates the config: two-decimal parameter sizes (protocols.md §1.5 notes)
        pb = _param_billions(spec.parameter_size)
        psize = f"{pb:.2f}B" if pb >= 1 else f"{pb * 1000:.2f}M"
        quant = "Q4_K_M"
    else:
        ns = DERIVATIVE_NAMESPACES[index % len(DERIVATIVE_NAMESPACES)]
        marker = "abliterated" if index % 2 == 0 else "uncensored"
        if f"{lineage}-{marker}" in lineages():
            # the name would spell another catalogued lineage (llama2 + uncensored = llama2-uncensored, George
            # Sung's own fine-tune): a reader would rightly name that one, so this build takes the other marker
            marker = "uncensored" if marker == "abliterated" else "abliterated"
        display = f"{ns}/{lineage}-{marker}:{size_label}"
        kind = "derivative_ns"
        psize = spec.parameter_size
        quant = spec.quantization
    digest = _hex("llmcensus-derivative:" + display)
    return replace(
        spec,
        name=display,
        parameter_size=psize,
        quantization=quant,
        digest=digest,
        size=spec.size + int(digest[:6], 16) % 9_000_000,
        kind=kind,
        base=spec.name,
        weight=0.0,
        uncensored_name=kind == "derivative_ns",
    )


CLOUD_STUBS = (
    # name, remote_model, family, parameter_size, quantization, capabilities (real captures, protocols §1.5)
    ("gpt-oss:120b-cloud", "gpt-oss:120b", "gptoss", "116.8B", "MXFP4", ("completion", "tools", "thinking")),
    ("glm-4.6:cloud", "glm-4.6", "glm4", "355B", "FP8", ("completion", "tools", "thinking")),
    (
        "deepseek-v3.1:671b-cloud",
        "deepseek-v3.1:671b",
        "deepseek2",
        "671.0B",
        "FP8_E4M3",
        ("completion", "tools", "thinking"),
    ),
    ("qwen3-coder:480b-cloud", "qwen3-coder:480b", "qwen3moe", "480B", "FP8", ("completion", "tools")),
    ("kimi-k2:1t-cloud", "kimi-k2:1t", "deepseek2", "1T", "FP8", ("completion", "tools")),
)


@lru_cache(maxsize=1)
def cloud_specs() -> tuple[ModelSpec, ...]:
    out = []
    for name, remote, family, psize, quant, caps in CLOUD_STUBS:
        digest = _hex("llmcensus-cloud:" + name)
        out.append(
            ModelSpec(
                name=name,
                lineage=name.split(":", 1)[0],
                family=family,
                families=(family,),
                parameter_size=psize,
                quantization=quant,
                capabilities=caps,
                weight=1.0,
                available_from=date(2025, 9, 17),
                context_length=131072,
                embedding_length=4096,
                digest=digest,
                size=360 + int(digest[:2], 16) % 50,
                kind="cloud",
                remote_model=remote,
                remote_host="https://ollama.com:443",
            )
        )
    return tuple(out)


def third_party_spec() -> ModelSpec:
    """The small model third parties pull onto open hosts to mark them (protocols §5 #8)."""
    digest = "cd3bc5d7b0f1c1b1f8b7f4f0c6a2d4f3b1a8e9c7d6b5a4f3e2d1c0b9a8f7e6d5"
    return ModelSpec(
        name="smollm2:135m",
        lineage="smollm2",
        family="llama",
        families=("llama",),
        parameter_size="134.52M",
        quantization="F16",
        capabilities=("completion", "tools"),
        weight=0.0,
        available_from=date(2024, 11, 1),
        context_length=8192,
        embedding_length=576,
        digest=digest,
        size=270_898_672,
        kind="third_party",
    )


def custom_spec(base: ModelSpec, name: str, system: str, label: str, digest_seed: str) -> ModelSpec:
    """A locally created model (``ollama create``) whose Modelfile adds a SYSTEM prompt to a base."""
    digest = _hex("llmcensus-custom:" + digest_seed)
    return replace(
        base,
        name=name,
        digest=digest,
        kind="custom",
        base=base.name,
        weight=0.0,
        system=system,
        prompt_label=label,
        size=base.size + 1_024 + int(digest[:3], 16),
    )


def library_spec(display: str, *, family: str, parameter_size: str, quantization: str, capabilities: tuple[str, ...],
                 available_from: date, context_length: int, embedding_length: int) -> ModelSpec:
    """One official build of a library tag that ``models.csv`` does not list (a release planted by
    ``lineage_plan.py``): digest and size from the bundled library scrape, as ``base_specs`` makes them."""
    lineage, tag = display.split(":", 1)
    lib_hash, size_text, _ = _library_tag(lineage, tag)
    digest = digest_for(display, lib_hash)
    return ModelSpec(name=display, lineage=lineage, family=family, families=(family,), parameter_size=parameter_size,
                     quantization=quantization, capabilities=capabilities, weight=0.0, available_from=available_from,
                     context_length=context_length, embedding_length=embedding_length, digest=digest,
                     size=_size_bytes(display, digest, size_text, _param_billions(parameter_size),
                                      QUANT_BITS.get(quantization, 4)))  # fmt: skip
