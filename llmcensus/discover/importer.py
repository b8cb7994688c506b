"""Import source exports into the candidates dataset: parse, count, report, deduplicate, write.

A malformed record is a ``ParseIssue`` (file and line), passed to ``on_issue`` and counted; it never stops the
import. A file that cannot be read further (a truncated gzip stream, a broken workbook, a nesting or number no
parser accepts) is one issue for that file and the import goes on with the next file; an empty file is one issue.

What is not partial is refused with one ``InputError`` and nothing written: a file that does not exist (checked
before any file is read), and an import in which no file gave a single candidate but some record was malformed
(the wrong FORMAT, or garbage). So that such an import costs one line rather than a page of skipped records,
the issues met before the first candidate are held (the first ``KEPT_ISSUES``) and passed to ``on_issue`` when
it arrives.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from llmcensus.datalock import writer_lock
from llmcensus.discover.candidates import CandidateWriter
from llmcensus.discover.formats import Candidate, ImportOptions, Item, ParseIssue, get_format
from llmcensus.errors import InputError

# Issues kept verbatim in the summary; the rest are only counted (and passed to on_issue).
KEPT_ISSUES = 200
# What ends the reading of one file as a single issue instead of a traceback: I/O and decompression errors, and
# the data-dependent errors a parser of hostile input may still meet (a value no converter accepts).
_UNREADABLE = (OSError, EOFError, zlib.error, csv.Error, ValueError, OverflowError, RecursionError)


@dataclass(slots=True)
class FileSummary:
    path: str
    records: int = 0  # candidates the file yielded, before deduplication
    issues: int = 0


@dataclass(slots=True)
class ImportSummary:
    """What one ``import_files`` call did. ``candidates`` counts distinct (ip, port) written."""

    format: str
    files: list[FileSummary] = field(default_factory=list)
    candidates: int = 0
    parts: list[Path] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def issue_count(self) -> int:
        return sum(f.issues for f in self.files)


def _items(module: ModuleType, path: Path, options: ImportOptions) -> Iterator[Item]:
    """Every item of one file; reading that cannot go on ends with one issue, never an exception."""
    try:
        if path.stat().st_size == 0:
            yield ParseIssue(str(path), None, "empty file")
            return
        yield from module.parse(path, options)
    except _UNREADABLE as exc:
        # Truncated gzip, unreadable workbook, I/O error: what was read is kept.
        text = str(exc) or type(exc).__name__
        yield ParseIssue(str(path), None, f"cannot read further: {text}")


def iter_file(fmt: str, path: Path, options: ImportOptions) -> list[Candidate | ParseIssue]:
    """Every item of one file, eagerly; for tests and small inputs (``import_files`` streams)."""
    return list(_items(get_format(fmt), path, options))


def import_files(
    fmt: str,
    files: Sequence[str | Path],
    data_dir: str | Path,
    *,
    options: ImportOptions | None = None,
    on_issue: Callable[[ParseIssue], None] | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Parse ``files`` as ``fmt`` and add their candidates to ``<data_dir>/candidates`` as new parts.

    Raises ``InputError`` (nothing written) when a file is missing, or when no file gave a candidate and some
    record was malformed."""
    module = get_format(fmt)
    opts = options or ImportOptions()
    paths = [Path(f) for f in files]
    for path in paths:
        if not path.is_file():
            raise InputError("no such file" if not path.exists() else "not a file", path)
    with writer_lock(data_dir, f"llmcensus discover import {module.NAME}", create=False):
        return _import_locked(module, paths, data_dir, opts, on_issue, now)


def _import_locked(module: ModuleType, paths: list[Path], data_dir: str | Path, opts: ImportOptions,
                   on_issue: Callable[[ParseIssue], None] | None, now: datetime | None) -> ImportSummary:
    summary = ImportSummary(format=module.NAME)
    held: list[ParseIssue] | None = []  # issues before the first candidate; None once one has arrived

    def issue(item: ParseIssue, fs: FileSummary) -> None:
        fs.issues += 1
        if len(summary.issues) < KEPT_ISSUES:
            summary.issues.append(item)
        if on_issue is None:
            return
        if held is None:
            on_issue(item)
        elif len(held) < KEPT_ISSUES:
            held.append(item)

    with CandidateWriter(data_dir, tag=module.NAME, now=now or datetime.now(UTC)) as writer:
        for path in paths:
            fs = FileSummary(str(path))
            summary.files.append(fs)
            for item in _items(module, path, opts):
                if isinstance(item, ParseIssue):
                    issue(item, fs)
                    continue
                if held is not None:
                    if on_issue is not None:
                        for early in held:
                            on_issue(early)
                    held = None
                fs.records += 1
                writer.add(item)
        summary.candidates = writer.pending + writer.rows_written
    summary.parts = writer.parts
    if summary.records == 0 and summary.issue_count:
        n, k = summary.issue_count, len(paths)
        raise InputError(
            f"nothing imported: {n:,} malformed record{'s' * (n != 1)} and no candidate in {k} {module.NAME} "
            f"file{'s' * (k != 1)}; the first: {summary.issues[0]}"
        )
    return summary
