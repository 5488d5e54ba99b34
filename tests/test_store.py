"""The store, on both back ends (SQLite and PostgreSQL): migrations, loading shops in place, and the
checkout transaction's rules. Tests that use ``db`` (or the repositories) run once per back end."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import psycopg
import pytest

from tests import pg_cluster
from voiceshop.commerce.cart import Cart, ChosenOption, price_item
from voiceshop.commerce.customer import Customer, hash_pin, verify_pin
from voiceshop.commerce.order import OrderStatus, order_number
from voiceshop.errors import (
    CustomerError,
    EmptyCart,
    OrderNotFound,
    OrderTransitionError,
    OutOfStock,
    PriceChanged,
    ProductNotFound,
    SchemaTooNew,
    ShopNotFound,
    SpendingCapExceeded,
    StoreError,
    StoreLocked,
)
from voiceshop.shopfiles import ShopBundle
from voiceshop.storage import Database
from voiceshop.storage import db as dbmod
from voiceshop.storage.checkout import Draft, Written
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.postgres import db as pgmod
from voiceshop.storage.shops import ShopRepository, StoredShop
from voiceshop.storage.sqlite import db as sqlitemod

DAY = date(2026, 11, 22)
MIGRATIONS = Path(dbmod.__file__).parent


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    """This module's store: one of each back end (the conftest's ``db`` is SQLite only)."""
    database = Database(store_url)
    yield database
    database.close()


def stock(db: Database, sku: str) -> int | None:
    row = db.execute("SELECT stock FROM products WHERE sku = ?", (sku,)).fetchone()
    return None if row[0] is None else int(row[0])


def count(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


ANNA = "INSERT INTO customers (name, customer_json, created_at) VALUES ('Anna', '{\"name\": \"Anna\"}', 'x')"


def write_old_schema(store_url: str, version: int) -> None:
    """A store as an older (or, with a version past the latest, a newer) voiceshop left it."""
    if store_url.startswith("postgresql"):
        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute((MIGRATIONS / "postgres" / "migrations" / "0001_initial.sql").read_bytes())
            conn.execute(
                "CREATE TABLE voiceshop_schema (version INTEGER PRIMARY KEY, name TEXT, applied_at TIMESTAMPTZ)"
            )
            conn.execute("INSERT INTO voiceshop_schema VALUES (%s, 'test', now())", (version,))
            conn.execute(ANNA)
        return
    conn = sqlite3.connect(store_url)
    sql = (MIGRATIONS / "sqlite" / "migrations" / "0001_initial.sql").read_text()
    conn.executescript(sql + f"\nPRAGMA user_version = {version};")
    conn.execute(ANNA)
    conn.commit()
    conn.close()


def cart_of(shops: ShopRepository, stored: StoredShop, *items: tuple[str, int]) -> Cart:
    catalog = shops.catalog(stored)
    cart = Cart()
    for sku, qty in items:
        cart = cart.add(price_item(catalog, sku, (), qty))
    return cart


# --- the database file -------------------------------------------------------------------------


def test_a_new_store_has_the_latest_schema(db: Database) -> None:
    info = db.info()
    assert info["schema_version"] == info["schema_latest"] == dbmod.schema_version_latest() >= 5
    assert info["backend"] == db.backend
    if db.backend == "sqlite":
        assert info["journal_mode"] == "wal"
        assert info["foreign_keys"] is True


def test_migrates_a_version_1_store_keeping_its_data(store_url: str) -> None:
    write_old_schema(store_url, 1)
    with Database(store_url) as db:
        assert db.schema_version == dbmod.schema_version_latest()
        assert CustomerRepository(db).get("anna").name == "Anna"
        assert count(db, "carts") == 0


def test_refuses_a_store_from_a_newer_voiceshop(store_url: str) -> None:
    write_old_schema(store_url, 99)
    with pytest.raises(SchemaTooNew, match="newer voiceshop"):
        Database(store_url)


def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="not a voiceshop database"):
        Database(path)


def test_default_store_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOICESHOP_DB", str(tmp_path / "x.db"))
    assert dbmod.parse_target(None) == ("sqlite", str(tmp_path / "x.db"))
    monkeypatch.setenv("VOICESHOP_DB", "postgresql://shop:secret@db.local:5433/corner")
    assert dbmod.parse_target(None) == ("postgresql", "postgresql://shop:secret@db.local:5433/corner")
    monkeypatch.delenv("VOICESHOP_DB")
    assert dbmod.parse_target(None) == ("sqlite", str(dbmod.default_db_path()))
    assert dbmod.default_db_path().name == "voiceshop.db"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/var/lib/voiceshop/shop.db", ("sqlite", "/var/lib/voiceshop/shop.db")),
        ("sqlite:///var/lib/voiceshop/shop.db", ("sqlite", "/var/lib/voiceshop/shop.db")),
        ("sqlite:////var/lib/voiceshop/shop.db", ("sqlite", "/var/lib/voiceshop/shop.db")),
        ("sqlite:shop.db", ("sqlite", "shop.db")),
        ("sqlite:///var/lib/voiceshop/shop.db?synchronous=normal", ("sqlite", "/var/lib/voiceshop/shop.db")),
        ("my:shop.db", ("sqlite", "my:shop.db")),
        ("postgres://pi@10.0.0.5/shop", ("postgresql", "postgres://pi@10.0.0.5/shop")),
        (" postgresql://pi@10.0.0.5/shop ", ("postgresql", "postgresql://pi@10.0.0.5/shop")),
    ],
)
def test_the_url_chooses_the_back_end(target: str, expected: tuple[str, str]) -> None:
    assert dbmod.parse_target(target) == expected


def test_sqlite_durability_is_a_setting_of_the_url(tmp_path: Path) -> None:
    """FULL (a confirmed order survives a power cut) unless the URL asks for NORMAL; nothing else."""
    with Database(f"sqlite:///{tmp_path}/a.db") as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.info()["synchronous"] == "full"
    with Database(f"sqlite:///{tmp_path}/a.db?synchronous=NORMAL") as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1
        assert db.info()["synchronous"] == "normal" and db.location == str(tmp_path / "a.db")
    with pytest.raises(StoreError, match=r"synchronous=.off.*synchronous=full or .synchronous=normal"):
        Database(f"sqlite:///{tmp_path}/a.db?synchronous=off")
    with pytest.raises(StoreError, match=r"the setting 'fsync'"):
        Database(f"sqlite:///{tmp_path}/a.db?fsync=0")


def test_an_unsupported_url_says_what_is_supported() -> None:
    with pytest.raises(StoreError, match=r"unsupported database URL 'mysql://shop:\*\*\*@db/shop'.*postgresql://"):
        Database("mysql://shop:secret@db/shop")
    with pytest.raises(StoreError, match="names no file"):
        Database("sqlite://")


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=r"cannot connect to PostgreSQL at postgresql://pi:\*\*\*@127.0.0.1:1/shop"):
        Database("postgresql://pi:secret@127.0.0.1:1/shop")
    assert os.listdir(tmp_path) == []  # no folder called "postgresql:" any more


def test_locked_sqlite_gives_a_clear_error(db_path: Path, coffee: ShopBundle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlitemod, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(sqlitemod, "LOCK_GIVE_UP_S", 0.2)
    db = Database(db_path)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreLocked, match="locked by another process"):
            ShopRepository(db).load(coffee)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert ShopRepository(db).load(coffee).added == 13  # and works once the lock is gone
    db.close()


def test_locked_postgresql_row_gives_a_clear_error(
    postgres: object, corner: ShopBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.new_database()  # type: ignore[attr-defined]
    monkeypatch.setattr(pgmod, "LOCK_TIMEOUT_MS", 200)
    with Database(url) as db:
        shops = ShopRepository(db)
        shops.load(corner)
        stored = shops.resolve("corner-store")
        cart = cart_of(shops, stored, ("GRO-GUM", 1))
        with psycopg.connect(url) as other:  # another device stuck inside its checkout
            other.execute("SELECT * FROM products WHERE sku = 'GRO-GUM' FOR UPDATE")
            with pytest.raises(StoreLocked, match="busy"):
                OrderRepository(db).place(stored, cart, token="t")
        assert OrderRepository(db).place(stored, cart, token="t").created  # free again
        assert not db.in_transaction


def test_without_postgresql_binaries_the_tests_say_why(tmp_path: Path) -> None:
    (tmp_path / "initdb").write_text("")  # not executable, and no pg_ctl: not a PostgreSQL installation
    with pytest.raises(pg_cluster.ClusterUnavailable, match="install the Debian package postgresql"):
        pg_cluster.start(search=[str(tmp_path), None])


def test_one_postgresql_store_serves_several_threads(postgres: pg_cluster.Cluster, corner: ShopBundle) -> None:
    """A server answering several devices shares one store object: each thread has its own transaction."""
    with Database(postgres.new_database()) as db:
        shops = ShopRepository(db)
        shops.load(corner)
        stored = shops.resolve("corner-store")
        cart = cart_of(shops, stored, ("PC-TB-ELEC", 1))  # 4 in stock
        orders = OrderRepository(db)

        def checkout(token: str) -> str:
            try:
                return "created" if orders.place(stored, cart, token=token).created else "repeated"
            except OutOfStock:
                return "out"

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(checkout, [f"t{i % 5}" for i in range(30)]))
        assert sorted(set(results)) == ["created", "out", "repeated"]
        assert results.count("created") == 4 and stock(db, "PC-TB-ELEC") == 0
        assert count(db, "orders") == count(db, "order_lines") == count(db, "order_events") == 4


def test_a_restarted_server_fails_no_request(postgres: pg_cluster.Cluster, corner: ShopBundle) -> None:
    """After the server restarts, the pool's idle connections are dead: they are replaced, and the
    first read and the first checkout afterwards go through (no "lost the connection")."""
    with Database(postgres.new_database()) as db:
        shops = ShopRepository(db)
        shops.load(corner)
        stored = shops.resolve("corner-store")
        cart = cart_of(shops, stored, ("GRO-GUM", 1))
        orders = OrderRepository(db)
        with ThreadPoolExecutor(max_workers=3) as pool:  # three idle connections in the pool
            list(pool.map(lambda t: orders.place(stored, cart, token=t), ["a", "b", "c"]))
        postgres.restart()
        assert shops.resolve("corner-store").id == stored.id
        assert orders.place(stored, cart, token="after").created
        assert orders.place(stored, cart, token="b").created is False
        assert count(db, "orders") == 4


# --- loading shops ------------------------------------------------------------------------------


def test_loading_twice_updates_in_place(shops: ShopRepository, db: Database, coffee: ShopBundle) -> None:
    first = shops.load(coffee)
    again = shops.load(coffee)
    assert (first.added, again.added, again.unchanged) == (13, 0, 13)
    assert count(db, "products") == 13
    assert count(db, "shops") == 1


def test_reload_updates_changed_and_retires_removed_products(
    shops: ShopRepository, db: Database, coffee: ShopBundle
) -> None:
    shops.load(coffee)
    products = list(coffee.catalog.products)
    products[0] = products[0].model_copy(update={"price": 999})
    changed = ShopBundle(
        coffee.shop, coffee.catalog.model_copy(update={"products": tuple(products[:-1])}), coffee.folder, coffee.files
    )
    report = shops.load(changed)
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 11, 1)
    catalog = shops.catalog(shops.resolve("coffee-bar"))
    assert len(catalog.products) == 12
    assert catalog.products[0].price == 999
    assert count(db, "products") == 13  # the retired row stays for old orders
    assert shops.load(coffee).added == 0  # and comes back when listed again


def test_a_failed_load_changes_nothing(
    shops: ShopRepository, db: Database, coffee: ShopBundle, corner: ShopBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    shops.load(coffee)
    before = db.execute("SELECT * FROM products ORDER BY id").fetchall()
    real = db.set_setting

    def fail(*args: object) -> None:
        raise OSError("disk I/O error")  # a failure after the products were written

    monkeypatch.setattr(db, "set_setting", fail)
    with pytest.raises(OSError):
        shops.load(corner)
    monkeypatch.setattr(db, "set_setting", real)
    assert db.execute("SELECT * FROM products ORDER BY id").fetchall() == before
    assert shops.slugs() == ["coffee-bar"]
    assert not db.in_transaction


def test_current_shop_is_the_last_loaded(shops: ShopRepository, coffee: ShopBundle, corner: ShopBundle) -> None:
    with pytest.raises(ShopNotFound, match="no shop is loaded"):
        shops.resolve(None)
    shops.load(corner)
    shops.load(coffee)
    assert shops.resolve(None).shop.slug == "coffee-bar"
    with pytest.raises(ShopNotFound, match="loaded: coffee-bar, corner-store"):
        shops.resolve("bakery")


# --- checkout -----------------------------------------------------------------------------------


def test_checkout_writes_everything_in_one_go(
    shops: ShopRepository, orders: OrderRepository, db: Database, corner_shop: StoredShop
) -> None:
    cart = cart_of(shops, corner_shop, ("BAT-AA-4", 2), ("PC-TP-COLG", 3))
    result = orders.place(corner_shop, cart, token="t-1", delivery="express", coupon="welcome5", today=DAY)
    o = result.order
    assert result.created
    subtotal = 2 * 599 + 3 * 449
    assert (o.subtotal, o.discount, o.delivery_fee, o.total) == (subtotal, 500, 799, subtotal - 500 + 799)
    assert o.status is OrderStatus.PLACED and [e.status for e in o.history] == [OrderStatus.PLACED]
    assert o.number == order_number(1)
    assert (stock(db, "BAT-AA-4"), stock(db, "PC-TP-COLG")) == (23, 17)
    topics = [r[0] for r in db.execute("SELECT topic FROM outbox ORDER BY id")]
    assert topics == ["shop.loaded", "order.placed"]
    payload = json.loads(db.execute("SELECT payload_json FROM outbox WHERE topic = 'order.placed'").fetchone()[0])
    assert payload["number"] == o.number and payload["total"] == o.total
    assert orders.get(o.number) == o


def test_same_token_never_orders_twice(
    shops: ShopRepository, orders: OrderRepository, db: Database, corner_shop: StoredShop
) -> None:
    cart = cart_of(shops, corner_shop, ("GRO-GUM", 3))
    first = orders.place(corner_shop, cart, token="same")
    second = orders.place(corner_shop, cart, token="same")
    assert first.created and not second.created
    assert second.order.number == first.order.number
    assert count(db, "orders") == 1
    assert stock(db, "GRO-GUM") == 37


def test_out_of_stock_rolls_back_every_line(
    shops: ShopRepository, orders: OrderRepository, db: Database, corner_shop: StoredShop
) -> None:
    cart = cart_of(shops, corner_shop, ("GRO-GUM", 2), ("PC-TB-ELEC", 5))  # only 4 toothbrushes
    with pytest.raises(OutOfStock, match="5 wanted, only 4 left") as info:
        orders.place(corner_shop, cart, token="t")
    assert (info.value.sku, info.value.available) == ("PC-TB-ELEC", 4)
    assert stock(db, "GRO-GUM") == 40  # the first line's decrement was rolled back
    assert count(db, "orders") == count(db, "order_lines") == 0


def test_a_refused_checkout_inside_a_larger_transaction_leaves_nothing(store_url: str, corner: ShopBundle) -> None:
    """A dialog turn places the order inside its own transaction and saves its session after a
    refusal: the refused checkout's own writes (the first line's stock) are undone, the rest commits."""
    with Database(store_url) as db:
        shops = ShopRepository(db)
        shops.load(corner)
        stored = shops.resolve("corner-store")
        cart = cart_of(shops, stored, ("GRO-GUM", 2), ("PC-TB-ELEC", 5))  # only 4 toothbrushes
        with db.transaction() as c:
            with pytest.raises(OutOfStock):
                OrderRepository(db).place(stored, cart, token="t")
            db.set_setting(c, "after", "the turn went on")
        assert stock(db, "GRO-GUM") == 40 and stock(db, "PC-TB-ELEC") == 4
        assert count(db, "orders") == count(db, "order_lines") == count(db, "outbox") - 1 == 0
        assert db.get_setting("after") == "the turn went on"


def test_same_product_on_two_lines_counts_together(
    shops: ShopRepository, orders: OrderRepository, coffee_shop: StoredShop, corner_shop: StoredShop
) -> None:
    catalog = shops.catalog(corner_shop)
    cart = Cart(lines=(price_item(catalog, "PC-TB-ELEC", (), 3), price_item(catalog, "PC-TB-ELEC", (), 2)))
    with pytest.raises(OutOfStock, match="5 wanted"):
        orders.place(corner_shop, cart, token="t")


def test_made_to_order_items_never_run_out(
    shops: ShopRepository, orders: OrderRepository, db: Database, coffee_shop: StoredShop
) -> None:
    catalog = shops.catalog(coffee_shop)
    cart = Cart().add(price_item(catalog, "DRK-LATTE", [ChosenOption(group="size", choice="small")], 10))
    orders.place(coffee_shop, cart, token="t")
    assert stock(db, "DRK-LATTE") is None


def test_checkout_refusals(
    shops: ShopRepository, orders: OrderRepository, db: Database, corner_shop: StoredShop
) -> None:
    with pytest.raises(EmptyCart):
        orders.place(corner_shop, Cart(), token="a")
    big = cart_of(
        shops, corner_shop, ("PC-DIAPERS", 6), ("PC-TB-ELEC", 4)
    )  # $149.94 + $119.96 + $49.98: over the $300 cap
    big = big.add(price_item(shops.catalog(corner_shop), "EL-POWERBANK", (), 2))
    with pytest.raises(SpendingCapExceeded, match=r"limit of \$300\.00"):
        orders.place(corner_shop, big, token="b")
    stale = cart_of(shops, corner_shop, ("GRO-GUM", 1))
    stale = Cart(lines=(stale.lines[0].model_copy(update={"unit_price": 100}),))
    with pytest.raises(PriceChanged, match=r"from \$1\.00 to \$1\.29"):
        orders.place(corner_shop, stale, token="c")
    with pytest.raises(CustomerError, match="no customer called 'Zed'"):
        orders.place(corner_shop, cart_of(shops, corner_shop, ("GRO-GUM", 1)), token="d", customer="Zed")
    assert count(db, "orders") == 0
    assert stock(db, "PC-DIAPERS") == 6


def test_a_product_changed_between_reading_and_writing_is_priced_again(
    shops: ShopRepository,
    orders: OrderRepository,
    db: Database,
    store_url: str,
    corner: ShopBundle,
    corner_shop: StoredShop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A checkout prices from products read without locks and writes only if they are still as read:
    the shop's files loaded again by another device in between make it read and price again."""

    def reload(**change: object) -> None:
        products = tuple(p.model_copy(update=change) if p.sku == "GRO-GUM" else p for p in corner.catalog.products)
        catalog = corner.catalog.model_copy(update={"products": products})
        with Database(store_url) as other:
            ShopRepository(other).load(ShopBundle(corner.shop, catalog, corner.folder, corner.files))

    write, writes = db.write_order, []

    def racing(draft: Draft, change: dict[str, object]) -> Written:
        writes.append(draft.token)
        if len(writes) == 1:
            reload(**change)  # after this checkout read the products, before it writes
        return write(draft)

    cart = cart_of(shops, corner_shop, ("GRO-GUM", 2))
    monkeypatch.setattr(db, "write_order", lambda d: racing(d, {"name": "spearmint gum (new pack)"}))
    placed = orders.place(corner_shop, cart, token="renamed")
    assert placed.created and writes == ["renamed", "renamed"]  # refused as changed, then written
    assert placed.order.lines[0].name == "spearmint gum (new pack)" and stock(db, "GRO-GUM") == 38

    writes.clear()
    monkeypatch.setattr(db, "write_order", lambda d: racing(d, {"price": 199}))
    with pytest.raises(PriceChanged, match=r"from \$1\.29 to \$1\.99"):
        orders.place(corner_shop, cart_of(shops, corner_shop, ("GRO-GUM", 1)), token="repriced")
    assert writes == ["repriced"] and count(db, "orders") == 1 and stock(db, "GRO-GUM") == 40


