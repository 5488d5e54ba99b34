"""Webhook delivery: signed POSTs to a real local receiver, retried with backoff, then failed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from voiceshop.server.webhooks import Endpoint, OutboxEvent, WebhookWorker, backoff, sign, verify

SECRET = "s3cret"


@dataclass
class MemoryOutbox:
    events: list[OutboxEvent]
    delivered: list[int] = field(default_factory=list)

    def pending(self, limit: int) -> Sequence[OutboxEvent]:
        return [e for e in self.events if e.id not in self.delivered][:limit]

    def mark_delivered(self, event_id: int) -> None:
        self.delivered.append(event_id)


@dataclass
class Receiver:
    url: str
    got: list[tuple[str, dict[str, str], bytes]]
    fail_first: dict[str, int]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got: list[tuple[str, dict[str, str], bytes]] = []
    fail_first: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, dict(self.headers.items()), body))
            left = fail_first.get(self.path, 0)
            if left:
                fail_first[self.path] = left - 1
            self.send_response(500 if left else 204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", got, fail_first)
    finally:
        server.shutdown()
        server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def event(n: int, topic: str = "order.placed") -> OutboxEvent:
    return OutboxEvent(n, topic, json.dumps({"number": f"10000{n}"}), "2026-11-26T16:00:00+00:00")


def test_signed_delivery_with_retries(receiver: Receiver) -> None:
    clock = Clock()
    outbox = MemoryOutbox([event(1)])
    receiver.fail_first["/pos"] = 2
    worker = WebhookWorker(outbox, [Endpoint(receiver.url + "/pos", SECRET)], clock=clock)
    assert worker.run_once() == 1 and outbox.delivered == []
    assert worker.run_once() == 0  # not due before its backoff
    clock.now += backoff(1)
    assert worker.run_once() == 1 and outbox.delivered == []
    clock.now += backoff(2)
    assert worker.run_once() == 1 and outbox.delivered == [1]
    path, headers, body = receiver.got[-1]
    assert path == "/pos"
    assert json.loads(body) == {
        "id": 1,
        "topic": "order.placed",
        "created_at": "2026-11-26T16:00:00+00:00",
        "payload": {"number": "100001"},
    }
    assert headers["Voiceshop-Event-Id"] == "1" and headers["Voiceshop-Topic"] == "order.placed"
    assert verify(SECRET, headers["Voiceshop-Signature"], body, now=clock.now)
    assert not verify("other", headers["Voiceshop-Signature"], body, now=clock.now)
    assert not verify(SECRET, headers["Voiceshop-Signature"], body + b" ", now=clock.now)
    assert not verify(SECRET, headers["Voiceshop-Signature"], body, now=clock.now + 3600)  # replayed late
    assert len(receiver.got) == 3


def test_a_dead_endpoint_fails_without_holding_up_the_others(receiver: Receiver) -> None:
    clock = Clock()
    outbox = MemoryOutbox([event(1), event(2, "shop.loaded")])
    receiver.fail_first["/dead"] = 1000
    worker = WebhookWorker(
        outbox,
        [
            Endpoint(receiver.url + "/dead", SECRET),
            Endpoint(receiver.url + "/pos", SECRET, frozenset({"order.placed"})),
        ],
        max_attempts=3,
        clock=clock,
    )
    for _ in range(3):
        worker.run_once()
        clock.now += 60
    dead = worker.deliveries.get(1, receiver.url + "/dead")
    assert dead.state == "failed" and dead.attempts == 3 and dead.last_error == "HTTP 500"
    assert worker.deliveries.get(1, receiver.url + "/pos").state == "delivered"
    assert sorted(outbox.delivered) == [1, 2]
    assert [p for p, _, _ in receiver.got].count("/pos") == 1  # shop.loaded is not a topic /pos wants


def test_no_answer_is_an_error_not_a_crash() -> None:
    clock = Clock()
    outbox = MemoryOutbox([event(1)])
    worker = WebhookWorker(outbox, [Endpoint("http://127.0.0.1:9/nothing", SECRET)], max_attempts=1, clock=clock)
    worker.run_once()
    delivery = worker.deliveries.get(1, "http://127.0.0.1:9/nothing")
    assert delivery.state == "failed" and delivery.last_error.startswith("no answer")


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(40) == 3600
    assert sign("k", 1, b"{}") == sign("k", 1, b"{}") != sign("k", 2, b"{}")


def test_serve_delivers_the_stores_outbox(receiver: Receiver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An order placed on the store reaches the shop's URL, signed, while the server runs; its outbox
    event is then marked delivered (and so is not sent again)."""
    import time

    from tests.conftest import bundle
    from tests.serving import running
    from voiceshop.commerce.cart import Cart, price_item
    from voiceshop.server.app import create_app
    from voiceshop.storage import Database
    from voiceshop.storage.orders import OrderRepository
    from voiceshop.storage.outbox import OutboxRepository
    from voiceshop.storage.shops import ShopRepository

    store = tmp_path / "store.db"
    coffee = bundle("coffee-bar")
    with Database(store) as db:
        shops = ShopRepository(db)
        shops.load(coffee)
        OutboxRepository(db).mark_delivered(OutboxRepository(db).pending()[0].id)  # the shop.loaded event: old news
    app = create_app(store, tmp_path / "tokens.json", webhooks=[Endpoint(f"{receiver.url}/orders", SECRET)])
    with running(app):
        with Database(store) as db:
            cart = Cart().add(price_item(coffee.catalog, "BAK-BAGEL", [], 1))
            number = OrderRepository(db).place(ShopRepository(db).resolve("coffee-bar"), cart, token="w1").order.number
        deadline = time.monotonic() + 15
        while not receiver.got and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.got, "the order event never arrived"
        path, headers, body = receiver.got[0]
        assert path == "/orders" and headers["Voiceshop-Topic"] == "order.placed"
        assert verify(SECRET, headers["Voiceshop-Signature"], body, now=time.time())
        assert json.loads(body)["payload"]["number"] == number
        while time.monotonic() < deadline:
            with Database(store) as db:
                if not OutboxRepository(db).pending():
                    break
            time.sleep(0.1)
        with Database(store) as db:
            assert OutboxRepository(db).pending() == []
    assert len(receiver.got) == 1
