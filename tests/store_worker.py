"""A separate process that places orders, for the concurrency and crash tests.

    python -m tests.store_worker checkout DB TOKEN_PREFIX COUNT
    python -m tests.store_worker hang DB MARKER      (stops for good inside the checkout transaction)
    python -m tests.store_worker loop DB PREFIX      (orders until killed)

Prints one JSON line of counts when it finishes.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from voiceshop.commerce.cart import Cart, price_item
from voiceshop.errors import OutOfStock
from voiceshop.storage import Database
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.shops import ShopRepository

SKU = "STRESS-1"


def main(argv: list[str]) -> None:
    mode, db_path = argv[0], argv[1]
    db = Database(db_path)
    shops = ShopRepository(db)
    stored = shops.resolve("stress")
    cart = Cart().add(price_item(shops.catalog(stored), SKU, (), 1))
    orders = OrderRepository(db)
    if mode == "checkout":
        prefix, n = argv[2], int(argv[3])
        created = repeated = out = 0
        for i in range(n):
            try:
                r = orders.place(stored, cart, token=f"{prefix}-{i}")
                created += r.created
                repeated += not r.created
            except OutOfStock:
                out += 1
        print(json.dumps({"created": created, "repeated": repeated, "out_of_stock": out}))
    elif mode == "hang":
        marker = Path(argv[2])
        real = OrderRepository._event

        def event_then_hang(*args: object) -> None:
            real(*args)  # type: ignore[arg-type]
            marker.write_text("inside the transaction")  # stock, order and lines are written, not committed
            time.sleep(3600)

        OrderRepository._event = staticmethod(event_then_hang)  # type: ignore[method-assign,assignment]
        orders.place(stored, cart, token="hang-1")
    elif mode == "loop":
        i = 0
        while True:
            try:
                orders.place(stored, cart, token=f"{argv[2]}-{i}")
            except OutOfStock:
                return
            if i == 0:
                print("placing", flush=True)  # the first order is in: the test may kill at any moment now
            i += 1


if __name__ == "__main__":
    main(sys.argv[1:])
