"""A damaged or unusable SQLite store is found and named, with what to do; backups and restores keep
the shop's data: a dropped table, overwritten pages, a read-only file, a schema upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from voiceshop.commerce.cart import Cart, price_item
from voiceshop.errors import StoreDamaged, StoreError
from voiceshop.shopfiles import load_shop_folder
from voiceshop.storage import Database
from voiceshop.storage.db import schema_version_latest
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.shops import ShopRepository
from voiceshop.storage.sqlite.db import restore

COFFEE = load_shop_folder(EXAMPLES / "coffee-bar")


def _store_with_an_order(path: Path) -> str:
    with Database(path) as db:
        shops = ShopRepository(db)
        shops.load(COFFEE)
        stored = shops.resolve("coffee-bar")
        return OrderRepository(db).place(stored, _cart(), token="first").order.number


def _cart() -> Cart:
    return Cart().add(price_item(COFFEE.catalog, "BAK-BAGEL", [], 2))


def _place(path: Path, token: str) -> None:
    with Database(path) as db:
        shops = ShopRepository(db)
        OrderRepository(db).place(shops.resolve("coffee-bar"), _cart(), token=token)


def test_a_dropped_table_is_named_on_open_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _store_with_an_order(path)
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("DROP TABLE order_lines")
    with pytest.raises(StoreDamaged, match=r"lost its table order_lines; restore the latest backup with `voiceshop db"):
        Database(path)


def test_overwritten_pages_are_found_by_check_and_by_use(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cli.db"
    _store_with_an_order(path)
    size = path.stat().st_size
    with path.open("r+b") as f:  # every page but the first (the schema) overwritten
        f.seek(4096)
        f.write(b"\xde\xad\xbe\xef" * ((size - 4096) // 4))
    out = vs("db", "check", code=1)
    assert "is damaged" in out and "voiceshop db restore FILE" in out
    out = vs("orders", "place", "-s", "coffee-bar", "BAK-BAGEL", code=1)
    assert "damaged" in out and len(set(out.splitlines())) == 1


def test_a_read_only_store_says_so(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _store_with_an_order(path)
    with Database(path) as db:
        db.conn.execute("PRAGMA query_only = ON")  # type: ignore[attr-defined]  # what a read-only file does to writes
        with pytest.raises(StoreError, match="is read-only for this user; make the file and its folder writable"):
            OrderRepository(db).place(ShopRepository(db).resolve("coffee-bar"), _cart(), token="t2")
        assert not db.in_transaction


def test_backup_and_restore_keep_the_orders_and_the_replaced_file(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cli.db"
    number = _store_with_an_order(path)
    backup = tmp_path / "saved.db"
    assert f"to {backup}" in vs("db", "backup", "--to", str(backup))
    assert not Path(f"{backup}-wal").exists()  # one self-contained file
    _place(path, "second")  # after the backup
    with path.open("r+b") as f:
        f.seek(4096)
        f.write(b"\x00" * 40_000)
    out = vs("db", "restore", str(backup))
    assert "restored" in out and ".replaced-" in out
    assert "no damage found" in vs("db", "check")
    listed = vs("orders", "list")
    assert number in listed
    replaced = next(tmp_path.glob("cli.replaced-*.db"))
    assert replaced.stat().st_size > 0  # the damaged file is kept, not deleted


def test_restore_refuses_what_is_not_a_backup(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _store_with_an_order(tmp_path / "cli.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert "is not a voiceshop backup" in vs("db", "restore", str(junk), code=1)
    assert "there is no backup file" in vs("db", "restore", str(tmp_path / "none.db"), code=1)
    assert "no damage found" in vs("db", "check")


def test_a_schema_upgrade_first_backs_the_store_up(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    number = _store_with_an_order(path)
    with sqlite3.connect(path) as raw:  # as an older voiceshop left it: schema 2
        raw.execute("DROP TABLE webhook_deliveries")
        raw.execute("DROP TABLE callbacks")
        raw.execute("DROP TABLE sessions")
        raw.execute("PRAGMA user_version = 2")
    with Database(path) as db:
        assert db.schema_version == schema_version_latest()
    saved = tmp_path / f"store.before-schema-{schema_version_latest()}.db"
    with sqlite3.connect(saved) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
        assert raw.execute("SELECT number FROM orders").fetchone()[0] == number


def test_restore_function_moves_wal_files_aside(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _store_with_an_order(path)
    backup = tmp_path / "b.db"
    with Database(path) as db:
        db.backup(backup)
        with pytest.raises(StoreError, match="is the database itself"):
            db.backup(path)
    moved = restore(backup, path)
    assert moved is not None and moved.exists() and path.exists()
