"""What one simulated host looks like on one simulated day.

The population model (``population.py``) produces these views; the wire layer (``wire/``) renders
them into exact reply bytes; the server (``serve.py``) routes connections to them. Views are
immutable: advancing the day swaps whole views, it never mutates one in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Behaviour(StrEnum):
    """How a simulated host answers. Stable names: they are ground-truth labels too.

    A runtime's name is its ``Runtime`` value (``vllm``, ``llama_cpp`` …). Key-protected variants are not separate
    behaviours: ``HostView.extra["api_key"] = "1"`` switches vLLM, llama.cpp and LiteLLM to their keyed replies;
    Open WebUI always keeps its models behind a login (see ``wire/runtimes.py`` for every ``extra`` key)."""

    OLLAMA = "ollama"  # a genuine Ollama of the given version
    HONEYPOT = "honeypot"  # clone-farm member: canned inventory, identical nanosecond timestamps, schema slips
    LOCALAI = "localai"  # LocalAI's Ollama emulation (version 0.9.0 constant, sha256: digests, now() times)
    LLAMA_CPP = "llama_cpp"  # llama-server answering /api/tags with its OpenAI+Ollama hybrid body
    SGLANG = "sglang"  # SGLang's Ollama emulation
    OPEN_WEBUI = "open_webui"  # Open WebUI front end (HTML at /, /api/config JSON)
    KOBOLDCPP = "koboldcpp"  # KoboldCpp (Server: ConcedoLlamaForKoboldServer)
    AUTH_401 = "auth_401"  # Ollama behind a proxy demanding credentials (401 + WWW-Authenticate)
    AUTH_403 = "auth_403"  # Ollama behind a proxy refusing our address (403)
    SILENT = "silent"  # accepts the TCP connection and never answers
    REFUSED = "refused"  # nothing listens: connection refused
    GARBAGE = "garbage"  # answers bytes that are not HTTP
    # Runtimes beyond Ollama (issue #16; wire/runtimes.py). Their own version is ``extra["version"]``.
    VLLM = "vllm"  # vLLM's OpenAI server (FastAPI); extra["api_key"] = "1" for --api-key
    LM_STUDIO = "lm_studio"  # LM Studio's server (Express)
    TGI = "tgi"  # Hugging Face text-generation-inference router (axum)
    TEXT_GENERATION_WEBUI = "text_generation_webui"  # oobabooga's OpenAI extension (FastAPI)
    LITELLM = "litellm"  # LiteLLM proxy (FastAPI); extra["api_key"] = "1" for a master key
    OPENAI_COMPATIBLE = "openai_compatible"  # a server naming no product: only /v1/models
    NOT_LLM = "not_llm"  # a web server that is no LLM runtime (extra["kind"]: nginx, fastapi, version_api)


@dataclass(frozen=True, slots=True)
class ShowData:
    """What ``POST /api/show`` knows about one digest, in its newest form.

    The wire layer drops fields the host's version does not have (see protocols.md §1.13).
    """

    license: str
    modelfile_from: str  # e.g. "/root/.ollama/models/blobs/sha256-<hex>"
    parameters: str  # already formatted "key<pad>value" lines, newline-joined
    template: str
    system: str | None
    model_info: dict[str, object]  # GGUF KVs, arrays already null; keys are sorted at render time
    projector_info: dict[str, object] | None
    capabilities: tuple[str, ...]  # newest capability list for this model (rendered only on >= 0.6.4)
    renderer: str | None = None
    parser: str | None = None


@dataclass(frozen=True, slots=True)
class ModelView:
    """One entry of a host's ``/api/tags`` as the newest Ollama would serve it."""

    name: str  # display name: "llama3.2:latest", "huihui_ai/qwen3-abliterated:8b", "hf.co/org/repo:Q4_K_M"
    digest: str  # 64 lowercase hex, no prefix
    size: int
    modified_at_ns: int  # Unix nanoseconds (rendered in the host's zone, RFC3339Nano, zeros trimmed)
    format: str  # "gguf", "" for cloud stubs
    family: str
    families: tuple[str, ...] | None
    parameter_size: str
    quantization_level: str
    context_length: int | None = None  # details.context_length (tags, v0.30+)
    embedding_length: int | None = None
    remote_model: str | None = None  # cloud stubs (v0.12+)
    remote_host: str | None = None
    capabilities: tuple[str, ...] = ()  # tags capabilities (v0.30+)
    parent_model: str = ""  # filled by v0.30+ only
    show: ShowData | None = None


@dataclass(frozen=True, slots=True)
class RunningView:
    """One entry of ``/api/ps``."""

    model: ModelView
    size: int  # RAM+VRAM bytes of the runner
    size_vram: int
    expires_at_ns: int  # Unix nanoseconds; keep_alive -1 gives year 2318
    context_length: int


@dataclass(frozen=True, slots=True)
class HostView:
    """Everything the wire layer needs to answer as this host on this day."""

    host_id: int
    ip: str  # public identity (what probes target and observations record)
    port: int
    scheme: str  # "http" | "https" (https hosts are served with a self-signed certificate)
    behaviour: Behaviour
    version: str  # Ollama version string ("0.5.7", "0.12.6", "0.0.0" for source builds)
    tz_offset_min: int  # the host's UTC offset, for timestamps in its zone
    models: tuple[ModelView, ...] = ()
    running: tuple[RunningView, ...] = ()
    origins_wildcard: bool = False  # OLLAMA_ORIGINS=* (foreign Origin gets 200 instead of 403)
    proxy: str | None = None  # "nginx" when a reverse proxy sits in front (adds its Server header)
    extra: dict[str, str] = field(default_factory=dict)  # persona details (e.g. LocalAI backend name)


@dataclass(frozen=True, slots=True)
class Request:
    """A parsed request as the server hands it to the wire layer."""

    method: str
    path: str  # without the query string
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """Exact reply to send. ``headers`` are in wire order; Date and Content-Length are added by the server."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    close: bool = False  # close the connection after sending
