"""``voiceshop understand``: what the assistant makes of a sentence, for trying and tuning grammars."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from voiceshop.asr.base import transcribe
from voiceshop.cli.context import state
from voiceshop.cli.output import emit_json, emit_json_line
from voiceshop.cli.voice_cmds import each_recording, heard_json
from voiceshop.commerce.catalog import Catalog
from voiceshop.commerce.shop import Shop
from voiceshop.nlu import Grammar, Understander, Understanding, grammar_dir
from voiceshop.runtime.engines import open_recognizer, tune, understand_heard
from voiceshop.shopfiles.loader import load_shop_folder


def understand(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(None, help="WAV files to hear and understand (one model load for all)."),
    text: str | None = typer.Option(None, "--text", "-t", help="The sentence; without it, one per line from stdin."),
    shop: str | None = typer.Option(
        None, "--shop", "-s", help="Shop folder, or the slug of a loaded shop (default: the shop loaded last)."
    ),
    language: str = typer.Option("en", "--language", "-l", help="Grammar language."),
    grammars: Path | None = typer.Option(None, "--grammars", help="Folder holding <language>/*.yaml grammars."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for programs (one line per WAV file)."),
    engine: str = typer.Option("auto", "--engine", "-e", help="Recognition engine for WAV files."),
    model: Path | None = typer.Option(None, "--model", "-m", help="Model folder for WAV files."),
) -> None:
    """Understand a sentence (or WAV files of speech) as a shopper's request: intent, items, slots."""
    the_shop, catalog = _shop(ctx, shop)
    understander = Understander(the_shop, catalog, Grammar.from_dir(grammar_dir(language, grammars)))
    if files:
        _understand_audio(understander, files, language, engine, model, as_json)
        return
    lines = [text] if text is not None else [line.strip() for line in sys.stdin if line.strip()]
    for line in lines:
        result = understander.understand(line)
        if as_json:
            emit_json(result)
        else:
            describe(result)


def _understand_audio(
    understander: Understander, files: list[Path], language: str, engine: str, model: Path | None, as_json: bool
) -> None:
    recognizer = open_recognizer(engine, language, model)
    tune(recognizer, understander)
    for path, samples in each_recording(files):
        heard = transcribe(recognizer, samples)
        result = understand_heard(understander, heard)
        if not as_json:
            typer.echo(f"{path}: heard {heard.text!r}")
            if heard.second is not None:
                typer.echo(f"  and {heard.second.engine} heard {heard.second.text!r}")
            describe(result)
            continue
        line = {
            "file": str(path),
            **heard_json(heard),
            "transcript": heard.text,
            **({"second": heard_json(heard.second)} if heard.second is not None else {}),
            "intent": result.intent,
            "understood_confidence": result.confidence,
            "items": [
                {
                    "sku": i.sku,
                    "name": i.name,
                    "quantity": i.quantity,
                    "options": [{"group": o.group, "choice": o.choice, "amount": o.amount} for o in i.options],
                    # choices the two engines heard apart: the assistant would ask which
                    "doubts": [{"group": o.group, "choice": o.choice} for o in i.doubts],
                }
                for i in result.items
            ],
            "slots": {k: v.value for k, v in result.slots.items()},
        }
        emit_json_line(line)


def _shop(ctx: typer.Context, shop: str | None) -> tuple[Shop, Catalog]:
    if shop is not None and (Path(shop).is_dir() or Path(shop).is_file()):
        bundle = load_shop_folder(shop)
        return bundle.shop, bundle.catalog
    stored, catalog = state(ctx).shop_and_catalog(shop)
    return stored.shop, catalog


def describe(u: Understanding) -> None:
    typer.echo(f"> {u.text}")
    if not u.understood:
        closest = ", ".join(f"{a.intent} {a.confidence:.2f}" for a in u.alternatives) or "nothing"
        typer.echo(f"  not understood (confidence {u.confidence:.2f}; closest: {closest})")
        return
    typer.echo(f"  intent: {u.intent} (confidence {u.confidence:.2f})")
    for item in u.items:
        options = ", ".join(f"{o.group}={o.choice}" + (f" ({o.amount})" if o.amount else "") for o in item.options)
        what = f"{item.name} [{item.sku}]" if item.sku else f'"{item.text}"'
        line = f"  item: {item.quantity} x " + (f"{item.unit} of " if item.unit else "") + what
        typer.echo(line + (f"; {options}" if options else ""))
        if item.sku is None:
            names = ", ".join(c.name for c in item.candidates[:5]) or "nothing in the catalog"
            typer.echo(f"    which one? {names}")
        for o in item.unfit_options:
            why = "not sold here" if o.not_sold else "not offered for this product"
            typer.echo(f"    {why}: {o.choice}")
    for name, slot in u.slots.items():
        value = slot.value if slot.value is not None else "?"
        typer.echo(f"  {name}: {value}" + (f' ("{slot.text}")' if slot.text else ""))
        if slot.value is None and slot.candidates:
            typer.echo("    which one? " + ", ".join(c.name for c in slot.candidates[:5]))
