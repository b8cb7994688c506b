"""What the simulated internet was asked: one row per request a simulated host received.

The log is the ground truth for the probe's footprint (how many requests per host, which paths,
how many bytes of body), so tests and the study can check that a sweep stayed read-only and polite.

Rows live in parallel ``array.array`` columns; strings (addresses, methods, paths) are interned
into small per-log dictionaries, so a row costs ~40 bytes and appending is a handful of C calls.

Columns (``to_arrow()`` / ``write_parquet()``):

- ``host_id`` — the simulated host (``HostView.host_id``).
- ``public_ip``, ``public_port`` — the identity the probe targeted (not the loopback dial address).
- ``method`` — request method as sent (``GET``, ``HEAD``, ``POST``…); ``""`` when the bytes were not
  HTTP at all (the server answered 400, or a garbage/silent host got unparseable bytes).
- ``path`` — request target without the query string, as sent (not percent-decoded), at most
  ``MAX_PATH`` characters (longer ones are cut: the log is a footprint, not a capture).
- ``body_bytes`` — request body length received (for an oversized body: what arrived before the
  server refused it).
- ``t_monotonic_ns`` — ``time.monotonic_ns()`` in the serving process when the request was complete;
  only differences between rows of one log are meaningful.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from llmcensus.errors import DataError

MAX_PATH = 2048


class LoggedRequest(NamedTuple):
    host_id: int
    public_ip: str
    public_port: int
    method: str
    path: str
    body_bytes: int
    t_monotonic_ns: int


class _Interner:
    """Strings to dense int codes; picklable (plain list + dict)."""

    __slots__ = ("codes", "values")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.codes: dict[str, int] = {}

    def code(self, value: str) -> int:
        code = self.codes.get(value)
        if code is None:
            code = len(self.values)
            self.codes[value] = code
            self.values.append(value)
        return code

    def __getstate__(self) -> list[str]:
        return self.values

    def __setstate__(self, values: list[str]) -> None:
        self.values = list(values)
        self.codes = {v: i for i, v in enumerate(self.values)}


class RequestLog:
    """Append-only columnar log of requests; picklable (it crosses the FleetProcess pipe)."""

    def __init__(self) -> None:
        self._host_id = array("q")
        self._ip = array("i")
        self._port = array("i")
        self._method = array("i")
        self._path = array("i")
        self._body = array("q")
        self._t = array("q")
        self._ips = _Interner()
        self._methods = _Interner()
        self._paths = _Interner()

    def append(
        self, host_id: int, public_ip: str, public_port: int, method: str, path: str, body_bytes: int, t_ns: int
    ) -> None:
        self._host_id.append(host_id)
        self._ip.append(self._ips.code(public_ip))
        self._port.append(public_port)
        self._method.append(self._methods.code(method))
        self._path.append(self._paths.code(path[:MAX_PATH]))
        self._body.append(body_bytes)
        self._t.append(t_ns)

    def __len__(self) -> int:
        return len(self._host_id)

    def __iter__(self) -> Iterator[LoggedRequest]:
        ips, methods, paths = self._ips.values, self._methods.values, self._paths.values
        for i in range(len(self._host_id)):
            yield LoggedRequest(
                self._host_id[i],
                ips[self._ip[i]],
                self._port[i],
                methods[self._method[i]],
                paths[self._path[i]],
                self._body[i],
                self._t[i],
            )

    def extend(self, other: RequestLog) -> None:
        """Append every row of ``other`` (re-interning its strings into this log's codes)."""
        for row in other:
            self.append(*row)

    def drain(self) -> RequestLog:
        """Return the rows logged so far as a new log and start this one empty."""
        taken = RequestLog()
        taken.__dict__, self.__dict__ = self.__dict__, taken.__dict__
        return taken

    def count_by(self, method: str | None = None, path: str | None = None) -> int:
        """Rows matching the given method and/or path (``None`` matches anything)."""
        mask = np.ones(len(self), dtype=bool)
        for interner, column, wanted in ((self._methods, self._method, method), (self._paths, self._path, path)):
            if wanted is None:
                continue
            code = interner.codes.get(wanted)
            if code is None:
                return 0
            mask &= np.frombuffer(column, dtype=np.int32) == code
        return int(mask.sum())

    def per_host_counts(self) -> dict[int, int]:
        """host_id -> number of requests it received (hosts never asked are absent)."""
        return dict(Counter(self._host_id))

    def body_bytes_total(self) -> int:
        return int(sum(self._body))

    def to_arrow(self) -> pa.Table:
        def dictionary(codes: array[int], interner: _Interner) -> pa.Array[Any]:
            return pa.DictionaryArray.from_arrays(
                pa.array(np.frombuffer(codes, dtype=np.int32), type=pa.int32()),
                pa.array(interner.values, type=pa.string()),
            )

        return pa.table(
            {
                "host_id": pa.array(np.frombuffer(self._host_id, dtype=np.int64), type=pa.int64()),
                "public_ip": dictionary(self._ip, self._ips),
                "public_port": pa.array(np.frombuffer(self._port, dtype=np.int32), type=pa.int32()),
                "method": dictionary(self._method, self._methods),
                "path": dictionary(self._path, self._paths),
                "body_bytes": pa.array(np.frombuffer(self._body, dtype=np.int64), type=pa.int64()),
                "t_monotonic_ns": pa.array(np.frombuffer(self._t, dtype=np.int64), type=pa.int64()),
            }
        )

    def write_parquet(self, path: str | Path) -> None:
        """Write atomically (temp file + rename) so a reader never sees half a file."""
        p = Path(path)
        tmp = p.with_name(p.name + ".tmp")
        try:
            pq.write_table(self.to_arrow(), tmp, compression="zstd")
            tmp.replace(p)
        except OSError as exc:
            raise DataError(f"cannot write request log {p}: {exc.strerror or exc}") from None
