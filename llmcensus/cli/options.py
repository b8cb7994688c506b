"""What every command shares: ``--json`` output, the configuration in force, progress on a TTY, help labels.

``--json``: one JSON object on stdout and nothing else there (human lines and warnings go to stderr or are
dropped); every string made inert (``llmcensus.inert``), so a hostile model name cannot drive a terminal or a
dashboard. Progress (rich) is drawn on stderr only when stderr is a terminal and ``--json`` is off:
``progress_bar`` turns the library's ``progress(stage, done, total)`` calls into one bar per stage.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import orjson
import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout instead of text")]


def emit_json(value: Any) -> None:
    from llmcensus.inert import inert_json

    typer.echo(orjson.dumps(inert_json(value), default=str, option=orjson.OPT_NON_STR_KEYS).decode())


_CONFIG: dict[str, dict[str, Any]] = {}


def set_config(value: dict[str, dict[str, Any]]) -> None:
    """Called by the root command with the configuration in force (``llmcensus.config.load``)."""
    _CONFIG.clear()
    _CONFIG.update(value)


def config() -> dict[str, dict[str, Any]]:
    """The configuration loaded by the root command (empty when a command runs outside ``llmcensus.cli.main``)."""
    return _CONFIG


def section(name: str) -> dict[str, Any]:
    return dict(config().get(name, {}))


def pick(cli_value: Any, section_name: str, key: str, default: Any) -> Any:
    """Command line (when given, i.e. not None) > configuration and environment > built-in default."""
    if cli_value is not None:
        return cli_value
    return section(section_name).get(key, default)


def show_progress(json_: bool) -> bool:
    """Progress is drawn (on stderr) only when stderr is a terminal, and never with ``--json``: CI logs and
    redirected output stay clean."""
    return not json_ and sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int | None], None] | None]:
    """A ``llmcensus.api.Progress`` callback drawn as a rich bar on stderr, one row per stage (``None`` when not
    ``enabled``: the library then reports nothing). Stopped, and the bars left in place, when the block ends."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("[bold]{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), refresh_per_second=8)
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield report


@contextlib.contextmanager
def spinner(text: str, enabled: bool) -> Iterator[None]:
    """A rich spinner with elapsed time on stderr while a stage without its own progress runs (TTY only)."""
    if not enabled:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(text):
        yield


_PLAIN = {"int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN", "str": "TEXT", "Path": "PATH", "path": "PATH",
          "file": "FILE", "directory": "DIR"}


def _plain(typer_label: str | None) -> str | None:
    """``<list[Path]>`` -> ``PATH``, ``<int>`` -> ``INTEGER``, ``<a|b>`` unchanged but without brackets."""
    if not typer_label:
        return typer_label
    inner = typer_label.strip("<>").removesuffix("...")
    if inner.startswith("list[") and inner.endswith("]"):
        inner = inner[5:-1]
    return _PLAIN.get(inner, inner.upper() if inner.isidentifier() else inner)


def plain_labels(cmd: Any) -> None:
    """Replace Typer's ``<bool>``, ``<str>``, ``<list[Path]>`` help labels by click's plain ones (PATH, INTEGER,
    TEXT; none on flags), for every command of the tree. Typer 0.29 derives them from the Python annotation and
    offers no setting; the label only affects help text."""
    for param in cmd.params:
        if isinstance(param, TyperArgument) and param.metavar is None and param.name:
            param.metavar = param.name.upper()
        if isinstance(param, TyperOption) and (param.is_flag or param.count):
            label = None
        else:
            label = _plain(param.display_type_rich(None))
        setattr(param, "display_type_rich", lambda ctx, label=label: label)  # noqa: B010
    original = cmd.get_help_option  # --help is made per call, so its label is fixed where it is made

    def help_option(ctx: Any) -> Any:
        option = original(ctx)
        if option is not None:
            setattr(option, "display_type_rich", lambda ctx: None)  # noqa: B010
        return option

    setattr(cmd, "get_help_option", help_option)  # noqa: B010
    if isinstance(cmd, TyperGroup):
        for sub in cmd.commands.values():
            plain_labels(sub)
