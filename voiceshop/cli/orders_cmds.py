"""`voiceshop orders place|list|show|advance|cancel`: the shop staff's side of orders."""

from __future__ import annotations

import re
import uuid

import typer

from voiceshop.cli.context import JSON_OPTION, SHOP_OPTION, state
from voiceshop.cli.output import emit_json, table
from voiceshop.commerce.cart import Cart, ChosenOption, price_item
from voiceshop.commerce.catalog import Catalog
from voiceshop.commerce.money import format_money
from voiceshop.commerce.order import Order, OrderStatus
from voiceshop.errors import CartError, ProductNotFound

app = typer.Typer(
    help="Place, list and move orders along (placed, confirmed, preparing/shipped, ready/delivered).",
    no_args_is_help=True,
)

_HEAD = re.compile(r"^\s*(?:(?P<qty>\d+)\s*(?:x\s+|x(?=[A-Za-z])|\s+))?(?P<what>.+?)\s*$")
_OPT = re.compile(r"^\s*(?P<group>[\w -]+?)\s*=\s*(?P<choice>[^()]+?)\s*(?:\((?P<amount>[^()]+)\))?\s*$")


def parse_item(spec: str, catalog: Catalog) -> tuple[str, int, list[ChosenOption]]:
    """``"2 x DRK-LATTE, size=large, milk=soy milk (a bit of)"`` -> (sku, quantity, options).

    The product may be named by SKU or by its exact name or alias.
    """
    head, *opts = spec.split(",")
    m = _HEAD.match(head)
    if not m:
        raise CartError(f"cannot read item {spec!r}; write it like '2 x DRK-LATTE, size=large'")
    qty = int(m.group("qty") or 1)
    what = m.group("what")
    product = catalog.find(what)
    if product is None:
        raise ProductNotFound(f"no product {what!r} (give a SKU or exact name; `voiceshop catalog search` finds them)")
    chosen = []
    for text in opts:
        om = _OPT.match(text)
        if not om:
            raise CartError(
                f"cannot read option {text.strip()!r}; write it like 'size=large' or 'milk=soy milk (a bit of)'"
            )
        chosen.append(
            ChosenOption(group=om.group("group").strip(), choice=om.group("choice"), amount=om.group("amount"))
        )
    return product.sku, qty, chosen


def _describe(order: Order) -> list[str]:
    def money(v: int) -> str:
        return format_money(v, order.currency)

    out = [
        f"order {order.number} ({order.shop}): {order.status}, {order.delivery}"
        + (f", for {order.customer}" if order.customer else "")
    ]
    for ln in order.lines:
        out.append(f"  {ln.quantity} x {ln.describe()}  {money(ln.line_total)}")
    out.append(
        f"  subtotal {money(order.subtotal)}"
        + (f", discount {money(order.discount)} ({order.coupon})" if order.discount else "")
        + f", delivery {money(order.delivery_fee)}, total {money(order.total)}"
    )
    for ev in order.history:
        out.append(f"  {ev.at:%Y-%m-%d %H:%M:%S} {ev.status}" + (f": {ev.note}" if ev.note else ""))
    return out


@app.command()
def place(
    ctx: typer.Context,
    items: list[str] = typer.Argument(..., help='Items like "2 x DRK-LATTE, size=large, milk=soy milk (a bit of)".'),
    delivery: str = typer.Option("pickup", "--delivery", "-d", help="pickup, standard or express."),
    coupon: str | None = typer.Option(None, "--coupon", help="A coupon code."),
    customer: str | None = typer.Option(None, "--customer", help="The customer's name."),
    token: str | None = typer.Option(
        None, "--token", help="Checkout token: retrying with the same one never orders twice."
    ),
    shop: str | None = SHOP_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Place an order directly (a counter order, or a test)."""
    st = state(ctx)
    stored, catalog = st.shop_and_catalog(shop)
    cart = Cart()
    for spec in items:
        sku, qty, chosen = parse_item(spec, catalog)
        cart = cart.add(price_item(catalog, sku, chosen, qty))
    result = st.orders.place(
        stored, cart, token=token or uuid.uuid4().hex, delivery=delivery, coupon=coupon, customer=customer
    )
    if as_json:
        emit_json({"created": result.created, "order": result.order.model_dump(mode="json")})
        return
    head, *body = _describe(result.order)
    typer.echo(("placed " if result.created else "already placed with this token: ") + head)
    for line in body[: -len(result.order.history)]:
        typer.echo(line)


@app.command("list")
def list_orders(
    ctx: typer.Context,
    status: OrderStatus | None = typer.Option(None, "--status", help="Only orders with this status."),
    customer: str | None = typer.Option(None, "--customer"),
    limit: int = typer.Option(50, "--limit", "-n", min=1),
    shop: str | None = SHOP_OPTION,
    all_shops: bool = typer.Option(False, "--all-shops", help="Orders of every shop."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List orders, newest first."""
    st = state(ctx)
    stored = None if all_shops else st.shop(shop)
    orders = st.orders.list(stored, status=status, customer=customer, limit=limit)
    if as_json:
        emit_json([o.model_dump(mode="json") for o in orders])
        return
    if not orders:
        typer.echo("no orders")
        return
    table(
        ["number", "placed", "status", "delivery", "customer", "items", "total"],
        [
            [
                o.number,
                f"{o.created_at:%Y-%m-%d %H:%M}",
                o.status,
                o.delivery,
                o.customer or "",
                sum(ln.quantity for ln in o.lines),
                format_money(o.total, o.currency),
            ]
            for o in orders
        ],
    )


@app.command()
def show(ctx: typer.Context, number: str = typer.Argument(...), as_json: bool = JSON_OPTION) -> None:
    """Show one order with its lines, totals and status history."""
    order = state(ctx).orders.get(number)
    if as_json:
        emit_json(order.model_dump(mode="json"))
        return
    for line in _describe(order):
        typer.echo(line)


@app.command()
def advance(
    ctx: typer.Context,
    number: str = typer.Argument(...),
    to: OrderStatus | None = typer.Option(None, "--to", help="The status to move to (must be the next step)."),
    note: str = typer.Option("", "--note"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Move an order to its next status (placed -> confirmed -> preparing/shipped -> ready/delivered)."""
    order = state(ctx).orders.advance(number, to, note)
    if as_json:
        emit_json(order.model_dump(mode="json"))
        return
    typer.echo(f"order {order.number} is now {order.status}")


@app.command()
def cancel(
    ctx: typer.Context,
    number: str = typer.Argument(...),
    note: str = typer.Option("", "--note"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Cancel an order that is not yet being prepared or shipped; its items go back in stock."""
    order = state(ctx).orders.cancel(number, note)
    if as_json:
        emit_json(order.model_dump(mode="json"))
        return
    typer.echo(f"order {order.number} is cancelled; its items are back in stock")
