"""The typer app, its global options, and the error guard every command uses.

A :class:`~floodrisk.errors.FloodRiskError` becomes one message on stderr and exit code
2; any other exception keeps its traceback (it is a bug to report).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler

from .. import __version__
from ..errors import FloodRiskError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                  help="Urban waterlogging (内涝) risk assessment from a city's own data.")
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

STATE = {"quiet": False}


def guarded(fn: F) -> F:
    """Turn FloodRiskError into a one-line message and exit code 2."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FloodRiskError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        out.print(f"floodrisk {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors and the result path."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Also log what the loaders filled in or changed."),
) -> None:
    """Urban waterlogging (内涝) risk assessment from a city's own data."""
    STATE["quiet"] = quiet
    logging.basicConfig(level=logging.WARNING, format="%(message)s", force=True,
                        handlers=[RichHandler(console=err, show_time=False, show_path=False)])
    logging.getLogger("floodrisk").setLevel(logging.INFO if verbose and not quiet
                                            else logging.WARNING)
