"""Orders in the store: placing one (a single transaction), reading, advancing and cancelling."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import TypeAdapter

from voiceshop.commerce.cart import Cart, ChosenOption, compute_totals, price_item
from voiceshop.commerce.catalog import Catalog
from voiceshop.commerce.money import format_money
from voiceshop.commerce.order import (
    Order,
    OrderLine,
    OrderStatus,
    StatusEvent,
    check_transition,
    next_status,
    order_number,
)
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.errors import (
    CustomerError,
    EmptyCart,
    OrderNotFound,
    OrderTransitionError,
    OutOfStock,
    PriceChanged,
    ProductNotFound,
    SpendingCapExceeded,
)
from voiceshop.storage.db import Conn, Database, Row, utcnow
from voiceshop.storage.shops import ShopRepository, StoredShop

_OPTIONS = TypeAdapter(tuple[ChosenOption, ...])
_OUTBOX = "INSERT INTO outbox (topic, payload_json, created_at) VALUES (?, ?, ?)"
_EVENT = "INSERT INTO order_events (order_id, status, at, note) VALUES (?, ?, ?, ?)"


@dataclass(frozen=True)
class PlaceResult:
    order: Order
    created: bool
    """False when the checkout token had already been used: the earlier order is returned."""


class OrderRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.shops = ShopRepository(db)

    def place(
        self,
        stored: StoredShop,
        cart: Cart,
        *,
        token: str,
        delivery: DeliveryKind | str = DeliveryKind.PICKUP,
        coupon: str | None = None,
        customer: str | None = None,
        today: date | None = None,
    ) -> PlaceResult:
        """Place an order for a cart, all or nothing.

        In one transaction: re-price every line from the stored catalog (refusing if a price changed
        since the shopper heard it), check and decrement stock, insert the order, its lines, its first
        status event and an outbox event. Retrying with the same ``token`` returns the first order.
        """
        if not token:
            raise ValueError("a checkout token is required")
        shop = stored.shop
        # Three trips to a PostgreSQL server (the reads; the order and the stock; the rest with the
        # COMMIT), each sent as one pipeline; SQLite runs the same statements one after the other.
        with self.db.transaction(pipeline=True) as c:
            # A retry finds its first order here; two devices sending the same token at the same moment
            # meet at the order's INSERT below (the unique token), where the second waits for the first.
            # The new order's id comes with it, so its number is written with the order.
            earlier = c.execute(
                f"SELECT (SELECT id FROM orders WHERE checkout_token = ?), {self.db.next_id('orders')}", (token,)
            )
            who = c.execute("SELECT id, name FROM customers WHERE name = ?", (customer,)) if customer else None
            products = self.shops.products_later(c, stored, [line.sku for line in cart.lines])
            row = earlier.fetchone()
            if row[0] is not None:
                return PlaceResult(self._load(c, int(row[0])), created=False)
            order_id, number = int(row[1]), order_number(int(row[1]))
            if not cart.lines:
                raise EmptyCart("the cart is empty; add something before checking out")
            customer_id, customer_name = self._customer(customer, None if who is None else who.fetchone())
            found = products()
            missing = [line.name for line in cart.lines if line.sku not in found]
            if missing:
                raise ProductNotFound(
                    f"no longer sold: {', '.join(missing)}; remove it from the cart",
                    code="no_longer_sold",
                    product=missing[0],
                )
            catalog = Catalog(option_groups=stored.option_groups, products=tuple(p for _, p, _ in found.values()))
            lines = []
            for line in cart.lines:
                priced = price_item(catalog, line.sku, line.options, line.quantity)
                if priced.unit_price != line.unit_price:
                    was, now = (
                        format_money(line.unit_price, shop.currency),
                        format_money(priced.unit_price, shop.currency),
                    )
                    raise PriceChanged(
                        f"the price of {priced.describe()} changed from {was} to {now}", product=line.name
                    )
                lines.append(priced)
            totals = compute_totals(shop, cart.subtotal, delivery, coupon, today or datetime.now(UTC).date())
            if shop.spending_cap is not None and totals.total > shop.spending_cap:
                total, cap = format_money(totals.total, shop.currency), format_money(shop.spending_cap, shop.currency)
                raise SpendingCapExceeded(
                    f"the total {total} is over this shop's limit of {cap} per order",
                    total=totals.total,
                    cap=shop.spending_cap,
                )
            wanted = Counter[str]()
            for line in lines:
                wanted[line.sku] += line.quantity
            # Made-to-order products (no stock) are neither updated nor locked. Stocked rows are locked
            # in one order (by id), here as when an order is cancelled, so two transactions never wait
            # for each other in a circle. The guard in WHERE is the real check: stock never goes below
            # zero, whatever was read above.
            taking = sorted((found[sku][0], sku, qty) for sku, qty in wanted.items() if found[sku][2] is not None)
            now = utcnow()
            # No row back: a device sending the same token committed its order while this one was
            # being priced (the INSERT waited for it to finish).
            inserted = c.execute(
                "INSERT INTO orders (id, number, shop_id, customer_id, checkout_token, status, delivery, currency,"
                " subtotal, discount, delivery_fee, total, coupon, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'placed', ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (checkout_token) DO NOTHING RETURNING id",
                (
                    order_id,
                    number,
                    stored.id,
                    customer_id,
                    token,
                    totals.delivery.value,
                    shop.currency,
                    totals.subtotal,
                    totals.discount,
                    totals.delivery_fee,
                    totals.total,
                    totals.coupon,
                    now,
                    now,
                ),
            )
            taken = [
                c.execute(
                    "UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ? RETURNING stock",
                    (qty, product_id, qty),
                )
                for product_id, _, qty in taking
            ]
            first = inserted.fetchone()
            # every answer read now (one wait), so no statement is left half-read (SQLite cannot commit then)
            got = [cur.fetchone() is not None for cur in taken]
            if first is None:
                # that device's order is the one: what this transaction took goes back (it may be
                # part of a larger one, so it is undone here rather than rolled back)
                c.executemany(
                    "UPDATE products SET stock = stock + ? WHERE id = ?",
                    [(qty, product_id) for (product_id, _, qty), ok in zip(taking, got, strict=True) if ok],
                )
                row = c.execute("SELECT id FROM orders WHERE checkout_token = ?", (token,)).fetchone()
                return PlaceResult(self._load(c, int(row["id"])), created=False)
            for (product_id, sku, qty), ok in zip(taking, got, strict=True):
                if not ok:
                    left = c.execute("SELECT stock FROM products WHERE id = ?", (product_id,)).fetchone()[0]
                    if left is not None:  # None: made to order since it was read, nothing to take
                        raise OutOfStock(sku, found[sku][1].name, qty, int(left))
            # the order as _load would read it back, without reading it back (fewer round trips)
            order = Order(
                number=number,
                shop=shop.slug,
                customer=customer_name,
                lines=tuple(
                    OrderLine(
                        sku=ln.sku, name=ln.name, options=ln.options, quantity=ln.quantity, unit_price=ln.unit_price
                    )
                    for ln in lines
                ),
                currency=shop.currency,
                subtotal=totals.subtotal,
                discount=totals.discount,
                delivery_fee=totals.delivery_fee,
                total=totals.total,
                delivery=totals.delivery,
                coupon=totals.coupon,
                status=OrderStatus.PLACED,
                history=(StatusEvent(status=OrderStatus.PLACED, at=datetime.fromisoformat(now), note="order placed"),),
                created_at=datetime.fromisoformat(now),
            )
            # the writes that need no answer: sent with the COMMIT
            c.execute(
                "INSERT INTO order_lines (order_id, line_no, product_id, sku, name, options_json, quantity, unit_price)"
                " VALUES " + ", ".join("(?, ?, ?, ?, ?, ?, ?, ?)" for _ in lines),
                [
                    value
                    for i, ln in enumerate(lines, start=1)
                    for value in (order_id, i, found[ln.sku][0], ln.sku, ln.name,
                                  _OPTIONS.dump_json(ln.options).decode(), ln.quantity, ln.unit_price)
                ],
            )  # fmt: skip
            self._outbox(c, "order.placed", order.model_dump(mode="json"), now)
            self._event(c, order_id, OrderStatus.PLACED, now, "order placed")
        return PlaceResult(order, created=True)

    def get(self, number: str) -> Order:
        row = self.db.execute("SELECT id FROM orders WHERE number = ?", (number.replace(" ", ""),)).fetchone()
        if row is None:
            raise OrderNotFound(f"there is no order number {number}; `voiceshop orders list` shows the orders")
        return self._load(self.db, int(row["id"]))

    def list(
        self,
        stored: StoredShop | None = None,
        *,
        status: OrderStatus | None = None,
        customer: str | None = None,
        limit: int = 50,
    ) -> list[Order]:
        """Newest first."""
        where: list[str] = []
        args: list[object] = []
        if stored is not None:
            where.append("o.shop_id = ?")
            args.append(stored.id)
        if status is not None:
            where.append("o.status = ?")
            args.append(status.value)
        if customer is not None:
            where.append("c.name = ?")
            args.append(customer)
        sql = "SELECT o.id FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY o.id DESC LIMIT ?"
        ids = [int(r[0]) for r in self.db.execute(sql, (*args, limit))]
        return [self._load(self.db, i) for i in ids]

    def popular(self, stored: StoredShop, limit: int = 20) -> tuple[str, ...]:
        """SKUs of this shop by how many were ordered (cancelled orders do not count), most first."""
        rows = self.db.execute(
            "SELECT l.sku, sum(l.quantity) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id"
            " WHERE o.shop_id = ? AND o.status != 'cancelled' GROUP BY l.sku ORDER BY n DESC, l.sku LIMIT ?",
            (stored.id, limit),
        )
        return tuple(str(r[0]) for r in rows)

    def advance(self, number: str, to: OrderStatus | None = None, note: str = "") -> Order:
        """Move an order one step along its life cycle (or to ``to``, if that is the next step)."""
        return self._transition(number, to, note)

    def cancel(self, number: str, note: str = "") -> Order:
        """Cancel a placed or confirmed order and put its items back in stock."""
        return self._transition(number, OrderStatus.CANCELLED, note or "cancelled")

    def _transition(self, number: str, to: OrderStatus | None, note: str) -> Order:
        with self.db.transaction() as c:
            row = c.execute(
                "SELECT id, status, delivery FROM orders WHERE number = ?", (number.replace(" ", ""),)
            ).fetchone()
            if row is None:
                raise OrderNotFound(f"there is no order number {number}; `voiceshop orders list` shows the orders")
            current, kind = OrderStatus(row["status"]), DeliveryKind(row["delivery"])
            target = to or next_status(current, kind)
            if target is None:
                raise OrderTransitionError(f"order {number} is {current}: there is no next step")
            check_transition(current, target, kind)
            now = utcnow()
            order_id = int(row["id"])
            # the status read above is the guard: a device that moved the order meanwhile (two staff
            # cancelling at once) wins, and this one is refused rather than restocking twice
            moved = c.execute(
                "UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = ? RETURNING id",
                (target.value, now, order_id, current.value),
            ).fetchone()
            if moved is None:
                raise OrderTransitionError(f"order {number} was changed by someone else just now; look at it again")
            if target is OrderStatus.CANCELLED:
                # one product at a time, by id: the order checkouts lock them in, so the two never
                # wait for each other in a circle
                back = c.execute(
                    "SELECT product_id, sum(quantity) FROM order_lines WHERE order_id = ?"
                    " GROUP BY product_id ORDER BY product_id",
                    (order_id,),
                ).fetchall()
                c.executemany(
                    "UPDATE products SET stock = stock + ? WHERE id = ? AND stock IS NOT NULL",
                    [(int(r[1]), int(r[0])) for r in back],
                )
            self._event(c, order_id, target, now, note)
            order = self._load(c, order_id)
            self._outbox(
                c, "order.status", {"number": order.number, "status": target.value, "from": current.value}, now
            )
        return order

    @staticmethod
    def _customer(name: str | None, row: Row) -> tuple[int | None, str | None]:
        """The customer's id and name as stored (names match whatever their case), from the row the
        name found."""
        if name is None:
            return None, None
        if row is None:
            raise CustomerError(f"no customer called {name!r}; add them with `voiceshop customers add`")
        return int(row["id"]), str(row["name"])

    @staticmethod
    def _event(c: Conn, order_id: int, status: OrderStatus, at: str, note: str) -> None:
        c.execute(_EVENT, (order_id, status.value, at, note))

    @staticmethod
    def _outbox(c: Conn, topic: str, payload: object, at: str) -> None:
        c.execute(_OUTBOX, (topic, json.dumps(payload, sort_keys=True), at))

    @staticmethod
    def _load(c: Conn | Database, order_id: int) -> Order:
        o = c.execute(
            "SELECT o.*, s.slug, cu.name AS customer_name FROM orders o JOIN shops s ON s.id = o.shop_id"
            " LEFT JOIN customers cu ON cu.id = o.customer_id WHERE o.id = ?",
            (order_id,),
        ).fetchone()
        lines = [
            OrderLine(
                sku=r["sku"],
                name=r["name"],
                options=_OPTIONS.validate_json(r["options_json"]),
                quantity=r["quantity"],
                unit_price=r["unit_price"],
            )
            for r in c.execute("SELECT * FROM order_lines WHERE order_id = ? ORDER BY line_no", (order_id,))
        ]
        history = [
            StatusEvent(status=OrderStatus(r["status"]), at=datetime.fromisoformat(r["at"]), note=r["note"])
            for r in c.execute("SELECT * FROM order_events WHERE order_id = ? ORDER BY id", (order_id,))
        ]
        return Order(
            number=o["number"],
            shop=o["slug"],
            customer=o["customer_name"],
            lines=tuple(lines),
            currency=o["currency"],
            subtotal=o["subtotal"],
            discount=o["discount"],
            delivery_fee=o["delivery_fee"],
            total=o["total"],
            delivery=DeliveryKind(o["delivery"]),
            coupon=o["coupon"],
            status=OrderStatus(o["status"]),
            history=tuple(history),
            created_at=datetime.fromisoformat(o["created_at"]),
        )
