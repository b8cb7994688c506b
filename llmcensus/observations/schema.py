"""Observation schema v3: one record per (target, port) per sweep, whatever happened.

v3 (issue #15) stores a visit's model list once per distinct list, in the inventory store
(``observations/inventories.py``): the row keeps ``inventory_hash`` and each model's ``show_status`` in
``model_show_status``, and ``models`` is null. Readers put the list back (``Inventories.resolve``,
``inventories.resolved_sql``); a row with a null ``inventory_hash`` keeps ``models`` inline, as every v1 and v2
row does. Nothing is rewritten.

v2 (issue #16) adds ``runtime_data``: what a runtime says that has no common field, as JSON text, one
object per runtime (zgrab2's ``data[module]``). Everything else is as in v1, and the v1 fields mean the
same for every runtime (MODEL's ``name`` is the model id as listed, ``digest`` the digest or revision,
``quantization_level`` the quantization or dtype, ``context_length`` the context the server accepts).
A v1 dataset reads as v2 with ``runtime_data`` null; nothing is rewritten.

Still within v2 (unreleased), an exchange's raw body moved from ``body_zstd`` (inline) to the body store,
referred to by ``body_hash``; ``body_zstd`` stays in the struct so earlier files still read, and
``observations.bodies.resolve_exchanges`` gives the bytes whichever of the two a row has.

This module is the contract between the probe (which writes observations), the simulator's fast
path (which writes the same records without HTTP) and every later stage. ``docs/schema.md``
documents each field and how to interpret it; a test fails when a field here is not documented.

Conventions:
* ``null`` means *unknown or not exposed by this host's version*, never "false" or "empty".
  An empty model list is ``[]``; a host whose ``/api/tags`` we could not read has ``models = null``.
* Times are UTC. Raw server timestamps are also kept as the exact string the host sent.
* Names are stable data (lowercase snake_case) and appear verbatim as GROUP BY keys.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = 3


class Status(StrEnum):
    """Outcome of one visit. Exactly one per observation; definitions are one line each."""

    SUCCESS = "success"  # the host answered and was fingerprinted (runtime known, inventory read if any)
    CONNECTION_REFUSED = "connection_refused"  # TCP RST / nothing listening on the port
    CONNECTION_TIMEOUT = "connection_timeout"  # TCP connect did not complete within the connect timeout
    READ_TIMEOUT = "read_timeout"  # connected, but no complete response within the read/total timeout
    TLS_ERROR = "tls_error"  # TLS handshake failed (wrong protocol, bad certificate, reset during handshake)
    HTTP_ERROR = "http_error"  # an HTTP reply that is neither usable nor auth (5xx, unexpected 4xx, redirect)
    AUTH_REQUIRED = "auth_required"  # 401/403 on the metadata endpoints: the service is protected
    NOT_LLM = "not_llm"  # a working HTTP service that is not an LLM runtime we recognise
    PROTOCOL_ERROR = "protocol_error"  # the reply breaks HTTP or the runtime's schema (garbage, bad JSON)
    TRUNCATED = "truncated"  # a reply exceeded the response-size cap; what was read is kept
    BLOCKED = "blocked"  # never contacted: the address is on the blocklist or opt-out list
    UNKNOWN_ERROR = "unknown_error"  # anything else, including a bug in our parser (error holds the text)


STATUS_DEFINITIONS: dict[str, str] = {
    "success": "the host answered and was fingerprinted (runtime known, inventory read where exposed)",
    "connection_refused": "TCP connection refused: nothing listens on that port",
    "connection_timeout": "TCP connect did not complete within the connect timeout",
    "read_timeout": "connected, but no complete response within the read or total timeout",
    "tls_error": "TLS handshake failed",
    "http_error": "an HTTP reply that is neither usable nor an auth challenge (5xx, unexpected 4xx, redirect)",
    "auth_required": "401 or 403 on the metadata endpoints: the service is protected",
    "not_llm": "a working HTTP service that is not an LLM runtime we recognise",
    "protocol_error": "the reply breaks HTTP or the runtime's schema (garbage bytes, invalid JSON)",
    "truncated": "a reply exceeded the response-size cap; what was read is kept",
    "blocked": "never contacted: the address is on the blocklist or an opt-out list",
    "unknown_error": "anything else, including a bug in our own parser (the error field says what)",
}


class Runtime(StrEnum):
    """Runtime verdicts. ``unknown`` = answered HTTP but no fingerprint matched."""

    OLLAMA = "ollama"
    LOCALAI = "localai"
    LLAMA_CPP = "llama_cpp"
    SGLANG = "sglang"
    OPEN_WEBUI = "open_webui"
    KOBOLDCPP = "koboldcpp"
    VLLM = "vllm"
    LM_STUDIO = "lm_studio"
    TGI = "tgi"
    TEXT_GENERATION_WEBUI = "text_generation_webui"
    LITELLM = "litellm"
    OPENAI_COMPATIBLE = "openai_compatible"  # answers /v1/models in OpenAI's shape, names no product
    UNKNOWN = "unknown"


class Auth(StrEnum):
    """Authentication posture seen on the metadata endpoints."""

    OPEN = "open"  # metadata readable without credentials
    AUTH_REQUIRED = "auth_required"  # 401 (a challenge: basic/bearer)
    FORBIDDEN = "forbidden"  # 403 (IP allow-list, proxy rule, foreign-origin rejection)
    UNKNOWN = "unknown"  # never got an HTTP answer


class ShowStatus(StrEnum):
    """Where the per-model ``/api/show`` fields of a model came from."""

    FETCHED = "fetched"  # requested from this host in this sweep (this visit, or the one a crash interrupted)
    CACHED = "cached"  # what this same host said in an earlier sweep; never taken from another host
    SKIPPED_BUDGET = "skipped_budget"  # not fetched: the per-host request budget was spent
    ERROR = "error"  # requested, but the reply was unusable
    NOT_APPLICABLE = "not_applicable"  # cloud stub or look-alike where show means nothing
    FASTPATH = "fastpath"  # generated by the simulator's fast path, not probed


MODEL = pa.struct(
    [
        # --- straight from /api/tags (every field of every version; null when the version lacks it)
        pa.field("name", pa.string()),
        pa.field("model", pa.string()),
        pa.field("modified_at", pa.string()),  # exact string the host sent (zone, nanoseconds)
        pa.field("modified_at_utc", pa.timestamp("us", tz="UTC")),
        pa.field("size", pa.int64()),  # bytes on disk (manifest layers + config); a few hundred for cloud stubs
        pa.field("digest", pa.string()),  # 64 hex, no sha256: prefix on real Ollama
        pa.field("parent_model", pa.string()),
        pa.field("format", pa.string()),  # gguf | safetensors | "" (cloud stub)
        pa.field("family", pa.string()),  # details.family = GGUF general.architecture
        pa.field("families", pa.list_(pa.string())),  # may be null on old library blobs
        pa.field("parameter_size", pa.string()),  # as sent: "8.0B", "751.63M", "7B"
        pa.field("quantization_level", pa.string()),  # as sent: Q4_K_M, F16, MXFP4, unknown
        pa.field("context_length", pa.int64()),  # tags details, v0.30.0+
        pa.field("embedding_length", pa.int64()),  # tags details, v0.30.0+
        pa.field("remote_model", pa.string()),  # cloud-proxied models, v0.12.0+
        pa.field("remote_host", pa.string()),
        pa.field("tags_capabilities", pa.list_(pa.string())),  # /api/tags capabilities, v0.30.0+
        # --- from POST /api/show for this model's digest (see ShowStatus for provenance)
        pa.field("show_status", pa.string()),
        pa.field("capabilities", pa.list_(pa.string())),  # /api/show capabilities, v0.6.4+; null before
        pa.field("system", pa.string()),  # system prompt (show.system or Modelfile SYSTEM); null = none visible
        pa.field("template_sha", pa.string()),  # sha256 of the template (text lives in the show dataset)
        pa.field("template_flags", pa.list_(pa.string())),  # tools|suffix|thinking|system: Go-template references
        pa.field("license_head", pa.string()),  # first 200 characters of the license
        pa.field("parameters", pa.string()),  # Modelfile PARAMETER lines as sent
        pa.field("modelfile_from", pa.string()),  # the FROM line of the generated Modelfile
        pa.field("arch", pa.string()),  # model_info general.architecture
        pa.field("parameter_count", pa.int64()),  # model_info general.parameter_count
        pa.field("train_context_length", pa.int64()),  # model_info <arch>.context_length
        pa.field("has_projector", pa.bool_()),  # projector_info present or "clip" in families
        pa.field("show_keys", pa.list_(pa.string())),  # top-level keys of the show reply (version evidence)
    ]
)

RUNNING = pa.struct(
    [
        pa.field("name", pa.string()),
        pa.field("model", pa.string()),
        pa.field("size", pa.int64()),  # bytes of RAM+VRAM of the loaded runner (not the disk size)
        pa.field("digest", pa.string()),
        pa.field("family", pa.string()),
        pa.field("parameter_size", pa.string()),
        pa.field("quantization_level", pa.string()),
        pa.field("expires_at", pa.string()),  # as sent; year 2318/2319 = pinned with keep_alive -1
        pa.field("size_vram", pa.int64()),  # 0 = CPU only, == size = fully on GPU; null = not sent
        pa.field("context_length", pa.int64()),  # runtime num_ctx, v0.10.0+; null before
    ]
)

EXCHANGE = pa.struct(
    [
        pa.field("method", pa.string()),
        pa.field("path", pa.string()),
        pa.field("status", pa.int16()),  # HTTP status; null when no reply
        pa.field("content_type", pa.string()),
        pa.field("server", pa.string()),  # Server header; null = none sent (real Ollama sends none)
        pa.field("allow", pa.string()),  # Allow header (405 replies)
        pa.field("bytes", pa.int64()),  # body bytes read (capped)
        pa.field("ms", pa.float32()),  # time to the complete reply, rounded to 0.1 ms (since the body store)
        pa.field("truncated", pa.bool_()),
        pa.field("error", pa.string()),
        # The raw body is kept once, in the body store (``observations/bodies.py``), under this content hash
        # (blake2b-128 hex of the body as read, capped); null when no reply. Rows written before the body store
        # (v1, and v2 before it) carry the body inline in ``body_zstd`` instead; new rows leave that null.
        pa.field("body_zstd", pa.binary()),  # raw body, zstd-compressed, capped: rows before the body store
        pa.field("body_hash", pa.string()),
    ]
)

_TOP: list[pa.Field[Any]] = [
    pa.field("schema_version", pa.int16(), nullable=False),
    pa.field("observation_id", pa.string(), nullable=False),  # sha1(sweep_id|ip|port)[:24]
    pa.field("sweep_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),  # probe | fastpath
    pa.field("observed_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("day", pa.date32(), nullable=False),  # UTC date of observed_at (partition key)
    pa.field("ip", pa.string(), nullable=False),  # the public identity of the target
    pa.field("port", pa.int32(), nullable=False),
    pa.field("scheme", pa.string(), nullable=False),  # http | https
    pa.field("dial_ip", pa.string()),  # where we actually connected when a dial map was used
    pa.field("dial_port", pa.int32()),
    pa.field("status", pa.string(), nullable=False),  # Status
    pa.field("error", pa.string()),  # one line; null on success
    pa.field("runtime", pa.string()),  # Runtime; null when no HTTP answer
    pa.field("runtime_evidence", pa.list_(pa.string())),  # the markers behind the verdict
    pa.field("version", pa.string()),  # /api/version as sent
    pa.field("auth", pa.string(), nullable=False),  # Auth
    pa.field("proxied", pa.bool_()),  # a reverse proxy answered in front (Server: nginx, ...)
    pa.field("server_header", pa.string()),
    pa.field("runtime_data", pa.string()),  # v2: {"<runtime>": {...}} as JSON text; null when none (and in v1)
    pa.field("models", pa.list_(MODEL)),  # null = not read (or stored by inventory_hash); [] = empty inventory
    pa.field("inventory_hash", pa.string()),  # v3: the model list is in the inventory store under this hash
    pa.field("model_show_status", pa.list_(pa.string())),  # v3: each stored model's show_status, in list order
    pa.field("model_count", pa.int32()),
    pa.field("running", pa.list_(RUNNING)),  # null = /api/ps not read or not present (< v0.1.38)
    pa.field("running_count", pa.int32()),
    pa.field("requests", pa.int16(), nullable=False),  # HTTP requests sent on this visit
    pa.field("elapsed_ms", pa.float32()),  # rounded to 0.1 ms (since the body store)
    pa.field("exchanges", pa.list_(EXCHANGE)),  # every request of the visit, with its raw reply
]
OBSERVATION_SCHEMA = pa.schema(_TOP)

FIELD_NAMES: tuple[str, ...] = tuple(OBSERVATION_SCHEMA.names)


def model_field_names() -> tuple[str, ...]:
    return tuple(f.name for f in MODEL)


def running_field_names() -> tuple[str, ...]:
    return tuple(f.name for f in RUNNING)


def exchange_field_names() -> tuple[str, ...]:
    return tuple(f.name for f in EXCHANGE)
