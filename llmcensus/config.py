"""The configuration file: TOML, one section per command, every key declared once as data.

Where: ``--config PATH`` on the root command, else ``$LLMCENSUS_CONFIG``, else ``~/.config/llmcensus/config.toml``
(absent = no configuration; a file named by ``--config`` or the variable must exist). Precedence, lowest first:
built-in default < configuration file < environment (``LLMCENSUS_<SECTION>_<KEY>``, e.g.
``LLMCENSUS_SCAN_READ_TIMEOUT=5``) < command line. ``[scan]`` holds the probe settings
(``llmcensus.probe.settings.SETTINGS``) and applies wherever the probe runs (``scan``, ``run``); ``--set`` and the
explicit options of a command override it. A key no section declares, a value of the wrong type or an unreadable
file is a ``ConfigError`` naming the file, section and key. ``docs/configuration.md`` is generated from ``SECTIONS``
(``render_markdown``; a test fails when it is stale).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from llmcensus.errors import ConfigError
from llmcensus.probe.settings import SETTINGS, ProbeSettings

CONFIG_ENV = "LLMCENSUS_CONFIG"
DEFAULT_PATH = Path("~/.config/llmcensus/config.toml")
ENV_PREFIX = "LLMCENSUS_"


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    kind: str  # int, float, bool, str or table (a table of name = scalar pairs)
    default: Any
    help: str


_PROBE_TYPES = {f.name: str(f.type) for f in fields(ProbeSettings)}

SECTIONS: dict[str, tuple[Key, ...]] = {
    "scan": tuple(Key(s.name, _PROBE_TYPES[s.name], s.default, s.help) for s in SETTINGS),
    "enrich": (
        Key("geo_mmdb", "str", None, "MaxMind City .mmdb used instead of the bundled plevin database"),
        Key("asn_mmdb", "str", None, "MaxMind ASN .mmdb used instead of the bundled plevin database"),
    ),
    "report": (
        Key("host_key", "str", "ip", "host identity: ip (one address = one host) or ip_port"),
        Key("params", "table", {}, "query parameters by name (docs/metrics.md), e.g. params = { window_days = 7 }"),
    ),
    "store": (
        Key("host_key", "str", "ip", "host identity of the store: ip or ip_port"),
    ),
    "run": (
        Key("every", "str", None, "interval between cycle starts: 30m, 6h, 1d (default 1d; 0 with --simulate)"),
        Key("cron", "str", None, "cron expression (UTC) for cycle starts, e.g. '0 3 * * *'"),
        Key("host_key", "str", "ip", "host identity for the store: ip or ip_port"),
        Key("report", "bool", True, "write the report every cycle"),
        Key("events", "str", None, "append new events here as JSON lines (default <data>/run/events.jsonl)"),
    ),
    "study": (
        Key("hosts", "int", 2_000, "Ollama hosts in the simulated world"),
        Key("days", "int", 14, "simulated days (one sweep per day)"),
        Key("seed", "int", 7, "random seed of the simulated world"),
    ),
}

_KIND_NAMES = {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "text",
               "table": "a table"}


def config_path(explicit: str | Path | None = None) -> tuple[Path, bool]:
    """The file to read and whether it must exist (named by ``--config`` or ``$LLMCENSUS_CONFIG``)."""
    if explicit is not None:
        return Path(explicit).expanduser(), True
    env = os.environ.get(CONFIG_ENV, "").strip()
    if env:
        return Path(env).expanduser(), True
    return DEFAULT_PATH.expanduser(), False


def _check(where: str, key: Key, value: Any) -> Any:
    ok = {
        "int": type(value) is int,
        "float": type(value) in (int, float),
        "bool": type(value) is bool,
        "str": type(value) is str,
        "table": isinstance(value, Mapping) and all(type(v) in (int, float, bool, str) for v in value.values()),
    }[key.kind]
    if not ok:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise ConfigError(f"{where} {key.name}: expected {_KIND_NAMES[key.kind]}, got {shown}")
    return float(value) if key.kind == "float" else value


def _parse_env(name: str, key: Key, text: str) -> Any:
    try:
        if key.kind == "int":
            return int(text)
        if key.kind == "float":
            return float(text)
        if key.kind == "bool":
            low = text.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(text)
            return low in ("1", "true", "yes", "on")
        if key.kind == "table":
            return dict(tomllib.loads(text))  # e.g. LLMCENSUS_REPORT_PARAMS='window_days = 7'
    except (ValueError, tomllib.TOMLDecodeError):
        raise ConfigError(f"${name}: expected {_KIND_NAMES[key.kind]}, got {text[:60]!r}") from None
    return text


def validate(raw: Mapping[str, Any], source: str) -> dict[str, dict[str, Any]]:
    """Check a parsed TOML document against ``SECTIONS``; returns ``{section: {key: value}}``."""
    out: dict[str, dict[str, Any]] = {}
    for section, body in raw.items():
        if section not in SECTIONS:
            raise ConfigError(f"{source}: unknown section [{section}] (sections: {', '.join(SECTIONS)})")
        if not isinstance(body, Mapping):
            raise ConfigError(f"{source}: {section} must be a section [{section}], not a value")
        keys = {k.name: k for k in SECTIONS[section]}
        for name, value in body.items():
            if name not in keys:
                raise ConfigError(f"{source}: [{section}] unknown key {name!r} (see docs/configuration.md)")
            out.setdefault(section, {})[name] = _check(f"{source}: [{section}]", keys[name], value)
    return out


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """``LLMCENSUS_<SECTION>_<KEY>`` variables, parsed by each key's type."""
    env = os.environ if environ is None else environ
    out: dict[str, dict[str, Any]] = {}
    for section, keys in SECTIONS.items():
        for key in keys:
            name = f"{ENV_PREFIX}{section}_{key.name}".upper()
            if name in env:
                out.setdefault(section, {})[key.name] = _parse_env(name, key, env[name])
    return out


