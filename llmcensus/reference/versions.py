"""Version strings of LLM runtimes, ordered, and the version ranges advisories use.

Ordering (what ``parse_version`` returns is a key that sorts correctly):

* release parts compare as numbers, missing parts are zeros: ``0.1.9 < 0.1.10 < 0.10.0``, ``0.1 == 0.1.0``;
* a leading ``v`` is ignored (``v0.5.7`` == ``0.5.7``); so is build metadata after ``+``;
* pre-releases sort before their release: ``0.5.0-dev < 0.5.0-alpha1 < 0.5.0-beta2 < 0.5.0-rc1 < 0.5.0``
  (``-rc1``, ``rc1``, ``.rc1`` and ``-rc.1`` are the same), post-releases after it (``0.6.1.post1``, PyPI);
* llama.cpp's build tags read as their build number (``b4283`` and ``b4283-a7e2bd4c`` are build 4283);
* anything else (``""``, ``"0.0.0"`` a source build that reports no version, ``"unknown"``, ``"latest"``) is
  ``None``: an unknown version, which metrics report as unknown, never as affected or safe.

Ranges: comma-separated clauses that must all hold (``>=0.34.2,<0.35.0``), each an operator (``<``, ``<=``,
``>``, ``>=``, ``=``/``==``) and a version; ``||`` joins alternatives; ``*`` matches every known version; an
empty range matches nothing.
"""

from __future__ import annotations

import functools
import re

from llmcensus.errors import ConfigError

VersionKey = tuple[tuple[int, ...], int, int]  # (release parts without trailing zeros, phase, phase number)

_PHASES = {"dev": 0, "a": 1, "alpha": 1, "b": 2, "beta": 2, "pre": 3, "c": 3, "rc": 3, "": 4, "post": 5}
_FINAL = 4
_SEMVER = re.compile(
    r"^v?(?P<rel>\d+(?:\.\d+)*)"
    r"(?:[-.]?(?P<phase>dev|alpha|beta|pre|rc|post|a|b|c)[-.]?(?P<num>\d+)?)?"
    r"(?:\+[0-9A-Za-z.-]*)?$"
)
_BUILD = re.compile(r"^b(?P<build>\d+)(?:-[0-9a-f]+)?$")
_CLAUSE = re.compile(r"^(?P<op><=|>=|==|=|<|>)\s*(?P<ver>\S+)$")


@functools.lru_cache(maxsize=8192)  # a few hundred distinct versions per study, asked once per host-day
def parse_version(text: str | None) -> VersionKey | None:
    """The sort key of a version string, or None when it is no readable version (see the module doc)."""
    if text is None:
        return None
    s = text.strip().lower()
    m = _BUILD.match(s)
    if m is not None:
        return (int(m.group("build")),), _FINAL, 0
    m = _SEMVER.match(s)
    if m is None:
        return None
    rel = tuple(int(p) for p in m.group("rel").split("."))
    while len(rel) > 1 and rel[-1] == 0:
        rel = rel[:-1]
    if rel == (0,):
        return None  # 0.0.0: a source build that reports no version
    phase = _PHASES[m.group("phase") or ""]
    return rel, phase, int(m.group("num") or 0)


def _cmp(a: VersionKey, b: VersionKey) -> int:
    width = max(len(a[0]), len(b[0]))
    ka = (a[0] + (0,) * (width - len(a[0])), a[1], a[2])
    kb = (b[0] + (0,) * (width - len(b[0])), b[1], b[2])
    return (ka > kb) - (ka < kb)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1; raises ``ConfigError`` when either is no version."""
    ka, kb = parse_version(a), parse_version(b)
    if ka is None or kb is None:
        raise ConfigError(f"not a version: {a if ka is None else b!r}")
    return _cmp(ka, kb)


@functools.lru_cache(maxsize=512)
def parse_range(text: str) -> tuple[tuple[tuple[str, VersionKey], ...], ...]:
    """A range as alternatives of clauses; raises ``ConfigError`` on a malformed one."""
    out = []
    if not text.strip():
        return ()
    for alt in text.split("||"):
        clauses: list[tuple[str, VersionKey]] = []
        for raw in alt.split(","):
            part = raw.strip()
            if part == "*":
                clauses.append((">=", ((0,), 0, 0)))
                continue
            m = _CLAUSE.match(part)
            key = parse_version(m.group("ver")) if m is not None else None
            if m is None or key is None:
                raise ConfigError(f"bad version range clause {part!r} in {text!r}")
            clauses.append((m.group("op").replace("==", "="), key))
        out.append(tuple(clauses))
    return tuple(out)


def _holds(op: str, c: int) -> bool:
    return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0, "=": c == 0}[op]


def in_range(version: str | None, rng: str) -> bool | None:
    """True / False, or None when the version is unknown (unreadable)."""
    key = parse_version(version)
    if key is None:
        return None
    return any(all(_holds(op, _cmp(key, bound)) for op, bound in alt) for alt in parse_range(rng))
