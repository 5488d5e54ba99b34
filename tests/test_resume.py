"""A conversation killed mid-way and resumed in a new process keeps its cart; no order is stored twice.

Real processes and real kills: the chat command is SIGKILLed while waiting for the shopper, and a
worker process dies (os._exit) inside the checkout transaction and right after its commit. The kill
of the session runs against both back ends (a SQLite file, a PostgreSQL database); the checkout crashes
run against SQLite here (each takes several processes) and against both in test_concurrency.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from voiceshop.storage import Database
from voiceshop.storage.orders import OrderRepository

ROOT = Path(__file__).resolve().parent.parent
SHOP = str(ROOT / "examples" / "coffee-bar")


def env(db: str) -> dict[str, str]:
    return {**os.environ, "VOICESHOP_DB": db, "PYTHONPATH": str(ROOT)}


def chat(db: str, *lines: str) -> str:
    """A scripted chat in a new process; its printed transcript."""
    done = subprocess.run(
        [sys.executable, "-m", "voiceshop", "chat", "--shop", SHOP, "--device", "kiosk"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env(db),
        timeout=120,
        check=True,
    )
    return done.stdout


def orders(db: str) -> int:
    with Database(db) as d:
        return len(OrderRepository(d).list())


def test_chat_killed_while_waiting_keeps_the_cart(store_url: str) -> None:
    db = store_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "voiceshop", "chat", "--shop", SHOP, "--device", "kiosk"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env(db),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("two large lattes\na croissant\n")
    proc.stdin.flush()
    seen = ""
    while "Added one croissant" not in seen:
        line = proc.stdout.readline()
        assert line, f"chat ended early: {seen}"
        seen += line
    proc.send_signal(signal.SIGKILL)  # no clean exit: whatever is stored is what a crash leaves
    proc.wait(timeout=30)
    resumed = chat(db, "what's in my cart", "checkout", "pick up", "yes")
    assert "You have two large lattes and one croissant." in resumed
    assert "Your order is placed," in resumed
    assert orders(db) == 1


WORKER = textwrap.dedent(
    """
    import os, sys
    from voiceshop.storage import Database
    from voiceshop.runtime import Assistant
    from voiceshop.runtime.shops import open_shop
    from voiceshop.storage.orders import OrderRepository
    import voiceshop.runtime.assistant as assistant

    where = sys.argv[1]
    db = Database(os.environ["VOICESHOP_DB"])
    slug = open_shop(db, sys.argv[2])
    if where == "in-transaction":
        place = OrderRepository.place
        def dying_place(self, *args, **kwargs):
            place(self, *args, **kwargs)
            os._exit(3)  # the order rows are written but not committed
        OrderRepository.place = dying_place
    elif where == "after-commit":
        settle = assistant.Assistant._settle
        def dying_settle(self, *args, **kwargs):
            settle(self, *args, **kwargs)
            os._exit(3)  # committed, but the shopper never heard the order number
        assistant.Assistant._settle = dying_settle
    a = Assistant(db, slug, device="kiosk")
    for reply in a.hear("yes"):
        print(reply.text)
    """
)


def crash(db: str, where: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, where, SHOP], capture_output=True, text=True, env=env(db), timeout=120
    )
    return done.returncode


def test_crash_inside_the_checkout_transaction_then_yes_again_orders_once(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    chat(db, "a small mocha", "checkout", "pick up")
    assert crash(db, "in-transaction") == 3
    assert orders(db) == 0  # rolled back: no half-written order
    again = chat(db, "yes")  # the question survived the crash: the same checkout token is used
    assert "Your order is placed," in again
    assert orders(db) == 1
    assert "yes to what" in chat(db, "yes")
    assert orders(db) == 1


def test_crash_after_the_commit_never_orders_twice(tmp_path: Path) -> None:
    db = str(tmp_path / "store.db")
    chat(db, "a small mocha", "checkout", "pick up")
    assert crash(db, "after-commit") == 3
    assert orders(db) == 1
    later = chat(db, "yes", "where is my order")
    assert "yes to what" in later.lower()
    assert "is placed and waiting to be confirmed" in later
    assert orders(db) == 1
