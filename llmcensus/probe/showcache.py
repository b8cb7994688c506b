"""The ``/api/show`` cache, keyed by model digest, across hosts and sweeps.

``/api/show`` output depends only on the manifest digest (same digest = same blobs = same template,
license, parameters, model_info), so a digest is fetched once and every other host carrying it gets
``show_status = cached``. One caveat is version, not digest: hosts older than v0.6.4 do not send
``capabilities`` and hosts older than v0.1.45 no ``model_info``; an entry learnt from such a host is
re-fetched (and upgraded) the first time a newer host carries the digest (see ``richness``).
A second caveat: a lying host (honeypot) could seed a wrong entry; entries record where they came
from (``ip``, ``version``, ``sweep_id``) so analysis can audit them.

Persisted as the ``show`` dataset: ``<data>/show/part-<sweep_id>-<seq>.parquet`` (written atomically
by the observation writer's part writer; never rewritten), with the template text and the raw body
(zstd, capped) beside the parsed fields.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import zstandard

from llmcensus.errors import DataError
from llmcensus.observations.writer import write_parquet_atomic

_SHOW_FIELDS: list[pa.Field[Any]] = [
    pa.field("digest", pa.string(), nullable=False),
    pa.field("observed_at", pa.timestamp("us", tz="UTC")),
    pa.field("sweep_id", pa.string()),
    pa.field("ip", pa.string()),
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
    pa.field("body_zstd", pa.binary()),
]
SHOW_SCHEMA = pa.schema(_SHOW_FIELDS)
FIELD_COLUMNS = ("capabilities", "system", "template_sha", "template_flags", "license_head", "parameters",
                 "modelfile_from", "arch", "parameter_count", "train_context_length", "has_projector", "show_keys")


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
    fields: dict[str, Any]  # the MODEL struct's show fields, ready to merge into a model record
    template: str | None = None
    body: bytes | None = None  # raw reply (new entries only, until flushed)
    ip: str | None = None
    version: str | None = None
    observed_at: datetime | None = None


class ShowCache:
    def __init__(self, directory: str | Path | None = None, *, raw_body_cap: int = 64 * 1024) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.raw_body_cap = raw_body_cap
        self._entries: dict[str, ShowEntry] = {}
        self._pending: dict[str, asyncio.Future[ShowEntry | None]] = {}
        self._new: list[ShowEntry] = []
        self._seq = itertools.count()
        self.learnt = 0  # entries added by fetches since this cache was opened
        if self.directory is not None and self.directory.exists():
            self._load(self.directory)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, digest: object) -> bool:
        return digest in self._entries

    def _load(self, directory: Path) -> None:
        import pyarrow.dataset as ds

        try:
            table = ds.dataset(str(directory), format="parquet", schema=SHOW_SCHEMA).to_table(
                columns=["digest", "ip", "version", *FIELD_COLUMNS]
            )
        except (OSError, pa.ArrowException) as exc:
            raise DataError(f"cannot read the show cache in {directory}: {exc}") from None
        for row in table.to_pylist():  # files are in write order: a later entry refines an earlier one
            fields = {k: row[k] for k in FIELD_COLUMNS}
            old = self._entries.get(row["digest"])
            if old is None or richness(fields, row["version"]) >= richness(old.fields, old.version):
                self._entries[row["digest"]] = ShowEntry(row["digest"], fields, ip=row["ip"], version=row["version"])

    def get(self, digest: str, need: int = 0) -> ShowEntry | None:
        """The entry for ``digest`` if it is at least as rich as this host's version can give (``need``)."""
        entry = self._entries.get(digest)
        if entry is not None and richness(entry.fields, entry.version) < need:
            return None  # learnt from an older host: ask this newer host once, and upgrade
        return entry

    def pending(self, digest: str) -> asyncio.Future[ShowEntry | None] | None:
        """A fetch of this digest already in flight on another visit (await it instead of asking again)."""
        return self._pending.get(digest)

    def begin(self, digest: str) -> None:
        if digest not in self._pending:
            self._pending[digest] = asyncio.get_running_loop().create_future()

    def end(self, digest: str, entry: ShowEntry | None) -> None:
        fut = self._pending.pop(digest, None)
        if fut is not None and not fut.done():
            fut.set_result(entry)

    def add(self, digest: str, fields: dict[str, Any], template: str | None, body: bytes, *, ip: str | None,
            version: str | None, observed_at: datetime | None, share: bool = True) -> ShowEntry:
        """Learn a show reply; ``share=False`` (a suspect host) returns it for that host only."""
        entry = ShowEntry(digest, fields, template, body[: self.raw_body_cap], ip, version, observed_at)
        if not share:
            return entry
        old = self._entries.get(digest)
        if old is None or richness(fields, version) >= richness(old.fields, old.version):
            self._entries[digest] = entry
        self._new.append(entry)
        self.learnt += 1
        return entry

    def flush(self, sweep_id: str) -> int:
        """Write entries learnt since the last flush as one new part; returns how many."""
        if not self._new or self.directory is None:
            return 0
        new, self._new = self._new, []
        comp = zstandard.ZstdCompressor(level=6)
        rows = [
            {"digest": e.digest, "observed_at": e.observed_at, "sweep_id": sweep_id, "ip": e.ip,
             "version": e.version, **e.fields, "template": e.template,
             "body_zstd": comp.compress(e.body) if e.body is not None else None}
            for e in new
        ]
        for e in new:
            e.body = None
        table = pa.Table.from_pylist(rows, schema=SHOW_SCHEMA)
        while True:
            path = self.directory / f"part-{sweep_id}-{next(self._seq):06d}.parquet"
            if not path.exists():
                break
        write_parquet_atomic(table, path)
        return len(rows)
