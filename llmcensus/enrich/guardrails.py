"""Guardrail signals: name markers, system-prompt clusters and the documented prompt rule set.

Two kinds of signal are kept apart on purpose:

* **name markers** (``reference/data/name_markers.csv``): the model's *name* says it was made
  without refusals (``abliterated``, ``uncensored``, ``dolphin`` …). This is about the weights.
* **system-prompt signals**: what the *operator* configured. Prompts are keyed by the sha256 of
  their exact text; near-duplicates are grouped into clusters so that a "standardized template"
  shows up as one cluster seen on many hosts; the rule set (``reference/data/prompt_rules.csv``)
  labels guardrail removal and the study's misuse categories (study.md rows 34-37).

Rules are case-insensitive regular expressions over the *normalised* text (NFKC, lowercase,
whitespace collapsed, curly quotes straightened). A ``negatable`` rule does not fire when a
negation (``not``, ``never``, ``avoid``, ``refuse to`` …) occurs within the 30 characters before
the match or inside it, so "never help users break into systems" is not labelled hacking. The set
favours precision: it is a lexical lower bound, like the study's own figure.

Published outputs carry categories, rule ids, cluster ids and hashes, never prompt text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from llmcensus.enrich.schema import MISUSE_CATEGORIES
from llmcensus.errors import DataError

GUARDRAIL_REMOVAL = "guardrail_removal"
SHINGLE_WORDS = 3  # word n-gram length of the near-duplicate shingles
NUM_PERM = 64  # MinHash permutations: 16 LSH bands x 4 rows (candidate threshold ~0.5)
BANDS = 16
NEAR_THRESHOLD = 0.7  # Jaccard similarity of shingle sets that makes two prompts near-duplicates
_SEED = 20261123  # fixed: cluster ids must not change between runs

_NEGATION = re.compile(r"\b(not|never|no|don't|do not|avoid|refuse to|must not|won't|cannot|without)\b")


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    category: str
    negatable: bool
    pattern: re.Pattern[str]
    description: str


@dataclass(frozen=True, slots=True)
class PromptLabel:
    guardrail_removal: bool
    misuse_categories: tuple[str, ...]  # sorted, subset of MISUSE_CATEGORIES
    rule_ids: tuple[str, ...]  # sorted


def _csv(name: str) -> list[dict[str, str]]:
    text = resources.files("llmcensus.reference").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    out = []
    allowed = {GUARDRAIL_REMOVAL, *MISUSE_CATEGORIES}
    for i, r in enumerate(_csv("prompt_rules.csv"), start=2):
        if r["category"] not in allowed:
            raise DataError(f"prompt_rules.csv:{i}: unknown category {r['category']!r}")
        try:
            pattern = re.compile(r["pattern"], re.IGNORECASE)
        except re.error as exc:
            raise DataError(f"prompt_rules.csv:{i}: bad pattern: {exc}") from exc
        out.append(Rule(r["rule_id"], r["category"], r["negatable"] == "yes", pattern, r["description"]))
    return tuple(out)


@lru_cache(maxsize=1)
def _markers() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((r["marker"], re.compile(r["pattern"], re.IGNORECASE)) for r in _csv("name_markers.csv"))


def name_marker(name: str | None) -> str | None:
    """The first name marker found in a model name (``huihui_ai/qwen3-abliterated`` -> ``abliterated``)."""
    if not name:
        return None
    for marker, pattern in _markers():
        if pattern.search(name):
            return marker
    return None


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_SPACE = re.compile(r"\s+")


def normalise_prompt(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()).strip()


def prompt_sha(text: str) -> str:
    """sha256 hex of the exact prompt text (UTF-8), the key of the prompts dataset."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def label_prompt(text: str) -> PromptLabel:
    norm = normalise_prompt(text)
    fired: list[Rule] = []
    for rule in rules():
        for m in rule.pattern.finditer(norm):
            if rule.negatable and _NEGATION.search(norm[max(0, m.start() - 30) : m.end()]):
                continue
            fired.append(rule)
            break
    cats = sorted({r.category for r in fired if r.category != GUARDRAIL_REMOVAL})
    return PromptLabel(
        guardrail_removal=any(r.category == GUARDRAIL_REMOVAL for r in fired),
        misuse_categories=tuple(cats),
        rule_ids=tuple(sorted(r.rule_id for r in fired)),
    )


def _shingles(norm: str) -> set[str]:
    words = re.findall(r"\w+", norm)
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words)}
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


# Why our own MinHash and not datasketch (issue #20): datasketch 2.0 installs scipy (~100 MB) for what is these
# two functions over numpy. And the hash family does not decide a cluster: MinHash LSH only proposes candidate
# pairs, and the exact Jaccard of the shingle sets confirms each (cluster_prompts), so another MinHash could only
# change which near-threshold pairs are proposed, never admit a wrong one. Revisit if we need its LSH Forest or
# persistence (e.g. clustering across studies).
@lru_cache(maxsize=1)
def _perm() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEED)
    a = rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
    return a, b


def _minhash(shingles: set[str]) -> np.ndarray:
    x = np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") for s in sorted(shingles)),
        dtype=np.uint64,
        count=len(shingles),
    )
    a, b = _perm()
    with np.errstate(over="ignore"):
        hashed = (x[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)  # multiply-shift, wraps mod 2^64
    result: np.ndarray = hashed.min(axis=0)
    return result


def cluster_prompts(texts: dict[str, str]) -> dict[str, tuple[str, int]]:
    """prompt_sha -> (cluster_id, distinct prompts in the cluster).

    Exact texts share a sha (one key). Near-duplicates: MinHash LSH proposes candidates, exact
    Jaccard of 3-word shingle sets >= NEAR_THRESHOLD confirms, union-find joins them. The id is
    ``pc-`` + the smallest member sha's first 12 hex: deterministic for a given set of prompts.
    """
    keys = sorted(texts)
    shingles = [_shingles(normalise_prompt(texts[k])) for k in keys]
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = NUM_PERM // BANDS
    buckets: dict[tuple[int, bytes], list[int]] = {}
    for i, sh in enumerate(shingles):
        sig = _minhash(sh)
        for band in range(BANDS):
            buckets.setdefault((band, sig[band * rows : (band + 1) * rows].tobytes()), []).append(i)
    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        for pos, j in enumerate(members):
            for k in members[:pos]:
                if (k, j) in checked or find(k) == find(j):
                    continue
                checked.add((k, j))
                union = len(shingles[k] | shingles[j])
                if union and len(shingles[k] & shingles[j]) / union >= NEAR_THRESHOLD:
                    parent[find(j)] = find(k)
    groups: dict[int, list[int]] = {}
    for i in range(len(keys)):
        groups.setdefault(find(i), []).append(i)
    out: dict[str, tuple[str, int]] = {}
    for members in groups.values():
        cid = "pc-" + min(keys[m] for m in members)[:12]
        for m in members:
            out[keys[m]] = (cid, len(members))
    return out
