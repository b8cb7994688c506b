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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from llmcensus import __version__
from llmcensus.errors import ConfigError, DataError, SchemaVersionError
from llmcensus.observations.schema import SCHEMA_VERSION

_SWEEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def check_sweep_id(sweep_id: str) -> str:
    if not _SWEEP_ID.match(sweep_id):
        raise ConfigError(f"bad sweep id {sweep_id!r}: use letters, digits, '.', '_' or '-' (max 128)")
    return sweep_id


def manifest_path(data_dir: str | Path, sweep_id: str) -> Path:
    return Path(data_dir) / "sweeps" / check_sweep_id(sweep_id) / "manifest.json"


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
        path = manifest_path(data_dir, sweep_id)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"no manifest for sweep {sweep_id!r} in {data_dir}") from None
        except (OSError, ValueError) as exc:
            raise DataError(f"unreadable manifest {path}: {exc}") from None
        if not isinstance(raw, dict):
            raise DataError(f"manifest {path} is not a JSON object")
        if int(raw.get("schema_version", 0)) > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"sweep {sweep_id!r} was written with schema v{raw['schema_version']}; "
                f"this llmcensus reads v{SCHEMA_VERSION}"
            )
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})


def list_sweeps(data_dir: str | Path) -> list[str]:
    root = Path(data_dir) / "sweeps"
    if not root.exists():
        return []
    return sorted(p.parent.name for p in root.glob("*/manifest.json"))
