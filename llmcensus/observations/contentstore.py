"""The writing side of a content-addressed dataset: one row per distinct value, under its hash.

Two datasets of a data folder are kept this way: raw reply bodies (``bodies.py``) and model inventories
(``inventories.py``). Both follow the same rules, implemented once here:

* append-only: a part (``<dataset>/part-<token>-<seq>.parquet``) is written atomically and never rewritten; a value
  is added only if its hash is neither stored nor queued (the stored hashes are loaded once, when the store opens,
  and what it writes is remembered);
* a value is committed (``flush``) *before* any record that refers to it, so a ``kill -9`` never leaves a
  dangling reference; a value whose referring record was lost is an orphan, harmless;
* hidden temp parts of a killed run of the same writer are removed on resume (``remove_temp_files``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Generic, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.errors import DataError
from llmcensus.observations.reader import PART
from llmcensus.store.layout import token_of

V = TypeVar("V")


def part_files(directory: Path) -> list[Path]:
    """Committed parts of a content-addressed dataset folder, in name order."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("part-*.parquet") if PART.match(p.name))


class ContentStore(Generic[V]):
    """Queue values by hash and commit them as parts (see module docstring). Subclasses say how a batch of
    ``(hash, value)`` becomes a table (``_table``) and how a part is written (``_write``)."""

    what = "value"

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._known: set[str] = set()
        self._pending: dict[str, V] = {}
        self._seq = itertools.count()
        self.written = 0  # values written since this store was opened
        for path in part_files(self.directory):
            try:
                column = pq.read_table(path, columns=["hash"]).column("hash")
            except (OSError, pa.ArrowException) as exc:
                raise DataError(f"unreadable {self.what} part {path}: {exc}") from None
            self._known.update(str(h) for h in column.to_pylist())

    def __contains__(self, digest: object) -> bool:
        return digest in self._known or digest in self._pending

    def _queue(self, digest: str, value: V) -> bool:
        """Queue ``value`` under ``digest`` unless stored or queued already; True when it was queued now."""
        if digest in self._known or digest in self._pending:
            return False
        self._pending[digest] = value
        return True

    def remove_temp_files(self, token: str) -> None:
        """Hidden parts in progress of the writer ``token`` (a sweep id, or one shard's ``part_token``) left by a
        killed run: never visible, not data."""
        if not self.directory.is_dir():
            return
        for tmp in self.directory.glob(f".part-{token}-*.parquet.tmp"):
            m = PART.match(tmp.name[1:-4])
            if m is not None and token_of(m) == token:
                tmp.unlink(missing_ok=True)

    def _table(self, items: Sequence[tuple[str, V]]) -> pa.Table:
        raise NotImplementedError

    def _write(self, table: pa.Table, path: Path) -> None:
        raise NotImplementedError

    def _flushed(self) -> None:
        """Called after a part is committed (subclasses reset their own counters)."""

    def flush(self, token: str) -> int:
        """Commit the queued values as one new part; returns how many. Call before committing what refers to them."""
        if not self._pending:
            return 0
        items = sorted(self._pending.items())  # a stable order
        table = self._table(items)
        while True:
            path = self.directory / f"part-{token}-{next(self._seq):06d}.parquet"
            if not path.exists():
                break
        self._write(table, path)
        self._known.update(self._pending)
        self.written += len(items)
        self._pending.clear()
        self._flushed()
        return len(items)
