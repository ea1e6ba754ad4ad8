"""The ``floodrisk`` command line (typer), one thin module per command as rasterio's ``rio``.

Each module registers its command on :data:`app`; this package imports them in the order
``--help`` lists them.
"""

from . import run, report, season, synthetic, schema, storm, check, swmm_io  # noqa: F401  (register the commands)
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``floodrisk`` command."""
    app()
