"""Store benchmark: orders per second and checkout time on SQLite and PostgreSQL with 1, 4 and 8
devices at once, a contest for limited stock, and loading a generated 100,000-product catalog.

    .venv/bin/python benchmarks/store.py [--orders 2000] [--devices 1 4 8] [--products 100000]
                                         [--pg-url postgresql://...] [--no-postgres] [--no-sync]
                                         [--only sqlite|sqlite-normal|postgresql ...]

Each device is a process with its own connection (SQLite: the same file; PostgreSQL: its own pool)
placing 1-3 line orders as fast as it can; throughput is counted from the moment all devices start
to the moment the last one finishes (process start-up excluded), and p95 is over every checkout.
Both stores are durable as in use: SQLite WAL with synchronous=FULL (voiceshop's default) in a
temporary folder on the disk of /tmp, and again with synchronous=NORMAL (``sqlite-normal``, the
``?synchronous=normal`` setting: no disk flush per order, a power cut may lose the last orders);
PostgreSQL a throwaway cluster (initdb, as the tests make it) with fsync and synchronous_commit on,
or the server given by --pg-url (its database must be empty or a voiceshop store it is fine to
fill). --no-sync stops waiting for the disk on both, to show what the code itself costs.

The machine may be shared, so every run also prints the load average before it and the CPU time
per order: the devices' own (user + system), and the throwaway PostgreSQL server's (all its
processes). CPU per order is what the code costs; orders/s also shows what the machine had to spare. It first
prints what one disk flush costs under the temporary folder, which SQLite FULL pays once per order.
Compare two trees back to back under the same load. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import random
import resource
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import pg_cluster  # noqa: E402  # after the path set-up above
from voiceshop.commerce.cart import Cart, price_item  # noqa: E402
from voiceshop.commerce.search import CatalogIndex  # noqa: E402
from voiceshop.errors import OutOfStock  # noqa: E402
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


def device(url: str, n: int, prefix: str, products: int, no_sync: bool, ready: Any, go: Any, out: Any) -> None:
    """One device: connect, get its carts ready, wait for the others, then place ``n`` orders."""
    rng = random.Random(prefix)
    db = Database(url)
    if no_sync and db.backend == "sqlite":
        db.execute("PRAGMA synchronous = OFF")
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
    ready.release()
    go.wait()
    times = []
    cpu = cpu_seconds()
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        repo.place(stored, carts[i % len(carts)], token=f"{prefix}-{i}")
        times.append(time.perf_counter() - t)
    end = time.perf_counter()
    cpu = cpu_seconds() - cpu
    db.close()
    out.put((start, end, times, cpu))


def cpu_seconds() -> float:
    """User and system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu_seconds(cluster: pg_cluster.Cluster | None) -> float | None:
    """User and system CPU time of a throwaway PostgreSQL cluster so far: the postmaster, the backends
    it has reaped (cutime, cstime) and those still running. None for a server that is not ours."""
    if cluster is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    try:
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid, ppid = int(entry.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def contender(url: str, tries: int, prefix: str, ready: Any, go: Any, out: Any) -> None:
    """One device in the contest: one unit of the limited product per order, every token sent twice."""
    db = Database(url)
    shops = ShopRepository(db)
    stored = shops.resolve("bench")
    cart = Cart().add(price_item(shops.catalog(stored), "SKU-LIMITED", (), 1))
    repo = OrderRepository(db)
    ready.release()
    go.wait()
    created, repeats, refused, numbers = 0, 0, 0, []
    for i in range(tries):
        try:
            first = repo.place(stored, cart, token=f"{prefix}-{i}")
        except OutOfStock:
            refused += 1
            continue
        again = repo.place(stored, cart, token=f"{prefix}-{i}")  # a device retrying after a lost reply
        created += first.created
        repeats += (not again.created) and again.order.number == first.order.number
        numbers.append(first.order.number)
    db.close()
    out.put((created, repeats, refused, numbers))


def run_devices(target: Any, args_for: list[tuple[Any, ...]]) -> list[Any]:
    """Start one process per device, let them all begin at once, collect what each reports."""
    ctx = mp.get_context("spawn")
    ready, go, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, ready, go, out)) for a in args_for]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    go.set()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a device failed (exit code {p.exitcode})")
    return results


def disk_flush(folder: Path, n: int = 200) -> str:
    """What one flush of the disk under ``folder`` costs now (fdatasync of a 4 KiB write, as a commit
    with synchronous=FULL makes): SQLite FULL's orders/s follow it."""
    path = folder / "flush-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    times = []
    try:
        for i in range(n):
            os.pwrite(fd, os.urandom(4096), (i % 16) * 4096)
            t = time.perf_counter()
            os.fdatasync(fd)
            times.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        path.unlink()
    return (
        f"disk flush (fdatasync, 4 KiB) under {folder.parent}: median {statistics.median(times) * 1000:.2f} ms, "
        f"p95 {p95(times) * 1000:.2f} ms, max {max(times) * 1000:.1f} ms; load average {os.getloadavg()[0]:.1f}"
    )


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


KINDS = ("sqlite", "sqlite-normal", "postgresql")


def new_store(kind: str, tmpdir: Path, cluster: pg_cluster.Cluster | None, pg_url: str | None, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmpdir / name}.db"
    if kind == "sqlite-normal":
        return f"sqlite:///{tmpdir / name}-normal.db?synchronous=normal"
    if pg_url:
        return pg_url
    assert cluster is not None
    return cluster.new_database(name)


