"""The ``llmcensus`` command: a thin layer over ``llmcensus.api`` (the only module that imports every stage).

Each stage owns one sub-application in ``llmcensus/cli/<stage>.py``; a command parses its options, calls one API
function and prints its summary (``--json``: one JSON object). Errors from the library are ``LLMCensusError``
subclasses; they become one line on stderr and their exit code, never a traceback: 0 ok, 1 error, 2 usage,
75 busy (another writer holds the data folder), 130 interrupted. An error text can quote an input file or a
host's reply, so every such line goes through ``llmcensus.inert.terminal``: controls and bidi characters shown as
escapes, cut to 500 characters. The root command loads the configuration (``llmcensus.config``: file, then
environment) and hands it to ``cli/options.py``, where each command reads its section.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from llmcensus import __version__
from llmcensus.cli import discover, dossier, enrich, export, optout, report, run, scan, serve, simulate, store, study
from llmcensus.cli.merge import app as merge_app
from llmcensus.cli.options import plain_labels, set_config
from llmcensus.cli.security import app as security_app
from llmcensus.errors import LLMCensusError
from llmcensus.inert import terminal

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="llmcensus: an open observatory of internet-exposed LLM servers.",
    pretty_exceptions_enable=False,
)
app.add_typer(simulate.app, name="simulate")
app.add_typer(discover.app, name="discover")
app.add_typer(enrich.app, name="enrich")
app.add_typer(optout.app, name="optout")
app.add_typer(store.app, name="store")
app.add_typer(security_app, name="security")
# scan, merge, report, study, run, serve and export register top-level commands (llmcensus scan, report, ...)
for sub in (scan.app, merge_app, report.app, dossier.app, study.app, run.app, serve.app, export.app):
    for cmd in sub.registered_commands:
        app.registered_commands.append(cmd)
    for grp in sub.registered_groups:
        app.registered_groups.append(grp)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
    config: Annotated[Path | None, typer.Option(
        "--config", help="TOML configuration file (default: $LLMCENSUS_CONFIG, else "
        "~/.config/llmcensus/config.toml; see docs/configuration.md)")] = None,
) -> None:
    """llmcensus: an open observatory of internet-exposed LLM servers."""
    from llmcensus.config import load

    set_config(load(config))


@app.command("version")
def version_cmd() -> None:
    """Print the llmcensus version."""
    typer.echo(__version__)


def command() -> typer.core.TyperGroup:
    """The click command tree of ``llmcensus`` (what runs, and what ``docs/cli.md`` is generated from)."""
    cmd = typer.main.get_command(app)
    assert isinstance(cmd, typer.core.TyperGroup)
    plain_labels(cmd)
    return cmd


def main(argv: list[str] | None = None) -> int:
    try:
        command().main(args=argv, prog_name="llmcensus", standalone_mode=False)
    except LLMCensusError as exc:
        typer.echo(terminal(f"llmcensus: error: {exc}"), err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("llmcensus: interrupted", err=True)
        return 130
    except SystemExit as exc:  # click's own exits (--help) arrive here in non-standalone mode
        return exc.code if isinstance(exc.code, int) else 0
    except typer.Abort:
        typer.echo("llmcensus: aborted", err=True)
        return 1
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, bad value
        message = exc.format_message()
        if message:  # no_args_is_help: the help was printed, there is no error to add
            typer.echo(terminal(f"llmcensus: error: {message}"), err=True)
        return int(getattr(exc, "exit_code", 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
