"""Orders in the store: placing one (a single transaction), reading, advancing and cancelling."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pydantic import TypeAdapter

from voiceshop.commerce.cart import Cart, ChosenOption, compute_totals, price_item
from voiceshop.commerce.catalog import Catalog, Product
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
    StoreLocked,
)
from voiceshop.storage.checkout import Draft, DraftLine, Seen
from voiceshop.storage.db import Conn, Database, utcnow
from voiceshop.storage.shops import ShopRepository, StoredShop, parse_product

_OPTIONS = TypeAdapter(tuple[ChosenOption, ...])
_OUTBOX = "INSERT INTO outbox (topic, payload_json, created_at) VALUES (?, ?, ?)"
_EVENT = "INSERT INTO order_events (order_id, status, at, note) VALUES (?, ?, ?, ?)"


_ATTEMPTS = 3
"""A checkout reads and prices again when a product changed meanwhile; this many times at most."""


@dataclass
class _Read:
    """What a checkout read before pricing."""

    earlier: int | None = None
    """The order stored with the token."""
    reserved: int | None = None
    """A new order id from the back end's sequence."""
    customer: tuple[int, str] | None = None
    products: dict[str, tuple[int, Product, int | None]] = field(default_factory=dict)
    """By SKU: row id, the product as loaded, the live stock (None: made to order)."""
    product_json: dict[int, str] = field(default_factory=dict)
    """By row id: the stored product as read."""


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

        Re-price every line from the stored catalog (refusing if a price changed since the shopper
        heard it), then, in one transaction that first checks the products are as priced, decrement
        stock and insert the order, its lines, its first status event and an outbox event. Retrying
        with the same ``token`` returns the first order.

        One read (the token, the customer, the products: one statement, no lock held while pricing)
        and one write (``Database.write_order``: one statement to a PostgreSQL server). Should a
        product change between the two (a catalog reloaded that moment), the cart is read and
        priced again.
        """
        if not token:
            raise ValueError("a checkout token is required")
        order_id: int | None = None
        for _ in range(_ATTEMPTS):
            seen = self._read(stored, token, customer, [line.sku for line in cart.lines], order_id is None)
            if seen.earlier is not None:
                return PlaceResult(self._load(self.db, seen.earlier), created=False)
            order_id = order_id if seen.reserved is None else seen.reserved
            draft = self._draft(stored, cart, token, delivery, coupon, customer, today, seen, order_id)
            written = self.db.write_order(draft)
            if written.outcome == "placed":
                assert written.order is not None
                return PlaceResult(written.order, created=True)
            if written.outcome == "exists":
                assert written.order_id is not None
                return PlaceResult(self._load(self.db, written.order_id), created=False)
            if written.outcome == "short":
                sku, product = next((s, p) for s, (i, p, _) in seen.products.items() if i == written.product_id)
                wanted = sum(line.quantity for line in cart.lines if line.sku == sku)
                raise OutOfStock(sku, product.name, wanted, int(written.stock or 0))
            # "changed": read and price again
        raise StoreLocked(
            "the shop's catalog kept changing while this order was checked out (is it being reloaded?); try again"
        )

    def _read(self, stored: StoredShop, token: str, customer: str | None, skus: list[str], reserve: bool) -> _Read:
        """What a checkout prices from, in one statement: an order stored with the token, a new
        order id where the back end takes it from a sequence, the customer, the products."""
        parts = ["SELECT 0, id, CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS INTEGER) FROM orders"
                 " WHERE checkout_token = ?"]  # fmt: skip
        params: list[object] = [token]
        new_id = self.db.reserve_id("orders") if reserve else None
        if new_id is not None:
            parts.append(f"SELECT 1, {new_id}, NULL, NULL, NULL")
        if customer:
            parts.append("SELECT 2, id, CAST(name AS TEXT), NULL, NULL FROM customers WHERE name = ?")
            params.append(customer)
        wanted = sorted(set(skus))
        if wanted:
            parts.append(
                "SELECT 3, id, sku, product_json, stock FROM products WHERE shop_id = ? AND active = 1"
                f" AND sku IN ({', '.join('?' for _ in wanted)})"
            )
            params += [stored.id, *wanted]
        read = _Read()
        for kind, row_id, name, product_json, stock in self.db.execute(" UNION ALL ".join(parts), params).fetchall():
            if kind == 0:
                read.earlier = int(row_id)
            elif kind == 1:
                read.reserved = int(row_id)
            elif kind == 2:
                read.customer = (int(row_id), str(name))
            else:
                read.products[str(name)] = (int(row_id), parse_product(product_json), stock)
                read.product_json[int(row_id)] = str(product_json)
        return read

    def _draft(
        self,
        stored: StoredShop,
        cart: Cart,
        token: str,
        delivery: DeliveryKind | str,
        coupon: str | None,
        customer: str | None,
        today: date | None,
        seen: _Read,
        order_id: int | None,
    ) -> Draft:
        """The cart priced from the products as read, checked, as the rows to write."""
        shop = stored.shop
        if not cart.lines:
            raise EmptyCart("the cart is empty; add something before checking out")
        if customer is None:
            customer_id, customer_name = None, None
        elif seen.customer is None:
            raise CustomerError(f"no customer called {customer!r}; add them with `voiceshop customers add`")
        else:
            customer_id, customer_name = seen.customer
        found = seen.products
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
                was, now = format_money(line.unit_price, shop.currency), format_money(priced.unit_price, shop.currency)
                raise PriceChanged(f"the price of {priced.describe()} changed from {was} to {now}", product=line.name)
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
        now = utcnow()
        order_lines = tuple(
            OrderLine(sku=ln.sku, name=ln.name, options=ln.options, quantity=ln.quantity, unit_price=ln.unit_price)
            for ln in lines
        )

        def build(new_id: int) -> Order:
            # the order as _load would read it back, without reading it back
            at = datetime.fromisoformat(now)
            return Order(
                number=order_number(new_id),
                shop=shop.slug,
                customer=customer_name,
                lines=order_lines,
                currency=shop.currency,
                subtotal=totals.subtotal,
                discount=totals.discount,
                delivery_fee=totals.delivery_fee,
                total=totals.total,
                delivery=totals.delivery,
                coupon=totals.coupon,
                status=OrderStatus.PLACED,
                history=(StatusEvent(status=OrderStatus.PLACED, at=at, note="order placed"),),
                created_at=at,
            )

        # made-to-order products (no stock) are checked, neither taken from nor locked
        products = [
            Seen(found[sku][0], seen.product_json[found[sku][0]], None if found[sku][2] is None else qty)
            for sku, qty in wanted.items()
        ]
        draft_lines = [
            DraftLine(
                found[ln.sku][0], ln.sku, ln.name, _OPTIONS.dump_json(ln.options).decode(), ln.quantity, ln.unit_price
            )
            for ln in lines
        ]
        return Draft(
            token=token,
            shop_id=stored.id,
            customer_id=customer_id,
            order_id=order_id,
            at=now,
            products=tuple(sorted(products, key=lambda s: s.product_id)),
            lines=tuple(draft_lines),
            build=build,
        )

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
