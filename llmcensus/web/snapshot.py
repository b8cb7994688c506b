"""The server's private snapshot of the store, so that serving never blocks the store's writer.

Why: DuckDB lets either one process open a database file read-write or any number open it read-only, never both
(measured with DuckDB 2.0: a process holding ``ATTACH ... (READ_ONLY)`` makes ``duckdb.connect(path)`` elsewhere
fail with "Could not set lock on file"). A server that attached ``<data>/store/<host_key>.duckdb`` for its whole
life would make every ``llmcensus store update`` and ``llmcensus run`` fail while it runs. So the server never opens
the store file with DuckDB: it copies the file's bytes (and its WAL, if a writer left one) into a private folder,
checks that neither changed during the copy (inode, size, modification time: a writer that wrote meanwhile changes
at least the time, and the copy is then retried), and attaches the copy. The private folder mirrors the data folder
(``observations`` and ``enrich`` are symbolic links to the real ones: Parquet parts are never rewritten, so reading
them needs no lock) so that ``store.derive.attach`` builds the analysis relations exactly as for the data folder.
Once attached, the copy is unlinked: DuckDB keeps its open descriptor, and a killed server leaves no copy behind.

Cost: one copy of the store file per (re)load (826 MB at seed scale, about 1 s from the page cache) on the system
temp directory's disk, freed when the snapshot is closed.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import duckdb

from llmcensus.errors import DataError
from llmcensus.store import db
from llmcensus.store.derive import ViewParams, attach
from llmcensus.store.layout import Layout
from llmcensus.store.relations import store_path

log = logging.getLogger(__name__)

Stamp = tuple[int, ...]
COPY_ATTEMPTS = 20  # a store update rewrites the file for seconds to minutes: wait that long before giving up
COPY_PAUSE = 1.0  # seconds between attempts
PREFIX = "llmcensus-serve-"  # a private folder is <temp>/llmcensus-serve-<pid>-<random>


def _one(path: Path) -> tuple[int, int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def stamp(path: Path) -> Stamp | None:
    """What changes whenever a writer touches the store file ``path``: (inode, size, mtime) of the file and of its
    WAL (zeros when absent); None when there is no store file."""
    main = _one(path)
    return None if main == (0, 0, 0) else (*main, *_one(wal_of(path)))


def copy_store(src: Path, dst: Path, *, attempts: int = COPY_ATTEMPTS, pause: float = COPY_PAUSE) -> Stamp:
    """Copy the store file ``src`` (and its WAL) to ``dst``; returns the stamp the copy was taken at. Retried while
    a writer changes the file during the copy; ``DataError`` when there is no store or it never stood still."""
    for attempt in range(attempts):
        before = stamp(src)
        if before is None:
            raise DataError(f"{src}: no store yet; run 'llmcensus store update --data {src.parent.parent}'")
        try:
            shutil.copyfile(src, dst)
            if wal_of(src).exists():
                shutil.copyfile(wal_of(src), wal_of(dst))
            else:
                wal_of(dst).unlink(missing_ok=True)
        except FileNotFoundError:
            pass  # the WAL went away during the copy (the writer checkpointed): the stamps differ, try again
        if stamp(src) == before:
            return before
        log.info("the store %s changed while it was copied (attempt %d): retrying", src, attempt + 1)
        time.sleep(pause)
    raise DataError(f"{src} kept changing while the server copied it (a writer is updating it); start again when "
                    "it is done")  # fmt: skip


@dataclass
class Snapshot:
    """An in-memory analysis connection over a private copy of the store (``con``), the private folder it reads
    through, and the stamp of the store file it was copied from (``reload`` compares it with the file's)."""

    con: duckdb.DuckDBPyConnection
    folder: Path
    source: Path
    taken: Stamp

    def changed(self) -> bool:
        """Whether the store file differs from the one this snapshot copied (a writer updated it)."""
        return stamp(self.source) != self.taken

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def sweep_stale(temp: Path) -> None:
    """Remove the private folders of servers that are gone. A server stopped by SIGTERM (uvicorn re-raises the
    signal after its shutdown, so no ``finally`` runs) or ``kill -9`` cannot remove its own."""
    for folder in temp.glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def take(data_dir: Path, params: ViewParams) -> Snapshot:
    """A snapshot of the store of ``data_dir``: copy, attach, derive (``store.derive.attach``, never refreshing)."""
    layout = Layout(data_dir)
    source = store_path(data_dir, params.host_key)
    sweep_stale(Path(tempfile.gettempdir()))
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    try:
        mirror = Layout(folder)
        for real, link in ((layout.observations, mirror.observations), (layout.enrich, mirror.enrich)):
            if real.is_dir():
                link.symlink_to(real.resolve(), target_is_directory=True)
        copy = store_path(folder, params.host_key)
        copy.parent.mkdir(parents=True, exist_ok=True)
        taken = copy_store(source, copy)
        con = db.connect()
        try:
            attach(con, folder, params, refresh=False)
        except BaseException:
            con.close()
            raise
        copy.unlink()
        wal_of(copy).unlink(missing_ok=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    snap = Snapshot(con, folder, source, taken)
    # a server that exits without close() (Ctrl+C, a test that drops it) still removes its folder
    weakref.finalize(snap, shutil.rmtree, folder, ignore_errors=True)
    return snap
