"""What sub-commands share: the database, opened on first use, and the shop they work on."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from voiceshop.commerce.catalog import Catalog
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.shops import ShopRepository, StoredShop


@dataclass
class State:
    db_url: str | None = None
    """--db / VOICESHOP_DB: a SQLite file path or a database URL (None: the default file)."""
    debug: bool = False
    """Show tracebacks instead of logging them (``--debug``)."""
    _db: Database | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.db_url)
        return self._db

    @property
    def shops(self) -> ShopRepository:
        return ShopRepository(self.db)

    @property
    def orders(self) -> OrderRepository:
        return OrderRepository(self.db)

    @property
    def customers(self) -> CustomerRepository:
        return CustomerRepository(self.db)

    def shop(self, slug: str | None) -> StoredShop:
        return self.shops.resolve(slug)

    def shop_and_catalog(self, slug: str | None) -> tuple[StoredShop, Catalog]:
        """The shop (named, or the current one) and its live catalog."""
        stored = self.shops.resolve(slug)
        return stored, self.shops.catalog(stored)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


SHOP_OPTION = typer.Option(None, "--shop", "-s", help="Shop slug (default: the shop loaded last).")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON for programs instead of a table.")