def load(explicit: str | Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The configuration in force: the file (see module docstring) overlaid with the environment."""
    path, required = config_path(explicit)
    merged: dict[str, dict[str, Any]] = {}
    if path.exists() or required:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: configuration file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the configuration file: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        merged = validate(raw, str(path))
    for section, values in from_environment(environ).items():
        merged.setdefault(section, {}).update(values)
    if "scan" in merged:
        ProbeSettings().with_(**merged["scan"])  # cross-field rules (ranges, user agent) fail here, not mid-scan
    return merged


def probe_settings(config: Mapping[str, Mapping[str, Any]], base: ProbeSettings | None = None) -> ProbeSettings:
    """``base`` (default: the built-in settings) with the ``[scan]`` section applied."""
    return (base or ProbeSettings()).with_(**dict(config.get("scan", {})))


def _shown_default(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{}"
    return repr(value)


def render_markdown() -> str:
    """``docs/configuration.md``."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated from llmcensus/config.py (SECTIONS) by `python -m llmcensus.config > docs/configuration.md`;",
        "     tests/test_config.py fails when this file is stale. -->",
        "",
        "Settings can live in a TOML file, so a daily job does not repeat a long command line. llmcensus reads",
        "`--config PATH` (an option of the root command: `llmcensus --config my.toml scan ...`), else",
        f"`${CONFIG_ENV}`, else `{DEFAULT_PATH}` if it exists. Precedence, lowest first: built-in default <",
        "configuration file < environment < command line. Every key can also be set in the environment as",
        "`LLMCENSUS_<SECTION>_<KEY>` (e.g. `LLMCENSUS_SCAN_READ_TIMEOUT=5`). An unknown section or key, a value of",
        "the wrong type or a value out of range stops the command with one line naming the file and key (exit 1).",
        "",
        "```toml",
        "[scan]            # probe settings, for scan and run",
        "read_timeout = 5",
        'user_agent = "mylab-census/1.0 (+https://example.org/scanning)"',
        "",
        "[report]",
        'host_key = "ip_port"',
        "params = { window_days = 7 }",
        "```",
        "",
        "`[scan]` applies wherever the probe runs (`llmcensus scan`, `llmcensus run`); `--set name=value` and a",
        "command's own options (`--concurrency`, `--user-agent`) override it. The simulated study (`llmcensus study`)",
        "keeps its own loopback probe settings.",
    ]
    for section, keys in SECTIONS.items():
        lines += ["", f"## [{section}]", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        for k in keys:
            help_ = k.help.replace("|", "\\|")
            lines.append(f"| `{k.name}` | {k.kind} | `{_shown_default(k.default)}` | {help_} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
