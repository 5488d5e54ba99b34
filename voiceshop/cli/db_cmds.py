"""`voiceshop db info`."""

from __future__ import annotations

import typer

from voiceshop.cli.context import JSON_OPTION, state
from voiceshop.cli.output import emit_json

app = typer.Typer(help="The order database.", no_args_is_help=True)


@app.command()
def info(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Where the database is, its schema version, and how much it holds."""
    data = state(ctx).db.info()
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        typer.echo(f"{key.replace('_', ' ')}: {value}")


@app.callback()
def _db() -> None:
    """The order database."""
