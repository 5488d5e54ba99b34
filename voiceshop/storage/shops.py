"""Shops and their catalogs in the store: loading (in place, all or nothing) and reading back."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from pydantic import TypeAdapter

from voiceshop.commerce.catalog import Catalog, OptionGroup, Product
from voiceshop.commerce.shop import Shop
from voiceshop.errors import ProductNotFound, ShopNotFound, VoiceshopError, shorten
from voiceshop.shopfiles import ShopBundle
from voiceshop.storage.db import Conn, Database, Row, utcnow

CURRENT_SHOP = "current_shop"
MAX_STOCK = 1_000_000_000
"""As the catalog's own limit on a product's stock."""
_GROUPS = TypeAdapter(tuple[OptionGroup, ...])


@dataclass(frozen=True)
class LoadReport:
    slug: str
    added: int
    updated: int
    unchanged: int
    removed: int
    """Products no longer in the file: kept (orders refer to them) but no longer sold."""


@dataclass(frozen=True)
class StoredShop:
    id: int
    shop: Shop
    option_groups: tuple[OptionGroup, ...]
    fingerprint: str
    loaded_at: str


@lru_cache(maxsize=4096)
def parse_product(product_json: str) -> Product:
    # Products are frozen, and the stored text is the key: a changed product is parsed afresh, an
    # unchanged one (every checkout of it) is not parsed again.
    return Product.model_validate_json(product_json)


def _product_from_row(row: Row) -> Product:
    product = parse_product(row["product_json"])
    if product.stock != row["stock"]:
        product = product.model_copy(update={"stock": row["stock"]})
    return product


class ShopRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, bundle: ShopBundle) -> LoadReport:
        """Insert or update a shop and its products in one transaction; reloading is idempotent.

        Stock comes from the file: loading is how a shop owner states what is on the shelf.
        """
        shop = bundle.shop
        groups_json = _GROUPS.dump_json(bundle.catalog.option_groups).decode()
        now = utcnow()
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO shops (slug, name, currency, shop_json, option_groups_json, fingerprint, source,"
                " loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (slug) DO UPDATE SET name = excluded.name, currency = excluded.currency,"
                " shop_json = excluded.shop_json, option_groups_json = excluded.option_groups_json,"
                " fingerprint = excluded.fingerprint, source = excluded.source, loaded_at = excluded.loaded_at",
                (
                    shop.slug,
                    shop.name,
                    shop.currency,
                    shop.model_dump_json(),
                    groups_json,
                    bundle.fingerprint,
                    str(bundle.folder),
                    now,
                ),
            )
            shop_id = int(c.execute("SELECT id FROM shops WHERE slug = ?", (shop.slug,)).fetchone()[0])
            existing: dict[str, tuple[str, int | None, int]] = {}
            ids: dict[str, int] = {}
            for r in c.execute(
                "SELECT id, sku, product_json, stock, active FROM products WHERE shop_id = ?", (shop_id,)
            ):
                existing[r["sku"]] = (r["product_json"], r["stock"], r["active"])
                ids[r["sku"]] = int(r["id"])
            added = updated = unchanged = 0
            rows = []
            for p in bundle.catalog.products:
                pj = p.model_dump_json()
                before = existing.get(p.sku)
                if before is None:
                    added += 1
                elif before == (pj, p.stock, 1):
                    unchanged += 1
                    continue
                else:
                    updated += 1
                rows.append((shop_id, p.sku, p.name, p.category, p.brand, p.price, p.stock, pj))
            # existing rows in id order, as checkouts and cancellations lock them (new ones after): a
            # reload while devices sell never waits for them in a circle
            rows.sort(key=lambda row: ids.get(str(row[1]), 1 << 62))
            c.executemany(
                "INSERT INTO products (shop_id, sku, name, category, brand, price, stock, product_json, active)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)"
                " ON CONFLICT (shop_id, sku) DO UPDATE SET name = excluded.name, category = excluded.category,"
                " brand = excluded.brand, price = excluded.price, stock = excluded.stock,"
                " product_json = excluded.product_json, active = 1",
                rows,
            )
            in_file = {p.sku for p in bundle.catalog.products}
            gone = sorted(
                ((shop_id, sku) for sku, (_, _, active) in existing.items() if active and sku not in in_file),
                key=lambda row: ids[row[1]],
            )
            c.executemany("UPDATE products SET active = 0 WHERE shop_id = ? AND sku = ?", gone)
            self.db.set_setting(c, CURRENT_SHOP, shop.slug)
            c.execute(
                "INSERT INTO outbox (topic, payload_json, created_at) VALUES ('shop.loaded', ?, ?)",
                (json.dumps({"shop": shop.slug, "fingerprint": bundle.fingerprint}), now),
            )
        return LoadReport(shop.slug, added, updated, unchanged, len(gone))

    def slugs(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT slug FROM shops ORDER BY slug")]

    def resolve(self, slug: str | None) -> StoredShop:
        """The named shop, or the current one (the last loaded) when no name is given."""
        if slug is None:
            slug = self.db.get_setting(CURRENT_SHOP)
            if slug is None:
                raise ShopNotFound("no shop is loaded yet; run `voiceshop shop load PATH` first")
        row = self.db.execute("SELECT * FROM shops WHERE slug = ?", (slug,)).fetchone()
        if row is None:
            known = ", ".join(self.slugs()) or "none"
            raise ShopNotFound(f"no shop {slug!r} in the store (loaded: {known}); load it with `voiceshop shop load`")
        return StoredShop(
            id=int(row["id"]),
            shop=Shop.model_validate_json(row["shop_json"]),
            option_groups=_GROUPS.validate_json(row["option_groups_json"]),
            fingerprint=str(row["fingerprint"]),
            loaded_at=str(row["loaded_at"]),
        )

    def catalog(self, stored: StoredShop) -> Catalog:
        """The shop's current catalog (active products, live stock)."""
        rows = self.db.execute(
            "SELECT product_json, stock FROM products WHERE shop_id = ? AND active = 1 ORDER BY id", (stored.id,)
        )
        return Catalog(option_groups=stored.option_groups, products=tuple(_product_from_row(r) for r in rows))

    def set_stock(self, stored: StoredShop, sku: str, stock: int | None) -> Product:
        """Put what is on the shelf for one product (None: made to order), for every device at once.

        Loading the shop files again sets stock from the file, as always."""
        if stock is not None and not 0 <= stock <= MAX_STOCK:
            raise VoiceshopError(f"stock is a whole number from 0 to {MAX_STOCK}, not {stock}", code="invalid_request")
        with self.db.transaction() as c:
            row = c.execute(
                "UPDATE products SET stock = ? WHERE shop_id = ? AND sku = ? AND active = 1"
                " RETURNING product_json, stock",
                (stock, stored.id, sku),
            ).fetchone()
            if row is None:
                raise ProductNotFound(f"shop {stored.shop.slug} sells no product with SKU {shorten(sku)!r}", sku=sku)
            payload = {"shop": stored.shop.slug, "sku": sku, "stock": stock}
            c.execute(
                "INSERT INTO outbox (topic, payload_json, created_at) VALUES ('product.stock', ?, ?)",
                (json.dumps(payload, sort_keys=True), utcnow()),
            )
            return _product_from_row(row)

    def products(self, stored: StoredShop, skus: list[str]) -> dict[str, tuple[int, Product, int | None]]:
        """Active products by SKU: row id, the product as loaded (its ``stock`` is the file's) and
        the live stock (None: made to order). Missing SKUs are simply absent.

        Inside a transaction it reads through that transaction.
        """
        return self.products_later(self.db, stored, skus)()

    def products_later(
        self, c: Conn | Database, stored: StoredShop, skus: list[str]
    ) -> Callable[[], dict[str, tuple[int, Product, int | None]]]:
        """Send the query of ``products`` now through ``c``; the function returned reads its answer
        (in a pipeline the query travels with the statements sent before that)."""
        wanted = sorted(set(skus))
        if not wanted:
            return lambda: {}
        cur = c.execute(
            "SELECT id, sku, product_json, stock FROM products WHERE shop_id = ? AND active = 1"
            f" AND sku IN ({', '.join('?' for _ in wanted)})",
            (stored.id, *wanted),
        )
        # no copy of each product with its live stock (a checkout prices it, and reads the stock beside it)
        return lambda: {
            str(row["sku"]): (int(row["id"]), parse_product(row["product_json"]), row["stock"])
            for row in cur.fetchall()
        }
