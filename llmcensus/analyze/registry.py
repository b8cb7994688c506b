"""The metric registry is the folder ``llmcensus/analyze/queries/``: one ``<name>.sql`` file per metric.

Each file opens with a header of ``--`` comment lines; fields are ``-- key: value`` and a line that starts with
``--`` followed by more spaces continues the previous field::

    -- name: persistence_buckets
    -- definition: Hosts bucketed by how many successful observations they have ...
    --   continued on the next line.
    -- denominator: all unique hosts (host share); all observations (observation share)
    -- window: the whole study window
    -- params: persistent_min_obs = 100

``params`` is ``none`` or a comma-separated list of ``name = default`` (integers, decimals or 'quoted text');
the SQL refers to them as ``$name``. The name is stable data: a key in ``metrics.json`` and a CSV file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from llmcensus.errors import ConfigError, DataError

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
HEADER_FIELDS = ("name", "definition", "denominator", "window", "params")
ParamValue = int | float | str

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELD = re.compile(r"^--\s?([a-z_]+):\s*(.*)$")
_PARAM_REF = re.compile(r"\$([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Query:
    name: str
    definition: str
    denominator: str
    window: str
    params: dict[str, ParamValue] = field(default_factory=dict)
    sql: str = ""
    path: Path | None = None

    def used_params(self) -> set[str]:
        return set(_PARAM_REF.findall(_strip_comments(self.sql)))

    def bind(self, overrides: dict[str, ParamValue] | None = None) -> dict[str, ParamValue]:
        """The parameter values for one run: defaults, replaced by any override naming one of ours."""
        values = dict(self.params)
        for key, value in (overrides or {}).items():
            if key in values:
                values[key] = type(values[key])(value) if not isinstance(values[key], str) else str(value)
        return values


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def _parse_value(text: str, where: str) -> ParamValue:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise DataError(f"{where}: parameter default {text!r} is not a number or 'quoted text'") from None


def _parse_params(text: str, where: str) -> dict[str, ParamValue]:
    if text.strip().lower() in ("", "none"):
        return {}
    out: dict[str, ParamValue] = {}
    for item in text.split(","):
        if "=" not in item:
            raise DataError(f"{where}: parameter {item.strip()!r} has no '= default'")
        key, value = item.split("=", 1)
        key = key.strip()
        if not _NAME.match(key):
            raise DataError(f"{where}: parameter name {key!r} is not snake_case")
        out[key] = _parse_value(value, where)
    return out


def parse_query(path: Path) -> Query:
    """Parse one query file; a missing or empty header field is a ``DataError`` naming the file."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    last: str | None = None
    body_start = 0
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("--"):
            body_start = i
            break
        m = _FIELD.match(line)
        if m and m.group(1) in HEADER_FIELDS:
            last = m.group(1)
            fields[last] = m.group(2).strip()
        elif last is not None and line[2:].strip():
            fields[last] = (fields[last] + " " + line[2:].strip()).strip()
    else:
        body_start = len(lines)
    missing = [f for f in HEADER_FIELDS if f not in fields or (not fields[f] and f != "params")]
    if missing:
        raise DataError(f"{path}: header lacks {', '.join(missing)}")
    name = fields["name"]
    if not _NAME.match(name) or name != path.stem:
        raise DataError(f"{path}: name {name!r} must be snake_case and equal the file name")
    sql = "\n".join(lines[body_start:]).strip().rstrip(";")
    if not sql:
        raise DataError(f"{path}: no SQL after the header")
    query = Query(
        name=name,
        definition=fields["definition"],
        denominator=fields["denominator"],
        window=fields["window"],
        params=_parse_params(fields["params"], str(path)),
        sql=sql,
        path=path,
    )
    undeclared = query.used_params() - set(query.params)
    if undeclared:
        raise DataError(f"{path}: SQL uses undeclared parameters {', '.join(sorted(undeclared))}")
    return query


def load_registry(folder: Path = QUERIES_DIR) -> dict[str, Query]:
    """Every query of ``folder``, by name, in file-name order."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: query folder not found")
    return {q.name: q for q in (parse_query(p) for p in sorted(folder.glob("*.sql")))}


CATALOGUE_HEADING = "## Catalogue\n"


def render_docs(current: str, registry: dict[str, Query] | None = None) -> str:
    """``docs/metrics.md`` with its catalogue generated from the query headers: the text up to ``## Catalogue`` is
    kept as written (``python -m llmcensus.analyze.registry docs/metrics.md`` rewrites the file; a test fails when
    it is out of date)."""
    head, sep, _ = current.partition(CATALOGUE_HEADING)
    if not sep:
        raise ConfigError(f"the metrics document has no '{CATALOGUE_HEADING.strip()}' heading")
    return head + CATALOGUE_HEADING + "\n" + render_markdown(registry or load_registry())


def render_markdown(registry: dict[str, Query]) -> str:
    """The metric catalogue as Markdown (``docs/metrics.md`` is this text plus its introduction)."""
    out: list[str] = []
    for q in registry.values():
        params = ", ".join(f"`{k} = {v!r}`" for k, v in q.params.items()) or "none"
        out += [
            f"### `{q.name}`",
            "",
            q.definition,
            "",
            f"- **denominator:** {q.denominator}",
            f"- **window:** {q.window}",
            f"- **params:** {params}",
            "",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1])
    target.write_text(render_docs(target.read_text(encoding="utf-8")), encoding="utf-8")
