"""``llmcensus merge``: the data folders of n machines (one shard each, ``observations/shard.py``) into one.

What is copied from each source: every committed part of the observations (``observations/<day>/``, both day
layouts), of the body store (``bodies/``), the inventory store (``inventories/``) and of the show data (``show/``),
and every sweep manifest (``sweeps/<sweep>/manifest.json`` or ``manifest-shard-<i>-of-<n>.json``), each to the same
relative path. Nothing else: enrichment, the store and reports are derived, and are rebuilt in the destination
(``enrich``, ``store update``, ``report``); candidates and the opt-out list belong to the machine that used them.

Invariants, as the writer's (``writer.py``):
* everything is checked before the first byte is written: sources that are not data folders, a sweep folder
  holding a file this version does not know, a manifest of a newer schema, a sweep split two ways (or sharded in one
  folder and not in another) and a file that already exists in the destination with different bytes are each a
  ``DataError`` naming the file, and nothing is copied;
* each file is copied to a hidden temp name in its final folder, fsynced, then renamed, so a reader (or a crash)
  never sees half a file; an observation part is checked (``reader.check_parts``) before it becomes visible;
* bodies and inventories are copied before the show data and the observations that refer to them, and manifests
  last, so a crash mid-merge never leaves a dangling body or inventory hash or a manifest naming a part that is not
  there; running the merge again completes it;
* idempotent: a file already in the destination with the same bytes is skipped, so merging again copies nothing;
* the destination's writer lock (``datalock.py``) is held throughout; sources are only read (readers take no lock).
  A source's manifests are read before its parts are listed, so a source still being written yields manifests
  that name no part missing from the copy.

Sources are local folders or any URI pyarrow's filesystems open (``pyarrow.fs.FileSystem.from_uri``: ``s3://``,
``gs://``, ``hdfs://``, ``file://``); pyarrow's errors are translated here, at this one boundary.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs

from llmcensus.datalock import writer_lock
from llmcensus.errors import ConfigError, DataError, InputError, UsageError
from llmcensus.observations.manifest import Manifest, check_sweep_id
from llmcensus.observations.reader import check_parts
from llmcensus.observations.writer import _fsync_dir
from llmcensus.store.layout import PART, SHARD_MANIFEST, Layout, is_day_dir

CHUNK = 4 * 1024 * 1024  # bytes read at a time from a source: memory stays flat whatever a part weighs
# The folder names, from the one module that knows the layout (relative to any data folder).
_NAMES = Layout(".")
BODIES, INVENTORIES, SHOW, OBSERVATIONS, SWEEPS = (_NAMES.bodies.name, _NAMES.inventories.name, _NAMES.show.name,
                                                   _NAMES.observations.name, _NAMES.sweeps.name)
MANIFEST = _NAMES.manifest("s").name
# Copy order (see the module docstring): what is referred to before what refers to it, manifests last.
ORDER = (BODIES, INVENTORIES, SHOW, OBSERVATIONS, SWEEPS)


@dataclass
class MergeSummary:
    """What ``merge`` did: files copied, files already there with the same bytes, and the sweeps seen."""

    dest: Path
    sources: list[str]
    copied: int = 0
    skipped: int = 0
    bytes: int = 0
    sweeps: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files of the sources that are not data (not copied)

    def as_dict(self) -> dict[str, Any]:
        return {"dest": str(self.dest), "sources": self.sources, "copied": self.copied, "skipped": self.skipped,
                "bytes": self.bytes, "sweeps": self.sweeps, "ignored": self.ignored}


@dataclass
class _File:
    """One file to copy: where it is in its source, where it goes, and (for a manifest) its bytes as read."""

    fs: pafs.FileSystem
    src: str  # the path in ``fs``
    rel: str  # relative to the data folder, '/'-separated
    size: int
    data: bytes | None = None  # manifests are read once, at planning time, and written from these bytes


@dataclass
class _Split:
    """How each sweep is laid out across the folders: unsharded (0) or split into n shards."""

    seen: dict[str, dict[int, str]] = field(default_factory=dict)  # sweep -> {n or 0: where it was seen}

    def add(self, sweep: str, n: int, where: str) -> None:
        kinds = self.seen.setdefault(sweep, {})
        kinds.setdefault(n, where)
        if len(kinds) > 1:
            described = ", ".join(f"{'unsharded' if k == 0 else f'{k} shards'} in {w}" for k, w in kinds.items())
            raise DataError(f"sweep {sweep!r} is split two ways ({described}): it cannot be merged into one sweep")


def open_source(source: str) -> tuple[pafs.FileSystem, str]:
    """(filesystem, path) of a local folder or a URI pyarrow opens; an unusable one is an ``InputError``."""
    if "://" not in source:
        return pafs.LocalFileSystem(), str(Path(source).resolve())
    try:
        fs, path = pafs.FileSystem.from_uri(source)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"cannot open merge source: {exc}", source) from None
    return fs, path.rstrip("/")


def _list(fs: pafs.FileSystem, path: str, recursive: bool = False) -> list[pafs.FileInfo]:
    try:
        infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True, recursive=recursive))
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot list {path}: {exc}") from None
    return sorted(infos, key=lambda i: i.path)


def _read(fs: pafs.FileSystem, path: str) -> bytes:
    try:
        with fs.open_input_stream(path) as handle:
            data: bytes = handle.read()
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    return data


def _plan_source(source: str, split: _Split, summary: MergeSummary, *, dest: bool = False) -> list[_File]:
    """Every file of one source to copy, its manifests read and checked (see the module docstring); a source
    (unlike the destination, ``dest``) without a single sweep manifest is not a data folder: an ``InputError``."""
    fs, root = open_source(source)
    try:
        info = fs.get_file_info(root)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot open merge source: {exc}", source) from None
    if info.type != pafs.FileType.Directory:
        raise InputError("merge source is not a folder", source)
    files: list[_File] = []
    for sweep_dir in _list(fs, f"{root}/{SWEEPS}"):  # manifests first: then no listed part is newer than them
        if sweep_dir.base_name.startswith("."):
            continue
        if sweep_dir.type != pafs.FileType.Directory:
            raise DataError(f"unknown sweep layout in {source}: {SWEEPS}/{sweep_dir.base_name} is not a folder")
        sweep = sweep_dir.base_name
        try:
            check_sweep_id(sweep)
        except ConfigError:
            raise DataError(f"unknown sweep layout in {source}: {SWEEPS}/{sweep} is not a sweep id") from None
        for f in _list(fs, sweep_dir.path):
            if f.base_name.startswith("."):
                continue  # a manifest being replaced (its temp name): the committed one is beside it
            m = SHARD_MANIFEST.match(f.base_name)
            rel = f"{SWEEPS}/{sweep}/{f.base_name}"
            if f.type != pafs.FileType.File or (f.base_name != MANIFEST and m is None):
                raise DataError(f"unknown sweep layout in {source}: {rel}")
            data = _read(fs, f.path)
            manifest = Manifest.parse(data, f"{source}/{rel}", sweep)
            key = (int(m.group("shard")), int(m.group("shards"))) if m is not None else None
            found = (manifest.shard["index"], manifest.shard["count"]) if manifest.shard is not None else None
            if key != found or manifest.shards is not None:
                raise DataError(f"manifest {source}/{rel}: its 'shard' field does not match its name")
            split.add(sweep, key[1] if key is not None else 0, source)
            files.append(_File(fs, f.path, rel, len(data), data))
            if sweep not in summary.sweeps:
                summary.sweeps.append(sweep)
    for folder in ORDER[:-1]:
        for f in _list(fs, f"{root}/{folder}", recursive=True):
            rel = f.path[len(root) + 1:]
            if f.type != pafs.FileType.File or any(p.startswith(".") for p in rel.split("/")):
                continue  # folders, and parts in progress (hidden temp names): not data
            parts = rel.split("/")
            day_ok = folder != OBSERVATIONS or (len(parts) == 3 and is_day_dir(parts[1]))
            if PART.match(parts[-1]) is None or not day_ok or (folder != OBSERVATIONS and len(parts) != 2):
                summary.ignored.append(f"{source}/{rel}")
                continue
            files.append(_File(fs, f.path, rel, f.size or 0))
    if not dest and not any(f.data is not None for f in files):
        raise InputError(f"merge source is not a data folder (no {SWEEPS}/<sweep>/ manifest)", source)
    return files


def _same(a: _File, b: _File) -> bool:
    """Whether two files hold exactly the same bytes (compared in chunks, never whole in memory)."""
    if a.size != b.size:
        return False
    if a.data is not None and b.data is not None:
        return a.data == b.data
    try:
        with a.fs.open_input_stream(a.src) as one, b.fs.open_input_stream(b.src) as other:
            while True:
                x, y = one.read(CHUNK), other.read(CHUNK)
                if x != y:
                    return False
                if not x:
                    return True
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot compare {a.src} with {b.src}: {exc}") from None


def _copy(item: _File, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        with tmp.open("wb") as out:
            if item.data is not None:
                out.write(item.data)
            else:
                with item.fs.open_input_stream(item.src) as src:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if item.rel.split("/", 1)[0] == OBSERVATIONS:
            check_parts([tmp])  # a part of a newer schema, or not Parquet, never becomes visible
        os.rename(tmp, dest)
    except (pa.ArrowException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"cannot copy {item.src} to {dest}: {exc}") from None
    except DataError:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(dest.parent)


def merge(sources: list[str], dest: str | Path) -> MergeSummary:
    """Copy the committed data of every source folder into ``dest`` (see the module docstring)."""
    if not sources:
        raise UsageError("give at least one SOURCE data folder to merge")
    root = Path(dest)
    summary = MergeSummary(root, list(sources))
    with writer_lock(root, "llmcensus merge"):
        split = _Split()
        plan: list[_File] = []
        for source in sources:
            fs, path = open_source(source)
            if isinstance(fs, pafs.LocalFileSystem) and Path(path) == root.resolve():
                raise UsageError(f"merge source {source} is the destination itself")
            plan += _plan_source(source, split, summary)
        # DEST's own sweeps must agree with the sources' too; what it holds already is compared, not copied
        have = {f.rel: f for f in _plan_source(str(root), split, MergeSummary(root, []), dest=True)}
        todo: list[_File] = []
        chosen: dict[str, _File] = {}
        for item in plan:
            earlier = chosen.get(item.rel)
            if earlier is not None:  # two sources hold the same file: fine only when it is the same file
                if not _same(earlier, item):
                    raise DataError(f"{item.rel} differs between two sources ({earlier.src} and {item.src})")
                continue
            chosen[item.rel] = item
            there = have.get(item.rel)
            if there is None and (root / item.rel).exists():  # not a file merge would copy (a folder, say)
                raise DataError(f"{root / item.rel} already exists and is not the same file as {item.src}")
            if there is not None:
                if not _same(item, there):
                    raise DataError(f"{root / item.rel} already exists with different bytes than {item.src}")
                summary.skipped += 1
                continue
            todo.append(item)
        todo.sort(key=lambda i: ORDER.index(i.rel.split("/", 1)[0]))
        for item in todo:
            _copy(item, root / item.rel)
            summary.copied += 1
            summary.bytes += item.size
    summary.sweeps.sort()
    return summary
