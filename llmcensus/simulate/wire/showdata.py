"""Realistic ``POST /api/show`` content for one model, derived deterministically from what tags shows.

``build_show`` picks a *lineage* (chat-template dialect, tokenizer, licence, default parameters) from the
model name and GGUF family, then writes a Go template whose variable references match the capability
set exactly: ``.Tools`` iff ``tools``, ``.Suffix`` iff ``insert``, ``.Thinking`` inside ``range .Messages``
between literal ``<think>``/``</think>`` iff ``thinking``. That keeps capability *inference from the
template* (how Ollama < 0.6.4 hosts must be read) consistent with the capability list newer versions print.
Dimensions are plausible for the parameter count, not copies of any real file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from llmcensus.simulate.views import ShowData
from llmcensus.simulate.wire import licenses
from llmcensus.simulate.wire.gojson import go_sharp_v

# ggml FileType numbers (general.file_type) by the quantization_level strings tags shows.
FILE_TYPES: dict[str, int] = {
    "F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "Q2_K": 10, "Q3_K_S": 11,
    "Q3_K_M": 12, "Q3_K_L": 13, "Q4_K_S": 14, "Q4_K_M": 15, "Q5_K_S": 16, "Q5_K_M": 17, "Q6_K": 18,
    "IQ2_XXS": 19, "IQ2_XS": 20, "Q2_K_S": 21, "IQ3_XS": 22, "IQ3_XXS": 23, "IQ1_S": 24, "IQ4_NL": 25,
    "IQ3_S": 26, "IQ3_M": 27, "IQ2_S": 28, "IQ2_M": 29, "IQ4_XS": 30, "IQ1_M": 31, "BF16": 32,
    "TQ1_0": 36, "TQ2_0": 37, "MXFP4_MOE": 38,
}

CAPABILITY_ORDER = ("completion", "embedding", "vision", "audio", "image", "tools", "insert", "thinking")


@dataclass(frozen=True, slots=True)
class Lineage:
    """One chat dialect: turn markers, tokenizer, licence and default Modelfile parameters."""

    name: str
    sys_open: str
    sys_close: str
    user_open: str
    user_close: str
    asst_open: str
    asst_close: str
    fim: tuple[str, str, str]  # prefix, suffix, middle markers for insert-capable (FIM) models
    tokenizer: str  # tokenizer.ggml.model
    pre: str | None  # tokenizer.ggml.pre
    vocab: int
    bos: int
    eos: int
    license: str
    params: tuple[tuple[str, object], ...]
    context: int
    rope_base: float
    norm_eps: float


def _lin(name: str, turns: tuple[str, str, str, str, str, str], tok: tuple[str, str | None, int, int, int],
         lic: str, params: tuple[tuple[str, object], ...], context: int, rope: float = 10000.0,
         eps: float = 1e-5, fim: tuple[str, str, str] = ("<PRE> ", " <SUF>", " <MID>")) -> Lineage:
    return Lineage(name, *turns, fim, *tok, lic, params, context, rope, eps)  # type: ignore[arg-type]


_CHATML = ("<|im_start|>system\n", "<|im_end|>\n", "<|im_start|>user\n", "<|im_end|>\n",
           "<|im_start|>assistant\n", "<|im_end|>\n")
_QWEN_FIM = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")
_L3 = ("<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>",
       "<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>",
       "<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>")
_L3_STOPS = (("stop", "<|start_header_id|>"), ("stop", "<|end_header_id|>"), ("stop", "<|eot_id|>"))

LINEAGES: dict[str, Lineage] = {
    "llama3": _lin("llama3", _L3, ("gpt2", "llama-bpe", 128256, 128000, 128009), licenses.LLAMA3,
                   (("num_keep", 24), *_L3_STOPS), 8192, 500000.0),
    "llama31": _lin("llama31", _L3, ("gpt2", "llama-bpe", 128256, 128000, 128009), licenses.LLAMA31,
                    _L3_STOPS, 131072, 500000.0),
    "llama33": _lin("llama33", _L3, ("gpt2", "llama-bpe", 128256, 128000, 128009), licenses.LLAMA33,
                    _L3_STOPS, 131072, 500000.0),
    "llama32": _lin("llama32", _L3, ("gpt2", "llama-bpe", 128256, 128000, 128009), licenses.LLAMA32,
                    _L3_STOPS, 131072, 500000.0),
    "llama2": _lin("llama2", ("[INST] <<SYS>>", "<</SYS>>\n\n", "", " [/INST]", " ", "</s>"),
                   ("llama", "default", 32000, 1, 2), licenses.LLAMA2,
                   (("stop", "[INST]"), ("stop", "[/INST]"), ("stop", "<<SYS>>"), ("stop", "<</SYS>>")), 4096),
    "mistral": _lin("mistral", ("[INST] ", "\n\n", "[INST] ", " [/INST]", "", "</s>"),
                    ("llama", "default", 32768, 1, 2), licenses.APACHE2,
                    (("stop", "[INST]"), ("stop", "[/INST]")), 32768, 1000000.0),
    "qwen": _lin("qwen", _CHATML, ("gpt2", "qwen2", 151936, 151643, 151645), licenses.APACHE2,
                 (("stop", "<|im_start|>"), ("stop", "<|im_end|>")), 32768, 1000000.0, 1e-6, _QWEN_FIM),
    "qwen3": _lin("qwen3", _CHATML, ("gpt2", "qwen2", 151936, 151643, 151645), licenses.APACHE2,
                  (("repeat_penalty", 1.0), ("stop", "<|im_start|>"), ("stop", "<|im_end|>"),
                   ("temperature", 0.6), ("top_k", 20), ("top_p", 0.95)), 40960, 1000000.0, 1e-6, _QWEN_FIM),
    "qwen1": _lin("qwen1", _CHATML, ("gpt2", "qwen2", 151936, 151643, 151645), licenses.QWEN,
                  (("stop", "<|im_start|>"), ("stop", "<|im_end|>")), 32768, 1000000.0, 1e-6, _QWEN_FIM),
    "gemma": _lin("gemma", ("<start_of_turn>user\n", "\n\n", "<start_of_turn>user\n", "<end_of_turn>\n",
                            "<start_of_turn>model\n", "<end_of_turn>\n"),
                  ("llama", "default", 256000, 2, 1), licenses.GEMMA,
                  (("stop", "<start_of_turn>"), ("stop", "<end_of_turn>")), 8192, 10000.0, 1e-6,
                  ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")),
    "gemma3": _lin("gemma3", ("<start_of_turn>user\n", "\n\n", "<start_of_turn>user\n", "<end_of_turn>\n",
                              "<start_of_turn>model\n", "<end_of_turn>\n"),
                   ("llama", "default", 262144, 2, 1), licenses.GEMMA,
                   (("stop", "<end_of_turn>"), ("temperature", 1.0), ("top_k", 64), ("top_p", 0.95)),
                   131072, 1000000.0, 1e-6),
    "phi": _lin("phi", ("<|im_start|>system<|im_sep|>", "<|im_end|>", "<|im_start|>user<|im_sep|>", "<|im_end|>",
                        "<|im_start|>assistant<|im_sep|>", "<|im_end|>"),
                ("gpt2", "dbrx", 100352, 100257, 100265), licenses.MIT_MICROSOFT,
                (("stop", "<|im_start|>"), ("stop", "<|im_end|>"), ("stop", "<|im_sep|>")), 16384, 250000.0),
    "deepseek": _lin("deepseek", ("", "", "<｜User｜>", "", "<｜Assistant｜>", "<｜end▁of▁sentence｜>"),
                     ("gpt2", "qwen2", 152064, 151646, 151643), licenses.MIT_DEEPSEEK,
                     (("stop", "<｜begin▁of▁sentence｜>"), ("stop", "<｜end▁of▁sentence｜>"), ("stop", "<｜User｜>"),
                      ("stop", "<｜Assistant｜>"), ("temperature", 0.6)), 131072, 10000.0, 1e-6),
    "bert": _lin("bert", ("", "", "", "", "", ""), ("bert", None, 30522, 101, 102), licenses.APACHE2,
                 (("num_ctx", 8192),), 2048, 1000.0, 1e-12),
    "generic": _lin("generic", _CHATML, ("gpt2", "default", 65536, 1, 2), licenses.APACHE2,
                    (("stop", "<|im_end|>"),), 32768, 10000.0),
}


def lineage_for(name: str, family: str, lineage: str | None = None) -> Lineage:
    """The dialect a model speaks, from its display name first and its GGUF architecture second. ``lineage``, the
    catalog lineage the world built the model from, stands in for the name when given: a custom model (``coder``,
    ``hf.co/someone/...-GGUF``) speaks the template and carries the license of what it was made FROM."""
    base = (lineage or name).rsplit("/", 1)[-1].lower()
    fam = family.lower()
    if fam in ("bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2") or "embed" in base:
        return LINEAGES["bert"]
    if base.startswith(("deepseek-r1", "deepseek")) or fam == "deepseek2":
        return LINEAGES["deepseek"]
    if fam.startswith("gemma3") or fam.startswith("gemma4") or base.startswith(("gemma3", "gemma4")):
        return LINEAGES["gemma3"]
    if fam.startswith("gemma") or base.startswith("gemma"):
        return LINEAGES["gemma"]
    if fam.startswith("phi") or base.startswith("phi"):
        return LINEAGES["phi"]
    if base.startswith("qwen3") or fam.startswith("qwen3"):
        return LINEAGES["qwen3"]
    if base.startswith(("qwen:", "qwen-")) or fam == "qwen":
        return LINEAGES["qwen1"]
    if fam.startswith("qwen") or base.startswith("qwen"):
        return LINEAGES["qwen"]
    if fam == "llama":
        if base.startswith(("llama3.1", "llama-3.1")):
            return LINEAGES["llama31"]
        if base.startswith(("llama3.3", "llama-3.3")):  # same dialect as 3.1, its own licence
            return LINEAGES["llama33"]
        if base.startswith(("llama3.2", "llama-3.2")):
            return LINEAGES["llama32"]
        if base.startswith(("llama3", "llama-3")):
            return LINEAGES["llama3"]
        if base.startswith(("mistral", "mixtral", "codestral", "dolphin-mistral", "openhermes", "zephyr")):
            return LINEAGES["mistral"]
        return LINEAGES["llama2"]
    return LINEAGES["generic"]


def _h(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:8], "big")


def parse_parameter_size(text: str) -> float:
    """``"8.0B"`` → 8.0e9, ``"137M"`` → 1.37e8, ``"1T"`` → 1e12; unparseable → 7e9."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMBT]?)\s*", text or "", re.IGNORECASE)
    if not m:
        return 7e9
    unit = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}[m.group(2).upper()]
    return float(m.group(1)) * unit