def test_product_removed_from_catalog_cannot_be_ordered(
    shops: ShopRepository, orders: OrderRepository, corner: ShopBundle, corner_shop: StoredShop
) -> None:
    cart = cart_of(shops, corner_shop, ("GRO-GUM", 1))
    without_gum = tuple(p for p in corner.catalog.products if p.sku != "GRO-GUM")
    shops.load(
        ShopBundle(
            corner.shop, corner.catalog.model_copy(update={"products": without_gum}), corner.folder, corner.files
        )
    )
    with pytest.raises(ProductNotFound, match="no longer sold: spearmint gum"):
        orders.place(corner_shop, cart, token="t")


# --- after the order ------------------------------------------------------------------------------


def test_life_cycle_and_cancel_restocks(
    shops: ShopRepository, orders: OrderRepository, db: Database, corner_shop: StoredShop
) -> None:
    pickup = orders.place(corner_shop, cart_of(shops, corner_shop, ("GRO-GUM", 5)), token="p").order
    assert stock(db, "GRO-GUM") == 35
    assert orders.advance(pickup.number).status is OrderStatus.CONFIRMED
    assert orders.cancel(pickup.number).status is OrderStatus.CANCELLED
    assert stock(db, "GRO-GUM") == 40
    with pytest.raises(OrderTransitionError):
        orders.cancel(pickup.number)

    delivered = orders.place(
        corner_shop, cart_of(shops, corner_shop, ("GRO-GUM", 1)), token="d", delivery="standard"
    ).order
    seen = [orders.advance(delivered.number).status for _ in range(3)]
    assert seen == [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
    with pytest.raises(OrderTransitionError, match="no next step"):
        orders.advance(delivered.number)
    with pytest.raises(OrderTransitionError, match="can no longer be cancelled"):
        orders.cancel(delivered.number)
    assert [e.status.value for e in orders.get(delivered.number).history] == [
        "placed",
        "confirmed",
        "shipped",
        "delivered",
    ]


def test_advance_to_a_status_that_is_not_next(
    shops: ShopRepository, orders: OrderRepository, corner_shop: StoredShop
) -> None:
    o = orders.place(corner_shop, cart_of(shops, corner_shop, ("GRO-GUM", 1)), token="x").order
    with pytest.raises(OrderTransitionError, match="cannot become ready; next is confirmed"):
        orders.advance(o.number, OrderStatus.READY)
    with pytest.raises(OrderTransitionError, match="cannot become shipped"):
        orders.advance(o.number, OrderStatus.SHIPPED)  # a pickup order is never shipped
    with pytest.raises(OrderNotFound):
        orders.advance("000000")


def test_list_filters(
    shops: ShopRepository,
    orders: OrderRepository,
    customers: CustomerRepository,
    corner_shop: StoredShop,
    coffee_shop: StoredShop,
) -> None:
    customers.add(Customer(name="Anna"))
    a = orders.place(corner_shop, cart_of(shops, corner_shop, ("GRO-GUM", 1)), token="1", customer="anna").order
    b = orders.place(corner_shop, cart_of(shops, corner_shop, ("GRO-GUM", 1)), token="2").order
    orders.advance(b.number)
    assert [o.number for o in orders.list(corner_shop)] == [b.number, a.number]
    assert [o.number for o in orders.list(corner_shop, customer="Anna")] == [a.number]
    assert [o.number for o in orders.list(corner_shop, status=OrderStatus.CONFIRMED)] == [b.number]
    assert orders.list(coffee_shop) == []
    assert a.customer == "Anna"


# --- customers -----------------------------------------------------------------------------------


def test_customers_and_pins(customers: CustomerRepository) -> None:
    stored = customers.add(Customer(name="Anna", pin_hash=hash_pin("4321"), preferences={"Milk": "oat milk"}))
    assert stored.pin_hash is not None and "4321" not in stored.pin_hash
    assert verify_pin("4321", customers.get("ANNA").pin_hash or "")
    assert not verify_pin("1234", customers.get("anna").pin_hash or "")
    assert customers.get("Anna").preferences == {"milk": "oat milk"}
    with pytest.raises(CustomerError, match="already a customer"):
        customers.add(Customer(name="anna"))
    with pytest.raises(CustomerError, match="4 to 8 digits"):
        hash_pin("12")
    assert hash_pin("1234") != hash_pin("1234")  # salted


def test_carts_survive_a_new_connection(store_url: str, coffee: ShopBundle) -> None:
    with Database(store_url) as db:
        shops = ShopRepository(db)
        shops.load(coffee)
        stored = shops.resolve("coffee-bar")
        cart = Cart().add(price_item(coffee.catalog, "BAK-BAGEL", (), 2))
        CustomerRepository(db).save_cart(stored, "kiosk-1", cart)
    with Database(store_url) as db:
        repo = CustomerRepository(db)
        stored = ShopRepository(db).resolve("coffee-bar")
        assert repo.load_cart(stored, "kiosk-1") == cart
        repo.save_cart(stored, "kiosk-1", Cart())
        assert repo.load_cart(stored, "kiosk-1") == Cart()
