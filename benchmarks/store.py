"""Store benchmark: orders placed per second, and loading a generated 100,000-product catalog.

    .venv/bin/python benchmarks/store.py [--orders 2000] [--products 100000] [--processes 2]

Prints numbers; asserts nothing. The database uses the same settings as production (WAL,
synchronous=FULL), in a temporary folder on the same disk as /tmp.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceshop.commerce.cart import Cart, price_item  # noqa: E402  # after the path set-up above
from voiceshop.commerce.search import CatalogIndex  # noqa: E402
from voiceshop.shopfiles import load_shop_folder  # noqa: E402
from voiceshop.storage import Database  # noqa: E402
from voiceshop.storage.orders import OrderRepository  # noqa: E402
from voiceshop.storage.shops import ShopRepository  # noqa: E402

WORDS = (
    "organic fresh large small classic spicy sweet smoked roasted whole light dark golden crunchy creamy "
    "vanilla lemon berry apple mango honey garlic tomato chili ginger mint cocoa almond oat rice bean"
).split()
NOUNS = "tea coffee juice soap bread cheese chips cereal pasta sauce battery cable lamp towel brush candle".split()
CATEGORIES = ["groceries", "drinks", "household", "personal care", "pharmacy", "batteries", "electronics"]

SHOP_YAML = """\
slug: bench
name: Bench Shop
currency: USD
delivery:
  - {kind: pickup, name: pick up, eta: soon}
"""


def write_shop(folder: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.yaml").write_text(SHOP_YAML)
    with (folder / "catalog.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sku", "name", "aliases", "brand", "category", "price", "pack", "stock", "tags"])
        for i in range(n):
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(NOUNS)} {i}"
            w.writerow([f"SKU-{i:06d}", name, f"{rng.choice(WORDS)} {rng.choice(NOUNS)} {i}", f"brand{i % 97}",
                        rng.choice(CATEGORIES), f"{rng.randint(50, 5000) / 100:.2f}", f"{rng.randint(1, 12)} pack",
                        1_000_000, rng.choice(WORDS)])  # fmt: skip


def place_orders(db_path: str, n: int, prefix: str, products: int) -> float:
    rng = random.Random(prefix)
    db = Database(db_path)
    shops = ShopRepository(db)
    stored = shops.resolve("bench")
    catalog = shops.catalog(stored)
    carts = []
    for _ in range(min(n, 200)):
        cart = Cart()
        for _ in range(rng.randint(1, 3)):
            cart = cart.add(price_item(catalog, f"SKU-{rng.randrange(products):06d}", (), rng.randint(1, 3)))
        carts.append(cart)
    repo = OrderRepository(db)
    start = time.perf_counter()
    for i in range(n):
        repo.place(stored, carts[i % len(carts)], token=f"{prefix}-{i}")
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def _worker(args: tuple[str, int, str, int]) -> float:
    return place_orders(*args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="voiceshop-bench-") as tmp:
        tmpdir = Path(tmp)
        small = tmpdir / "small-shop"
        write_shop(small, 1000)
        db_path = str(tmpdir / "orders.db")
        with Database(db_path) as db:
            ShopRepository(db).load(load_shop_folder(small))

        elapsed = place_orders(db_path, args.orders, "single", 1000)
        print(f"orders, 1 process:   {args.orders} orders in {elapsed:.2f} s = {args.orders / elapsed:,.0f} orders/s "
              f"({elapsed / args.orders * 1000:.2f} ms each; 1-3 lines per order; synchronous=FULL)")  # fmt: skip

        per = args.orders // args.processes
        with mp.get_context("spawn").Pool(args.processes) as pool:
            start = time.perf_counter()
            busy = pool.map(_worker, [(db_path, per, f"multi{i}", 1000) for i in range(args.processes)])
            wall = time.perf_counter() - start
        total = per * args.processes
        print(
            f"orders, {args.processes} processes at once: {total} orders, {total / max(busy):,.0f} orders/s while "
            f"ordering (slowest worker {max(busy):.2f} s)"
        )
        print(f"orders, {args.processes} processes: {total} orders in {wall:.2f} s wall = {total / wall:,.0f} orders/s "
              "(includes process start-up)")  # fmt: skip

        big = tmpdir / "big-shop"
        t0 = time.perf_counter()
        write_shop(big, args.products)
        t1 = time.perf_counter()
        bundle = load_shop_folder(big)
        t2 = time.perf_counter()
        big_db = str(tmpdir / "big.db")
        with Database(big_db) as db:
            repo = ShopRepository(db)
            report = repo.load(bundle)
            t3 = time.perf_counter()
            again = repo.load(bundle)
            t4 = time.perf_counter()
            catalog = repo.catalog(repo.resolve("bench"))
            t5 = time.perf_counter()
        index = CatalogIndex(catalog)
        t6 = time.perf_counter()
        queries = ["smoked almond tea", "battery", "creamy vanila soap", "xyzzy"]
        searches = []
        for q in queries:
            s = time.perf_counter()
            index.search(q)
            searches.append(time.perf_counter() - s)
        n = args.products
        print(f"catalog of {n:,} products (CSV written in {t1 - t0:.2f} s):")
        print(f"  validate (read + check every row):  {t2 - t1:.2f} s")
        print(f"  load into the store ({report.added:,} added):   {t3 - t2:.2f} s")
        print(f"  => validate + load:                  {t3 - t1:.2f} s")
        print(f"  reload unchanged ({again.unchanged:,} unchanged): {t4 - t3:.2f} s")
        print(f"  read the catalog back:               {t5 - t4:.2f} s")
        print(f"  build the search index:              {t6 - t5:.2f} s")
        print(f"  search, per query:                   {', '.join(f'{s * 1000:.0f} ms' for s in searches)}")
        print(f"peak memory (this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