def parameter_count(parameter_size: str, salt: str) -> int:
    """An exact count that Ollama's ``format.HumanNumber`` prints back as ``parameter_size``."""
    value = parse_parameter_size(parameter_size)
    decimals = len(parameter_size.split(".")[1].rstrip("KMBTkmbt ")) if "." in parameter_size else 0
    unit = 1e9 if value >= 1e9 else 1e6 if value >= 1e6 else 1.0
    half = 0.5 * unit * 10.0**-decimals
    jitter = ((_h("count", salt) % 1000) / 1000.0 - 0.5) * 0.8 * half
    if decimals and jitter == 0:
        jitter = 0.01 * half
    return max(1, round(value + jitter))


def _dims(count: int) -> tuple[int, int, int, int]:
    """(embedding_length, block_count, head_count, feed_forward_length) plausible for a dense model."""
    table = ((2e8, 768, 12, 12), (6e8, 1024, 24, 16), (1.3e9, 2048, 16, 32), (2.2e9, 2048, 28, 16),
             (4.5e9, 3072, 28, 24), (9.5e9, 4096, 32, 32), (16e9, 5120, 40, 40), (36e9, 5120, 64, 64),
             (80e9, 8192, 80, 64))
    for limit, emb, blocks, heads in table:
        if count < limit:
            return emb, blocks, heads, emb * 7 // 2 // 256 * 256
    return 12288, 96, 96, 28672


