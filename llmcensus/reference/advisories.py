"""Published vulnerabilities of the runtimes llmcensus fingerprints (``data/advisories.csv``), and what they mean
for one observed version.

One row per advisory and runtime. Columns (``docs/security.md`` says how to update them):

* ``runtime``: the runtime name as the probe records it (``ollama``, ``vllm``, ``open_webui``, ...);
* ``id``, ``aliases`` (``;``-separated: GHSA, Go vulnerability database, PYSEC ids, nicknames), ``title``;
* ``affected``: the version range the advisory states (``versions.py`` grammar); ``ambiguous``: versions for which
  no source says either way (typically every version after the last one reported affected when no fix was ever
  published): a host there is ``unknown``, neither affected nor safe;
* ``fixed``: the first fixed version, or ``none published``;
* ``published`` (YYYY-MM-DD), ``severity`` (critical / high / medium / low / unrated, from the source's CVSS);
* ``unauthenticated_remote``: anyone who can reach the exposed API can exploit it, without credentials and without
  a victim's help; ``single_request``: one request to the exposed server suffices (a rogue registry the attacker
  runs counts as the attacker's own side);
* ``status``: ``published``, or ``rejected`` / ``withdrawn`` / ``misattributed`` (kept so that numbers circulating
  under the runtime's name are answered; they never count in a metric);
* ``source``: where the row's facts come from; ``note``: what a reader must know.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pyarrow as pa

from llmcensus.errors import ConfigError
from llmcensus.reference.versions import in_range, parse_range, parse_version

NONE_PUBLISHED = "none published"
STATUSES = ("published", "rejected", "withdrawn", "misattributed")
SEVERITIES = ("critical", "high", "medium", "low", "unrated", "")
COLUMNS = ("runtime", "id", "aliases", "title", "affected", "ambiguous", "fixed", "published", "severity",
           "unauthenticated_remote", "single_request", "status", "source", "note")


@dataclass(frozen=True, slots=True)
class Advisory:
    runtime: str
    id: str
    aliases: tuple[str, ...]
    title: str
    affected: str
    ambiguous: str
    fixed: str | None  # None: no fixed version was ever published
    published: dt.date
    severity: str
    unauthenticated_remote: bool
    single_request: bool
    status: str
    source: str
    note: str

    @property
    def counts(self) -> bool:
        """Whether the advisory is a real one of this runtime (metrics count only these)."""
        return self.status == "published"

    def verdict(self, version: str | None) -> str:
        """``affected``; ``fixed`` (at or past the first fixed version); ``not_affected`` (outside the range
        otherwise, e.g. before the flaw was introduced); or ``unknown`` (no readable version, or a version in the
        ambiguous range). An advisory that does not count is ``not_affected`` for every version."""
        if not self.counts:
            return "not_affected"
        hit = in_range(version, self.affected)
        if hit is None:
            return "unknown"
        if hit:
            return "affected"
        if self.ambiguous and in_range(version, self.ambiguous):
            return "unknown"
        return "fixed" if self.fixed is not None and in_range(version, f">={self.fixed}") else "not_affected"


def _bool(text: str, where: str) -> bool:
    if text not in ("true", "false"):
        raise ConfigError(f"{where}: expected true or false, not {text!r}")
    return text == "true"


def parse_rows(rows: list[dict[str, str]]) -> tuple[Advisory, ...]:
    """Rows of the CSV as advisories; raises ``ConfigError`` naming the row on anything malformed."""
    out = []
    seen: set[tuple[str, str]] = set()
    for n, r in enumerate(rows, start=2):
        where = f"advisories.csv:{n} ({r.get('id')})"
        if tuple(r) != COLUMNS:
            raise ConfigError(f"{where}: columns must be {', '.join(COLUMNS)}")
        if r["status"] not in STATUSES or r["severity"] not in SEVERITIES:
            raise ConfigError(f"{where}: bad status {r['status']!r} or severity {r['severity']!r}")
        if not r["source"].startswith("https://"):
            raise ConfigError(f"{where}: every row needs an https source")
        if (r["runtime"], r["id"]) in seen:
            raise ConfigError(f"{where}: duplicate")
        seen.add((r["runtime"], r["id"]))
        parse_range(r["affected"])
        parse_range(r["ambiguous"])
        fixed = None if r["fixed"] in (NONE_PUBLISHED, "") else r["fixed"]
        if fixed is not None and parse_version(fixed) is None:
            raise ConfigError(f"{where}: fixed version {fixed!r} is no version")
        try:
            published = dt.date.fromisoformat(r["published"])
        except ValueError as exc:
            raise ConfigError(f"{where}: published must be YYYY-MM-DD") from exc
        if r["status"] == "published" and not r["affected"]:
            raise ConfigError(f"{where}: a published advisory needs an affected range")
        if r["status"] == "published" and r["fixed"] == "":
            raise ConfigError(f"{where}: say '{NONE_PUBLISHED}' rather than leave fixed empty")
        out.append(Advisory(r["runtime"], r["id"], tuple(a for a in r["aliases"].split(";") if a), r["title"],
                            r["affected"], r["ambiguous"], fixed, published, r["severity"],
                            _bool(r["unauthenticated_remote"], where), _bool(r["single_request"], where),
                            r["status"], r["source"], r["note"]))
    return tuple(out)


@lru_cache(maxsize=1)
def load_advisories() -> tuple[Advisory, ...]:
    text = resources.files("llmcensus.reference").joinpath("data/advisories.csv").read_text(encoding="utf-8")
    return parse_rows(list(csv.DictReader(text.splitlines())))


_ADVISORY_FIELDS: list[pa.Field[Any]] = [pa.field("runtime", pa.string()), pa.field("advisory", pa.string()),
                               pa.field("aliases", pa.string()), pa.field("severity", pa.string()),
                               pa.field("published", pa.date32()), pa.field("fixed", pa.string()),
                               pa.field("unauthenticated_remote", pa.bool_()), pa.field("single_request", pa.bool_()),
                               pa.field("source", pa.string())]
ADVISORIES_SCHEMA = pa.schema(_ADVISORY_FIELDS)
VERDICTS_SCHEMA = pa.schema([pa.field("runtime", pa.string()), pa.field("version", pa.string()),
                             pa.field("advisory", pa.string()), pa.field("verdict", pa.string())])


def advisory_table() -> pa.Table:
    """The advisories that count, one row each: the ``advisories`` relation of the analysis (``store/derive.py``)."""
    return pa.Table.from_pylist(advisory_rows(), schema=ADVISORIES_SCHEMA)


def verdict_table(versions: list[tuple[str, str | None]]) -> pa.Table:
    """``verdict_rows`` as a table: the ``advisory_versions`` relation of the analysis."""
    return pa.Table.from_pylist(verdict_rows(versions), schema=VERDICTS_SCHEMA)


def advisory_rows() -> list[dict[str, object]]:
    """The advisories that count, one plain row each."""
    return [{"runtime": a.runtime, "advisory": a.id, "aliases": ";".join(a.aliases), "severity": a.severity,
             "published": a.published, "fixed": a.fixed, "unauthenticated_remote": a.unauthenticated_remote,
             "single_request": a.single_request, "source": a.source}
            for a in load_advisories() if a.counts]


def verdict_rows(versions: list[tuple[str, str | None]]) -> list[dict[str, object]]:
    """One row per (runtime, version, advisory of that runtime): the ``advisory_versions`` relation. ``version``
    None (not read) gives ``unknown`` for every advisory of the runtime."""
    out: list[dict[str, object]] = []
    by_runtime: dict[str, list[Advisory]] = {}
    for a in load_advisories():
        if a.counts:
            by_runtime.setdefault(a.runtime, []).append(a)
    for runtime, version in versions:
        for a in by_runtime.get(runtime, []):
            out.append({"runtime": runtime, "version": version, "advisory": a.id, "verdict": a.verdict(version)})
    return out
