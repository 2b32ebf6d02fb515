"""What every CLI command module shares: exit codes and the one-line failure (imports nothing of the CLI)."""

from __future__ import annotations

from typing import NoReturn

import typer

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED_RUN", "fail", "one_line"]

EXIT_FAILED_RUN = 1
EXIT_BAD_INPUT = 2


def one_line(msg: str) -> str:
    """``msg`` with its whitespace (newlines included) collapsed to single spaces."""
    return " ".join(str(msg).split())


def fail(msg: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``error: <msg>`` as one line on stderr and exit with ``code`` (2: bad input, 1: failed run)."""
    typer.echo(f"error: {one_line(msg)}", err=True)
    raise typer.Exit(code)
