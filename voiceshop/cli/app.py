"""The ``voiceshop`` command: wiring of sub-commands, the --db option and error handling.

Exit codes: 0 success; 1 a user error (one line on stderr saying what was wrong and what to do, no
traceback); 2 a usage error (bad arguments).
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from voiceshop import __version__
from voiceshop.cli import (
    catalog_cmds,
    chat_cmds,
    customers_cmds,
    db_cmds,
    models_cmds,
    orders_cmds,
    shop_cmds,
    understand_cmds,
    voice_cmds,
)
from voiceshop.cli.context import State
from voiceshop.cli.output import error
from voiceshop.errors import VoiceshopError


class VoiceshopGroup(TyperGroup):
    """Turns every VoiceshopError raised by any sub-command into a clean message and exit code 1."""

    # Any: the base class types ctx with typer's private vendored click Context.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except VoiceshopError as exc:
            error(str(exc))
            raise typer.Exit(1) from None
        finally:
            state = ctx.obj
            if isinstance(state, State):
                state.close()


app = typer.Typer(
    cls=VoiceshopGroup,
    help="voiceshop: an offline voice shop assistant. Run it (voiceshop run), chat to it, load shops, manage orders.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(shop_cmds.app, name="shop")
app.add_typer(catalog_cmds.app, name="catalog")
app.add_typer(orders_cmds.app, name="orders")
app.add_typer(customers_cmds.app, name="customers")
app.add_typer(db_cmds.app, name="db")
app.add_typer(models_cmds.app, name="models")
app.command("understand")(understand_cmds.understand)
app.command("chat")(chat_cmds.chat)
app.command("run")(voice_cmds.run)
app.command("transcribe")(voice_cmds.transcribe)
app.command("say")(voice_cmds.say)
app.command("devices")(voice_cmds.devices)
app.command("doctor")(voice_cmds.doctor)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"voiceshop {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="VOICESHOP_DB",
        help="The store: a SQLite file (default: in your user data folder), sqlite:///PATH, or "
        "postgresql://USER:PASSWORD@HOST:PORT/DB to share one PostgreSQL database between devices.",
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    ctx.obj = State(db_url=db)


def main() -> None:
    app(prog_name="voiceshop")
