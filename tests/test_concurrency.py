"""Several processes ordering at once, and processes killed in the middle of a checkout: each process
is a device, and every test runs against both back ends (a SQLite file, a PostgreSQL database)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, bundle
from voiceshop.commerce.catalog import Catalog, Product
from voiceshop.shopfiles import ShopBundle
from voiceshop.storage import Database
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.shops import ShopRepository

pytestmark = pytest.mark.slow


def stress_shop(db_path: str, stock: int) -> None:
    base = bundle("corner-store")
    shop = base.shop.model_copy(update={"slug": "stress", "spending_cap": None})
    product = Product(sku="STRESS-1", name="limited edition mug", category="gifts", price=1000, stock=stock)
    with Database(db_path) as db:
        ShopRepository(db).load(ShopBundle(shop, Catalog(products=(product,)), base.folder, base.files))


def worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def invariants(db_path: str, initial: int) -> tuple[int, int]:
    """Every order is whole, and stock plus what was ordered is what there was. Returns (orders, stock)."""
    with Database(db_path) as db:
        c = db
        left = int(c.execute("SELECT stock FROM products WHERE sku = 'STRESS-1'").fetchone()[0])
        ordered = int(c.execute("SELECT coalesce(sum(quantity), 0) FROM order_lines").fetchone()[0])
        n = int(c.execute("SELECT count(*) FROM orders").fetchone()[0])
        assert left + ordered == initial
        assert c.execute("SELECT count(*) FROM orders WHERE number IS NULL").fetchone()[0] == 0
        assert (
            c.execute(
                "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)"
                " OR NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id)"
            ).fetchone()[0]
            == 0
        )
        placed = c.execute("SELECT count(*) FROM outbox WHERE topic = 'order.placed'").fetchone()[0]
        assert placed == n
        if db.backend == "sqlite":
            assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return n, left


def test_200_checkouts_from_4_processes_against_stock_50(store_url: str) -> None:
    stress_shop(store_url, stock=50)
    procs = [worker("checkout", store_url, f"p{i}", "50") for i in range(4)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert sum(r["created"] for r in results) == 50
    assert sum(r["out_of_stock"] for r in results) == 150
    n, left = invariants(store_url, 50)
    assert (n, left) == (50, 0)
    with Database(store_url) as db:
        numbers = [r[0] for r in db.execute("SELECT number FROM orders")]
    assert len(set(numbers)) == 50


def test_retried_checkouts_from_three_processes_at_once_order_once(store_url: str, tmp_path: Path) -> None:
    stress_shop(store_url, stock=100)
    go = tmp_path / "go"
    procs = [worker("checkout", store_url, "shared", "30", str(go)) for _ in range(3)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.*"))) < 3:  # every device is connected and waiting
        assert all(p.poll() is None for p in procs), [p.communicate()[1] for p in procs]
        assert time.monotonic() < deadline, "the workers never got ready"
        time.sleep(0.01)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert sum(r["created"] for r in results) == 30
    assert sum(r["repeated"] for r in results) == 60
    assert invariants(store_url, 100) == (30, 70)


def test_killed_inside_the_checkout_transaction_leaves_nothing(store_url: str, tmp_path: Path) -> None:
    stress_shop(store_url, stock=10)
    marker = tmp_path / "inside"
    p = worker("hang", store_url, str(marker))
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert p.poll() is None, p.communicate()[1]
        assert time.monotonic() < deadline, "the worker never reached the checkout"
        time.sleep(0.01)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    assert invariants(store_url, 10) == (0, 10)
    # the store is usable straight away, and the same checkout token is still free
    with Database(store_url) as db:
        shops = ShopRepository(db)
        stored = shops.resolve("stress")
        from voiceshop.commerce.cart import Cart, price_item

        cart = Cart().add(price_item(shops.catalog(stored), "STRESS-1", (), 1))
        assert OrderRepository(db).place(stored, cart, token="hang-1").created


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3])
def test_killed_at_a_random_moment_keeps_every_order_whole(store_url: str, delay: float) -> None:
    stress_shop(store_url, stock=10_000)
    p = worker("loop", store_url, "loop")
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "placing"  # started (however slow the machine), then:
    time.sleep(delay)  # some more orders, killed wherever it is
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    n, _ = invariants(store_url, 10_000)
    assert n > 0, "the worker placed no order before it was killed; the test proved nothing"


def test_cancelling_while_others_check_out_never_deadlocks(store_url: str) -> None:
    """Cancelling restocks every product of an order while checkouts take stock of the same products;
    both lock product rows in one order (by id), so neither ever waits for the other in a circle
    (which PostgreSQL would break by failing one of them as "busy")."""
    base = bundle("corner-store")
    shop = base.shop.model_copy(update={"slug": "stress", "spending_cap": None})
    products = tuple(
        Product(sku=f"PAIR-{i}", name=f"pair item {i}", category="gifts", price=100, stock=10_000) for i in (1, 2, 3)
    )
    with Database(store_url) as db:
        ShopRepository(db).load(ShopBundle(shop, Catalog(products=products), base.folder, base.files))
    from voiceshop.commerce.cart import Cart, price_item

    failures: list[BaseException] = []
    rounds = 60

    def device(name: str, skus: list[str], cancel: bool) -> None:
        try:
            with Database(store_url) as db:
                shops = ShopRepository(db)
                stored = shops.resolve("stress")
                catalog = shops.catalog(stored)
                cart = Cart()
                for sku in skus:
                    cart = cart.add(price_item(catalog, sku, (), 1))
                repo = OrderRepository(db)
                for i in range(rounds):
                    order = repo.place(stored, cart, token=f"{name}-{i}").order
                    if cancel:
                        repo.cancel(order.number)
        except BaseException as exc:
            failures.append(exc)

    import threading

    # the cancelling devices' orders list the products highest id first, the others lowest first
    threads = [
        threading.Thread(target=device, args=("c1", ["PAIR-3", "PAIR-2", "PAIR-1"], True)),
        threading.Thread(target=device, args=("c2", ["PAIR-3", "PAIR-1"], True)),
        threading.Thread(target=device, args=("p1", ["PAIR-1", "PAIR-2", "PAIR-3"], False)),
        threading.Thread(target=device, args=("p2", ["PAIR-2", "PAIR-3"], False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert failures == []
    with Database(store_url) as db:
        left = {r[0]: r[1] for r in db.execute("SELECT sku, stock FROM products WHERE sku LIKE 'PAIR-%'")}
    # only the orders that were not cancelled took stock
    assert left == {"PAIR-1": 10_000 - rounds, "PAIR-2": 10_000 - 2 * rounds, "PAIR-3": 10_000 - 2 * rounds}
