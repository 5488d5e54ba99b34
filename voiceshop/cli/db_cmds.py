"""`voiceshop db info`, `check`, `backup`, `restore` and `copy`."""

from __future__ import annotations

from pathlib import Path

import typer

from voiceshop.cli.context import JSON_OPTION, state
from voiceshop.cli.output import emit_json
from voiceshop.errors import StoreError
from voiceshop.storage import Database, default_target, parse_target
from voiceshop.storage.copy import copy_store
from voiceshop.storage.db import SQLITE, utcnow
from voiceshop.storage.sqlite.db import restore as restore_sqlite

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


@app.command()
def check(ctx: typer.Context) -> None:
    """Check the store for damage (SQLite's own check of every page, and every table present)."""
    typer.echo(f"ok: {state(ctx).db.check()}")


@app.command()
def backup(
    ctx: typer.Context,
    to: Path | None = typer.Option(None, "--to", help="The backup file (default: beside the database, dated)."),
) -> None:
    """Copy the whole store to a file while devices keep using it (SQLite's online backup)."""
    db = state(ctx).db
    if to is None:
        here = Path(db.location)
        to = here.with_name(f"{here.stem}.backup-{utcnow()[:19].replace(':', '')}.db")
    typer.echo(f"backed up {db.location} to {db.backup(to)}")


@app.command()
def restore(
    ctx: typer.Context,
    backup_file: Path = typer.Argument(..., metavar="FILE", help="A backup made by `voiceshop db backup`."),
) -> None:
    """Put a backup in place of the store; the file it replaces is kept beside it. Stop the devices first."""
    backend, where = parse_target(state(ctx).db_url or default_target())
    if backend != SQLITE:
        raise StoreError("restore works on a SQLite store; restore a PostgreSQL store with the server's tools")
    moved = restore_sqlite(backup_file, Path(where))
    kept = f"; the file it replaced is kept as {moved}" if moved else ""
    typer.echo(f"restored {where} from {backup_file}{kept}")


@app.command()
def copy(
    ctx: typer.Context,
    source: str | None = typer.Option(
        None, "--from", help="The store to copy (default: --db / VOICESHOP_DB): a file, sqlite:///PATH or a URL."
    ),
    target: str = typer.Option(
        ..., "--to", help="An empty store to copy into, e.g. postgresql://voiceshop:PASSWORD@HOST/voiceshop."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Copy a shop's whole store (shops, orders, customers, sessions...) into another, and verify it.

    Stop the devices that use the source first. The target must be empty; it gets everything or nothing.
    """
    source = source or state(ctx).db_url or default_target()
    backend, where = parse_target(source)
    if backend == "sqlite" and not Path(where).is_file():
        raise StoreError(f"there is no store at {where} to copy from; check --from")
    if parse_target(target) == (backend, where):
        raise StoreError("--from and --to are the same store; name another one with --to")
    with Database(source) as src, Database(target) as dst:
        report = copy_store(src, dst)
        if as_json:
            emit_json({"from": src.location, "to": dst.location, "counts": report.counts, "verified": True})
            return
        for table, n in report.counts.items():
            typer.echo(f"{table:<13} {n:>8}")
        typer.echo(f"copied {report.total} rows from {src.location} to {dst.location}; counts verified on both sides")


@app.callback()
def _db() -> None:
    """The order database."""
