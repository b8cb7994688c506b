"""ZMap CSV output (``-O csv``, the default module).

The header row names the ``--output-fields``; the default is ``saddr`` alone. ``saddr`` is the
responding address and ``sport`` the port it answered from, i.e. the scanned port (``dport`` is our
own source port and is ignored). ``success`` (``1``/``0``) and ``classification`` (``synack`` /
``rst``) filter answers when present; ZMap's default output filter already keeps successes only.
``timestamp_str`` (``2024-05-01T10:00:00.123+0000``) or ``timestamp_ts`` (epoch seconds) give
first-seen. Output without ``sport`` (the default) needs the scanned port from the caller
(``--ports 11434``): without it every line would be a guess, so the file is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from llmcensus.discover.formats._common import (
    Candidate,
    ImportOptions,
    Item,
    ParseIssue,
    csv_rows,
    norm_ip,
    norm_port,
    open_text,
    parse_time,
)

NAME = "zmap"
KINDS = ("csv",)


def _looks_like_ip(text: str) -> bool:
    try:
        norm_ip(text)
    except ValueError:
        return False
    return True


def parse(path: Path, options: ImportOptions) -> Iterator[Item]:
    with open_text(path) as handle:
        reader = csv_rows(handle, path)
        first = next(reader, None)
        if first is None:
            return
        if isinstance(first, ParseIssue):
            yield first
            return
        header = [h.strip().lower() for h in first[1]]
        pending: list[tuple[int, list[str]] | ParseIssue] = []
        if header and _looks_like_ip(header[0]):
            header = ["saddr"]  # headerless single-column output: the first line is data
            pending.append(first)
        if "saddr" not in header:
            yield ParseIssue(str(path), 1, "header needs a saddr column (zmap -O csv -f saddr,sport,…)")
            return
        col = {name: i for i, name in enumerate(header)}
        fixed_port: int | None = None
        if "sport" not in col:
            if options.ports is None or len(options.ports) != 1:
                yield ParseIssue(str(path), 1, "no sport column: pass the one scanned port (--ports N)")
                return
            fixed_port = options.ports[0]

        def rows() -> Iterator[tuple[int, list[str]] | ParseIssue]:
            yield from pending
            yield from reader

        for item in rows():
            if isinstance(item, ParseIssue):
                yield item
                continue
            lineno, row = item
            if not any(c.strip() for c in row):
                continue

            def cell(name: str, row: list[str] = row) -> str:
                i = col.get(name)
                return row[i].strip() if i is not None and i < len(row) else ""

            try:
                if len(row) != len(header):
                    raise ValueError(f"expected {len(header)} columns, got {len(row)}")
                if cell("success") in ("0", "false") or cell("classification") in ("rst", "unreach"):
                    continue
                yield Candidate(
                    ip=norm_ip(cell("saddr")),
                    port=fixed_port if fixed_port is not None else norm_port(cell("sport")),
                    source=NAME,
                    first_seen=parse_time(cell("timestamp_str") or cell("timestamp_ts")),
                )
            except ValueError as exc:
                yield ParseIssue(str(path), lineno, str(exc))
