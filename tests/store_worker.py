"""A separate process that places orders, for the concurrency and crash tests.

    python -m tests.store_worker checkout DB TOKEN_PREFIX COUNT [GO]   (DB: a file or a database URL;
                                                     waits for the file GO to exist before ordering)
    python -m tests.store_worker hang DB MARKER      (stops for good inside the checkout transaction)
    python -m tests.store_worker loop DB PREFIX      (orders until killed)

Prints one JSON line of counts when it finishes.
"""

from __future__ import annotations

import json
import os
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
        if len(argv) > 4:  # all the devices start at once, so they send the same tokens at the same moment
            go = Path(argv[4])
            Path(f"{go}.{os.getpid()}").touch()
            while not go.exists():
                time.sleep(0.001)
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
        # the checkout joins this outer transaction: all its writes (stock, order, lines, event, outbox)
        # are made, and nothing is committed
        with db.transaction():
            orders.place(stored, cart, token="hang-1")
            marker.write_text("inside the transaction")
            time.sleep(3600)
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