def bench_orders(
    url: str, label: str, shop: Path, orders: int, devices: list[int], no_sync: bool, cluster: pg_cluster.Cluster | None
) -> None:
    with Database(url) as db:
        ShopRepository(db).load(load_shop_folder(shop))
    for n in devices:
        per = max(1, orders // n)
        load = os.getloadavg()[0]
        server = server_cpu_seconds(cluster)
        results = run_devices(device, [(url, per, f"d{n}-{i}", 1000, no_sync) for i in range(n)])
        after = server_cpu_seconds(cluster)
        wall = max(r[1] for r in results) - min(r[0] for r in results)
        times = [t for r in results for t in r[2]]
        total = per * n
        cpu = sum(r[3] for r in results) / total * 1000
        server_ms = "" if server is None or after is None else f", server {(after - server) / total * 1000:4.2f}"
        print(
            f"{label:<13} {n} device{'s' if n > 1 else ' '}: {total:>5} orders in {wall:5.2f} s = "
            f"{total / wall:6,.0f} orders/s; checkout median {statistics.median(times) * 1000:5.2f} ms, "
            f"p95 {p95(times) * 1000:5.2f} ms, max {max(times) * 1000:6.1f} ms; "
            f"CPU per order: devices {cpu:4.2f} ms{server_ms}; load average {load:.1f}",
            flush=True,
        )


def bench_contest(url: str, shop: Path, devices: int, stock: int, tries: int) -> None:
    bundle = load_shop_folder(shop)
    from voiceshop.commerce.catalog import Product
    from voiceshop.shopfiles import ShopBundle

    limited = Product(sku="SKU-LIMITED", name="limited mug", category="gifts", price=1000, stock=stock)
    catalog = bundle.catalog.model_copy(update={"products": (*bundle.catalog.products, limited)})
    with Database(url) as db:
        ShopRepository(db).load(ShopBundle(bundle.shop, catalog, bundle.folder, bundle.files))
        backend = db.backend
    results = run_devices(
        contender,
        [
            (
                url,
                tries,
                f"c{i}",
            )
            for i in range(devices)
        ],
    )
    created = sum(r[0] for r in results)
    repeats = sum(r[1] for r in results)
    refused = sum(r[2] for r in results)
    numbers = [n for r in results for n in r[3]]
    with Database(url) as db:
        left = db.execute("SELECT stock FROM products WHERE sku = 'SKU-LIMITED'").fetchone()[0]
        sold = db.execute(
            "SELECT coalesce(sum(l.quantity), 0) FROM order_lines l WHERE l.sku = 'SKU-LIMITED'"
        ).fetchone()[0]
    ok = created == stock == sold == len(set(numbers)) and left == 0 and repeats == created
    print(
        f"{backend:<10} contest: {devices} devices x {tries} tries for {stock} in stock: {created} orders placed, "
        f"{int(sold)} sold, {left} left, {refused} refused out of stock, {repeats}/{created} retried tokens "
        f"returned the first order -> {'exactly the stock, none lost or doubled' if ok else 'WRONG'}",
        flush=True,
    )


@contextmanager
def postgres(enabled: bool, pg_url: str | None, no_sync: bool) -> Iterator[pg_cluster.Cluster | None]:
    if not enabled or pg_url:
        yield None
        return
    try:
        # durable (fsync and synchronous_commit on) unless --no-sync
        cluster = pg_cluster.start(pg_cluster.FAST if no_sync else {})
    except pg_cluster.ClusterUnavailable as exc:
        print(f"postgresql: skipped ({exc})")
        yield None
        return
    try:
        yield cluster
    finally:
        cluster.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=2000, help="orders per run, shared among the devices")
    ap.add_argument("--devices", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--products", type=int, default=100_000, help="size of the generated catalog (0: skip)")
    ap.add_argument("--pg-url", help="benchmark this PostgreSQL database instead of a throwaway cluster")
    ap.add_argument("--no-postgres", action="store_true", help="SQLite only")
    ap.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS), help="the stores to measure")
    ap.add_argument(
        "--no-sync",
        action="store_true",
        help="do not wait for the disk (SQLite synchronous=OFF, PostgreSQL fsync=off): what the code costs, "
        "not how voiceshop runs",
    )
    args = ap.parse_args()
    # a plain `kill` still stops the throwaway cluster and removes its folder (the `finally` runs)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with (
        tempfile.TemporaryDirectory(prefix="voiceshop-bench-") as tmp,
        postgres(not args.no_postgres and "postgresql" in args.only, args.pg_url, args.no_sync) as cluster,
    ):
        tmpdir = Path(tmp)
        print(disk_flush(tmpdir), flush=True)
        small = tmpdir / "small-shop"
        write_shop(small, 1000)
        kinds = [
            k
            for k in args.only
            if (k != "postgresql" or cluster is not None or args.pg_url) and not (k == "sqlite-normal" and args.no_sync)
        ]
        for kind in kinds:
            url = new_store(kind, tmpdir, cluster, args.pg_url, "orders")
            bench_orders(
                url, kind, small, args.orders, args.devices, args.no_sync, cluster if kind == "postgresql" else None
            )
        for kind in kinds:
            if (kind == "postgresql" and args.pg_url) or kind == "sqlite-normal":
                continue  # the contest needs a second, empty database; it is about locks, not the disk
            bench_contest(new_store(kind, tmpdir, cluster, None, "contest"), small, max(args.devices), 500, 200)
        if args.products <= 0:
            return

        big = tmpdir / "big-shop"
        t0 = time.perf_counter()
        write_shop(big, args.products)
        t1 = time.perf_counter()
        bundle = load_shop_folder(big)
        t2 = time.perf_counter()
        big_db = str(tmpdir / "big.db")  # SQLite: the catalog a device loads
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
