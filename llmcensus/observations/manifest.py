"""The per-sweep manifest: ``<data>/sweeps/<sweep_id>/manifest.json``.

Written atomically (temp file, fsync, rename) at the start of a sweep, after every committed part
and at the end. ``counts`` and ``observations`` describe *committed* parts only, so after a crash the
manifest may lag the parts by at most one part; ``--resume`` recounts from the parts themselves.
``complete`` is true only when every target of the sweep has an observation.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from llmcensus import __version__
from llmcensus.errors import ConfigError, DataError, SchemaVersionError
from llmcensus.observations.schema import SCHEMA_VERSION
from llmcensus.store.layout import Layout

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

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)

    def write(self, data_dir: str | Path) -> Path:
        path = manifest_path(data_dir, self.sweep_id)
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
        """The manifest of ``sweep_id``; a missing, unparsable or ill-typed one is a ``DataError`` naming the file
        (and the field), a newer one a ``SchemaVersionError``. Fields absent from an older manifest keep their
        defaults; fields this version does not know are ignored."""
        path = manifest_path(data_dir, sweep_id)
        try:
            # orjson, not json: a hand-edited or corrupted file may nest 200,000 deep (json recurses and dies)
            raw = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise DataError(f"no manifest for sweep {sweep_id!r} in {data_dir}") from None
        except OSError as exc:
            raise DataError(f"unreadable manifest {path}: {exc.strerror or exc}") from None
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
}


def _check_field(path: Path, name: str, value: object) -> Any:
    accepts, want = _KINDS[_FIELD_KINDS[name]]
    if not accepts(value):
        raise DataError(f"manifest {path}: field {name!r} must be {want}, not {reprlib.repr(value)}")
    return value


def list_sweeps(data_dir: str | Path) -> list[str]:
    root = Layout(data_dir).sweeps
    if not root.exists():
        return []
    return sorted(p.parent.name for p in root.glob("*/manifest.json"))
