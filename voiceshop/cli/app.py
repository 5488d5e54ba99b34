"""The ``voiceshop`` command: wiring of sub-commands, the --db option and error handling.

Exit codes: 0 success; 1 a user error (one line on stderr saying what was wrong and what to do, no
traceback); 2 a usage error (bad arguments); 3 a failure of voiceshop itself (one line on stderr
pointing to a log file that holds the traceback; ``--debug`` prints it instead); 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from platformdirs import user_log_dir
from typer.core import TyperGroup
from typer.exceptions import TyperException

from voiceshop import __version__
from voiceshop.cli import (
    catalog_cmds,
    chat_cmds,
    customers_cmds,
    db_cmds,
    models_cmds,
    orders_cmds,
    serve_cmds,
    shop_cmds,
    understand_cmds,
    voice_cmds,
    webhooks_cmds,
    wyoming_cmds,
)
from voiceshop.cli.context import State
from voiceshop.cli.output import error
from voiceshop.errors import VoiceshopError, shorten

EXIT_USER = 1
EXIT_BUG = 3
EXIT_INTERRUPTED = 130
LOG_NAME = "voiceshop-errors.log"
ARGV = "voiceshop.argv"


class VoiceshopGroup(TyperGroup):
    """The one error boundary: a VoiceshopError becomes its message and exit code 1; anything else
    (a bug) becomes one line pointing to the log file that keeps its traceback, and exit code 3."""

    # Any: the base class types ctx with typer's private vendored click Context.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta[ARGV] = list(args)  # the command as typed, for the log of a failure
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except VoiceshopError as exc:
            error(str(exc))
            raise typer.Exit(EXIT_USER) from None
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except KeyboardInterrupt:
            error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:  # the boundary: whatever escaped is a bug, reported without a traceback
            state = ctx.obj
            if isinstance(state, State) and state.debug:
                raise
            where = _log_failure(exc, " ".join(ctx.meta.get(ARGV, sys.argv[1:])))
            error(
                f"voiceshop failed unexpectedly ({type(exc).__name__}: {shorten(str(exc))}). {where} "
                "Run the command again with --debug to see the details."
            )
            raise typer.Exit(EXIT_BUG) from None
        finally:
            state = ctx.obj
            if isinstance(state, State):
                state.close()


def log_dir() -> Path:
    """Where failures are logged: $VOICESHOP_LOG_DIR, else the platform's user log folder."""
    env = os.environ.get("VOICESHOP_LOG_DIR")
    return Path(env) if env else Path(user_log_dir("voiceshop", appauthor=False))


def _log_failure(exc: BaseException, command: str) -> str:
    """Append the traceback to the log file; say where it is (or that it could not be written)."""
    path = log_dir() / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8", errors="backslashreplace") as log:
            log.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')} voiceshop {__version__}: {command}\n")
            log.write("".join(traceback.format_exception(exc)))
    except OSError:
        return "The details could not be written to a log file."
    return f"The details are in {path}; please include that file when you report it."


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
serve_cmds.register(app)
app.add_typer(webhooks_cmds.app, name="webhooks")
app.command("wyoming")(wyoming_cmds.wyoming)


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
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback when voiceshop itself fails."),
) -> None:
    ctx.obj = State(db_url=db, debug=debug)


def main() -> None:
    app(prog_name="voiceshop")
