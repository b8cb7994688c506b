"""``docs/cli.md``: the command-line reference, generated from the command tree (``llmcensus.cli.main.command``).

Run ``python -m llmcensus.cli.docs > docs/cli.md`` after changing a command; ``tests/test_cli_basics.py`` fails
when the file is stale or when a command or option is missing from it.
"""

from __future__ import annotations

import inspect
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(param: Any) -> str:
    if isinstance(param, TyperOption) and param.is_flag and param.secondary_opts:
        return f"`{param.opts[0] if param.default else param.secondary_opts[0]}`" if param.default is not None else ""
    value = param.default
    if value is None or value is False or value == [] or callable(value):
        return ""
    return f"`{value}`"


def _option_row(param: Any) -> str:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    label = param.display_type_rich(None) or ""
    required = " (required)" if param.required else ""
    return f"| {names} | {label} | {_default(param)} | {_cell(param.help or '')}{required} |"


def _section(path: str, cmd: Any) -> list[str]:
    lines = [f"## `{path}`", ""]
    if cmd.help:
        lines += [inspect.cleandoc(cmd.help), ""]
    args = [p for p in cmd.params if isinstance(p, TyperArgument)]
    opts = [p for p in cmd.params if isinstance(p, TyperOption)]
    usage = " ".join([path, *(["[OPTIONS]"] if opts else []), *(
        (p.metavar or (p.name or "").upper()) if p.required else f"[{p.metavar or (p.name or '').upper()}]"
        for p in args), *(["COMMAND"] if isinstance(cmd, TyperGroup) else [])])
    lines += ["```", usage, "```", ""]
    if args:
        lines += ["| argument | meaning |", "|---|---|"]
        lines += [f"| `{p.metavar or (p.name or '').upper()}` | {_cell(p.help or '')} |" for p in args]
        lines.append("")
    if opts:
        lines += ["| option | value | default | meaning |", "|---|---|---|---|"]
        lines += [_option_row(p) for p in opts]
        lines.append("")
    return lines


def render_markdown() -> str:
    from llmcensus.cli.main import command

    lines = [
        "# Command-line reference",
        "",
        "<!-- Generated from the command tree by `python -m llmcensus.cli.docs > docs/cli.md`;",
        "     tests/test_cli_basics.py fails when this file is stale. -->",
        "",
        "Every command that prints a summary takes `--json` (one JSON object on stdout; `run`: one per cycle).",
        "Options not given on the command line come from the environment and the configuration file",
        "([configuration](configuration.md)). Exit codes are listed in the [README](../README.md#exit-codes).",
        "",
    ]

    def walk(path: str, cmd: Any) -> None:
        lines.extend(_section(path, cmd))
        if isinstance(cmd, TyperGroup):
            for name in sorted(cmd.commands):
                walk(f"{path} {name}", cmd.commands[name])

    walk("llmcensus", command())
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
