"""Ollama version strings → the feature set a host of that version exposes on the wire.

Every boundary comes from protocols.md §1.13 (release tags checked on both sides). A pre-release
(``0.6.9-rc0``) is gated like its release: release candidates are cut from the release branch and carry
its features. ``0.0.0`` (source build without ldflags) and anything unparseable count as the newest
version, which is what a source build of the main branch is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

NEWEST = (999, 999, 999)
_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> tuple[int, int, int]:
    """``"0.6.9-rc0"`` → ``(0, 6, 9)``; ``"0.0.0"``, ``""`` or garbage → ``NEWEST``."""
    m = _VERSION.match(text or "")
    if not m:
        return NEWEST
    v = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    return NEWEST if v == (0, 0, 0) else v


@dataclass(frozen=True, slots=True)
class Features:
    """What a given Ollama version serves. Field names read as "has <feature>"."""

    version: tuple[int, int, int]
    api_version: bool  # GET /api/version (0.1.14)
    details: bool  # details{} in tags/show (0.1.15)
    model_key: bool  # tags "model", details.parent_model, show accepts {"model"} (0.1.21)
    name_check: bool  # show rejects malformed names with 400 "invalid model name" (uncertain boundary)
    new_modelfile: bool  # show.modelfile rendered by parser.Command (quote() rule) rather than the old template
    api_ps: bool  # GET /api/ps (0.1.38)
    shared_model_response: bool  # 0.1.38–0.1.41: tags/ps share one struct (zero times leak into both)
    app_origins: bool  # app:// file:// tauri:// vscode origins allowed (0.1.42)
    model_info: bool  # show model_info/projector_info/modified_at (0.1.45)
    v1_models: bool  # GET /v1/models (0.2.0)
    tensors: bool  # show tensors (0.6.1)
    show_capabilities: bool  # show capabilities (0.6.4)
    projector_vision: bool  # projector ⇒ vision (0.6.8)
    method_not_allowed: bool  # 405 + Allow instead of 404 (0.7.0)
    thinking: bool  # "thinking" capability (0.9.0)
    ps_context_length: bool  # /api/ps context_length (0.10.0)
    remote: bool  # remote_model/remote_host, renderer/parser (0.12.0)
    image_cap: bool  # "image" capability (0.14.0)
    model_info_always: bool  # show model_info non-omitempty (0.14.3)
    api_status: bool  # GET /api/status (0.16.2)
    audio_cap: bool  # "audio" capability (0.20.0)
    tags_v30: bool  # tags capabilities, details.context_length/embedding_length, parent_model; 404 normalised (0.30.0)

    @property
    def key(self) -> tuple[bool, ...]:
        """Features that change rendered bytes; hosts sharing it share cached show fragments."""
        return tuple(getattr(self, f) for f in _BOOL_FIELDS)


_BOOL_FIELDS = [f for f in Features.__slots__ if f != "version"]  # type: ignore[attr-defined]


@lru_cache(maxsize=1024)
def features(version: str) -> Features:
    v = parse_version(version)
    return Features(
        version=v,
        api_version=v >= (0, 1, 14),
        details=v >= (0, 1, 15),
        model_key=v >= (0, 1, 21),
        # ParseName-based validation arrived with the name-package rewrite in the 0.1.3x series [uncertain].
        name_check=v >= (0, 1, 33),
        new_modelfile=v >= (0, 1, 33),
        api_ps=v >= (0, 1, 38),
        shared_model_response=(0, 1, 38) <= v < (0, 1, 42),
        app_origins=v >= (0, 1, 42),
        model_info=v >= (0, 1, 45),
        v1_models=v >= (0, 2, 0),
        tensors=v >= (0, 6, 1),
        show_capabilities=v >= (0, 6, 4),
        projector_vision=v >= (0, 6, 8),
        method_not_allowed=v >= (0, 7, 0),
        thinking=v >= (0, 9, 0),
        ps_context_length=v >= (0, 10, 0),
        remote=v >= (0, 12, 0),
        image_cap=v >= (0, 14, 0),
        model_info_always=v >= (0, 14, 3),
        api_status=v >= (0, 16, 2),
        audio_cap=v >= (0, 20, 0),
        tags_v30=v >= (0, 30, 0),
    )
