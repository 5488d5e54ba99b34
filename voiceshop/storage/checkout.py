"""Writing a checkout: an order priced from the products as they were read, stored all or nothing.

``OrderRepository.place`` reads the checkout token, the customer and the products without locks and
prices the cart; what it hands over is a ``Draft``. The back end writes it in one transaction that
first checks that what was read still holds:

    Database.write_order(draft) -> Written
    ├── SQLite      write_statements below: plain statements in one BEGIN IMMEDIATE transaction
    └── PostgreSQL  one call of voiceshop_place_order (postgres/migrations/0006): one statement, one
                    round trip, the same checks and writes on the server

The outcomes are the function's (its migration says what each means): ``placed``, ``exists`` (the
token's order is stored), ``changed`` (a product changed since it was read: read and price again),
``short`` (not enough stock). Anything but ``placed`` has written nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from voiceshop.commerce.order import Order

if TYPE_CHECKING:
    from voiceshop.storage.db import Database

Outcome = Literal["placed", "exists", "changed", "short"]


@dataclass(frozen=True)
class Seen:
    """A product as the checkout priced it."""

    product_id: int
    product_json: str
    """The stored product as read: the write goes ahead only if it is still the same."""
    take: int | None
    """How many to take from stock; None: made to order when read (it must still be)."""


@dataclass(frozen=True)
class DraftLine:
    product_id: int
    sku: str
    name: str
    options_json: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class Draft:
    """What a checkout writes: the order's rows, and what was read to price it."""

    token: str
    shop_id: int
    customer_id: int | None
    order_id: int | None
    """Taken from a sequence when the checkout read (PostgreSQL), or None: chosen when written (SQLite,
    where writers take turns)."""
    at: str
    products: tuple[Seen, ...]
    """Every product of the cart once, in id order (the order stock rows are locked in)."""
    lines: tuple[DraftLine, ...]
    build: Callable[[int], Order]
    """The order as it will read back, given its id (its number comes from the id)."""


@dataclass(frozen=True)
class Written:
    outcome: Outcome
    order_id: int | None = None
    """placed: the new order; exists: the order stored with the token."""
    product_id: int | None = None
    """changed, short: the first product (by id) that is."""
    stock: int | None = None
    """short: what is left of that product."""
    order: Order | None = None
    """placed: the order written."""


def payload(order: Order) -> str:
    """The ``order.placed`` outbox event."""
    return json.dumps(order.model_dump(mode="json"), sort_keys=True)


def write_statements(db: Database, draft: Draft) -> Written:
    """The checkout's writes as statements both back ends speak, in one transaction of ``db``."""
    with db.transaction() as c:
        row = c.execute("SELECT id FROM orders WHERE checkout_token = ?", (draft.token,)).fetchone()
        if row is not None:
            return Written("exists", order_id=int(row[0]))
        ids = [seen.product_id for seen in draft.products]
        now = {
            int(r[0]): r
            for r in c.execute(
                f"SELECT id, product_json, active, stock FROM products WHERE id IN ({', '.join('?' for _ in ids)})",
                ids,
            ).fetchall()
        }
        for seen in draft.products:
            r = now.get(seen.product_id)
            if r is None or r[2] != 1 or r[1] != seen.product_json or (r[3] is None) != (seen.take is None):
                return Written("changed", product_id=seen.product_id)
        for seen in draft.products:
            left = now[seen.product_id][3]
            if seen.take is not None and left < seen.take:
                return Written("short", product_id=seen.product_id, stock=int(left))
        order_id = draft.order_id
        if order_id is None:  # one past the largest: this transaction holds the write lock until it commits
            order_id = int(c.execute("SELECT coalesce(max(id), 0) + 1 FROM orders").fetchone()[0])
        order = draft.build(order_id)
        c.execute(
            "INSERT INTO orders (id, number, shop_id, customer_id, checkout_token, status, delivery, currency,"
            " subtotal, discount, delivery_fee, total, coupon, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'placed', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (order_id, order.number, draft.shop_id, draft.customer_id, draft.token, order.delivery.value,
             order.currency, order.subtotal, order.discount, order.delivery_fee, order.total, order.coupon,
             draft.at, draft.at),
        )  # fmt: skip
        c.executemany(
            "UPDATE products SET stock = stock - ? WHERE id = ?",
            [(seen.take, seen.product_id) for seen in draft.products if seen.take is not None],
        )
        c.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, sku, name, options_json, quantity, unit_price)"
            " VALUES " + ", ".join("(?, ?, ?, ?, ?, ?, ?, ?)" for _ in draft.lines),
            [
                value
                for i, ln in enumerate(draft.lines, start=1)
                for value in (order_id, i, ln.product_id, ln.sku, ln.name, ln.options_json, ln.quantity, ln.unit_price)
            ],
        )
        c.execute(
            "INSERT INTO order_events (order_id, status, at, note) VALUES (?, 'placed', ?, 'order placed')",
            (order_id, draft.at),
        )
        c.execute(
            "INSERT INTO outbox (topic, payload_json, created_at) VALUES ('order.placed', ?, ?)",
            (payload(order), draft.at),
        )
    return Written("placed", order_id=order_id, order=order)
