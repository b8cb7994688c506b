"""The ``llmcensus`` command: the only module that imports every stage.

Each stage owns one sub-application in ``llmcensus/cli/<stage>.py``. Errors from the library are
``LLMCensusError`` subclasses; they become one line on stderr and their exit code, never a traceback.
An error text can quote an input file or a host's reply, so every such line goes through
``llmcensus.inert.terminal``: controls and bidi characters shown as escapes, cut to 500 characters.
"""

from __future__ import annotations

import sys

import typer

from llmcensus import __version__
from llmcensus.cli import discover, enrich, optout, report, run, scan, simulate, store, study
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
# scan, report, study and run register top-level commands (llmcensus scan, report, study, run)
for sub in (scan.app, report.app, study.app, run.app):
    for cmd in sub.registered_commands:
        app.registered_commands.append(cmd)
    for grp in sub.registered_groups:
        app.registered_groups.append(grp)


@app.command("version")
def version_cmd() -> None:
    """Print the llmcensus version."""
    typer.echo(__version__)


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, standalone_mode=False)
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
        typer.echo(terminal(f"llmcensus: error: {exc.format_message()}"), err=True)
        return int(getattr(exc, "exit_code", 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
