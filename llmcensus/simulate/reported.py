"""What a reader can conclude about each model build from what a host of a given version sends.

The study's figures are what real hosts *reported*, so the ground truth counts the same thing (issues #17, #19): a
capability counts for a host when a model it served on an observed day is labelled "yes" from what its version
exposes, and a quantization when the version lists it. The rules restate, from the world's side, what each Ollama
version puts on the wire (``fastpath.py`` / ``wire.py`` write it) and how Ollama itself derives a capability
(protocols.md 1.8; ``enrich/sql/model_capabilities.sql`` is the reader's side, written independently):

* ``/api/show`` lists ``capabilities`` from v0.6.4; ``thinking`` from v0.9.0; before v0.6.8 a separate projector
  (llava's clip) does not make a model list ``vision``. Clone-farm members answer /api/show with one canned body
  (no list, a bare template); from v0.30 ``/api/tags`` lists capabilities too, which a reader takes when /api/show
  has none.
* Without a list: tools (insert) from a template referencing ``.Tools`` (``.Suffix``); completion from a
  catalogued architecture that is not an embedding one; thinking from ``.Thinking`` or the gpt-oss family;
  vision from a projector (``has_projector`` from v0.1.45, a ``clip`` family from v0.1.15) or a catalogued vision
  architecture (some only above 2B parameters); embedding from a catalogued embedding architecture. The ``details``
  object (family, families, size, quantization) exists from v0.1.15 (farms always send it).
* Quantization: an hf.co pull lists ``unknown`` before v0.30.

Tables are indexed ``[spec, release]``: a few hundred builds by about a hundred releases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmcensus.reference.catalog import families as catalog
from llmcensus.simulate.versions import RELEASES, parse_version
from llmcensus.simulate.world import World

CAPABILITIES = ("completion", "tools", "insert", "vision", "embedding", "thinking")
_TEMPLATE_REFS = {"tools": ".Tools", "insert": ".Suffix", "thinking": ".Thinking"}


@dataclass(frozen=True)
class Reported:
    """``caps[c][canned][spec, release]``: capability ``c`` is read as "yes"; ``q4[canned][spec, release]``: the
    build is listed as Q4_K_M. ``canned`` 0 is a genuine host, 1 a clone-farm member."""

    caps: dict[str, np.ndarray]
    q4: np.ndarray


def _billions(text: str | None) -> float:
    t = (text or "").strip().upper()
    mult = {"K": 1e-6, "M": 1e-3, "B": 1.0, "T": 1e3}
    try:
        return float(t[:-1]) * mult[t[-1]]
    except (ValueError, IndexError, KeyError):
        return 0.0


def reported(world: World) -> Reported:
    specs = world.inventory.specs
    versions = [parse_version(v) for v, _ in RELEASES]
    cat = catalog()
    n_s, n_r = len(specs), len(versions)
    caps = {c: np.zeros((2, n_s, n_r), dtype=bool) for c in CAPABILITIES}
    q4 = np.zeros((2, n_s, n_r), dtype=bool)
    for i, s in enumerate(specs):
        if s.kind == "cloud":
            continue
        sd = world.show_for(i)
        show_caps = list(sd.capabilities)
        template = sd.template or ""
        clip = "clip" in (s.families or ())
        in_file_vision = any(str(k).endswith(".vision.block_count") for k in sd.model_info)
        projector = bool(sd.projector_info) or clip
        fam = cat.get(s.family or "")
        for r, v in enumerate(versions):
            for canned in (0, 1):
                details = canned == 1 or v >= (0, 1, 15)
                if canned:
                    listed: list[str] | None = list(s.capabilities) if v >= (0, 30, 0) else None
                    flags = dict.fromkeys(_TEMPLATE_REFS, False)  # the canned template is "{{ .Prompt }}"
                    has_projector = clip
                else:
                    listed = None
                    if v >= (0, 6, 4):
                        listed = [c for c in show_caps if c != "thinking" or v >= (0, 9, 0)]
                        if v < (0, 6, 8):
                            listed = [c for c in listed if c != "vision" or in_file_vision or not clip]
                    flags = {k: ref in template for k, ref in _TEMPLATE_REFS.items()}
                    has_projector = projector if v >= (0, 1, 45) or (clip and details) else False
                family = s.family if details else None
                known = details and fam is not None
                vision_inferred = (has_projector or (details and clip)
                                   or (known and fam is not None and (fam.vision == "yes" or (
                                       fam.vision == "size" and _billions(s.parameter_size) >= 2))))
                thinking_inferred = flags["thinking"] or family in ("gptoss", "gpt-oss")
                if listed is not None:
                    got = {
                        "completion": "completion" in listed,
                        "tools": "tools" in listed,
                        "insert": "insert" in listed,
                        "vision": "vision" in listed,
                        "embedding": "embedding" in listed,
                        # a version before v0.9.0 cannot say "thinking": its silence falls through to inference
                        "thinking": "thinking" in listed or (v < (0, 9, 0) and thinking_inferred),
                    }
                else:
                    got = {
                        "completion": bool(known and fam is not None and not fam.embedding),
                        "tools": flags["tools"],
                        "insert": flags["insert"],
                        "vision": vision_inferred,
                        "embedding": bool(known and fam is not None and fam.embedding),
                        "thinking": thinking_inferred,
                    }
                for c in CAPABILITIES:
                    caps[c][canned, i, r] = got[c]
                q4[canned, i, r] = (details and s.quantization == "Q4_K_M"
                                    and (s.kind != "derivative_hf" or v >= (0, 30, 0)))
    return Reported(caps, q4)


K = 1 << 20  # key stride of (host, day) pairs: host * K + day (days < K)


def versions_seen(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per model instance: (observed on a day before its host's upgrade, observed on a day from it, the version index
    before, the version index after). A host runs ``version_idx`` before ``upgrade_day`` and ``upgrade_idx`` from it
    on, so an instance's observed days (its host's up days within [add, remove)) fall in at most two versions."""
    h, inv = world.hosts, world.inventory
    up_keys = h.up_host.astype(np.int64) * K + h.up_day
    host = inv.host.astype(np.int64)
    base = host * K
    upgrade = h.upgrade_day[host]
    has_upgrade = upgrade >= 0
    split = np.where(has_upgrade, np.clip(upgrade, inv.add_day, inv.remove_day), inv.remove_day)

    def observed(start: np.ndarray, end: np.ndarray) -> np.ndarray:
        return np.asarray(np.searchsorted(up_keys, base + end) - np.searchsorted(up_keys, base + start) > 0)

    before, after = observed(inv.add_day, split), observed(split, inv.remove_day) & has_upgrade
    return before, after, h.version_idx[host], np.where(has_upgrade, h.upgrade_idx[host], h.version_idx[host])
