"""Ollama model names: ``[host/][namespace/]model[:tag][@digest]``.

Hosts send ``name`` in its shortest display form (protocols.md §1.14): ``model:tag`` for the
default registry and namespace (``registry.ollama.ai/library``), ``ns/model:tag`` for a user
namespace on the default registry, ``host/ns/model:tag`` for other hosts (``hf.co/org/repo:Q4_K_M``).
A bare ``model:tag`` is therefore either an official library model *or* a locally created model:
the name alone cannot tell them apart (the digest can, see ``lineage.py``).

Parsing never fails: hostile or malformed names come back with whatever parts could be read and
``valid=False``, because names are data from probed hosts, not input errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_REGISTRY = "registry.ollama.ai"
HF_REGISTRIES = frozenset({"hf.co", "huggingface.co", "www.huggingface.co"})

# Part patterns from types/model/name.go (host allows a port; model and tag <= 80 characters).
_HOST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}$")
_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")
_DIGEST = re.compile(r"^(?:sha256[:-])?([0-9a-fA-F]{12,64})$")


@dataclass(frozen=True, slots=True)
class ParsedName:
    raw: str
    registry: str  # lowercase host; registry.ollama.ai when none was given
    namespace: str | None  # None = default namespace (library or a locally created model)
    model: str  # model part as sent (case kept); for hf.co pulls the repository name
    tag: str  # "latest" when none was given
    digest: str | None  # from an explicit @digest suffix, lowercase hex without prefix
    is_cloud: bool  # ":cloud" tag or "-cloud" tag suffix (proxied to ollama.com)
    is_hf: bool  # pulled from Hugging Face (hf.co / huggingface.co)
    valid: bool  # every part matches Ollama's own name grammar

    @property
    def is_default_namespace(self) -> bool:
        """True for ``model:tag`` and ``registry.ollama.ai/library/model:tag``."""
        return self.registry == DEFAULT_REGISTRY and self.namespace in (None, "library")

    @property
    def model_lower(self) -> str:
        return self.model.lower()


def parse_name(name: str) -> ParsedName:
    """Split one model name into its parts (never raises)."""
    raw = name
    text = name.strip()
    digest: str | None = None
    if "@" in text:
        text, _, dig = text.rpartition("@")
        m = _DIGEST.match(dig.strip())
        digest = m.group(1).lower() if m else None
    # strip a URL scheme some clients keep ("https://hf.co/...")
    text = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", text)
    segments = text.split("/")
    last = segments[-1] if segments else ""
    tag = "latest"
    if ":" in last:
        last, _, tag_text = last.partition(":")
        tag = tag_text or "latest"
    segments[-1] = last
    registry = DEFAULT_REGISTRY
    namespace: str | None = None
    if len(segments) == 1:
        model = segments[0]
    elif len(segments) == 2:
        namespace, model = segments
    else:
        registry = segments[0].lower()
        namespace = segments[1]
        model = "/".join(segments[2:])
    if registry == DEFAULT_REGISTRY and namespace is not None and namespace.lower() == "library":
        namespace = "library"
    tag_l = tag.lower()
    is_cloud = tag_l == "cloud" or tag_l.endswith("-cloud")
    valid = (
        bool(model)
        and len(segments) <= 3
        and _PART.match(model) is not None
        and _PART.match(tag) is not None
        and (namespace is None or _PART.match(namespace) is not None)
        and _HOST.match(registry) is not None
    )
    return ParsedName(
        raw=raw,
        registry=registry,
        namespace=namespace,
        model=model,
        tag=tag,
        digest=digest,
        is_cloud=is_cloud,
        is_hf=registry in HF_REGISTRIES,
        valid=valid,
    )


# A separator between a letter and a version number is dropped; never before a size token (``Mistral-7B``
# stays ``mistral-7b``: gluing it gave ``mistral7b``, which no lineage name matches).
_LETTER_DIGIT = re.compile(r"(?<=[a-z])[-_ ](?=\d)(?!(?:\d+x)?\d+(?:\.\d+)?[bmkt](?:[-_ .:]|$))")
_SEPARATORS = re.compile(r"[_\s]+")


def normalise_model(model: str) -> str:
    """Lowercase and join ``Llama-3.1`` -> ``llama3.1`` so repository names meet library names.

    A separator between a letter and a digit is dropped (``qwen-2.5`` -> ``qwen2.5``,
    ``Mistral-Small-3.2`` -> ``mistral-small3.2``); other separators become ``-``.
    """
    text = _SEPARATORS.sub("-", model.strip().lower())
    return _LETTER_DIGIT.sub("", text)


def name_tokens(model: str) -> list[str]:
    """Token start positions are where a lineage name may begin inside a longer model name."""
    return [t for t in normalise_model(model).split("-") if t]
