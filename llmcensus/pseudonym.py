"""Keyed, deterministic, prefix-preserving pseudonyms for IP addresses (issue #21; ``docs/dashboard.md``).

Everything that leaves the machine by default (the dashboard and its HTTP API today) shows a host's address as its
pseudonym: another address, computed with **Crypto-PAn** (Xu, Fan, Ammar and Moon, ICNP 2002) under a secret key
kept in the data folder. Two addresses that share their first *n* bits have pseudonyms that share their first *n*
bits, and no more; so "these hosts are in one /24" survives, the address itself does not. IPv4 stays IPv4 (32 bits)
and IPv6 stays IPv6 (128 bits). The same key gives the same pseudonym on every run, so a host keeps its name across
restarts and downloads.

Why Crypto-PAn, through the ``yacryptopan`` package (1.0.2): it is the scheme network-trace anonymisation has used
for two decades (studied, with known limits: prefix structure and addresses an adversary can inject are revealed by
design), the package is small (one file of readable Python on ``pycryptodomex``, whose ``Cryptodome`` namespace
cannot clash with another library's ``Crypto``) and has been stable since 2016. ``ipcrypt`` 0.1.0 implements the
newer ipcrypt-pfx draft (also prefix-preserving, two AES keys); it was left out because it is a first release of an
Internet-Draft that may still change its output, it is slower here (about 460 µs against 210 µs per IPv4 address),
and it depends on ``pycryptodome``, which claims the ``Crypto`` namespace of the old PyCrypto.

Limits (say them when publishing): a pseudonym *looks like* an address and is not the host: never probe one. The
key is the only secret: anyone with it can reverse every pseudonym by trying the address space, so it is created
with mode 0600, never printed and never served. Prefix preservation leaks structure (how many hosts share a
network); publish aggregates when that matters.

This is a foundation module, like ``inert``: it imports only the standard library, ``yacryptopan`` and the data
folder's layout, so any output stage may use it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import stat
from collections.abc import Callable, Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

from llmcensus.errors import ConfigError, DataError
from llmcensus.store.layout import Layout

# An IPv4 or IPv6 literal inside free text (error messages, headers, names a host sent); candidates only: each is
# checked with ``ipaddress`` before it is replaced, so times (12:30:45) and longer dotted numbers stay as they are.
IP_LITERAL = re.compile(
    r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}(?![\w])(?!\.\d)"  # IPv4, not part of a longer dotted number
    r"|(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![\w:]))"  # IPv6 (a candidate)
)
# A prefilter in RE2 (Arrow's engine: no look-arounds) that every IP literal matches; Python checks the candidates.
MAYBE_IP = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f.]*:"
KEY_BYTES = 32  # Crypto-PAn: 16 bytes of AES-128 key, then 16 bytes that seed the padding


def load_or_create_key(data_dir: str | Path) -> bytes:
    """The pseudonym key of ``data_dir`` (``Layout.pseudonym_key``), created on first use: 32 random bytes, written
    with mode 0600 in one exclusive create (two processes starting together end up with the same key). A key file
    of the wrong size, or readable by others, is a ``ConfigError``: pseudonyms made with a leaked key protect
    nothing."""
    path = Layout(data_dir).pseudonym_key
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it just now: read theirs
        except OSError as exc:
            raise DataError(f"{path}: cannot create the pseudonym key: {exc.strerror}") from None
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(KEY_BYTES))
                f.flush()
                os.fsync(f.fileno())
    try:
        mode = path.stat().st_mode
        key = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the pseudonym key: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path}: the pseudonym key is readable by others; chmod 600 it (or delete it: every "
                          "pseudonym changes)")  # fmt: skip
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{path}: a pseudonym key is {KEY_BYTES} bytes, this file has {len(key)}")
    return key


class Pseudonymizer:
    """Address -> pseudonym under one key. ``pseudonym`` of something that is not an IP address is a ``ValueError``
    (callers decide: the dashboard never shows such a value in an address column)."""

    def __init__(self, key: bytes) -> None:
        from yacryptopan import CryptoPAn  # deferred: only the outputs that pseudonymise pay for pycryptodomex

        if len(key) != KEY_BYTES:
            raise ConfigError(f"a pseudonym key is {KEY_BYTES} bytes, not {len(key)}")
        self._pan = CryptoPAn(bytes(key))
        # ~0.2 ms per IPv4 address (32 AES blocks), ~0.9 ms per IPv6: remember the ones already seen
        self.pseudonym = lru_cache(maxsize=1 << 18)(self._pseudonym)  # type: ignore[method-assign]

    @classmethod
    def for_data(cls, data_dir: str | Path) -> Pseudonymizer:
        """The pseudonymizer of ``data_dir`` (its key created on first use)."""
        return cls(load_or_create_key(data_dir))

    def _pseudonym(self, address: str) -> str:
        ip = ipaddress.ip_address(address.strip())  # ValueError for anything else
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # one host, one pseudonym: ::ffff:a.b.c.d is a.b.c.d
        out = ipaddress.ip_address(self._pan.anonymize(str(ip)))
        return str(out)  # the canonical text form (compressed IPv6), so equal pseudonyms compare equal as text

    def pseudonym(self, address: str) -> str:  # replaced per instance by a cached wrapper in __init__
        return self._pseudonym(address)

    def in_text(self, text: str) -> str:
        """``text`` with every IP address literal in it replaced by its pseudonym."""
        return replace_addresses(text, self.pseudonym)


def replace_addresses(text: str, replace: Callable[[str], str]) -> str:
    """``text`` with every IP address literal replaced by ``replace(literal)``; ``replace`` raises ``ValueError``
    for what is not an address after all (a time, a MAC-like string, ...), which then stays as it is."""

    def one(match: re.Match[str]) -> str:
        try:
            return replace(match.group(0))
        except ValueError:
            return match.group(0)

    return IP_LITERAL.sub(one, text)


def redact_addresses(text: str) -> str:
    """``text`` with every IP address literal replaced by ``[address]`` (where no pseudonym key may be created)."""

    def redact(literal: str) -> str:
        ipaddress.ip_address(literal)  # ValueError: not an address
        return "[address]"

    return replace_addresses(text, redact)


LeafFn = Callable[[str, Any], Any]  # (path of a string leaf, e.g. "models.name"; its Arrow array) -> the new array


def map_strings(arr: Any, fn: LeafFn, path: str = "", *, drop_binary: bool = False) -> Any:
    """The Arrow array ``arr`` with every string leaf (inside structs and lists too) replaced by ``fn(path, leaf)``;
    with ``drop_binary``, binary leaves become null."""
    import pyarrow as pa  # deferred, like yacryptopan: this module stays cheap to import

    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return fn(path, arr)
    if pa.types.is_binary(t) and drop_binary:
        return pa.nulls(len(arr), t)
    if pa.types.is_struct(t):
        children = [map_strings(child, fn, f"{path}.{t.field(i).name}", drop_binary=drop_binary)
                    for i, child in enumerate(arr.flatten())]  # fmt: skip
        return pa.StructArray.from_arrays(children, fields=list(t), mask=arr.is_null())
    if pa.types.is_list(t):
        values = map_strings(arr.values, fn, path, drop_binary=drop_binary)
        return pa.ListArray.from_arrays(arr.offsets, values, type=t, mask=arr.is_null() if arr.null_count else None)
    return arr


def text_scrubber(text: Callable[[str], str], skip: Collection[str] = ()) -> LeafFn:
    """A ``map_strings`` leaf function that applies ``text`` to the values that may hold an address literal (an
    Arrow regex prefilter first: most columns have none, and cost one vectorised pass), except under the top-level
    columns ``skip``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def scrub(path: str, arr: Any) -> Any:
        if path.lstrip(".").split(".")[0] in skip or len(arr) == arr.null_count:
            return arr
        if not pc.any(pc.match_substring_regex(arr, MAYBE_IP)).as_py():
            return arr
        return pa.array([None if v is None else text(v) for v in arr.to_pylist()], type=arr.type)

    return scrub


def scrub_table(table: Any, text: Callable[[str], str], skip: Collection[str] = ()) -> Any:
    """The Arrow table ``table`` with ``text`` applied to every string (nested ones too) that may hold an address
    literal, outside the columns ``skip``; the table itself when nothing does."""
    import pyarrow as pa

    fn = text_scrubber(text, skip)
    columns = [pa.chunked_array([map_strings(c, fn, f.name) for c in col.chunks], type=col.type)
               if f.name not in skip else col for f, col in zip(table.schema, table.columns, strict=True)]  # fmt: skip
    if all(new.chunks == old.chunks for new, old in zip(columns, table.columns, strict=True)):
        return table
    return pa.Table.from_arrays(columns, schema=table.schema)
