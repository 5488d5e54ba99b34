"""Privacy as a feature: forgetting a customer erases their personal data and keeps their orders for the
books without a name; transcripts are kept only as long as the shop says. Both back ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import EXAMPLES, bundle
from voiceshop.commerce.cart import Cart, price_item
from voiceshop.commerce.customer import Customer, hash_pin
from voiceshop.errors import CustomerError
from voiceshop.runtime import Assistant
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.privacy import forget_customer, prune_transcripts, retention_days, set_retention_days
from voiceshop.storage.sessions import SessionRepository
from voiceshop.storage.shops import ShopRepository

COFFEE = bundle("coffee-bar")


def _with_ann(db: Database) -> str:
    shops = ShopRepository(db)
    shops.load(COFFEE)
    stored = shops.resolve("coffee-bar")
    customers = CustomerRepository(db)
    customers.add(Customer(name="Ann", pin_hash=hash_pin("4321")))
    cart = Cart().add(price_item(COFFEE.catalog, "BAK-BAGEL", [], 1))
    number = OrderRepository(db).place(stored, cart, token="ann-1", customer="Ann").order.number
    customers.save_cart(stored, "Ann", cart)
    SessionRepository(db).request_callback(stored, "kiosk", "Ann", "wants a person", [{"shopper": "call me"}])
    return number


def test_forget_erases_the_person_and_keeps_the_books(store_url: str) -> None:
    with Database(store_url) as db:
        number = _with_ann(db)
        assistant = Assistant(db, "coffee-bar", device="kiosk", customer="Ann")
        assistant.hear("a large latte please")
        done = forget_customer(db, "ann")
        assert done["orders_anonymised"] == 1 and done["carts"] == 1 and done["callbacks"] == 1
        assert done["sessions"] == 1 and done["events"] >= 1 and done["turns"] == 1
        turn = db.execute("SELECT heard, customer, intent FROM turns").fetchone()
        assert tuple(turn) == (None, None, "AddItems")  # the words and the name go, the count stays
        with pytest.raises(CustomerError):
            CustomerRepository(db).get("Ann")
        order = OrderRepository(db).get(number)
        assert order.customer is None and order.total > 0  # the books still add up
        callback = SessionRepository(db).callbacks()[0]
        assert callback.customer is None and callback.transcript == []
        rows = db.execute("SELECT payload_json FROM outbox").fetchall()
        assert not any("Ann" in str(r[0]) for r in rows)
        assert not any("Ann" in str(r[0]) for r in db.execute("SELECT state_json FROM sessions").fetchall())
        with pytest.raises(CustomerError, match="no customer called"):
            forget_customer(db, "Ann")


def test_transcripts_are_emptied_after_the_retention_period(store_url: str) -> None:
    with Database(store_url) as db:
        _with_ann(db)
        Assistant(db, "coffee-bar", device="counter").hear("a bagel please")
        assert retention_days(db) == 7
        assert prune_transcripts(db) == 0  # all of it is recent
        later = datetime.now(UTC) + timedelta(days=8)
        # the counter's session, Ann's callback and the turn recorded for insights
        assert prune_transcripts(db, now=later) == 3
        state = json.loads(db.execute("SELECT state_json FROM sessions").fetchone()[0])
        assert state["transcript"] == [] and state["cart"]["lines"]  # the words go, the cart stays
        assert tuple(db.execute("SELECT heard, skus_json FROM turns").fetchone()) == (None, '["BAK-BAGEL"]')
        set_retention_days(db, 0)
        assert retention_days(db) == 0
        with pytest.raises(CustomerError):
            set_retention_days(db, -1)


def test_cli_forget_and_retention(vs) -> None:  # type: ignore[no-untyped-def]
    vs("shop", "load", str(EXAMPLES / "coffee-bar"))
    vs("customers", "add", "Bo", "--pin", "2468")
    out = vs("customers", "forget", "Bo", "--yes")
    assert out.startswith("forgot Bo: erased their record") and "0 order(s) kept" in out
    assert "Bo" not in vs("customers", "list")
    assert "no customer called" in vs("customers", "forget", "Bo", "--yes", code=1)
    assert "kept 3 day(s)" in vs("customers", "retention", "3")
