"""`llmcensus report` commands (thin: parse, call one library function, map errors)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="report stage commands.")
