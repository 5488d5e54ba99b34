"""Customers and their saved carts in the store."""

from __future__ import annotations

from voiceshop.commerce.cart import Cart
from voiceshop.commerce.customer import Customer
from voiceshop.errors import CustomerError
from voiceshop.storage.db import Database, utcnow
from voiceshop.storage.shops import StoredShop


class CustomerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, customer: Customer) -> Customer:
        with self.db.transaction() as c:
            added = c.execute(
                "INSERT INTO customers (name, customer_json, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING RETURNING id",  # names are unique whatever their case
                (customer.name, customer.model_dump_json(), utcnow()),
            ).fetchall()
        if not added:
            raise CustomerError(f"there is already a customer called {customer.name!r}")
        return customer

    def update(self, customer: Customer) -> Customer:
        with self.db.transaction() as c:
            cur = c.execute(
                "UPDATE customers SET customer_json = ? WHERE name = ?", (customer.model_dump_json(), customer.name)
            )
            if cur.rowcount == 0:
                raise CustomerError(f"no customer called {customer.name!r}")
        return customer

    def get(self, name: str) -> Customer:
        row = self.db.execute("SELECT customer_json FROM customers WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            raise CustomerError(f"no customer called {name!r}; add them with `voiceshop customers add`")
        return Customer.model_validate_json(row[0])

    def list(self) -> list[Customer]:
        rows = self.db.execute("SELECT customer_json FROM customers ORDER BY name")
        return [Customer.model_validate_json(r[0]) for r in rows]

    def save_cart(self, stored: StoredShop, key: str, cart: Cart) -> None:
        """Keep a half-built cart across restarts; an empty cart removes the saved one."""
        with self.db.transaction() as c:
            if not cart.lines:
                c.execute("DELETE FROM carts WHERE shop_id = ? AND customer_key = ?", (stored.id, key))
                return
            c.execute(
                "INSERT INTO carts (shop_id, customer_key, cart_json, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (shop_id, customer_key) DO UPDATE SET cart_json = excluded.cart_json,"
                " updated_at = excluded.updated_at",
                (stored.id, key, cart.model_dump_json(), utcnow()),
            )

    def load_cart(self, stored: StoredShop, key: str) -> Cart:
        row = self.db.execute(
            "SELECT cart_json FROM carts WHERE shop_id = ? AND customer_key = ?", (stored.id, key)
        ).fetchone()
        return Cart() if row is None else Cart.model_validate_json(row[0])