def _template(lin: Lineage, caps: set[str]) -> str:
    """Go template for the lineage; variable references follow the capability set exactly."""
    if lin.name == "bert" or "embedding" in caps:
        return "{{ .Prompt }}"
    tools, insert, thinking = "tools" in caps, "insert" in caps, "thinking" in caps
    if not (tools or thinking):
        body = (f"{{{{ if .System }}}}{lin.sys_open}{{{{ .System }}}}{lin.sys_close}{{{{ end }}}}"
                f"{{{{ if .Prompt }}}}{lin.user_open}{{{{ .Prompt }}}}{lin.user_close}{{{{ end }}}}"
                f"{lin.asst_open}{{{{ .Response }}}}{lin.asst_close}")
    else:
        parts = [f"{{{{- if .System }}}}{lin.sys_open}{{{{ .System }}}}{lin.sys_close}{{{{ end }}}}"]
        if tools:
            parts.append(
                f"{{{{- if .Tools }}}}{lin.sys_open}You may call one or more functions to assist with the user query."
                "\n\n<tools>\n{{- range .Tools }}\n{{ . }}\n{{- end }}\n</tools>\n\nFor each function call, return "
                "a json object with function name and arguments within <tool_call></tool_call> XML tags."
                f"{lin.sys_close}{{{{ end }}}}"
            )
        parts.append("{{- range $i, $_ := .Messages }}\n{{- $last := eq (len (slice $.Messages $i)) 1 -}}")
        parts.append(f'\n{{{{- if eq .Role "user" }}}}{lin.user_open}{{{{ .Content }}}}{lin.user_close}')
        # No "{{-" inside turns: it would eat the newline that ends the previous marker.
        asst = f'{{{{ else if eq .Role "assistant" }}}}{lin.asst_open}'
        if thinking:
            asst += "{{ if .Thinking }}<think>{{ .Thinking }}</think>\n{{ end }}"
        asst += "{{ .Content }}"
        if tools:
            asst += ('{{ if .ToolCalls }}<tool_call>{{ range .ToolCalls }}\n{"name": "{{ .Function.Name }}", '
                     '"arguments": {{ .Function.Arguments }}}{{ end }}\n</tool_call>{{ end }}')
        asst += f"{{{{ if not $last }}}}{lin.asst_close}{{{{ end }}}}"
        parts.append(asst)
        if tools:
            parts.append(f'{{{{ else if eq .Role "tool" }}}}{lin.user_open}<tool_response>\n{{{{ .Content }}}}'
                         f"\n</tool_response>{lin.user_close}")
        parts.append(f'{{{{ end }}}}\n{{{{- if and (ne .Role "assistant") $last }}}}{lin.asst_open}'
                     "{{ end }}\n{{- end }}")
        body = "".join(parts)
    if insert:
        pre, suf, mid = lin.fim
        fim = f"{{{{- if .Suffix }}}}{pre}{{{{ .Prompt }}}}{suf}{{{{ .Suffix }}}}{mid}\n"
        return f"{fim}{{{{- else }}}}{body}{{{{- end }}}}"
    return body


