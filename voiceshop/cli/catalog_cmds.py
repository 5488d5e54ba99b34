"""`voiceshop catalog list|search|show`."""

from __future__ import annotations

import typer

from voiceshop.cli.context import JSON_OPTION, SHOP_OPTION, state
from voiceshop.cli.output import emit_json, table
from voiceshop.commerce.catalog import Product
from voiceshop.commerce.money import format_money
from voiceshop.commerce.search import CatalogIndex
from voiceshop.errors import ProductNotFound

app = typer.Typer(help="Browse the current shop's catalog.", no_args_is_help=True)


def _rows(products: list[Product], currency: str) -> list[list[object]]:
    return [
        [
            p.sku,
            p.name,
            p.brand or "",
            p.category,
            format_money(p.price, currency),
            p.pack.describe(),
            "made to order" if p.stock is None else p.stock,
        ]
        for p in products
    ]


HEADERS = ["sku", "name", "brand", "category", "price", "pack", "stock"]


@app.command("list")
def list_products(
    ctx: typer.Context,
    category: str | None = typer.Option(None, "--category", "-c", help="Only this category."),
    limit: int = typer.Option(1000, "--limit", "-n", min=1, help="At most this many products."),
    shop: str | None = SHOP_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List products, optionally of one category."""
    stored, catalog = state(ctx).shop_and_catalog(shop)
    products = [p for p in catalog.products if category is None or p.category.lower() == category.lower()]
    if category is not None and not products:
        raise ProductNotFound(f"no category {category!r}; categories are: {', '.join(catalog.categories())}")
    products = products[:limit]
    if as_json:
        emit_json([p.model_dump(mode="json") for p in products])
        return
    table(HEADERS, _rows(products, stored.shop.currency))


@app.command()
def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help='What to look for, e.g. "tooth paste".'),
    limit: int = typer.Option(10, "--limit", "-n", min=1),
    shop: str | None = SHOP_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Find products by name, alias, brand, category or tag, forgiving spelling and spacing."""
    stored, catalog = state(ctx).shop_and_catalog(shop)
    hits = CatalogIndex(catalog).search(query, limit=limit)
    if as_json:
        emit_json([{"score": h.score, "matched": h.matched, **h.product.model_dump(mode="json")} for h in hits])
        return
    if not hits:
        typer.echo(f"nothing matches {query!r}; try a shorter word or `voiceshop catalog list`")
        raise typer.Exit(1)
    table(HEADERS, _rows([h.product for h in hits], stored.shop.currency))


@app.command()
def show(
    ctx: typer.Context,
    sku: str = typer.Argument(..., help="The product's SKU."),
    shop: str | None = SHOP_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one product with its options and prices."""
    stored, catalog = state(ctx).shop_and_catalog(shop)
    p = catalog.product(sku) or next((x for x in catalog.products if x.sku.lower() == sku.lower()), None)
    if p is None:
        raise ProductNotFound(f"no product with SKU {sku!r}; find it with `voiceshop catalog search`")
    cur = stored.shop.currency
    if as_json:
        emit_json(
            {**p.model_dump(mode="json"), "option_groups": [g.model_dump(mode="json") for g in catalog.groups_for(p)]}
        )
        return
    typer.echo(f"{p.name} ({p.sku}){' by ' + p.brand if p.brand else ''}: {format_money(p.price, cur)}")
    typer.echo(
        f"  category: {p.category}; pack: {p.pack.describe()}; stock: {'made to order' if p.stock is None else p.stock}"
    )
    if p.description:
        typer.echo(f"  {p.description}")
    if p.aliases:
        typer.echo(f"  also called: {', '.join(p.aliases)}")
    if p.tags:
        typer.echo(f"  tags: {', '.join(p.tags)}")
    for g in catalog.groups_for(p):
        choices = ", ".join(c.name + (f" (+{format_money(c.price, cur)})" if c.price else "") for c in g.choices)
        extra = " (required)" if g.required else (f" (default {g.default})" if g.default else "")
        typer.echo(f"  {g.name}{extra}: {choices}")
        if g.amounts:
            typer.echo(f"    amounts: {', '.join(a.name for a in g.amounts)}")
    if p.related:
        names = [r.name for sku_ in p.related if (r := catalog.product(sku_))]
        typer.echo(f"  goes with: {', '.join(names)}")
