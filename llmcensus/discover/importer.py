"""Import source exports into the candidates dataset: parse, count, report, deduplicate, write.

A malformed record is a ``ParseIssue`` (file and line), passed to ``on_issue`` as it happens and
counted; it never stops the import. A file that cannot be read at all (missing, a truncated gzip
stream, a broken workbook) is one issue for that file and the import goes on with the next file.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from llmcensus.discover.candidates import CandidateWriter
from llmcensus.discover.formats import Candidate, ImportOptions, ParseIssue, get_format

# Issues kept verbatim in the summary; the rest are only counted (and passed to on_issue).
KEPT_ISSUES = 200


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


def iter_file(fmt: str, path: Path, options: ImportOptions) -> list[Candidate | ParseIssue]:
    """Every item of one file, eagerly; for tests and small inputs (``import_files`` streams)."""
    module = get_format(fmt)
    out: list[Candidate | ParseIssue] = []
    try:
        out.extend(module.parse(path, options))
    except (OSError, EOFError, zlib.error) as exc:
        out.append(ParseIssue(str(path), None, f"cannot read further: {exc}"))
    return out


def import_files(
    fmt: str,
    files: Sequence[str | Path],
    data_dir: str | Path,
    *,
    options: ImportOptions | None = None,
    on_issue: Callable[[ParseIssue], None] | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Parse ``files`` as ``fmt`` and add their candidates to ``<data_dir>/candidates`` as new parts."""
    module = get_format(fmt)
    opts = options or ImportOptions()
    summary = ImportSummary(format=module.NAME)

    def issue(item: ParseIssue, fs: FileSummary) -> None:
        fs.issues += 1
        if len(summary.issues) < KEPT_ISSUES:
            summary.issues.append(item)
        if on_issue is not None:
            on_issue(item)

    with CandidateWriter(data_dir, tag=module.NAME, now=now or datetime.now(UTC)) as writer:
        for f in files:
            path = Path(f)
            fs = FileSummary(str(path))
            summary.files.append(fs)
            if not path.is_file():
                issue(ParseIssue(str(path), None, "no such file"), fs)
                continue
            try:
                for item in module.parse(path, opts):
                    if isinstance(item, ParseIssue):
                        issue(item, fs)
                    else:
                        fs.records += 1
                        writer.add(item)
            except (OSError, EOFError, zlib.error) as exc:
                # Truncated gzip, unreadable workbook, I/O error: what was read is kept.
                issue(ParseIssue(str(path), None, f"cannot read further: {exc}"), fs)
        summary.candidates = writer.pending + writer.rows_written
    summary.parts = writer.parts
    return summary
