"""The one exception tree of llmcensus.

Library code raises these and never calls ``sys.exit``; the CLI turns them into one line on stderr
and an exit code. Third-party errors (aiohttp, pyarrow, duckdb, OS errors) are translated into this
vocabulary at exactly one boundary per stage. Failures of *probed hosts* are not exceptions at all:
they are statuses in observation records (see ``llmcensus.observations.schema.Status``).

    LLMCensusError                    exit code 1 unless stated
    ├── UsageError                    a bad option or argument (exit 2)
    ├── InputError                    a malformed input file or line; carries path and line
    │   └── TargetParseError          a target line that is not ip, ip:port or CIDR
    ├── ConfigError                   an inconsistent setting or parameter
    ├── DataError                     stored data that cannot be read or does not match the schema
    │   └── SchemaVersionError        a dataset written by a newer schema than this code reads
    ├── BusyError                     the data folder is held by another writer (exit 75: try again later)
    ├── PolicyError                   an action refused by the scanning policy (blocklist, allowlist)
    └── SimulationError               the simulated internet could not be built or served
"""

from __future__ import annotations

from pathlib import Path


class LLMCensusError(Exception):
    """Root of every error llmcensus raises on purpose."""

    exit_code: int = 1


class UsageError(LLMCensusError):
    exit_code = 2


class InputError(LLMCensusError):
    """A malformed input; the message names the file and line where known."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(f"{where}{message}")


class TargetParseError(InputError):
    pass


class ConfigError(LLMCensusError):
    pass


class DataError(LLMCensusError):
    pass


class SchemaVersionError(DataError):
    pass


class BusyError(LLMCensusError):
    """Another llmcensus command holds the data folder's writer lock (``llmcensus.datalock``)."""

    exit_code = 75  # EX_TEMPFAIL (sysexits.h): nothing is wrong, try again when the other writer is done


class PolicyError(LLMCensusError):
    pass


class SimulationError(LLMCensusError):
    pass
