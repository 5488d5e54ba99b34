"""The staff catalog page at ``/board/catalog``: find a product, see its price and stock, change stock.

Finding uses the catalog's own lookups: the exact SKU, name or alias first (``Catalog.find``), then
the forgiving search by name, alias, brand, category and tag (``CatalogIndex``), the same as
``voiceshop catalog search``. A stock change goes through the store, so every device sells from it
at once; a value that is not a whole number of units is refused with the page as it was.
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from voiceshop.commerce.catalog import Catalog, Product
from voiceshop.commerce.money import format_money
from voiceshop.commerce.search import lookup
from voiceshop.errors import shorten
from voiceshop.server.console import staff_or_sign_in
from voiceshop.server.pages import BASE, Page, Staff, Svc, checked_form, csrf_input, render
from voiceshop.server.services import Services
from voiceshop.storage.shops import MAX_STOCK, ShopRepository, StoredShop

router = APIRouter(prefix=f"{BASE}/catalog", include_in_schema=False)
ShopSlug = Annotated[str | None, Query(max_length=64)]
SHOWN = 300
"""Products listed at most without a search (the corner store has 189)."""


def find(catalog: Catalog, query: str) -> list[Product]:
    """The products ``query`` names: an exact SKU, name or alias first, then the search's hits."""
    query = query.strip()
    return lookup(catalog, query) if query else list(catalog.products[:SHOWN])


def shop_picker(svc: Services, stored: StoredShop, path: str, keep: dict[str, str]) -> str:
    """A small GET form to switch shops, when the store holds more than one."""
    with svc.store() as db:
        shops = ShopRepository(db)
        names = {slug: shops.resolve(slug).shop.name for slug in shops.slugs()}
    if len(names) < 2:
        return ""
    options = "".join(
        f'<option value="{escape(slug)}"{" selected" if slug == stored.shop.slug else ""}>{escape(name)}</option>'
        for slug, name in names.items()
    )
    hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in keep.items())
    return (
        f'<form class="filters" method="get" action="{path}">{hidden}'
        f'<label for="shop">Shop <select id="shop" name="shop">{options}</select></label>'
        '<button type="submit">Show</button></form>'
    )


def _stock_cell(p: Product, stored: StoredShop, query: str, bad: tuple[str, str] | None, csrf: str) -> str:
    if p.stock is None:
        return '<td class="stock">made to order</td>'
    sku = escape(p.sku)
    field_id = f"stock-{sku}"
    value, invalid = str(p.stock), ""
    if bad is not None and bad[0] == p.sku:
        value = bad[1]
        invalid = ' aria-invalid="true" aria-describedby="problem"'
    return (
        f'<td class="stock"><form method="post" action="{BASE}/catalog/stock">'
        f"{csrf}"
        f'<input type="hidden" name="shop" value="{escape(stored.shop.slug)}">'
        f'<input type="hidden" name="sku" value="{sku}">'
        f'<input type="hidden" name="q" value="{escape(query)}">'
        f'<label class="visually-hidden" for="{field_id}">Stock of {escape(p.name)}</label>'
        f'<input id="{field_id}" name="stock" type="number" min="0" max="{MAX_STOCK}" step="1" inputmode="numeric"'
        f' value="{escape(value)}" required{invalid}>'
        f'<button type="submit" aria-label="Set the stock of {escape(p.name)}">Set</button></form>'
        f'<span class="muted">now {p.stock}</span></td>'
    )


def _page(
    request: Request,
    svc: Services,
    who: str,
    shop: str | None,
    query: str,
    *,
    notice: str = "",
    problem: str = "",
    bad: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    with svc.store() as db:
        shops = ShopRepository(db)
        stored = shops.resolve(shop)
        catalog = shops.catalog(stored)
    products = find(catalog, query)
    csrf = csrf_input(request, svc)
    currency = stored.shop.currency
    rows = "\n".join(
        f'<tr><th scope="row">{escape(p.name)}'
        + (f'<div class="muted">also: {escape(", ".join(p.aliases))}</div>' if p.aliases else "")
        + f"</th><td>{escape(p.sku)}</td><td>{escape(p.category)}</td>"
        f'<td class="num">{escape(format_money(p.price, currency))}</td>'
        + _stock_cell(p, stored, query, bad, csrf)
        + "</tr>"
        for p in products
    )
    if products:
        what = f"{len(products)} product(s) matching “{escape(query)}”" if query else f"{len(products)} product(s)"
        table = (
            f'<table><caption>{what}</caption><thead><tr><th scope="col">Product</th><th scope="col">SKU</th>'
            '<th scope="col">Category</th><th scope="col" class="num">Price</th><th scope="col">Stock</th>'
            f"</tr></thead><tbody>\n{rows}\n</tbody></table>"
        )
    else:
        table = f"<p>Nothing matches “{escape(query)}”. Try a shorter word, another name, or the SKU.</p>"
    messages = f'<p id="problem" class="error" role="alert">{escape(problem)}</p>' if problem else ""
    messages += f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    content = (
        f"<h1>Catalog — {escape(stored.shop.name)}</h1>"
        + shop_picker(svc, stored, f"{BASE}/catalog", {"q": query} if query else {})
        + f'<form class="filters" role="search" method="get" action="{BASE}/catalog">'
        f'<input type="hidden" name="shop" value="{escape(stored.shop.slug)}">'
        '<label for="q">Find a product (name, alias or SKU)'
        f'<input id="q" name="q" type="search" maxlength="200" value="{escape(query)}"></label>'
        '<button type="submit">Search</button></form>' + messages + table
    )
    page = Page(f"Catalog — {stored.shop.name}", "catalog", content)
    return render(request, svc, who, page, status=status)


@router.get("")
def catalog_page(
    request: Request,
    svc: Svc,
    shop: ShopSlug = None,
    q: Annotated[str, Query(max_length=200)] = "",
    done: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    who = staff_or_sign_in(request, svc)
    if isinstance(who, Response):
        return who
    notice = ""
    if done:
        with svc.store() as db:
            shops = ShopRepository(db)
            product = shops.catalog(shops.resolve(shop)).product(done)
        if product is not None:
            notice = f"The stock of {product.name} is now {product.stock}."
    return _page(request, svc, who, shop, q, notice=notice)


@router.post("/stock")
async def set_stock(request: Request, svc: Svc, who: Staff) -> Response:
    form = await checked_form(request, svc)
    shop, sku, query = form.get("shop") or None, form.get("sku", ""), form.get("q", "")[:200]
    said = form.get("stock", "").strip()
    stock = int(said) if said.isascii() and said.isdigit() and len(said) <= 10 else None
    if stock is None or stock > MAX_STOCK:
        problem = (
            f"The stock must be a whole number of units from 0 to {MAX_STOCK:,}, not “{shorten(said, 40)}”;"
            " nothing was changed."
        )
        return await run_in_threadpool(
            lambda: _page(request, svc, who, shop, query, problem=problem, bad=(sku, said), status=422)
        )

    def change() -> str:
        with svc.store() as db:
            shops = ShopRepository(db)
            stored = shops.resolve(shop)
            shops.set_stock(stored, sku, stock)
            return stored.shop.slug

    slug = await run_in_threadpool(change)
    return RedirectResponse(f"{BASE}/catalog?{urlencode({'shop': slug, 'q': query, 'done': sku})}", status_code=303)
