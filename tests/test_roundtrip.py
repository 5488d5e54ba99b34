"""Every model that crosses a boundary survives JSON and back, found automatically."""

from __future__ import annotations

import inspect

import pytest
from pydantic import BaseModel

from tests.conftest import bundle
from voiceshop.commerce import cart, catalog, customer, order, shop
from voiceshop.commerce.cart import Cart, ChosenOption, compute_totals, price_item
from voiceshop.commerce.customer import Customer, hash_pin
from voiceshop.commerce.order import Order, OrderLine, StatusEvent
from voiceshop.storage import Database
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.shops import ShopRepository


def examples(tmp_path_factory: pytest.TempPathFactory) -> list[BaseModel]:
    coffee, corner = bundle("coffee-bar"), bundle("corner-store")
    latte = price_item(
        coffee.catalog,
        "DRK-LATTE",
        [ChosenOption(group="size", choice="large"), ChosenOption(group="milk", choice="soy milk", amount="lots of")],
        2,
    )
    the_cart = Cart().add(latte)
    with Database(tmp_path_factory.mktemp("rt") / "rt.db") as db:
        ShopRepository(db).load(coffee)
        stored = ShopRepository(db).resolve("coffee-bar")
        placed = OrderRepository(db).place(stored, the_cart, token="rt", coupon="MORNING10").order
    found: list[BaseModel] = [
        coffee.shop,
        corner.shop,
        coffee.catalog,
        corner.catalog,
        latte,
        the_cart,
        placed,
        compute_totals(corner.shop, 4000, "standard", "SAVE10", placed.created_at.date()),
        Customer(name="Anna", pin_hash=hash_pin("1234"), default_delivery="express", preferences={"milk": "oat"}),
    ]
    found += list(coffee.catalog.option_groups) + list(coffee.catalog.option_groups[0].choices)
    found += list(coffee.catalog.option_groups[3].amounts) + list(corner.catalog.products[:3])
    found += [corner.catalog.products[0].pack, corner.shop.delivery[0], corner.shop.coupons[0], corner.shop.policies]
    found += list(corner.shop.locations) + list(corner.shop.opening_hours["monday"])
    found += [placed.lines[0], placed.history[0], latte.options[0]]
    return found


def test_every_model_round_trips(tmp_path_factory: pytest.TempPathFactory) -> None:
    instances = examples(tmp_path_factory)
    for model in instances:
        again = type(model).model_validate_json(model.model_dump_json())
        assert again == model, type(model).__name__
    # every model class the domain declares has an example here: a new model must be added above
    declared = {
        cls
        for mod in (cart, catalog, customer, order, shop)
        for _, cls in inspect.getmembers(mod, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == mod.__name__ and cls.__name__ != "Strict"
    }
    covered = {type(m) for m in instances}
    assert declared <= covered, f"no round-trip example for {sorted(c.__name__ for c in declared - covered)}"
    assert {OrderLine, StatusEvent, Order} <= covered
