"""``floodrisk schema``: print the accepted data schema."""

from __future__ import annotations

import typer

from .app import app


@app.command()
def schema() -> None:
    """Print the accepted data schema (layers, columns, units, defaults, aliases) as Markdown."""
    from ..schema import schema_markdown

    typer.echo(schema_markdown())
