"""``voiceshop models``: the speech models and Piper voices (list, pull, verify, remove, path)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from voiceshop.cli.output import emit_json, table
from voiceshop.errors import ModelError
from voiceshop.models import ModelStore, manifest

app = typer.Typer(
    help="Speech models and Piper voices: list, download (pull), verify, remove, show where they are.",
    no_args_is_help=True,
)

DIR = typer.Option(
    None, "--dir", envvar="VOICESHOP_MODELS", help="Models folder (default: models/ or your data folder)."
)


def _store(folder: Path | None) -> ModelStore:
    return ModelStore(folder)


@app.command("list")
def list_models(folder: Path | None = DIR, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every known model and voice: engine, language, size, how it is checked and whether it is here."""
    store = _store(folder)
    rows = []
    for entry in manifest().models:
        status = store.status(entry)
        size = f"{entry.download_size / 1e6:.0f} MB" if entry.download_size else "in package"
        size = f"in {len(entry.parts)} packages" if entry.parts else size
        rows.append(
            [
                entry.name,
                entry.engine,
                entry.language,
                size,
                entry.digest_name,
                status.state,
                str(status.path or status.detail),
            ]
        )
    if as_json:
        keys = ["name", "engine", "language", "size", "checked_by", "state", "where"]
        emit_json([dict(zip(keys, r, strict=True)) for r in rows])
        return
    table(["NAME", "ENGINE", "LANG", "SIZE", "CHECKED BY", "STATE", "WHERE / HOW TO GET IT"], rows)
    typer.echo(f"\nmodels folder: {store.root}")


@app.command()
def pull(
    name: str = typer.Argument(..., help="Model name (see `voiceshop models list`)."),
    folder: Path | None = DIR,
    archive: Path | None = typer.Option(
        None,
        "--file",
        help="Install this archive (fetched by hand) instead; for a Piper voice, its .onnx (the .onnx.json beside it).",
    ),
) -> None:
    """Download, verify (size and published digest) and install a model or voice; an interrupted
    download resumes, and nothing is installed until every file of it is complete and checked."""
    entry = manifest().get(name)
    store = _store(folder)
    shown = -1

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = done * 100 // total
        if percent != shown and sys.stderr.isatty():
            shown = percent
            bar = "#" * (percent // 4)
            typer.echo(f"\r{name}: [{bar:<25}] {percent:3d}% of {total / 1e6:.1f} MB", nl=False, err=True)

    path = store.pull(entry, progress=progress, archive=archive)
    if shown >= 0:
        typer.echo("", err=True)
    typer.echo(f"{name} is ready in {path}")


@app.command()
def verify(
    name: str | None = typer.Argument(None, help="One model; all installed ones without it."), folder: Path | None = DIR
) -> None:
    """Check that installed models are complete and unchanged."""
    store = _store(folder)
    entries = [manifest().get(name)] if name else [e for e in manifest().models if store.status(e).state != "missing"]
    bad = 0
    for entry in entries:
        problems = store.verify(entry)
        typer.echo(f"{entry.name}: " + ("ok" if not problems else "; ".join(problems)))
        bad += bool(problems)
    if bad:
        raise typer.Exit(1)


@app.command()
def remove(name: str, folder: Path | None = DIR) -> None:
    """Delete an installed model."""
    path = _store(folder).remove(manifest().get(name))
    typer.echo(f"removed {path}")


@app.command()
def path(name: str, folder: Path | None = DIR) -> None:
    """Print where a model is (for --model PATH, --piper-voice FILE or other programs)."""
    entry = manifest().get(name)
    store = _store(folder)
    found = store.voice_file(entry) if entry.engine == "piper" else store.path(entry)
    if found is None:
        raise ModelError(f"{name} is not installed; run: voiceshop models pull {name}")
    typer.echo(str(found))
