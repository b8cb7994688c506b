"""Lineage resolution: model name + digest + show fields -> lineage, lab, country, with evidence.

Three levels (docs/lineage.md): the architecture *family* (Ollama's ``details.family``, kept as
observed), the *lineage* (an Ollama library name such as ``deepseek-r1``) and the *lab* with its
country (from ``reference/data/lineages.csv`` and ``labs.csv``).

Evidence is tried strongest first; the first that names a lineage wins, and every step tried is
recorded in ``evidence`` so a resolution can be explained (``llmcensus enrich lineage NAME``):

=====================  ==========  ==============================================================
evidence               confidence  meaning
=====================  ==========  ==============================================================
``digest:library``     1.0         first 12 hex of the digest = a library tag hash (official build)
``digest:known``       0.95        a historical official digest (``known_digests.csv``)
``name:library``       0.85        default namespace and a catalogued name, digest not verified
``name:namespace``     0.75        a user namespace whose model name contains a catalogued lineage
``name:hf``            0.7         an hf.co / huggingface.co repository name contains one
``name:local``         0.5         a locally created name (no namespace) contains one
``modelfile_from``     0.6         the Modelfile FROM line names a model that resolves
``license``            0.5         the license head names a lineage (``META LLAMA 3 COMMUNITY …``)
``template``           0.5         same template as an official build elsewhere (set by run.py)
``family``             0.35        the architecture family implies one lineage (gemma2 -> gemma2)
=====================  ==========  ==============================================================

A loose name match (namespace, hf, local) whose catalogued families do not include the reported
family is flagged ``family_mismatch``: the family's own lineage wins when it implies one, else the
name match stays with 0.2 less confidence.

Unknown stays ``unknown`` with a reason in ``evidence`` (``unknown:<reason>``). When only the
architecture designer is known (family ``phi3`` -> Microsoft) the lab is filled but the lineage
stays unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from llmcensus.enrich.attributes import param_billions
from llmcensus.enrich.names import ParsedName, name_tokens, normalise_model, parse_name
from llmcensus.reference.catalog import digest_index, families, labs, lineages

UNKNOWN = "unknown"

CONFIDENCE: dict[str, float] = {
    "digest:library": 1.0,
    "digest:known": 0.95,
    "name:library": 0.85,
    "name:namespace": 0.75,
    "name:hf": 0.7,
    "modelfile_from": 0.6,
    "name:local": 0.5,
    "license": 0.5,
    "template": 0.5,
    "family": 0.35,
}

# License heads are the first 200 characters; these markers are specific to one lineage each.
_LICENSES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), lineage)
    for p, lineage in (
        (r"LLAMA 4 COMMUNITY LICENSE", "llama4"),
        (r"LLAMA 3\.3 COMMUNITY LICENSE", "llama3.3"),
        (r"LLAMA 3\.2 COMMUNITY LICENSE", "llama3.2"),
        (r"LLAMA 3\.1 COMMUNITY LICENSE", "llama3.1"),
        (r"META LLAMA 3 COMMUNITY LICENSE", "llama3"),
        (r"LLAMA 2 COMMUNITY LICENSE", "llama2"),
        (r"Gemma Terms of Use", "gemma"),
    )
)


@dataclass(frozen=True, slots=True)
class Resolution:
    name: str
    lineage: str  # catalogued lineage or "unknown"
    confidence: float  # 0..1, see CONFIDENCE; 0 for unknown
    evidence: tuple[str, ...]
    lab: str  # "unknown" when not known
    lab_country: str  # ISO alpha-2 or "unknown"
    is_derivative: bool  # not the official build: a namespace / hf / local model based on the lineage
    derivative_kind: str | None  # namespace | hf | local | None (official or unknown provenance)
    is_official: bool  # digest matches an official library build
    is_cloud: bool
    upstream: str | None  # what the lineage itself was tuned/distilled from (deepseek-r1:8b -> llama3.1)
    parsed: ParsedName

    @property
    def reason(self) -> str | None:
        for e in self.evidence:
            if e.startswith("unknown:"):
                return e.removeprefix("unknown:")
        return None


@lru_cache(maxsize=1)
def _normalised_index() -> dict[str, str]:
    """normalised lineage name -> lineage (``glm4.6`` -> ``glm-4.6``)."""
    out: dict[str, str] = {}
    for name in lineages():
        out.setdefault(normalise_model(name), name)
    return out


def match_lineage(model: str) -> str | None:
    """The catalogued lineage named inside a model or repository name, at token boundaries.

    Leftmost match first, then longest: ``Meta-Llama-3.1-8B-Instruct`` -> ``llama3.1``,
    ``DeepSeek-R1-Distill-Llama-8B`` -> ``deepseek-r1``, ``qwen3-abliterated`` -> ``qwen3``.
    A lineage must fill whole tokens, so ``qwen3-8b`` never matches ``qwen3.8``.
    """
    index = _normalised_index()
    tokens = name_tokens(model)
    for start in range(len(tokens)):
        best: str | None = None
        for end in range(start + 1, len(tokens) + 1):
            hit = index.get("-".join(tokens[start:end]))
            if hit is not None:
                best = hit
        if best is not None:
            return best
    return None


def _upstream(lineage: str, family: str | None, billions: float | None) -> str | None:
    """What a lineage was fine-tuned or distilled from; deepseek-r1 depends on the build."""
    if lineage == "deepseek-r1":
        # Distills: 1.5b-32b on Qwen2.5 (family qwen2), 8b on Llama-3.1 until 2025-05-29 then
        # Qwen3 (family qwen3), 70b on Llama-3.3; 671b is DeepSeek's own architecture.
        if family == "qwen2":
            return "qwen2.5"
        if family == "qwen3":
            return "qwen3"
        if family == "llama":
            return "llama3.3" if billions is not None and billions >= 20 else "llama3.1"
        return None
    entry = lineages().get(lineage)
    if entry is None or not entry.upstream:
        return None
    if len(entry.upstream) == 1:
        return entry.upstream[0]
    for up in entry.upstream:  # several bases (cogito): pick the one whose family matches
        up_entry = lineages().get(up)
        if up_entry and family and any(f.split("+")[0] == family for f in up_entry.families):
            return up
    return None


def _family_fits(lineage: str, family: str) -> bool:
    expected = {f.split("+")[0] for f in lineages()[lineage].families}
    return not expected or family in expected or family == UNKNOWN


def _from_name(parsed: ParsedName) -> tuple[str | None, str | None, str]:
    """(lineage, derivative_kind, evidence) from the name alone."""
    model = parsed.model_lower
    if parsed.is_default_namespace:
        if model in lineages():
            return model, None, "name:library"
        hit = match_lineage(parsed.model)
        return (hit, "local", "name:local") if hit else (None, "local", "name:unmatched")
    if parsed.is_hf:
        hit = match_lineage(parsed.model.removesuffix("-GGUF").removesuffix("-gguf"))
        return (hit, "hf", "name:hf") if hit else (None, "hf", "name:unmatched")
    if parsed.registry != "registry.ollama.ai":
        hit = match_lineage(parsed.model)
        return (hit, "namespace", "name:namespace") if hit else (None, "namespace", "name:unmatched")
    hit = match_lineage(parsed.model)
    return (hit, "namespace", "name:namespace") if hit else (None, "namespace", "name:unmatched")


def _modelfile_name(line: str | None) -> str | None:
    """A FROM line naming a model (not a blob path): ``FROM llama3.2:latest`` -> ``llama3.2:latest``."""
    if not line:
        return None
    text = line.strip()
    if text.upper().startswith("FROM "):
        text = text[5:].strip()
    if not text or text.startswith(("/", ".", "~")) or "sha256" in text or "\\" in text or text.endswith(".gguf"):
        return None
    return text


def resolve(
    name: str,
    digest: str | None = None,
    *,
    family: str | None = None,
    families_list: list[str] | tuple[str, ...] | None = None,
    parameter_size: str | None = None,
    license_head: str | None = None,
    modelfile_from: str | None = None,
    remote_model: str | None = None,
    remote_host: str | None = None,
    _depth: int = 0,
) -> Resolution:
    """Resolve one model instance; never raises on hostile input."""
    parsed = parse_name(name or "")
    evidence: list[str] = []
    billions = param_billions(parameter_size)
    is_cloud = parsed.is_cloud or bool(remote_model) or bool(remote_host)
    lineage: str | None = None
    kind: str | None = None
    conf = 0.0
    official = False

    dig = (digest or parsed.digest or "").lower().removeprefix("sha256:")
    hit = digest_index().get(dig[:12]) if len(dig) >= 12 else None
    name_lineage, name_kind, name_ev = _from_name(parsed)
    if hit is not None:
        lineage, official = hit[0], True
        ev = "digest:library" if hit[2] == "library" else "digest:known"
        conf = CONFIDENCE[ev]
        evidence.append(f"{ev}:{hit[0]}:{hit[1]}")
        if name_lineage != lineage:
            evidence.append(f"name:differs:{parsed.model_lower}")
    elif name_lineage is not None:
        lineage, kind = name_lineage, name_kind
        conf = CONFIDENCE[name_ev]
        evidence.append(f"{name_ev}:{name_lineage}")
        if kind is not None and family and not _family_fits(name_lineage, family):
            # "my-gemma" on gemma3 weights: the architecture outranks a loose name match
            fam = families().get(family)
            evidence.append(f"family_mismatch:{family}")
            if fam is not None and fam.lineage:
                lineage, conf = fam.lineage, CONFIDENCE["family"]
                evidence.append(f"family:{family}")
            else:
                conf = round(conf - 0.2, 2)
    else:
        kind = name_kind
        evidence.append(name_ev)
        remote = parse_name(remote_model).model_lower if remote_model else None
        from_name = _modelfile_name(modelfile_from)
        if remote and remote in lineages():
            lineage, conf = remote, CONFIDENCE["name:library"]
            evidence.append(f"remote_model:{remote}")
        elif from_name and _depth == 0:
            sub = resolve(from_name, _depth=1)
            if sub.lineage != UNKNOWN:
                lineage, conf = sub.lineage, CONFIDENCE["modelfile_from"]
                evidence.append(f"modelfile_from:{from_name}")
        if lineage is None and license_head:
            for pattern, lic_lineage in _LICENSES:
                if pattern.search(license_head):
                    if lic_lineage == "gemma":  # Gemma's license covers every generation: use the family
                        fam = families().get(family or "")
                        lic_lineage = fam.lineage if fam and fam.lab == "Google" and fam.lineage else ""
                    if lic_lineage:
                        lineage, conf = lic_lineage, CONFIDENCE["license"]
                        evidence.append(f"license:{lic_lineage}")
                    break
        if lineage is None and family:
            fam = families().get(family)
            if fam is not None and fam.lineage:
                lineage, conf = fam.lineage, CONFIDENCE["family"]
                evidence.append(f"family:{family}")
    if lineage is None:
        return _unknown(parsed, evidence, family, families_list, kind, is_cloud)

    entry = lineages()[lineage]
    is_derivative = not official and kind is not None
    if official:
        kind = None
    return Resolution(
        name=name,
        lineage=lineage,
        confidence=conf,
        evidence=tuple(evidence),
        lab=entry.lab,
        lab_country=entry.country,
        is_derivative=is_derivative,
        derivative_kind=kind if is_derivative else None,
        is_official=official,
        is_cloud=is_cloud,
        upstream=_upstream(lineage, family, billions),
        parsed=parsed,
    )


def _unknown(
    parsed: ParsedName,
    evidence: list[str],
    family: str | None,
    families_list: list[str] | tuple[str, ...] | None,
    kind: str | None,
    is_cloud: bool,
) -> Resolution:
    lab, country = UNKNOWN, UNKNOWN
    fam = families().get(family or "")
    if not parsed.model:
        reason = "empty_name"
    elif not family or family == UNKNOWN:
        reason = "name_unmatched_no_family"
    elif fam is None:
        reason = f"name_unmatched_family_not_catalogued:{family}"
    elif fam.lab:
        reason = f"name_unmatched_family_names_lab_only:{family}"
        lab, country = fam.lab, labs().get(fam.lab, UNKNOWN)
        evidence.append(f"family_lab:{family}:{fam.lab}")
    else:
        reason = f"name_unmatched_family_shared:{family}"
    evidence.append(f"unknown:{reason}")
    return Resolution(
        name=parsed.raw,
        lineage=UNKNOWN,
        confidence=0.0,
        evidence=tuple(evidence),
        lab=lab,
        lab_country=country,
        is_derivative=kind in ("namespace", "hf"),
        derivative_kind=kind if kind in ("namespace", "hf") else None,
        is_official=False,
        is_cloud=is_cloud,
        upstream=None,
        parsed=parsed,
    )
