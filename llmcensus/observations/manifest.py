"""The per-sweep manifest: ``<data>/sweeps/<sweep_id>/manifest.json``.

Written atomically (temp file, fsync, rename) at the start of a sweep, after every committed part
and at the end. ``counts`` and ``observations`` describe *committed* parts only, so after a crash the
manifest may lag the parts by at most one part; ``--resume`` recounts from the parts themselves.
``complete`` is true only when every target of the sweep has an observation.

A sharded sweep (``observations/shard.py``) has one manifest per shard instead,
``<data>/sweeps/<sweep_id>/manifest-shard-<i>-of-<n>.json`` (field ``shard``), each written by its own writer as
above. Every reader sees one sweep: ``Manifest.read`` folds the shards' manifests into one view (``merged``), whose
``shards`` field says which shards are present, missing and complete; the view is never written.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from llmcensus import __version__
from llmcensus.errors import ConfigError, DataError, SchemaVersionError
from llmcensus.observations.schema import SCHEMA_VERSION
from llmcensus.observations.shard import MAX_SHARDS, Shard
from llmcensus.store.layout import SHARD_MANIFEST, Layout

_SWEEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def check_sweep_id(sweep_id: str) -> str:
    if not _SWEEP_ID.match(sweep_id):
        raise ConfigError(f"bad sweep id {sweep_id!r}: use letters, digits, '.', '_' or '-' (max 128)")
    return sweep_id


def manifest_path(data_dir: str | Path, sweep_id: str) -> Path:
    return Layout(data_dir).manifest(check_sweep_id(sweep_id))


@dataclass(slots=True)
class Manifest:
    sweep_id: str
    source: str = "probe"
    schema_version: int = SCHEMA_VERSION
    llmcensus_version: str = __version__
    started_at: str | None = None  # ISO 8601 UTC, from the sweep's clock (simulated time in a simulated study)
    finished_at: str | None = None
    complete: bool = False
    interrupted: bool = False
    runs: int = 1  # 1 + number of --resume runs
    targets_total: int | None = None
    observations: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # by status, committed observations only
    parts: list[str] = field(default_factory=list)  # relative to the data directory, in commit order
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. show-cache and duplicate-target counters
    shard: dict[str, int] | None = None  # {"index": i, "count": n}: the manifest of shard i of n (1-based)
    # Only in the view ``merged`` builds of a sharded sweep: {"count": n, "present": [i...], "missing": [i...],
    # "complete": [i...]} (shard indices, 1-based).
    shards: dict[str, Any] | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)

    def path(self, data_dir: str | Path) -> Path:
        """Where this manifest is stored: the sweep's, or its shard's."""
        if self.shard is None:
            return manifest_path(data_dir, self.sweep_id)
        return Layout(data_dir).shard_manifest(check_sweep_id(self.sweep_id), _shard_key(self.shard))

    def write(self, data_dir: str | Path) -> Path:
        if self.shards is not None:
            # the merged view sums its shards' manifests; written, it would hide the shards it came from
            raise DataError(f"the merged view of sharded sweep {self.sweep_id!r} is not a manifest to write")
        path = self.path(data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(self.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return path

    @classmethod
    def read(cls, data_dir: str | Path, sweep_id: str) -> Manifest:
        """The manifest of ``sweep_id`` (of a sharded sweep: the view ``merged`` builds from its shards' manifests);
        a missing, unparsable or ill-typed one is a ``DataError`` naming the file (and the field), a newer one a
        ``SchemaVersionError``. Fields absent from an older manifest keep their defaults; fields this version does
        not know are ignored."""
        path = manifest_path(data_dir, sweep_id)
        shards = shard_manifests(data_dir, sweep_id)
        if shards:
            if path.exists():
                raise DataError(f"sweep {sweep_id!r} in {data_dir} has both a manifest.json and shard manifests")
            return merged(sweep_id, [cls.read_shard(data_dir, sweep_id, key) for key in shards])
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise DataError(f"no manifest for sweep {sweep_id!r} in {data_dir}") from None
        except OSError as exc:
            raise DataError(f"unreadable manifest {path}: {exc.strerror or exc}") from None
        return cls.parse(raw, path, sweep_id)

    @classmethod
    def read_shard(cls, data_dir: str | Path, sweep_id: str, shard: tuple[int, int]) -> Manifest:
        """The manifest of shard (i, n) of ``sweep_id`` alone, checked as ``read`` checks a manifest."""
        path = Layout(data_dir).shard_manifest(check_sweep_id(sweep_id), shard)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise DataError(f"no manifest of shard {shard[0]}/{shard[1]} of sweep {sweep_id!r} in {data_dir}",
                            ) from None
        except OSError as exc:
            raise DataError(f"unreadable manifest {path}: {exc.strerror or exc}") from None
        found = cls.parse(raw, path, sweep_id)
        if found.shard is None or _shard_key(found.shard) != shard:
            raise DataError(f"manifest {path}: field 'shard' is {reprlib.repr(found.shard)}, not "
                            f"{{'index': {shard[0]}, 'count': {shard[1]}}}")
        return found

    @classmethod
    def parse(cls, data: bytes, path: str | Path, sweep_id: str) -> Manifest:
        """A manifest from its bytes (``path`` names it in errors); checked as ``read`` describes."""
        try:
            # orjson, not json: a hand-edited or corrupted file may nest 200,000 deep (json recurses and dies)
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise DataError(f"unreadable manifest {path}: not JSON ({exc})") from None
        if not isinstance(raw, dict):
            raise DataError(f"manifest {path} is not a JSON object")
        values = {name: _check_field(path, name, raw[name]) for name in _FIELD_KINDS if name in raw}
        if "sweep_id" not in values:
            raise DataError(f"manifest {path}: field 'sweep_id' is missing")
        if values["sweep_id"] != sweep_id:
            found = reprlib.repr(values["sweep_id"])
            raise DataError(f"manifest {path}: field 'sweep_id' is {found}, not {sweep_id!r}")
        if values.get("schema_version", SCHEMA_VERSION) > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"sweep {sweep_id!r} was written with schema v{values['schema_version']}; "
                f"this llmcensus reads v{SCHEMA_VERSION}"
            )
        if values.get("shard") is not None:
            try:
                Shard(**values["shard"])
            except (TypeError, ConfigError):
                raise DataError(f"manifest {path}: field 'shard' must be {{'index': i, 'count': n}} with "
                                f"1 <= i <= n <= {MAX_SHARDS}, not {reprlib.repr(values['shard'])}") from None
        return cls(**values)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# What a field may hold, and how the error names it.
_KINDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "str?": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "count": (_is_count, "a non-negative integer"),
    "count?": (lambda v: v is None or _is_count(v), "a non-negative integer or null"),
    "counts": (lambda v: isinstance(v, dict) and all(_is_count(n) for n in v.values()),
               "an object of non-negative integers"),
    "strs": (lambda v: isinstance(v, list) and all(isinstance(p, str) for p in v), "an array of strings"),
    "object": (lambda v: isinstance(v, dict), "an object"),
    "object?": (lambda v: v is None or isinstance(v, dict), "an object or null"),
}  # fmt: skip
_FIELD_KINDS: dict[str, str] = {
    "sweep_id": "str",
    "source": "str",
    "schema_version": "count",
    "llmcensus_version": "str",
    "started_at": "str?",
    "finished_at": "str?",
    "complete": "bool",
    "interrupted": "bool",
    "runs": "count",
    "targets_total": "count?",
    "observations": "count",
    "counts": "counts",
    "parts": "strs",
    "settings": "object",
    "extra": "object",
    "shard": "object?",
    "shards": "object?",
}


def _check_field(path: str | Path, name: str, value: object) -> Any:
    accepts, want = _KINDS[_FIELD_KINDS[name]]
    if not accepts(value):
        raise DataError(f"manifest {path}: field {name!r} must be {want}, not {reprlib.repr(value)}")
    return value


def list_sweeps(data_dir: str | Path) -> list[str]:
    """Every sweep of the folder, sharded or not, once each."""
    root = Layout(data_dir).sweeps
    if not root.exists():
        return []
    return sorted({p.parent.name for p in root.glob("*/manifest*.json")
                   if p.name == "manifest.json" or SHARD_MANIFEST.match(p.name)})


def shard_manifests(data_dir: str | Path, sweep_id: str) -> list[tuple[int, int]]:
    """The (i, n) of every shard manifest of ``sweep_id`` in the folder, in order."""
    folder = Layout(data_dir).sweeps / check_sweep_id(sweep_id)
    found = (SHARD_MANIFEST.match(p.name) for p in folder.glob("manifest-shard-*.json")) if folder.is_dir() else ()
    return sorted((int(m.group("shard")), int(m.group("shards"))) for m in found if m is not None)


def _shard_key(shard: dict[str, int]) -> tuple[int, int]:
    return int(shard["index"]), int(shard["count"])


def _count(value: object) -> int:
    return value if _is_count(value) else 0  # type: ignore[return-value]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def merged(sweep_id: str, parts: list[Manifest]) -> Manifest:
    """One sweep from the manifests of its shards: observations, counts and targets summed, parts concatenated in
    shard order, ``started_at`` the earliest, ``complete`` only when all n shards are present and complete, and
    ``finished_at`` the latest only then (a sweep with a shard still to run has not finished). ``settings`` are the
    first shard's (shards of one sweep are meant to share them; each shard's own ``extra`` is kept under
    ``extra["by_shard"]``)."""
    if not parts:
        raise DataError(f"sweep {sweep_id!r} has no shard manifests")
    if any(m.shard is None for m in parts):
        raise DataError(f"sweep {sweep_id!r}: a manifest without 'shard' among its shards' manifests")
    keys = [_shard_key(m.shard) for m in parts if m.shard is not None]
    counts = {n for _, n in keys}
    if len(counts) != 1:
        raise DataError(f"sweep {sweep_id!r} has shard manifests of different splits: "
                        + ", ".join(f"{i}/{n}" for i, n in sorted(keys)))
    n = counts.pop()
    ordered = sorted(zip(keys, parts, strict=True), key=lambda kv: kv[0])
    present = [i for (i, _), _m in ordered]
    missing = [i for i in range(1, n + 1) if i not in present]
    done = [i for (i, _), m in ordered if m.complete]
    first = ordered[0][1]
    view = Manifest(
        sweep_id, source=first.source, schema_version=max(m.schema_version for m in parts),
        llmcensus_version=first.llmcensus_version, settings=dict(first.settings),
        runs=max(m.runs for m in parts), interrupted=any(m.interrupted for m in parts),
        complete=not missing and len(done) == n,
        observations=sum(m.observations for m in parts),
        parts=[p for _, m in ordered for p in m.parts],
        shards={"count": n, "present": present, "missing": missing, "complete": done},
    )
    for m in parts:
        for status, k in m.counts.items():
            view.counts[status] = view.counts.get(status, 0) + k
    totals = [m.targets_total for m in parts if m.targets_total is not None]
    view.targets_total = sum(totals) if totals else None
    starts = [m.started_at for m in parts if m.started_at]
    view.started_at = min(starts, key=_when) if starts else None
    ends = [m.finished_at for m in parts if m.finished_at]
    view.finished_at = max(ends, key=_when) if view.complete and len(ends) == n else None
    view.extra = {"by_shard": {str(i): m.extra for (i, _), m in ordered},
                  "duplicates_dropped": sum(_count(m.extra.get("duplicates_dropped")) for m in parts)}
    return view
