"""The store through the CLI: choosing it by URL, `db info`, `db copy` to PostgreSQL, and `doctor`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, bundle, runner
from tests.pg_cluster import Cluster
from voiceshop.cli.app import app
from voiceshop.commerce.cart import Cart, price_item
from voiceshop.commerce.customer import Customer
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.db import schema_version_latest
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.sessions import SessionRepository
from voiceshop.storage.shops import ShopRepository


def vs(*args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, list(args), env=env)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == code, output
    assert "Traceback" not in output
    return output


def a_busy_shop(url: str) -> list[str]:
    """Two shops, a customer, orders (one cancelled), a saved cart, a session and a callback. Order numbers."""
    with Database(url) as db:
        shops = ShopRepository(db)
        shops.load(bundle("corner-store"))
        shops.load(bundle("coffee-bar"))
        corner = shops.resolve("corner-store")
        catalog = shops.catalog(corner)
        CustomerRepository(db).add(Customer(name="Anna"))
        orders = OrderRepository(db)
        numbers = []
        for i in range(3):
            cart = Cart().add(price_item(catalog, "GRO-GUM", (), i + 1))
            numbers.append(orders.place(corner, cart, token=f"t{i}", customer="Anna" if i else None).order.number)
        orders.cancel(numbers[0])
        CustomerRepository(db).save_cart(corner, "Anna", Cart().add(price_item(catalog, "BAT-AA-4", (), 1)))
        SessionRepository(db).save(corner, "kiosk", '{"started": true}')
        SessionRepository(db).request_callback(corner, "kiosk", "Anna", "a person please", [{"shopper": "hi"}])
    return numbers


def test_copy_a_sqlite_shop_to_postgresql(tmp_path: Path, postgres: Cluster) -> None:
    source = tmp_path / "device.db"
    numbers = a_busy_shop(str(source))
    target = postgres.new_database()
    report = vs("db", "copy", "--from", f"sqlite://{source}", "--to", target)
    assert "counts verified on both sides" in report
    assert "orders               3" in report and "products           202" in report
    with Database(source) as src, Database(target) as dst:
        assert dst.counts() == src.counts()
        src_orders, dst_orders = OrderRepository(src), OrderRepository(dst)
        assert [dst_orders.get(n) for n in numbers] == [src_orders.get(n) for n in numbers]
        corner = ShopRepository(dst).resolve(None)  # the current shop came along too
        assert corner.shop.slug == "coffee-bar"
        corner = ShopRepository(dst).resolve("corner-store")
        assert ShopRepository(dst).catalog(corner) == ShopRepository(src).catalog(
            ShopRepository(src).resolve("corner-store")
        )
        assert CustomerRepository(dst).load_cart(corner, "Anna").lines[0].sku == "BAT-AA-4"
        assert SessionRepository(dst).load(corner, "kiosk") == SessionRepository(src).load(corner, "kiosk")
        # new rows continue after the copied ones
        cart = Cart().add(price_item(ShopRepository(dst).catalog(corner), "GRO-GUM", (), 1))
        new = dst_orders.place(corner, cart, token="after-the-move").order
        assert new.number not in numbers and len(dst_orders.list()) == 4
        assert SessionRepository(dst).request_callback(corner, "kiosk", None, "again", []) == 2
    # and the same copy once more is refused: the target is no longer empty
    again = vs("db", "copy", "--from", str(source), "--to", target, code=1)
    assert "already holds data" in again and "4 orders" in again


def test_copy_back_from_postgresql_to_a_file(tmp_path: Path, postgres: Cluster) -> None:
    url = postgres.new_database()
    numbers = a_busy_shop(url)
    data = json.loads(vs("--db", url, "db", "copy", "--to", f"sqlite://{tmp_path}/back.db", "--json"))
    assert data["verified"] and data["counts"]["orders"] == 3 and data["counts"]["order_events"] == 4
    with Database(tmp_path / "back.db") as db:
        assert OrderRepository(db).get(numbers[2]).customer == "Anna"


def test_copy_refuses_what_cannot_be_copied(tmp_path: Path) -> None:
    missing = vs("db", "copy", "--from", str(tmp_path / "nope.db"), "--to", str(tmp_path / "b.db"), code=1)
    assert "no store at" in missing
    assert not (tmp_path / "b.db").exists()
    a_busy_shop(str(tmp_path / "a.db"))
    same = vs("db", "copy", "--from", str(tmp_path / "a.db"), "--to", f"sqlite://{tmp_path}/a.db", code=1)
    assert "the same store" in same


def test_db_info_on_postgresql_hides_the_password(postgres: Cluster) -> None:
    url = postgres.new_database()
    with_password = url.replace("voiceshop@", "voiceshop:secret@")  # trust auth: the password is not checked
    vs("--db", with_password, "shop", "load", str(EXAMPLES / "coffee-bar"))
    info = json.loads(vs("db", "info", "--json", env={"VOICESHOP_DB": with_password}))
    assert info["backend"] == "postgresql" and info["products_count"] == 13
    assert info["schema_version"] == info["schema_latest"]
    assert info["path"] == url.replace("voiceshop@", "voiceshop:***@")
    assert "secret" not in vs("--db", with_password, "db", "info")


def test_a_postgresql_url_is_never_a_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = vs("db", "info", code=1, env={"VOICESHOP_DB": "postgresql://pi:secret@127.0.0.1:1/shop"})
    assert out.startswith("error: cannot connect to PostgreSQL at postgresql://pi:***@127.0.0.1:1/shop")
    assert len(set(out.strip().splitlines())) == 1 and "secret" not in out  # (stderr is in the output twice)
    out = vs("--db", "mysql://pi@db/shop", "shop", "list", code=1)
    assert "unsupported database URL 'mysql://pi@db/shop'" in out and "postgresql://USER" in out
    assert os.listdir(tmp_path) == []


def test_doctor_checks_the_store(postgres: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICESHOP_MODELS", str(tmp_path / "models"))
    url = postgres.new_database()
    report = vs("--db", url, "doctor")
    assert f"ok       store: postgresql {url}, schema {schema_version_latest()} (latest)" in report
    report = vs("--db", "postgresql://pi@127.0.0.1:1/shop", "doctor")
    assert "PROBLEM  store: cannot connect to PostgreSQL at postgresql://pi@127.0.0.1:1/shop" in report
