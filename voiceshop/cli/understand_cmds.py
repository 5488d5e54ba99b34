"""``voiceshop understand``: what the assistant makes of a sentence, for trying and tuning grammars."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from voiceshop.cli.context import state
from voiceshop.cli.output import emit_json
from voiceshop.commerce.catalog import Catalog
from voiceshop.commerce.shop import Shop
from voiceshop.nlu import Grammar, Understander, Understanding, grammar_dir
from voiceshop.shopfiles.loader import load_shop_folder


def understand(
    ctx: typer.Context,
    text: str | None = typer.Option(None, "--text", "-t", help="The sentence; without it, one per line from stdin."),
    shop: str | None = typer.Option(
        None, "--shop", "-s", help="Shop folder, or the slug of a loaded shop (default: the shop loaded last)."
    ),
    language: str = typer.Option("en", "--language", "-l", help="Grammar language."),
    grammars: Path | None = typer.Option(None, "--grammars", help="Folder holding <language>/*.yaml grammars."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for programs."),
) -> None:
    """Understand a sentence as a shopper's request: intent, items, slots and confidence."""
    the_shop, catalog = _shop(ctx, shop)
    understander = Understander(the_shop, catalog, Grammar.from_dir(grammar_dir(language, grammars)))
    lines = [text] if text is not None else [line.strip() for line in sys.stdin if line.strip()]
    for line in lines:
        result = understander.understand(line)
        if as_json:
            emit_json(result)
        else:
            describe(result)


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
            typer.echo(f"    not offered for this product: {o.choice}")
    for name, slot in u.slots.items():
        value = slot.value if slot.value is not None else "?"
        typer.echo(f"  {name}: {value}" + (f' ("{slot.text}")' if slot.text else ""))
        if slot.value is None and slot.candidates:
            typer.echo("    which one? " + ", ".join(c.name for c in slot.candidates[:5]))
