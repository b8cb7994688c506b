"""The lineage catalog: which lab made each model lineage, and where the lab sits.

The catalog is *data*, maintained as CSV files beside this module (``docs/lineage.md`` has the
checklist for adding a lineage):

* ``data/lineages.csv``      one row per lineage: lab, expected GGUF architecture families
  (``;`` between alternatives, ``+`` for a projector, e.g. ``llama+clip``), library badges,
  upstream lineage(s) for fine-tunes, source (``library`` = in the bundled scrape, ``extra`` = seen
  on hosts but not in the scrape), a note, and the first public weights release: ``released``
  (ISO date), ``release_precision`` (``day``, or ``month`` when the best source names only the
  month: ``released`` is then the first of that month), ``release_source`` (one URL backing that
  date) and ``release_note`` (why there is no date, or what the date means when it needs saying).
* ``data/labs.csv``          lab -> ISO 3166-1 alpha-2 country of its seat (``unknown`` on purpose
  for individuals without a known seat).
* ``data/families.csv``      GGUF architecture family -> the lineage it implies when unambiguous,
  the lab that designed it, and whether it is an embedding / in-file vision architecture.
* ``data/known_digests.csv`` historical official digests (first 12 hex) that the current library
  scrape no longer lists (republished tags keep old digests on old hosts).

``catalog_fingerprint()`` hashes every file, so derived datasets know when to rebuild.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from llmcensus.errors import DataError
from llmcensus.reference.library import library

_FILES = ("lineages.csv", "labs.csv", "families.csv", "known_digests.csv", "name_markers.csv", "prompt_rules.csv")


@dataclass(frozen=True, slots=True)
class Lineage:
    name: str
    lab: str
    country: str  # ISO alpha-2 or "unknown"
    families: tuple[str, ...]  # expected architecture families (projector alternatives kept as "llama+clip")
    badges: tuple[str, ...]
    upstream: tuple[str, ...]  # lineages this one was fine-tuned or distilled from
    source: str  # library | extra
    note: str
    # First public release of the lineage's weights (the first size of a family; a fine-tune's own
    # release, not its base's). None when no dated source was found; release_note then says why.
    released: date | None = None
    release_source: str = ""  # one http(s) URL backing ``released`` (model card, announcement, paper)
    release_note: str = ""
    # How much of ``released`` a source states: "day", or "month" when the best source names only the
    # month (``released`` is then the 1st, so day arithmetic still works); "" when undated.
    release_precision: str = ""

    @property
    def released_text(self) -> str:
        """``released`` as it should be shown: ``2023-09-20``, ``2023-09`` at month precision, ``""`` if undated."""
        return release_text(self.released, self.release_precision)


@dataclass(frozen=True, slots=True)
class Family:
    family: str
    lineage: str | None  # the lineage this architecture implies on its own, when unambiguous
    lab: str | None  # who designed the architecture (not necessarily who trained the weights)
    embedding: bool
    vision: str  # yes | no | size (in-file vision only above ~2B parameters)
    note: str


def _rows(name: str) -> list[dict[str, str]]:
    try:
        text = resources.files("llmcensus.reference").joinpath(f"data/{name}").read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"reference data file {name} cannot be read: {exc}") from exc
    return list(csv.DictReader(io.StringIO(text)))


# Values of the ``release_precision`` column; an empty cell on a dated row means "day".
RELEASE_PRECISIONS = ("day", "month")


def release_text(released: date | None, precision: str) -> str:
    """A release date as shown to people: never a day the source did not state (``2023-09``, not ``2023-09-01``)."""
    if released is None:
        return ""
    return released.strftime("%Y-%m") if precision == "month" else released.isoformat()


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


@lru_cache(maxsize=1)
def labs() -> dict[str, str]:
    """lab -> country."""
    return {r["lab"]: r["country"] for r in _rows("labs.csv")}


def _release(rows: list[dict[str, str]]) -> dict[str, tuple[date | None, str, str, str]]:
    """Validate the release columns of lineages.csv: lineage -> (released, precision, release_source, release_note).

    A date must be ISO (YYYY-MM-DD), must not lie in the future (a release that has not happened
    is a typo: 2052 for 2025) and must come with an http(s) URL; a row without a date must say why
    in ``release_note``. ``release_precision`` is empty or ``day`` (both mean day) or ``month``, and
    a month-precision date is stored as the first of its month, so that nobody mistakes it for a
    stated day.
    """
    today = date.today()
    out: dict[str, tuple[date | None, str, str, str]] = {}
    for n, r in enumerate(rows, start=2):  # line 1 is the header
        name = r.get("lineage", "")
        where = f"lineages.csv line {n} (lineage {name!r})"
        keys = ("released", "release_precision", "release_source", "release_note")
        text, precision, url, note = ((r.get(k) or "").strip() for k in keys)
        if precision and precision not in RELEASE_PRECISIONS:
            raise DataError(f"{where}: release_precision {precision!r} is not one of {', '.join(RELEASE_PRECISIONS)}")
        if not text:
            if not note:
                raise DataError(f"{where}: no released date and no release_note saying why")
            if precision:
                raise DataError(f"{where}: release_precision {precision!r} without a released date")
            out[name] = (None, "", url, note)
            continue
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise DataError(f"{where}: released {text!r} is not an ISO date YYYY-MM-DD") from None
        if len(text) != 10:
            raise DataError(f"{where}: released {text!r} is not an ISO date YYYY-MM-DD")
        if day > today:
            raise DataError(f"{where}: released {text} is in the future (today is {today})")
        if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
            raise DataError(f"{where}: released {text} needs one http(s) URL in release_source, got {url!r}")
        if precision == "month" and day.day != 1:
            raise DataError(f"{where}: released {text} has month precision, so it must be the first of the month")
        out[name] = (day, precision or "day", url, note)
    return out


@lru_cache(maxsize=1)
def lineages() -> dict[str, Lineage]:
    """Every catalogued lineage by its Ollama library name."""
    countries = labs()
    rows = _rows("lineages.csv")
    for column in ("released", "release_precision", "release_source", "release_note"):
        if rows and column not in rows[0]:
            raise DataError(f"lineages.csv: column {column!r} is missing")
    release = _release(rows)
    out: dict[str, Lineage] = {}
    for r in rows:
        lab = r["lab"]
        if lab not in countries:
            raise DataError(f"lineages.csv: lineage {r['lineage']!r} names lab {lab!r} missing from labs.csv")
        released, release_precision, release_source, release_note = release[r["lineage"]]
        out[r["lineage"]] = Lineage(
            name=r["lineage"],
            lab=lab,
            country=countries[lab],
            families=_split(r["families"]),
            badges=_split(r["badges"]),
            upstream=_split(r["upstream"]),
            source=r["source"],
            note=r["note"],
            released=released,
            release_source=release_source,
            release_note=release_note,
            release_precision=release_precision,
        )
    return out


@lru_cache(maxsize=1)
def families() -> dict[str, Family]:
    return {
        r["family"]: Family(
            family=r["family"],
            lineage=r["lineage"] or None,
            lab=r["lab"] or None,
            embedding=r["embedding"] == "yes",
            vision=r["vision"],
            note=r["note"],
        )
        for r in _rows("families.csv")
    }


@lru_cache(maxsize=1)
def digest_index() -> dict[str, tuple[str, str, str]]:
    """First 12 hex of an official manifest digest -> (lineage, tag, source).

    The library scrape wins over the historical list when both know a prefix. Several tags of
    one model share a digest (``:latest`` aliases a size tag); the first tag seen is kept, which
    does not matter for the lineage.
    """
    out: dict[str, tuple[str, str, str]] = {}
    for r in _rows("known_digests.csv"):
        out[r["digest_prefix"].lower()] = (r["lineage"], r["tag"], "known_digests")
    for model in library().values():
        for tag in model.tags:
            h = tag.model_hash.lower()
            if len(h) == 12 and (h not in out or out[h][2] != "library"):
                out[h] = (model.name, tag.tag, "library")
    return out


@lru_cache(maxsize=1)
def catalog_fingerprint() -> str:
    """sha256 over every reference file enrichment depends on (first 16 hex)."""
    h = hashlib.sha256()
    data = resources.files("llmcensus.reference").joinpath("data")
    for name in (*_FILES, "network_tiers.csv", "ollama-library.json.gz"):
        h.update(name.encode())
        h.update(data.joinpath(name).read_bytes())
    return h.hexdigest()[:16]
