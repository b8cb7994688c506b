"""The pseudonym index: every address the store knows, with its pseudonym, both ways.

``/api/hosts/{pseudonym}`` must find a host without ever taking a raw address from the client, so the server needs
pseudonym -> address for every address; Crypto-PAn costs about 0.2 ms per IPv4 address (``pseudonym.py``), about
7 s for the 175k addresses of the seed-scale study on this machine's shared cores. The index is therefore kept in
the data folder (``Layout.pseudonym_index``, a Parquet file of ``ip, pseudonym``) and only extended for addresses
it does not hold yet, so a restart reads it in well under a second.

What it holds is exactly what the store (raw addresses) and ``pseudonym.key`` (which turns them into pseudonyms)
already hold beside it; but it is a ready-made reverse table of the pseudonyms the dashboard publishes, so it is
written with mode 0600 like the key, tagged with a fingerprint of the key (a new key makes it stale: it is then
rebuilt), and never written when the data folder is not writable (a shared, read-only dataset: the index then lives
in memory only).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.pseudonym import Pseudonymizer, load_or_create_key

log = logging.getLogger(__name__)

FINGERPRINT_KEY = b"llmcensus.pseudonym_index.fingerprint"  # schema metadata: which key the pseudonyms are under
SCHEMA = pa.schema([("ip", pa.string()), ("pseudonym", pa.string())])


def key_fingerprint(key: bytes) -> str:
    """A public tag of a pseudonym key (a hash with a fixed context: says nothing about the key)."""
    return hashlib.sha256(b"llmcensus pseudonym index v1\0" + key).hexdigest()[:32]


class PseudonymIndex:
    """Address <-> pseudonym under the key of ``data_dir``; ``path``: where it persists (None: memory only)."""

    def __init__(self, data_dir: Path, path: Path | None) -> None:
        key = load_or_create_key(data_dir)
        self.pseudonymizer = Pseudonymizer(key)
        self.fingerprint = key_fingerprint(key)
        self.path = path
        self._forward: dict[str, str] = {}
        self._reverse: dict[str, str] = {}
        self._lock = threading.Lock()  # extend() runs in a background thread while requests read
        self.ready = threading.Event()  # set once the index covers every address given to extend()
        self.loaded = self._load()

    def _load(self) -> int:
        if self.path is None or not self.path.exists():
            return 0
        try:
            table = pq.read_table(self.path)
        except (OSError, pa.ArrowException) as exc:
            log.warning("pseudonym index %s unreadable (%s): rebuilding it", self.path, exc)
            return 0
        meta = table.schema.metadata or {}
        if meta.get(FINGERPRINT_KEY, b"").decode() != self.fingerprint or table.schema.names != SCHEMA.names:
            log.info("pseudonym index %s was made under another key: rebuilding it", self.path)
            return 0
        pairs = [(ip, p) for ip, p in zip(table.column("ip").to_pylist(), table.column("pseudonym").to_pylist(),
                                             strict=True) if isinstance(ip, str) and isinstance(p, str)]  # fmt: skip
        self._forward = dict(pairs)
        self._reverse = {p: ip for ip, p in pairs}
        return len(self._forward)

    def extend(self, addresses: Iterable[str]) -> int:
        """Index every address not indexed yet (not an address: skipped, never served), persist when anything was
        added, and mark the index ready; returns how many were added."""
        new: dict[str, str] = {}
        try:
            for ip in addresses:
                if ip in self._forward or ip in new:
                    continue
                try:
                    new[ip] = self.pseudonymizer.pseudonym(ip)
                except ValueError:
                    continue  # not an address (a store written by a test or another tool)
            with self._lock:
                self._forward.update(new)
                self._reverse.update((p, ip) for ip, p in new.items())
            if new:
                self._save()
        finally:
            self.ready.set()
        return len(new)

    def _save(self) -> None:
        if self.path is None or not os.access(self.path.parent, os.W_OK):
            return
        with self._lock:
            table = pa.table([list(self._forward), list(self._forward.values())], schema=SCHEMA)
        table = table.replace_schema_metadata({FINGERPRINT_KEY: self.fingerprint.encode()})
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # 0600 from the first byte, like the key
            with os.fdopen(fd, "wb") as f:
                pq.write_table(table, f)
            os.replace(tmp, self.path)  # readers see the old file or the new one, never half of one
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log.warning("cannot save the pseudonym index %s: %s", self.path, exc.strerror)

    def pseudonym(self, ip: str) -> str:
        """``ip``'s pseudonym (``ValueError`` when it is not an address)."""
        hit = self._forward.get(ip)
        return hit if hit is not None else self.pseudonymizer.pseudonym(ip)

    def address_of(self, pseudonym: str) -> str | None:
        """The address behind ``pseudonym`` (waits until the index is ready)."""
        self.ready.wait()
        return self._reverse.get(pseudonym)

    def in_text(self, text: str) -> str:
        return self.pseudonymizer.in_text(text)
