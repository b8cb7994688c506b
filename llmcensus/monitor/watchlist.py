"""The watchlist: what a user wants to be told about (``<data>/watchlist.toml`` or ``--watchlist FILE``).

```toml
[[watch]]
name = "qwen"                      # a label for the alerts (required, unique)
lineages = ["qwen2.5", "qwen3"]    # upstream lineages (their fine-tunes and derivatives are watched too)
labs = ["Alibaba"]                 # every lineage of these labs
name_patterns = ["*qwen*"]         # shell patterns on model names (case-insensitive)
digests = ["a1b2..."]              # library builds: alert when the same name is served with another digest
countries = ["DE", "FR"]           # optional: only these countries count for the country rule
adoption = [100, 1000]             # alert when the hosts that ever listed a watched lineage reach these counts
uncensored_hosts = 10              # alert when an uncensored variant is listed by this many hosts
risk_jump_hosts = 5                # alert when a lineage's exposed hosts rise by this many over the month before
risk_jump_share = 0.10             # ... or its exposed share of the lineage's hosts by this much (0.10 = 10 pp)
```

Every key but ``name`` is optional; a watch with no lineage, lab, pattern or digest matches nothing. Validated on
load: an unknown key, a wrong type or a duplicate name is one ``ConfigError`` naming the file and the watch.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmcensus.errors import ConfigError

_LISTS = ("lineages", "labs", "name_patterns", "digests", "countries")


@dataclass(frozen=True)
class Watch:
    name: str
    lineages: tuple[str, ...] = ()
    labs: tuple[str, ...] = ()
    name_patterns: tuple[str, ...] = ()
    digests: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    adoption: tuple[int, ...] = ()
    uncensored_hosts: int | None = None
    risk_jump_hosts: int | None = None
    risk_jump_share: float | None = None

    def matches_name(self, name: str) -> bool:
        low = name.lower()
        return any(fnmatch.fnmatchcase(low, p.lower()) for p in self.name_patterns)


@dataclass(frozen=True)
class Watchlist:
    watches: tuple[Watch, ...] = field(default_factory=tuple)
    source: str = ""


def load_watchlist(path: str | Path) -> Watchlist:
    """Read and validate a watchlist file; a missing file is an empty watchlist."""
    p = Path(path)
    if not p.exists():
        return Watchlist(source=str(p))
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"watchlist {p}: unreadable: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"watchlist {p}: not TOML: {exc}") from None
    unknown = set(raw) - {"watch"}
    if unknown:
        raise ConfigError(f"watchlist {p}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    entries = raw.get("watch", [])
    if not isinstance(entries, list):
        raise ConfigError(f"watchlist {p}: 'watch' must be an array of tables ([[watch]])")
    watches: list[Watch] = []
    for i, entry in enumerate(entries, 1):
        watches.append(_watch(p, i, entry))
    names = [w.name for w in watches]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"watchlist {p}: duplicate watch name(s): {', '.join(dup)}")
    return Watchlist(tuple(watches), str(p))


def _watch(path: Path, index: int, entry: Any) -> Watch:
    where = f"watchlist {path}, watch #{index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table")
    known = {"name", "adoption", "uncensored_hosts", "risk_jump_hosts", "risk_jump_share", *_LISTS}
    unknown = set(entry) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' must be a non-empty string")
    values: dict[str, Any] = {"name": name.strip()}
    for key in _LISTS:
        items = entry.get(key, [])
        if not isinstance(items, list) or not all(isinstance(x, str) and x for x in items):
            raise ConfigError(f"{where} ({name}): '{key}' must be an array of non-empty strings")
        values[key] = tuple(items)
    adoption = entry.get("adoption", [])
    if not isinstance(adoption, list) or not all(isinstance(x, int) and not isinstance(x, bool) and x > 0
                                                 for x in adoption):  # fmt: skip
        raise ConfigError(f"{where} ({name}): 'adoption' must be an array of positive integers")
    values["adoption"] = tuple(sorted(set(adoption)))
    unc = entry.get("uncensored_hosts")
    if unc is not None and (not isinstance(unc, int) or isinstance(unc, bool) or unc < 1):
        raise ConfigError(f"{where} ({name}): 'uncensored_hosts' must be a positive integer")
    values["uncensored_hosts"] = unc
    jump = entry.get("risk_jump_hosts")
    if jump is not None and (not isinstance(jump, int) or isinstance(jump, bool) or jump < 1):
        raise ConfigError(f"{where} ({name}): 'risk_jump_hosts' must be a positive integer")
    values["risk_jump_hosts"] = jump
    share = entry.get("risk_jump_share")
    if share is not None and (not isinstance(share, int | float) or isinstance(share, bool) or not 0 < share <= 1):
        raise ConfigError(f"{where} ({name}): 'risk_jump_share' must be a number in (0, 1]")
    values["risk_jump_share"] = None if share is None else float(share)
    return Watch(**values)
