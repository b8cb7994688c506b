"""What each host said on ``/api/show``, remembered per (ip, port, digest) across sweeps.

Why per host and never per digest alone: a digest is only what a host *claims* to serve. If one
host's reply were reused for every host carrying the same digest, a host could write the system
prompt and capabilities recorded for any other host (cross-host poisoning, issue #14). So an
observation's show fields always come from its own host: asked on this visit (``fetched``), asked
earlier in the same sweep before a crash (also ``fetched``: the resumed visit does not ask again),
or asked in an earlier sweep (``cached``). Replies with the same content are stored once in memory
(interned), so the cost of remembering per host is a key per (host, digest).

One caveat is version: hosts older than v0.6.4 do not send ``capabilities``, and hosts older than
v0.1.45 no ``model_info``; an entry learnt before the same host upgraded is asked again (see
``richness``).

Persisted as the ``show`` dataset: ``<data>/show/part-<sweep_id>-<seq>.parquet``, written atomically,
never rewritten, with the template text beside the parsed fields and the raw body (capped) in the body
store (``observations/bodies.py``), referred to by ``body_hash``; rows written before the body store
carry it inline in ``body_zstd``. The body is the same bytes as the ``/api/show`` exchange of the
visit, so with the writer's store shared (``probe/sweep.py``) it is stored once for both.
New entries are written by ``flush``, which the observation writer calls *before* it commits each
observation part (``ObservationWriter.before_commit``): a record that says ``fetched`` is never
committed before its show data, and show data never before its body, so a ``kill -9`` loses no show
data and leaves no dangling reference. Parts written before the
``port`` column existed (schema v1 of this dataset) hold one host's reply each and are matched by
address alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from llmcensus.errors import DataError
from llmcensus.observations.bodies import BodyStore
from llmcensus.observations.writer import OBSERVATION_ZSTD_LEVEL, write_parquet_atomic
from llmcensus.store.layout import Layout

_SHOW_FIELDS: list[pa.Field[Any]] = [
    pa.field("digest", pa.string(), nullable=False),
    pa.field("observed_at", pa.timestamp("us", tz="UTC")),
    pa.field("sweep_id", pa.string()),
    pa.field("ip", pa.string()),
    pa.field("port", pa.int32()),  # null in parts written before per-host show data
    pa.field("version", pa.string()),
    pa.field("capabilities", pa.list_(pa.string())),
    pa.field("system", pa.string()),
    pa.field("template_sha", pa.string()),
    pa.field("template_flags", pa.list_(pa.string())),
    pa.field("license_head", pa.string()),
    pa.field("parameters", pa.string()),
    pa.field("modelfile_from", pa.string()),
    pa.field("arch", pa.string()),
    pa.field("parameter_count", pa.int64()),
    pa.field("train_context_length", pa.int64()),
    pa.field("has_projector", pa.bool_()),
    pa.field("show_keys", pa.list_(pa.string())),
    pa.field("template", pa.string()),
    pa.field("body_zstd", pa.binary()),  # raw body, zstd: rows written before the body store; null since
    pa.field("body_hash", pa.string()),  # the raw body (capped) in the body store; null in older rows
]
SHOW_SCHEMA = pa.schema(_SHOW_FIELDS)
FIELD_COLUMNS = ("capabilities", "system", "template_sha", "template_flags", "license_head", "parameters",
                 "modelfile_from", "arch", "parameter_count", "train_context_length", "has_projector", "show_keys")

Key = tuple[str, int | None, str]  # (ip, port or None for pre-port parts, digest)
FLUSH_BYTES = 32 * 1024 * 1024  # new show data held before the engine asks for an early flush


def richness(fields: dict[str, Any], version: str | None = None) -> int:
    """0 = pre-v0.1.45 reply, 1 = has model_info, 2 = has capabilities (v0.6.4+), 3 = capabilities from a
    version that can report ``thinking`` (v0.9.0+): a 0.6.4-0.8.x entry silently lacks it."""
    if fields.get("capabilities") is not None:
        from llmcensus.probe.runtimes.ollama_parse import version_tuple

        t = version_tuple(version)
        return 3 if t is not None and t >= (0, 9, 0) else 2
    return 1 if "model_info" in (fields.get("show_keys") or ()) else 0


@dataclass(slots=True)
class ShowEntry:
    digest: str
    fields: dict[str, Any]  # the MODEL struct's show fields, ready to merge into a model record (shared: read-only)
    template: str | None = None
    body_hash: str | None = None  # the raw reply in the body store (new entries only, until flushed)
    ip: str | None = None
    port: int | None = None
    version: str | None = None
    observed_at: datetime | None = None
    sweep_id: str | None = None


class ShowCache:
    def __init__(self, directory: str | Path | None = None, *, raw_body_cap: int = 64 * 1024,
                 bodies: BodyStore | None = None) -> None:
        """``directory`` is the data folder's show dataset (``Layout.show``); None keeps entries in memory only.
        ``bodies`` is the body store to share (the observation writer's: one copy of a body for both); by default
        the store of the data folder that holds ``directory``."""
        self.directory = Path(directory) if directory is not None else None
        self.raw_body_cap = raw_body_cap
        if bodies is None and self.directory is not None:
            bodies = BodyStore(Layout(self.directory.parent).bodies)
        self.bodies = bodies
        self._entries: dict[Key, ShowEntry] = {}
        self._interned: dict[bytes, dict[str, Any]] = {}
        self._new: list[ShowEntry] = []
        self._new_bytes = 0  # compressed bodies and templates held until the next flush
        self._seq = itertools.count()
        self.learnt = 0  # entries added by fetches since this cache was opened
        if self.directory is not None and self.directory.exists():
            self._load(self.directory)

    def __len__(self) -> int:
        return len(self._entries)

    def _intern(self, fields: dict[str, Any]) -> dict[str, Any]:
        key = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        return self._interned.setdefault(key, fields)

    def _load(self, directory: Path) -> None:
        import pyarrow.dataset as ds

        try:
            table = ds.dataset(str(directory), format="parquet", schema=SHOW_SCHEMA).to_table(
                columns=["digest", "ip", "port", "version", "sweep_id", *FIELD_COLUMNS]
            )
        except (OSError, pa.ArrowException) as exc:
            raise DataError(f"cannot read the show cache in {directory}: {exc}") from None
        for row in table.to_pylist():  # files are in write order: a later entry refines an earlier one
            if row["ip"] is None:
                continue  # no owner: it cannot be attributed to any host
            fields = self._intern({k: row[k] for k in FIELD_COLUMNS})
            key = (row["ip"], row["port"], row["digest"])
            old = self._entries.get(key)
            if old is None or richness(fields, row["version"]) >= richness(old.fields, old.version):
                self._entries[key] = ShowEntry(row["digest"], fields, ip=row["ip"], port=row["port"],
                                               version=row["version"], sweep_id=row["sweep_id"])

    def get(self, ip: str, port: int, digest: str, need: int = 0) -> ShowEntry | None:
        """What this host said about ``digest``, if it is as rich as its version can give (``need``)."""
        entry = self._entries.get((ip, port, digest)) or self._entries.get((ip, None, digest))
        if entry is not None and richness(entry.fields, entry.version) < need:
            return None  # learnt before this host upgraded: ask it again
        return entry

    def add(self, ip: str, port: int, digest: str, fields: dict[str, Any], template: str | None, body: bytes, *,
            version: str | None, observed_at: datetime | None, sweep_id: str) -> ShowEntry:
        """Learn one host's show reply for ``digest``."""
        held, body_hash = 0, None
        if self.bodies is not None:  # an in-memory cache (no directory) writes nothing: it keeps no body
            body_hash, held = self.bodies.add(body[: self.raw_body_cap])
        entry = ShowEntry(digest, self._intern(fields), template, body_hash, ip, port, version, observed_at, sweep_id)
        self._entries[(ip, port, digest)] = entry
        if self.directory is not None:
            self._new.append(entry)
            self._new_bytes += held + (len(template) if template is not None else 0)
        self.learnt += 1
        return entry

    @property
    def unflushed_bytes(self) -> int:
        """Bytes held for the next flush; the engine flushes early when this passes ``FLUSH_BYTES``."""
        return self._new_bytes

    def flush(self, sweep_id: str) -> int:
        """Write entries learnt since the last flush as one new part; returns how many."""
        if not self._new or self.directory is None:
            return 0
        new, self._new, held = self._new, [], self._new_bytes
        self._new_bytes = 0
        rows = [
            {"digest": e.digest, "observed_at": e.observed_at, "sweep_id": e.sweep_id or sweep_id, "ip": e.ip,
             "port": e.port, "version": e.version, **e.fields, "template": e.template, "body_hash": e.body_hash}
            for e in new
        ]
        table = pa.Table.from_pylist(rows, schema=SHOW_SCHEMA)
        if self.bodies is not None:
            try:
                self.bodies.flush(sweep_id)  # the bodies these rows refer to, first
            except DataError:
                self._new[:0] = new
                self._new_bytes += held
                raise
        while True:
            path = self.directory / f"part-{sweep_id}-{next(self._seq):06d}.parquet"
            if not path.exists():
                break
        try:
            write_parquet_atomic(table, path, compression_level=OBSERVATION_ZSTD_LEVEL)
        except DataError:
            self._new[:0] = new  # not written: keep them for the next attempt
            self._new_bytes += held
            raise
        for e in new:
            e.body_hash = e.template = None  # written: memory follows the number of hosts, not of replies
        return len(rows)
