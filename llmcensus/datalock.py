"""One writer per data folder: an advisory lock that the kernel releases when its holder dies.

Every command that writes into a data folder (``scan``, ``study``, ``enrich run``, ``discover
import``/``sweep``, ``optout add``/``remove``) holds ``<data>/.llmcensus.lock`` for its whole run.
A second writer is refused at once with ``BusyError`` (exit 75) naming the holder; it never waits and
never interleaves, so two commands cannot both append the same rows. The lock is ``flock(2)`` on an
open file: when the holder exits, crashes or is killed with ``kill -9``, the kernel drops the lock
with the process, so recovery after a crash needs nothing (the file itself is left behind; its
contents are only a note for the message). Readers (``report``) take no lock: they read committed
parts only, which are complete by construction.

Re-entrant within a process: a library call that holds the lock may call another that asks for it
(``study`` runs ``scan`` and ``enrich``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from llmcensus.errors import BusyError, InputError

LOCK_NAME = ".llmcensus.lock"

_held: dict[Path, int] = {}  # resolved data dir -> depth (this process already holds it)
_guard = threading.Lock()


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {int(info['pid'])}, '{str(info['command'])[:80]}', since {str(info['since'])[:25]}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextlib.contextmanager
def writer_lock(data_dir: str | Path, command: str | None = None, *, create: bool = True) -> Iterator[None]:
    """Hold the data folder's writer lock for the ``with`` block; ``BusyError`` if someone else holds it.

    ``create=False``: a folder that does not exist is not created (the command will say what is missing,
    and leaves nothing behind); there is then nothing to lock."""
    root = Path(data_dir)
    if not create and not root.is_dir():
        yield
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        key = root.resolve()
    except OSError as exc:
        raise InputError(f"cannot create data directory: {exc.strerror}", root) from None
    with _guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    path = key / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(f"cannot open the lock file: {exc.strerror}", path) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(f"data folder {root} is in use by another llmcensus command ({_describe(path)}); "
                            "wait for it to finish, or stop it") from None
        note = {"pid": os.getpid(), "command": command or " ".join(["llmcensus", *sys.argv[1:3]]),
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(note).encode(), 0)
        with _guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[key]
    finally:
        os.close(fd)  # closing the descriptor releases the flock
