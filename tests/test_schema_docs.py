"""docs/schema.md documents every observation field; docs/probing.md every probe setting and status."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmcensus.observations.schema import (
    FIELD_NAMES,
    STATUS_DEFINITIONS,
    Status,
    exchange_field_names,
    model_field_names,
    running_field_names,
)
from llmcensus.probe.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    nxt = text.find("\n## ", start + len(heading))
    return text[start: nxt if nxt >= 0 else len(text)]


def _documented(section: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


@pytest.mark.parametrize(("heading", "names"), [
    ("## Top-level fields", FIELD_NAMES),
    ("## MODEL", model_field_names()),
    ("## RUNNING", running_field_names()),
    ("## EXCHANGE", exchange_field_names()),
    ("## Statuses", tuple(s.value for s in Status)),
])
def test_every_field_is_documented(heading: str, names: tuple[str, ...]) -> None:
    section = _section((DOCS / "schema.md").read_text(), heading)
    documented = _documented(section)
    missing = set(names) - documented
    assert not missing, f"undocumented in docs/schema.md {heading}: {sorted(missing)}"
    stale = documented - set(names)
    assert not stale, f"docs/schema.md {heading} documents fields that do not exist: {sorted(stale)}"


def test_every_status_has_a_definition() -> None:
    assert set(STATUS_DEFINITIONS) == {s.value for s in Status}


def test_every_setting_is_documented() -> None:
    text = (DOCS / "probing.md").read_text()
    for s in SETTINGS:
        assert f"`{s.name}`" in text, f"setting {s.name} is not documented in docs/probing.md"


def test_length_caps_are_documented_as_enforced() -> None:
    from llmcensus.probe.runtimes.fields import CAPS

    text = (DOCS / "schema.md").read_text().split("## Length caps", 1)[1]
    documented = dict(re.findall(r"^\| `(\w+)` \| (\d+) \|$", text, re.MULTILINE))
    assert {k: int(v) for k, v in documented.items()} == CAPS
