"""Running a golden conversation file: set up a store, talk through every turn, read back the result.

A conversation file (``tests/conversations/*.yaml``)::

    description: what this conversation shows
    shop: coffee-bar                    # an example shop folder
    shopper_means: "1 large latte, picked up"   # what the shopper wants to end with, for the reader
    now: "2026-11-23T09:00:00-05:00"    # the clock at the start (default: a Monday morning)
    customer: Anna                      # the device's default customer (optional)
    customers:                          # customers in the store before the conversation
      - {name: Anna, pin: "1234", preferences: {size: large}, spending_cap: "20.00"}
    history:                            # orders placed before (at the counter)
      - {customer: Anna, items: ["latte, size=large"], status: ready}
    stock: {BAT-AA-4: 1}                # stock levels changed before the conversation
    turns:
      - start: "Hi, welcome to The Daily Grind. What can I get you?"    # the greeting
      - say: two large lattes
        reply: "Added two large lattes. Anything else?"
      - wait: 10m                       # the clock moves on (idle sessions expire)
      - restart: true                   # a new process: the assistant is built afresh
      - stock: {BAK-CROISSANT: 0}       # someone else bought the last one meanwhile
    expect:
      cart: ["2 x latte (large, medium roast, single shot)"]
      orders: [{items: [...], total: "14.95", status: placed, delivery: pickup}]   # newest first
      stock: {BAK-CROISSANT: 11}
      callbacks: 1

``reply`` is the exact reply (or replies, joined by a space). Run
``python -m tests.conversations --record FILE...`` to fill in missing replies and expectations from
what the assistant does now; then read them, because what is recorded becomes the specification.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from voiceshop.cli.orders_cmds import parse_item
from voiceshop.commerce.cart import Cart, price_item
from voiceshop.commerce.customer import Customer, hash_pin
from voiceshop.commerce.order import OrderStatus, status_path
from voiceshop.runtime import Assistant
from voiceshop.runtime.shops import open_shop
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.sessions import SessionRepository
from voiceshop.storage.shops import ShopRepository

ROOT = Path(__file__).resolve().parent.parent
FOLDER = Path(__file__).resolve().parent / "conversations"
DEFAULT_NOW = "2026-11-23T09:00:00-05:00"  # a Monday morning, both shops open
_WAIT = re.compile(r"^(\d+)\s*([smhd])$")


def parse_wait(text: str) -> timedelta:
    m = _WAIT.match(str(text).strip())
    if not m:
        raise ValueError(f"wait {text!r} is not like '10m', '2h' or '30s'")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return timedelta(**{unit: int(m.group(1))})


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outcome:
    replies: list[str] = field(default_factory=list)
    """One per turn: the greeting for ``start``, the reply for ``say``, "" for other steps."""
    cart: list[str] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    stock: dict[str, int | None] = field(default_factory=dict)
    callbacks: int = 0


def money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def line_text(line: Any) -> str:
    return f"{line.quantity} x {line.describe()}"


def setup(db: Database, spec: dict[str, Any]) -> str:
    slug = open_shop(db, str(ROOT / "examples" / spec["shop"]))
    shops, customers, orders = ShopRepository(db), CustomerRepository(db), OrderRepository(db)
    stored = shops.resolve(slug)
    for c in spec.get("customers", []):
        data = dict(c)
        pin = data.pop("pin", None)
        if pin is not None:
            data["pin_hash"] = hash_pin(str(pin))
        customers.add(Customer.model_validate(data))
    catalog = shops.catalog(stored)
    for i, h in enumerate(spec.get("history", [])):
        cart = Cart()
        for item in h["items"]:
            sku, qty, options = parse_item(item, catalog)
            cart = cart.add(price_item(catalog, sku, options, qty))
        delivery = h.get("delivery", "pickup")
        placed = orders.place(stored, cart, token=f"history-{i}", delivery=delivery, customer=h.get("customer"))
        target = OrderStatus(h.get("status", "placed"))
        order = placed.order
        if target is OrderStatus.CANCELLED:
            orders.cancel(order.number)
            continue
        for status in status_path(order.delivery)[1:]:
            if order.status == target:
                break
            order = orders.advance(order.number, status)
    set_stock(db, slug, spec.get("stock", {}))
    return slug


def set_stock(db: Database, slug: str, stock: dict[str, int]) -> None:
    stored = ShopRepository(db).resolve(slug)
    with db.transaction() as c:
        for sku, n in stock.items():
            c.execute("UPDATE products SET stock = ? WHERE shop_id = ? AND sku = ?", (n, stored.id, sku))


def run(spec: dict[str, Any], db_path: Path) -> Outcome:
    clock = Clock(datetime.fromisoformat(str(spec.get("now", DEFAULT_NOW))))
    db = Database(db_path)
    try:
        slug = setup(db, spec)
        outcome = Outcome()

        def build() -> Assistant:
            return Assistant(db, slug, device="golden", customer=spec.get("customer"), clock=clock)

        assistant = build()
        for turn in spec["turns"]:
            if "start" in turn:
                outcome.replies.append(" ".join(r.text for r in assistant.start()))
            elif "say" in turn:
                outcome.replies.append(" ".join(r.text for r in assistant.hear(str(turn["say"]))))
            else:
                if "wait" in turn:
                    clock.now += parse_wait(turn["wait"])
                if turn.get("restart"):
                    assistant = build()
                if "stock" in turn:
                    set_stock(db, slug, turn["stock"])
                outcome.replies.append("")
        return _result(db, slug, spec, assistant, outcome)
    finally:
        db.close()


def _result(db: Database, slug: str, spec: dict[str, Any], assistant: Assistant, outcome: Outcome) -> Outcome:
    stored = ShopRepository(db).resolve(slug)
    outcome.cart = [line_text(ln) for ln in assistant.state().cart.lines]
    for order in OrderRepository(db).list(stored):
        entry: dict[str, Any] = {
            "items": [line_text(ln) for ln in order.lines],
            "total": money(order.total),
            "status": order.status.value,
            "delivery": order.delivery.value,
        }
        if order.customer:
            entry["customer"] = order.customer
        if order.coupon:
            entry["coupon"] = order.coupon
        outcome.orders.append(entry)
    catalog = ShopRepository(db).catalog(stored)
    for sku in spec.get("expect", {}).get("stock", {}) or {}:
        product = catalog.product(sku)
        outcome.stock[sku] = product.stock if product else None
    outcome.callbacks = len(SessionRepository(db).callbacks(stored))
    return outcome


def files() -> list[Path]:
    return sorted(FOLDER.glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: a conversation is a mapping"
    for turn in data["turns"]:
        # YAML reads a bare yes / no as a boolean: a shopper's words must be quoted then
        assert isinstance(turn.get("say", ""), str), f"{path.name}: quote {turn['say']!r} in say"
    return data


def record(path: Path, db_path: Path) -> None:
    """Fill in the replies and expectations from what the assistant does now, and print the dialogue."""
    spec = load(path)
    outcome = run(spec, db_path)
    for turn, reply in zip(spec["turns"], outcome.replies, strict=True):
        if "say" in turn:
            turn["reply"] = reply
            print(f"  > {turn['say']}\n    {reply}")
        elif "start" in turn:
            turn["start"] = reply
            print(f"    {reply}")
    expect = spec.setdefault("expect", {})
    expect["cart"] = outcome.cart
    expect["orders"] = outcome.orders
    if outcome.stock:
        expect["stock"] = outcome.stock
    expect["callbacks"] = outcome.callbacks
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    import tempfile

    args = sys.argv[1:]
    if not args or args[0] != "--record":
        sys.exit("usage: python -m tests.conversations --record FILE...")
    for name in args[1:]:
        with tempfile.TemporaryDirectory() as tmp:
            print(name)
            record(Path(name), Path(tmp) / "store.db")
