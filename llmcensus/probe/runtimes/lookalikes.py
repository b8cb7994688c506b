"""Runtime verdict from evidence markers: Ollama versus the look-alikes that answer its paths.

Evidence markers are short stable strings recorded in ``runtime_evidence`` (protocols.md §2, §14):

    root_banner                 GET / answered exactly "Ollama is running" (Ollama, and LocalAI's emulation)
    root_html                   GET / answered an HTML page
    root_title:open_webui       ... whose <title> is Open WebUI
    server_header:<name>        a Server header (lower-cased product token); real Ollama sends none
    proxy:<name>                that Server header is a known reverse proxy (nginx, caddy, ...)
    version_json                /api/version is {"version": "..."}
    version_const:0.9.0         ... with LocalAI's constant
    json_trailing_newline       /api/version ends with a newline (Go json.Encoder, e.g. echo); Ollama's gin: none
    charset_upper               a Content-Type with "charset=UTF-8" (echo) where gin writes "charset=utf-8"
    tags_models_list            /api/tags has a "models" list
    tags_hybrid_object_list     /api/tags also carries "object":"list","data":[...] (llama.cpp)
    tags_detail_json            /api/tags answered FastAPI's {"detail": ...} (Open WebUI without a session)
    digest_hex64                every digest is 64 lowercase hex (Ollama manifests)
    digest_prefix:sha256        a digest starts with "sha256:" (LocalAI)
    digest_prefix:sha256:sglang a digest starts with "sha256:sglang" (SGLang)
    format:<f>                  a details.format other than gguf/safetensors/"" (e.g. sglang)
    family:koboldcpp            details.family "koboldcpp"
    size_string                 a model size sent as a string ("" on llama.cpp)
    modified_at_now             every modified_at is within 2 minutes of the reply's Date (LocalAI)
    modified_at_ms              every modified_at has exactly 3 fraction digits (SGLang)
    tags_empty                  /api/tags listed no model
    tags_extra_keys             /api/tags has top-level keys beside "models" (a canned generate reply's, in a real farm)
    tags_key_order              an entry's keys out of the order every Ollama version writes them in
    tags_unsorted               entries not newest first (Ollama sorts by modified_at, whole seconds, descending)
    tags_expires_zero           every tags entry has Go's zero expires_at and no size_vram: genuine v0.1.38-v0.1.41
    tags_ps_fields              other expires_at/size_vram inside /api/tags entries, or the zero expires_at under a
                                version outside v0.1.38-v0.1.41 (a schema slip no Ollama version makes)

The probe only records; it never decides "honeypot" (that needs many hosts: analysis does it).
"""

from __future__ import annotations

from collections.abc import Collection

from llmcensus.observations.schema import Runtime

PROXIES = ("nginx", "openresty", "apache", "caddy", "traefik", "envoy", "cloudflare", "haproxy", "lighttpd",
           "litespeed", "microsoft-iis", "varnish", "squid")


def server_evidence(server: str | None) -> list[str]:
    if not server:
        return []
    token = server.strip().split("/", 1)[0].split(" ", 1)[0].lower()
    if not token:
        return []
    out = [f"server_header:{token}"]
    if token in PROXIES:
        out.append(f"proxy:{token}")
    return out


def is_proxy(server: str | None) -> bool:
    return any(e.startswith("proxy:") for e in server_evidence(server))


def classify(evidence: Collection[str]) -> Runtime | None:
    """First matching rule wins; the order encodes which marker is strongest. None = no LLM runtime seen."""
    ev = set(evidence)
    if "server_header:llama.cpp" in ev or "tags_hybrid_object_list" in ev:
        return Runtime.LLAMA_CPP
    if "server_header:concedollamaforkoboldserver" in ev or "family:koboldcpp" in ev:
        return Runtime.KOBOLDCPP
    if "digest_prefix:sha256:sglang" in ev or "format:sglang" in ev:
        return Runtime.SGLANG
    if "root_title:open_webui" in ev or ("tags_detail_json" in ev and "root_html" in ev):
        return Runtime.OPEN_WEBUI
    if "digest_prefix:sha256" in ev:
        return Runtime.LOCALAI
    if "version_const:0.9.0" in ev and ev & {"modified_at_now", "json_trailing_newline", "charset_upper"}:
        return Runtime.LOCALAI  # Ollama 0.9.0 exists: the constant alone proves nothing, echo's habits do
    # /api/version alone is no evidence: many unrelated APIs answer {"version": ...} at that path.
    if "root_html" in ev and "root_banner" not in ev and "tags_empty" in ev and "version_json" not in ev:
        return None  # a web page with an empty models list and no version: nothing Ollama-shaped was seen
    if "root_banner" in ev or "tags_models_list" in ev:
        return Runtime.OLLAMA
    return None
