"""The one place that knows how a data folder is laid out.

Every stage asks a ``Layout`` for its paths; none spells a folder name itself (a test enforces it). The folder::

    <data>/
      observations/YYYY-MM-DD/part-<sweep>-<seq>.parquet   one dataset, loadable as-is by pandas, pyarrow, DuckDB,
                                                           Polars and Spark (plain date folders: no hive key that
                                                           would clash with the ``day`` column); a shard of a
                                                           sharded sweep writes part-<sweep>~s<i>of<n>-<seq>.parquet
      observations/day=YYYY-MM-DD/...                      the same, as written before 0.8 (still read, never
                                                           written: nothing is rewritten)
      bodies/part-<sweep>-<seq>.parquet                    raw reply bodies, once per content hash
      inventories/part-<sweep>-<seq>.parquet               model inventories (the ``models`` of a visit), once per
                                                           content hash (schema v3)
      show/part-<sweep>-<seq>.parquet                      what each host said on /api/show, per (ip, port, digest)
      sweeps/<sweep>/manifest.json                         one manifest per sweep, or one per shard of a
      sweeps/<sweep>/manifest-shard-<i>-of-<n>.json        sharded sweep (observations/shard.py)
      enrich/{geo,models,prompts}/*.parquet, manifest.json enrichment, keyed by ip / (name, digest) / prompt hash
      candidates/                                          discovery imports
      store/<host_key>.duckdb                              the store's persisted relations and events
      store/pseudonyms.parquet                             address -> pseudonym index of the dashboard (0600)
      report/                                              the latest report
      watchlist.toml, monitor/alerts.jsonl                 lineages to watch; the alerts raised, once each
      optout.txt                                           addresses that asked not to be probed
      pseudonym.key                                        the address pseudonyms' key (0600; llmcensus/pseudonym.py)
      .llmcensus.lock                                      held by the one writer of this folder

This module is a foundation, like ``errors``: any stage may import it (``tests/test_import_contract.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# A committed part: ``part-<sweep>-<seq>.parquet``, or ``part-<sweep>~s<i>of<n>-<seq>.parquet`` from shard i of n
# of a sharded sweep (``observations/shard.py``): '~' is not in a sweep id's alphabet, so the name parses one way
# only, and the parts of n machines never share a name. Parts in progress are hidden temp files
# (``.part-....parquet.tmp``) that no reader (ours, pyarrow's or pandas') lists.
PART = re.compile(r"^part-(?P<sweep>[A-Za-z0-9][A-Za-z0-9_.-]*)(?:~s(?P<shard>[1-9]\d{0,3})of(?P<shards>[1-9]\d{0,3}))?"
                  r"-(?P<seq>\d{6})\.parquet$")
# One shard's manifest in ``sweeps/<sweep>/``.
SHARD_MANIFEST = re.compile(r"^manifest-shard-(?P<shard>[1-9]\d{0,3})-of-(?P<shards>[1-9]\d{0,3})\.json$")


def part_token(sweep_id: str, shard: tuple[int, int] | None = None) -> str:
    """What a writer puts between ``part-`` and ``-<seq>``: the sweep id, and ``~s<i>of<n>`` for shard (i, n)."""
    return sweep_id if shard is None else f"{sweep_id}~s{shard[0]}of{shard[1]}"


def token_of(m: re.Match[str]) -> str:
    """The ``part_token`` of a ``PART`` match."""
    shard = None if m.group("shard") is None else (int(m.group("shard")), int(m.group("shards")))
    return part_token(m.group("sweep"), shard)


_DAY_DIR = re.compile(r"^(?:day=)?(?P<day>\d{4}-\d{2}-\d{2})$")


def is_day_dir(name: str) -> bool:
    """Whether ``name`` is a day folder of the observations (either layout)."""
    return _DAY_DIR.match(name) is not None


@dataclass(frozen=True)
class Layout:
    """The paths of one data folder."""

    root: Path

    def __init__(self, root: str | Path) -> None:
        object.__setattr__(self, "root", Path(root))

    # --- observations ----------------------------------------------------------------------------------------
    @property
    def observations(self) -> Path:
        return self.root / "observations"

    def day_dir(self, day: date | str) -> Path:
        return self.observations / (day if isinstance(day, str) else day.isoformat())

    def part_path(self, day: date | str, sweep_id: str, seq: int) -> Path:
        return self.day_dir(day) / f"part-{sweep_id}-{seq:06d}.parquet"

    def day_dirs(self) -> list[tuple[str, Path]]:
        """(ISO day, folder) of every day folder, both layouts, in day order."""
        if not self.observations.is_dir():
            return []
        found = []
        for p in self.observations.iterdir():
            m = _DAY_DIR.match(p.name)
            if m is not None and p.is_dir():
                found.append((m.group("day"), p))
        return sorted(found, key=lambda item: (item[0], item[1].name))

    def observation_files(self) -> list[Path]:
        """Every committed observation file, both layouts, in (day, name) order: every visible ``*.parquet`` of a
        day folder (parts in progress are hidden; a file another tool wrote there is read too)."""
        return [p for _, d in self.day_dirs() for p in sorted(d.glob("*.parquet"))]

    def files_of_days(self, first: date, last: date) -> list[Path]:
        """The committed parts of the days from ``first`` to ``last`` (inclusive)."""
        lo, hi = first.isoformat(), last.isoformat()
        return [p for day, d in self.day_dirs() if lo <= day <= hi for p in sorted(d.glob("*.parquet"))]

    def temp_parts(self, token: str) -> list[Path]:
        """Hidden parts in progress of one sweep, or of one shard of it (``token``: ``part_token``), left by a
        killed run, both layouts."""
        out = []
        for _, d in self.day_dirs():
            for tmp in d.glob(f".part-{token}-*.parquet.tmp"):
                m = PART.match(tmp.name[1:-4])
                if m is not None and token_of(m) == token:
                    out.append(tmp)
        return out

    # --- companions of the observations ----------------------------------------------------------------------
    @property
    def bodies(self) -> Path:
        return self.root / "bodies"

    @property
    def inventories(self) -> Path:
        return self.root / "inventories"

    @property
    def show(self) -> Path:
        return self.root / "show"

    @property
    def sweeps(self) -> Path:
        return self.root / "sweeps"

    def manifest(self, sweep_id: str) -> Path:
        return self.sweeps / sweep_id / "manifest.json"

    def shard_manifest(self, sweep_id: str, shard: tuple[int, int]) -> Path:
        """The manifest of shard (i, n) of a sharded sweep (``SHARD_MANIFEST``)."""
        return self.sweeps / sweep_id / f"manifest-shard-{shard[0]}-of-{shard[1]}.json"

    # --- later stages ----------------------------------------------------------------------------------------
    @property
    def enrich(self) -> Path:
        return self.root / "enrich"

    @property
    def enrich_geo(self) -> Path:
        return self.enrich / "geo"

    @property
    def enrich_models(self) -> Path:
        return self.enrich / "models"

    @property
    def enrich_prompts(self) -> Path:
        return self.enrich / "prompts"

    @property
    def enrich_manifest(self) -> Path:
        return self.enrich / "manifest.json"

    @property
    def candidates(self) -> Path:
        return self.root / "candidates"

    @property
    def store(self) -> Path:
        return self.root / "store"

    def store_db(self, host_key: str) -> Path:
        return self.store / f"{host_key}.duckdb"

    @property
    def pseudonym_index(self) -> Path:
        """Every address of the store with its pseudonym, kept by the dashboard (``web/pseudoindex.py``; 0600)."""
        return self.store / "pseudonyms.parquet"

    @property
    def report(self) -> Path:
        return self.root / "report"

    @property
    def optout(self) -> Path:
        return self.root / "optout.txt"

    @property
    def lock(self) -> Path:
        return self.root / ".llmcensus.lock"

    # --- the simulated world's evidence ----------------------------------------------------------------------
    @property
    def sim(self) -> Path:
        return self.root / "sim"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    @property
    def monitor(self) -> Path:
        """Lineage monitoring: ``alerts.jsonl`` (every alert, once) and ``webhook.json`` (what was delivered)."""
        return self.root / "monitor"

    @property
    def watchlist(self) -> Path:
        """The default watchlist (``llmcensus/monitor/watchlist.py``)."""
        return self.root / "watchlist.toml"

    @property
    def pseudonym_key(self) -> Path:
        """The secret key of this folder's address pseudonyms (``llmcensus/pseudonym.py``): created once, mode 0600."""
        return self.root / "pseudonym.key"

    @property
    def run_dir(self) -> Path:
        """``llmcensus run``'s state (``state.json``) and the events it handed on (``events.jsonl``)."""
        return self.root / "run"

    def has_observations(self) -> bool:
        return self.observations.is_dir() and any(self.observations.iterdir())
