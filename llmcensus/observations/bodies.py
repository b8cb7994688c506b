"""Raw reply bodies, stored once by content hash (``<data>/bodies/part-<sweep>-<seq>.parquet``).

An observation's exchange keeps ``body_hash``; the bytes live here, one row per distinct body whoever sent it and
whenever: a host's ``/api/tags`` reply that is byte-identical day after day, or the ``/api/version`` body that
every host of one version sends, is stored once. The show dataset refers to the same store (its ``body_hash``).

Invariants:
* append-only, like the observations: a body part is written atomically (``write_parquet_atomic``) and never
  rewritten; a body is added only if its hash is not already stored (``BodyStore`` loads the stored hashes once,
  when it opens, and remembers what it writes);
* a body is committed *before* any record that refers to it (``BodyStore.flush`` runs in the observation
  writer's flush before the observation parts, and in the show cache's flush before the show part), so a
  ``kill -9`` never leaves a dangling ``body_hash``; a body whose referring record was lost is an orphan, harmless;
* the stored bytes are the body as read, capped at ``raw_body_cap``; the hash is of exactly those bytes.

Hash: BLAKE2b with a 16-byte digest (128 bits), as 32 lowercase hex characters. Collisions: with n distinct bodies
the chance of any collision is about n^2 / 2^129; for ten billion bodies that is 1.5e-19. BLAKE2b is in Python's
standard library and faster than SHA-256 in pure CPython (``hashlib``); it is not used as a security boundary
(a host can only choose its own bodies, and a collision would need 2^64 work).

Compression: bodies are held raw in the ``body`` column and the Parquet page (zstd level ``BODY_ZSTD_LEVEL``)
compresses across rows: the same license text, template or model list in many bodies is stored once per page.
Measured on the demo-sized study (2,000 hosts x 14 days): 747 bytes per observation row as per-body zstd
(level 3) against 117 as page-level zstd level 3 and 93 at level 9 (bench/storage.py). Later, with every runtime in
the world: 70.9 at level 9 with 1 MB pages and a dictionary-encoded hash, 63.7 at level 12 with 8 MB pages and a plain
hash (0.8 s of CPU for the demo's 42 MB of distinct bodies), 60.4 at level 15 (2.4 s, about 0.1 ms a visit: bodies
are new on a host's first visit, a daily sweep adds few); level 19 would save 3 more for four times the CPU.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import zstandard

from llmcensus.errors import DataError
from llmcensus.observations.contentstore import ContentStore, part_files
from llmcensus.store.layout import Layout

HASH_BYTES = 16
BODY_ZSTD_LEVEL = 15
BODY_PAGE_BYTES = 8 * 1024 * 1024

_BODY_FIELDS: list[pa.Field[Any]] = [
    pa.field("hash", pa.string(), nullable=False),  # blake2b-128 of ``body``, 32 lowercase hex characters
    pa.field("body", pa.binary(), nullable=False),  # the body as read, capped at raw_body_cap
    pa.field("bytes", pa.int64(), nullable=False),  # len(body)
]
BODY_SCHEMA = pa.schema(_BODY_FIELDS)


def body_hash(body: bytes) -> str:
    """The content hash a body is stored under (see module docstring)."""
    return hashlib.blake2b(body, digest_size=HASH_BYTES).hexdigest()


def body_files(directory: Path) -> list[Path]:
    """Committed body parts of a body store folder, in name order."""
    return part_files(directory)


class BodyStore(ContentStore[bytes]):
    """The writing side of one data folder's body store (one per writer; see module docstring)."""

    what = "body"

    def __init__(self, directory: str | Path) -> None:
        super().__init__(directory)
        self._pending_bytes = 0

    @property
    def pending_bytes(self) -> int:
        """Raw bytes of the bodies waiting for the next flush."""
        return self._pending_bytes

    def add(self, body: bytes) -> tuple[str, int]:
        """(hash, bytes newly held): the body is queued for the next flush unless already stored or queued."""
        digest = body_hash(body)
        if digest in self:
            return digest, 0
        held = bytes(body)  # a private copy: a memoryview or a slice of a larger buffer would pin that buffer
        self._queue(digest, held)
        self._pending_bytes += len(held)
        return digest, len(held)

    def _table(self, items: Sequence[tuple[str, bytes]]) -> pa.Table:
        return pa.table(
            {"hash": pa.array([h for h, _ in items], pa.string()),
             "body": pa.array([b for _, b in items], pa.binary()),
             "bytes": pa.array([len(b) for _, b in items], pa.int64())},
            schema=BODY_SCHEMA,
        )

    def _write(self, table: pa.Table, path: Path) -> None:
        from llmcensus.observations.writer import write_parquet_atomic

        # No dictionary (bodies and hashes are distinct by construction); large pages give zstd more bodies to
        # share text across.
        write_parquet_atomic(table, path, compression_level=BODY_ZSTD_LEVEL, use_dictionary=False,
                             data_page_size=BODY_PAGE_BYTES)

    def _flushed(self) -> None:
        self._pending_bytes = 0


def read_bodies(data_dir: str | Path, hashes: Iterable[str]) -> dict[str, bytes]:
    """``{hash: body}`` for the stored bodies among ``hashes`` (a hash that is not stored is absent)."""
    wanted = sorted({h for h in hashes if h is not None})
    files = body_files(Layout(data_dir).bodies)
    if not wanted or not files:
        return {}
    try:
        table = ds.dataset([str(p) for p in files], format="parquet", schema=BODY_SCHEMA).to_table(
            columns=["hash", "body"], filter=pc.field("hash").isin(pa.array(wanted, pa.string())))
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read bodies in {Layout(data_dir).bodies}: {exc}") from None
    pairs = zip(table.column("hash").to_pylist(), table.column("body").to_pylist(), strict=True)
    return {str(h): b for h, b in pairs if isinstance(b, bytes)}  # both columns are non-null by schema


_DECOMPRESSOR = zstandard.ZstdDecompressor()


def unpack_body(packed: bytes) -> bytes:
    """An inline ``body_zstd`` (v1 rows and v2 rows written before the body store) back to the raw body."""
    return _DECOMPRESSOR.decompress(packed, max_output_size=64 * 1024 * 1024)


def resolve_exchanges(
    data_dir: str | Path, observations: Sequence[Mapping[str, Any]],
) -> list[list[dict[str, Any]] | None]:
    """Each observation's ``exchanges``, every exchange with its raw ``body`` (bytes, or None when no reply),
    whatever version wrote it: ``body_hash`` is looked up in the body store, an inline ``body_zstd`` is
    decompressed. ``observations`` are rows as dicts (``table.to_pylist()``) with at least ``exchanges``.
    A ``body_hash`` missing from the store is a ``DataError`` (the writer never commits such a row)."""
    hashes = [ex.get("body_hash") for obs in observations for ex in obs.get("exchanges") or ()]
    bodies = read_bodies(data_dir, (h for h in hashes if h is not None))
    out: list[list[dict[str, Any]] | None] = []
    for obs in observations:
        exchanges = obs.get("exchanges")
        if exchanges is None:
            out.append(None)
            continue
        resolved = []
        for ex in exchanges:
            item = dict(ex)
            digest, packed = ex.get("body_hash"), ex.get("body_zstd")
            if digest is not None:
                if digest not in bodies:
                    raise DataError(f"observation {obs.get('observation_id')}: body {digest} is not in the store")
                item["body"] = bodies[digest]
            elif packed is not None:
                item["body"] = unpack_body(packed)
            else:
                item["body"] = None
            resolved.append(item)
        out.append(resolved)
    return out