def _context_for(lin: Lineage, base: str, count: int) -> int:
    if lin.name == "gemma3" and count < 1.5e9:
        return 32768
    if lin.name == "phi" and base.startswith("phi3"):
        return 131072
    if lin.name == "qwen" and "coder" in base:
        return 32768
    return lin.context


def order_capabilities(caps: tuple[str, ...] | set[str]) -> tuple[str, ...]:
    """Newest Ollama order: completion|embedding, vision, audio, image, tools, insert, thinking."""
    have = set(caps)
    if not have & {"completion", "embedding", "image"}:
        have.add("completion")
    return tuple(c for c in CAPABILITY_ORDER if c in have)


def build_show(
    name: str,
    family: str,
    families: tuple[str, ...] | None,
    parameter_size: str,
    quantization: str,
    capabilities: tuple[str, ...],
    system: str | None = None,
    digest: str = "",
    models_dir: str | None = None,
    context_length: int | None = None,
    embedding_length: int | None = None,
    lineage: str | None = None,
) -> ShowData:
    """Deterministic ShowData for a model. ``models_dir`` defaults to one of the two usual Linux
    locations, chosen from the digest (Docker image as root vs. the install script's ``ollama`` user); ``lineage``
    as for ``lineage_for``."""
    lin = lineage_for(name, family, lineage)
    caps = order_capabilities(capabilities)
    capset = set(caps)
    salt = digest or name
    arch = family or "llama"
    base = name.rsplit("/", 1)[-1].lower()
    count = parameter_count(parameter_size, salt)
    emb, blocks, heads, ffn = _dims(count)
    emb = embedding_length or emb
    ctx = context_length or _context_for(lin, base, count)
    quant = quantization.upper()
    if quant not in FILE_TYPES:
        tag = name.rsplit(":", 1)[-1].upper()
        quant = tag if tag in FILE_TYPES else "Q4_K_M"
    info: dict[str, object] = {
        "general.architecture": arch,
        "general.basename": base.split(":")[0],
        "general.file_type": FILE_TYPES[quant],
        "general.parameter_count": count,
        "general.quantization_version": 2,
        f"{arch}.block_count": blocks,
        f"{arch}.context_length": ctx,
        f"{arch}.embedding_length": emb,
        f"{arch}.feed_forward_length": ffn,
        f"{arch}.attention.head_count": heads,
        "tokenizer.ggml.model": lin.tokenizer,
        "tokenizer.ggml.bos_token_id": lin.bos,
        "tokenizer.ggml.eos_token_id": lin.eos,
        "tokenizer.ggml.tokens": None,  # non-verbose show: arrays decode lazily and serialise as null
        "tokenizer.ggml.token_type": None,
    }
    if lin.name == "bert":
        info[f"{arch}.attention.causal"] = False
        info[f"{arch}.attention.layer_norm_epsilon"] = lin.norm_eps
        info[f"{arch}.pooling_type"] = 1
        info["tokenizer.ggml.padding_token_id"] = 0
        info["tokenizer.ggml.token_type_count"] = 2
    else:
        info[f"{arch}.attention.head_count_kv"] = max(1, heads // 4)
        info[f"{arch}.attention.layer_norm_rms_epsilon"] = lin.norm_eps
        info[f"{arch}.rope.freq_base"] = lin.rope_base
        info[f"{arch}.vocab_size"] = lin.vocab
    if lin.pre:
        info["tokenizer.ggml.pre"] = lin.pre
    if lin.tokenizer == "gpt2":
        info["tokenizer.ggml.merges"] = None
    else:
        info["tokenizer.ggml.scores"] = None
    clip = bool(families and "clip" in families)
    if "vision" in capset and not clip:
        info[f"{arch}.vision.block_count"] = 27 if count < 8e9 else 32
        info[f"{arch}.vision.embedding_length"] = 1152
        info[f"{arch}.vision.image_size"] = 896
        info[f"{arch}.vision.patch_size"] = 14
    projector = None
    if clip:
        projector = {
            "clip.has_llava_projector": True, "clip.has_text_encoder": False, "clip.has_vision_encoder": True,
            "clip.projector_type": "mlp", "clip.use_gelu": False, "clip.vision.attention.head_count": 16,
            "clip.vision.attention.layer_norm_epsilon": 1e-5, "clip.vision.block_count": 23,
            "clip.vision.embedding_length": 1024, "clip.vision.feed_forward_length": 4096,
            "clip.vision.image_mean": None, "clip.vision.image_size": 336, "clip.vision.image_std": None,
            "clip.vision.patch_size": 14, "clip.vision.projection_dim": 768, "general.architecture": "clip",
            "general.file_type": 1, "general.parameter_count": 311841408 + _h("clip", salt) % 1000,
        }
    params = "\n".join(f"{k:<30} {go_sharp_v(v)}" for k, v in lin.params)
    blob = hashlib.sha256(f"weights:{salt}".encode()).hexdigest()
    if models_dir is None:
        models_dir = "/usr/share/ollama/.ollama/models" if _h("dir", salt) % 3 == 0 else "/root/.ollama/models"
    renderer = parser = None
    if base.startswith("qwen3-coder"):
        renderer = parser = "qwen3-coder"
    elif base.startswith("gemma4"):
        renderer = parser = "gemma4"
    return ShowData(
        license=lin.license,
        modelfile_from=f"{models_dir}/blobs/sha256-{blob}",
        parameters=params,
        template=_template(lin, capset),
        system=system,
        model_info=info,
        projector_info=projector,
        capabilities=caps,
        renderer=renderer,
        parser=parser,
    )
