"""`voiceshop shop validate|load|list|show`."""

from __future__ import annotations

from pathlib import Path

import typer

from voiceshop.cli.context import JSON_OPTION, SHOP_OPTION, state
from voiceshop.cli.output import emit_json, table
from voiceshop.commerce.money import format_money
from voiceshop.shopfiles import load_shop_folder

app = typer.Typer(help="Check and load shop folders (shop.yaml plus a catalog).", no_args_is_help=True)


@app.command()
def validate(path: Path = typer.Argument(..., help="The shop folder."), as_json: bool = JSON_OPTION) -> None:
    """Check a shop folder and report every problem, without touching the database."""
    bundle = load_shop_folder(path)
    summary = {
        "shop": bundle.shop.slug,
        "name": bundle.shop.name,
        "products": len(bundle.catalog.products),
        "option_groups": len(bundle.catalog.option_groups),
        "categories": bundle.catalog.categories(),
        "files": [str(f) for f in bundle.files],
    }
    if as_json:
        emit_json({"ok": True, **summary})
        return
    typer.echo(
        f"ok: {bundle.shop.name} ({bundle.shop.slug}): {summary['products']} products in "
        f"{len(bundle.catalog.categories())} categories, {summary['option_groups']} option groups"
    )


@app.command()
def load(
    ctx: typer.Context, path: Path = typer.Argument(..., help="The shop folder."), as_json: bool = JSON_OPTION
) -> None:
    """Validate a shop folder and load it into the database (updating it in place if already there).

    Nothing is changed unless the whole shop is valid. The loaded shop becomes the current one.
    """
    bundle = load_shop_folder(path)
    report = state(ctx).shops.load(bundle)
    if as_json:
        emit_json(
            {
                "shop": report.slug,
                "added": report.added,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "removed": report.removed,
            }
        )
        return
    typer.echo(
        f"loaded {bundle.shop.name} ({report.slug}): {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.removed} no longer sold"
    )


@app.command("list")
def list_shops(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the shops in the database."""
    st = state(ctx)
    current = st.db.get_setting("current_shop")
    rows = []
    for slug in st.shops.slugs():
        stored = st.shop(slug)
        rows.append({"shop": slug, "name": stored.shop.name, "current": slug == current, "loaded_at": stored.loaded_at})
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("no shops loaded yet; run `voiceshop shop load PATH`")
        return
    table(
        ["shop", "name", "current", "loaded"],
        [[r["shop"], r["name"], "yes" if r["current"] else "", r["loaded_at"]] for r in rows],
    )


@app.command()
def show(ctx: typer.Context, shop: str | None = SHOP_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show a shop's details: hours, locations, delivery options, policies and coupons."""
    s = state(ctx).shop(shop).shop
    if as_json:
        emit_json(s.model_dump(mode="json"))
        return

    def money(v: int) -> str:
        return format_money(v, s.currency)

    typer.echo(f"{s.name} ({s.slug}), {s.currency}, {s.locale}, time zone {s.timezone}")
    for day, spans in s.opening_hours.items():
        hours = ", ".join(f"{t.opens:%H:%M}-{t.closes:%H:%M}" for t in spans) or "closed"
        typer.echo(f"  {day:<10} {hours}")
    for loc in s.locations:
        typer.echo(f"location: {loc.name}, {loc.address}" + (f" ({loc.directions})" if loc.directions else ""))
    for d in s.delivery:
        free = f", free over {money(d.free_over)}" if d.free_over is not None else ""
        typer.echo(f"delivery: {d.name} ({d.kind}): {money(d.fee)}{free}, {d.eta}")
    for c in s.coupons:
        value = f"{c.percent}%" if c.percent is not None else money(c.amount or 0)
        expires = f", expires {c.expires}" if c.expires else ""
        typer.echo(f"coupon: {c.code}: {value} off" + (f" over {money(c.minimum)}" if c.minimum else "") + expires)
    if s.spending_cap:
        typer.echo(f"spending cap: {money(s.spending_cap)} per order")
    if s.policies.payment:
        typer.echo(f"payment: {', '.join(s.policies.payment)}")
