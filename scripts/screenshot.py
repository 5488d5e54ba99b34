"""Write docs/board.png: the staff order board with a few orders, as headless Chromium shows it.

Run on demand, not by the tests (from the repository, after `bash scripts/setup.sh`):

    .venv/bin/python scripts/screenshot.py [--out docs/board.png] [--width 1520] [--height 540]

It starts `voiceshop serve` on a free port of 127.0.0.1 with a fresh store holding the bundled coffee
bar, places a few orders the way they arrive in a shop (a shopper in the web chat's conversation
endpoint, a POS over the staff API), moves some along, signs in at /board and takes the picture.
Nothing is downloaded: the browser is Debian's chromium, driven by playwright.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chromium import CHROMIUM, launch  # noqa: E402  # after the path set-up above

# (who, items as the staff API takes them, delivery, how many steps along)
COUNTER_ORDERS: list[tuple[str | None, list[dict[str, Any]], str, int]] = [
    (
        "Anna",
        [
            {"sku": "DRK-CAPPUCCINO", "options": [{"group": "size", "choice": "medium"}]},
            {"sku": "BAK-CROISSANT"},
        ],
        "pickup",
        2,
    ),
    (
        None,
        [
            {
                "sku": "DRK-ICED-MOCHA",
                "quantity": 2,
                "options": [{"group": "size", "choice": "large"}, {"group": "shots", "choice": "double shot"}],
            }
        ],
        "pickup",
        1,
    ),
    (
        "Ben",
        [
            {"sku": "DRK-AMERICANO", "options": [{"group": "size", "choice": "small"}]},
            {"sku": "BAK-BAGEL", "quantity": 2},
        ],
        "standard",
        0,
    ),
]
SHOPPER = ["two large lattes with almond milk and a blueberry muffin", "that's all", "i'll pick it up", "yes"]


def voiceshop(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "voiceshop", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"voiceshop {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "voiceshop", "serve", "--port", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        match = re.search(r"on (http://127\.0\.0\.1:\d+)/api/v1", proc.stdout.readline())
        if match is None:
            sys.exit("voiceshop serve did not start")
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def place_orders(url: str, token: str) -> None:
    staff = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    with staff:
        for customer, items, delivery, steps in COUNTER_ORDERS:
            body = {"shop": "coffee-bar", "items": items, "delivery": delivery, "customer": customer}
            placed = staff.post("/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
            placed.raise_for_status()
            number, tag = placed.json()["number"], placed.headers["ETag"]
            for _ in range(steps):
                moved = staff.post(f"/orders/{number}/advance", headers={"If-Match": tag})
                moved.raise_for_status()
                tag = moved.headers["ETag"]
    shopper = httpx.Client(base_url=f"{url}/api/v1", timeout=60)  # no token: the web chat's side
    with shopper:
        for text in SHOPPER:  # the newest: a shopper in the web chat
            said = shopper.post("/conversations/screenshot/turns?shop=coffee-bar", json={"text": text})
            said.raise_for_status()
        if "Your order is placed" not in said.json()["replies"][-1]["text"]:
            sys.exit(f"the shopper's order was not placed: {said.json()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "board.png")
    parser.add_argument("--width", type=int, default=1520)
    parser.add_argument("--height", type=int, default=540)
    args = parser.parse_args()
    if CHROMIUM is None:
        sys.exit("no Chromium found; install it with `apt-get install chromium` (scripts/setup.sh does)")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "VOICESHOP_DB": f"{tmp}/store.db", "VOICESHOP_TOKEN_FILE": f"{tmp}/staff.json"}
        voiceshop(env, "shop", "load", str(ROOT / "examples" / "coffee-bar"))
        voiceshop(env, "customers", "add", "Anna")
        voiceshop(env, "customers", "add", "Ben")
        token = voiceshop(env, "staff", "add", "Sam").strip()
        with serving(env) as url, sync_playwright() as playwright:
            place_orders(url, token)
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(f"{url}/board")
            page.get_by_label("Staff token").fill(token)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#orders li.order")).to_have_count(len(COUNTER_ORDERS) + 1)
            expect(page.locator("#live")).to_have_text(re.compile(r"^Live"))
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
