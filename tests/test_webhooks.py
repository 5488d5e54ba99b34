"""Webhook delivery: signed POSTs to a real local receiver, retried with backoff, failed, replayed;
the delivery state kept in the store (both back ends), so it survives a restart and a killed server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, bundle
from voiceshop.server.webhooks import Endpoint, WebhookWorker, backoff, sign, verify
from voiceshop.storage import Database
from voiceshop.storage.deliveries import DeliveryNotFound, DeliveryPending, DeliveryRepository
from voiceshop.storage.outbox import OutboxRepository
from voiceshop.storage.shops import ShopRepository

SECRET = "s3cret"


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that checks every signature it gets, as a shop's POS would."""

    url: str
    got: list[tuple[str, dict[str, str], bytes]]
    fail_first: dict[str, int]
    bad_signatures: list[bytes] = field(default_factory=list)
    delay: float = 0.0

    def accepted(self, path: str) -> list[dict[str, object]]:
        """The events answered 2xx at ``path``, in order."""
        return [json.loads(body) for p, headers, body in self.got if p == path and headers.get("X-Answered") == "2xx"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got: list[tuple[str, dict[str, str], bytes]] = []
    rec = Receiver("", got, {})
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if not verify(SECRET, self.headers.get("Voiceshop-Signature", ""), body, now=time.time()):
                rec.bad_signatures.append(body)
                self.send_response(401)
                self.end_headers()
                return
            if rec.delay:
                time.sleep(rec.delay)
            with lock:
                left = rec.fail_first.get(self.path, 0)
                if left:
                    rec.fail_first[self.path] = left - 1
                headers = dict(self.headers.items())
                headers["X-Answered"] = "500" if left else "2xx"
                got.append((self.path, headers, body))
            self.send_response(500 if left else 204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def opener(url: str) -> Callable[[], AbstractContextManager[Database]]:
    @contextmanager
    def open_store() -> Iterator[Database]:
        db = Database(url)
        try:
            yield db
        finally:
            db.close()

    return open_store


def store_with_events(url: str, n: int, *topics: str) -> list[int]:
    """A store holding ``n`` outbox events of "order.placed" (then one of each of ``topics``), as
    placing orders writes them; the shop's own event is already delivered. Their ids."""
    with Database(url) as db:
        ShopRepository(db).load(bundle("coffee-bar"))
        for row in OutboxRepository(db).pending():
            OutboxRepository(db).mark_delivered(row.id)
        with db.transaction() as c:
            for i, topic in enumerate(["order.placed"] * n + list(topics)):
                c.execute(
                    "INSERT INTO outbox (topic, payload_json, created_at) VALUES (?, ?, ?)",
                    (topic, json.dumps({"number": f"{100000 + i}"}), "2026-11-26T16:00:00+00:00"),
                )
        return [r.id for r in OutboxRepository(db).pending()]


def test_signed_delivery_retried_with_backoff_across_a_restart(store_url: str, receiver: Receiver) -> None:
    """At least once across a receiver that fails, then recovers; attempts and backoff are kept in the
    store, so a new worker (a restarted server) continues where the first stopped."""
    [event_id] = store_with_events(store_url, 1)
    clock = Clock()
    receiver.fail_first["/pos"] = 2
    endpoint = Endpoint(receiver.url + "/pos", SECRET)
    first = WebhookWorker(opener(store_url), [endpoint], clock=clock, owner="first")
    assert first.run_once() == 1
    assert first.run_once() == 0  # not due before its backoff
    second = WebhookWorker(opener(store_url), [endpoint], clock=clock, owner="second")  # restarted
    assert second.run_once() == 0  # the backoff was kept
    clock.now += backoff(1)
    assert second.run_once() == 1
    with Database(store_url) as db:
        [row] = DeliveryRepository(db).list()
        assert (row.state, row.attempts, row.last_error) == ("pending", 2, "HTTP 500")
        assert OutboxRepository(db).pending()  # not settled yet
    clock.now += backoff(2)
    assert second.run_once() == 1
    with Database(store_url) as db:
        [row] = DeliveryRepository(db).list()
        assert (row.state, row.attempts, row.last_error) == ("delivered", 3, "")
        assert row.delivered_at is not None
        assert OutboxRepository(db).pending() == []
    assert second.run_once() == 0
    _, headers, body = receiver.got[-1]
    assert json.loads(body) == {
        "id": event_id,
        "topic": "order.placed",
        "created_at": "2026-11-26T16:00:00+00:00",
        "payload": {"number": "100000"},
    }
    assert headers["Voiceshop-Event-Id"] == str(event_id) and headers["Voiceshop-Topic"] == "order.placed"
    assert not receiver.bad_signatures and len(receiver.got) == 3


def test_signatures_tell_a_forgery_and_a_late_replay() -> None:
    body = b'{"id": 1}'
    header = sign(SECRET, 1_800_000_000, body)
    assert verify(SECRET, header, body, now=1_800_000_010)
    assert not verify("other", header, body, now=1_800_000_010)
    assert not verify(SECRET, header, body + b" ", now=1_800_000_010)
    assert not verify(SECRET, header, body, now=1_800_003_600)  # replayed late
    assert not verify(SECRET, "t=x,v1=y", body, now=1_800_000_000) and not verify(SECRET, "", body, now=0)
    assert [backoff(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8] and backoff(40) == 3600


def test_a_dead_endpoint_fails_is_listed_and_replayed(store_url: str, receiver: Receiver) -> None:
    """A dead endpoint fails after its attempts without holding up the others; staff see the failure
    and replay it once the endpoint is back, and the event is then delivered."""
    [placed, loaded] = store_with_events(store_url, 1, "shop.loaded")
    clock = Clock()
    receiver.fail_first["/dead"] = 1000
    dead = Endpoint(receiver.url + "/dead", SECRET)
    pos = Endpoint(receiver.url + "/pos", SECRET, frozenset({"order.placed"}))
    worker = WebhookWorker(opener(store_url), [dead, pos], max_attempts=3, clock=clock)
    for _ in range(4):
        worker.run_once()
        clock.now += 60
    with Database(store_url) as db:
        repo = DeliveryRepository(db)
        failed = repo.list("failed")
        assert {(d.event_id, d.url, d.attempts, d.last_error) for d in failed} == {
            (placed, dead.url, 3, "HTTP 500"),
            (loaded, dead.url, 3, "HTTP 500"),
        }
        assert [(d.event_id, d.url) for d in repo.list("delivered")] == [(placed, pos.url)]
        assert repo.counts() == {"pending": 0, "delivered": 1, "failed": 2}
        assert OutboxRepository(db).pending() == []  # settled: delivered or failed everywhere
        with pytest.raises(DeliveryNotFound, match="no webhook delivery 999"):
            repo.replay(999, now=clock.now)
        receiver.fail_first["/dead"] = 0
        again = repo.replay(failed[0].id, now=clock.now)
        assert (again.state, again.attempts) == ("pending", 0)
        with pytest.raises(DeliveryPending, match="still pending"):
            repo.replay(failed[0].id, now=clock.now)
        assert len(OutboxRepository(db).pending()) == 1  # back in flight
        assert repo.replay_failed(now=clock.now) == [failed[1].id]
    assert worker.run_once() == 2
    with Database(store_url) as db:
        assert DeliveryRepository(db).counts() == {"pending": 0, "delivered": 3, "failed": 0}
        assert OutboxRepository(db).pending() == []
    assert sorted(e["id"] for e in receiver.accepted("/dead")) == [placed, loaded]
    assert [e["id"] for e in receiver.accepted("/pos")] == [placed]  # shop.loaded is not a topic /pos wants


def test_no_answer_is_an_error_not_a_crash(store_url: str) -> None:
    store_with_events(store_url, 1)
    nowhere = Endpoint("http://127.0.0.1:9/nothing", SECRET)
    WebhookWorker(opener(store_url), [nowhere], max_attempts=1).run_once()
    with Database(store_url) as db:
        [row] = DeliveryRepository(db).list()
    assert row.state == "failed" and row.last_error.startswith("no answer")


def test_two_workers_on_one_store_never_post_the_same_event_twice(store_url: str, receiver: Receiver) -> None:
    """Two servers sharing a store: each delivery is claimed by one of them (a guarded UPDATE)."""
    events = store_with_events(store_url, 24)
    receiver.delay = 0.005  # a POST takes a moment, so the workers' rounds overlap
    endpoint = Endpoint(receiver.url + "/pos", SECRET)

    def work(owner: str) -> None:
        worker = WebhookWorker(opener(store_url), [endpoint], owner=owner, batch=3)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            worker.run_once()
            with Database(store_url) as db:
                if not OutboxRepository(db).pending():
                    return

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [e["id"] for e in receiver.accepted("/pos")]
    assert sorted(ids) == events  # every event once, none twice


def test_a_claim_waits_for_a_rival_claim_and_then_takes_nothing(store_url: str) -> None:
    """The race itself: while one worker's claim is not yet committed, a second worker's claim of the
    same rows waits for it, then finds them taken (on PostgreSQL: the guarded UPDATE re-checks the row
    after the lock; SQLite's writers take turns)."""
    store_with_events(store_url, 2)
    urls = ["http://127.0.0.1:9/pos"]
    now = time.time()
    rival: list[object] = []

    def claim_too() -> None:
        with Database(store_url) as second:  # its own connection, on its own thread
            rival.append(DeliveryRepository(second).claim(urls, owner="second", now=now, lease=60))

    with Database(store_url) as first:
        DeliveryRepository(first).enqueue([(urls[0], frozenset())], now=now)
        with first.transaction():
            mine = DeliveryRepository(first).claim(urls, owner="first", now=now, lease=60)
            thread = threading.Thread(target=claim_too)
            thread.start()
            time.sleep(0.5)  # the rival is now waiting for the first claim's transaction
            assert not rival
        thread.join(20)
    assert len(mine) == 2 and rival == [[]]


def test_serve_delivers_the_stores_outbox(receiver: Receiver, tmp_path: Path) -> None:
    """An order placed on the store reaches the shop's URL, signed, while the server runs; its outbox
    event is then marked delivered (and so is not sent again)."""
    from tests.serving import running
    from voiceshop.commerce.cart import Cart, price_item
    from voiceshop.server.app import create_app
    from voiceshop.storage.orders import OrderRepository

    store = str(tmp_path / "store.db")
    store_with_events(store, 0)
    app = create_app(store, tmp_path / "tokens.json", webhooks=[Endpoint(f"{receiver.url}/orders", SECRET)])
    with running(app):
        with Database(store) as db:
            cart = Cart().add(price_item(bundle("coffee-bar").catalog, "BAK-BAGEL", [], 1))
            number = OrderRepository(db).place(ShopRepository(db).resolve("coffee-bar"), cart, token="w1").order.number
        wait_for(lambda: not _pending(store) and receiver.got, "the order event never arrived")
    [(path, headers, body)] = receiver.got
    assert path == "/orders" and headers["Voiceshop-Topic"] == "order.placed"
    assert json.loads(body)["payload"]["number"] == number


def _attempted(store: str) -> int:
    with Database(store) as db:
        return sum(d.attempts >= 1 for d in DeliveryRepository(db).list())


def _pending(store: str) -> list[object]:
    with Database(store) as db:
        return list(OutboxRepository(db).pending())


def wait_for(done: Callable[[], object], message: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)


def _serve(store: str, receiver: Receiver, tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "VOICESHOP_LOG_DIR": str(tmp_path)}
    return subprocess.Popen(
        [sys.executable, "-m", "voiceshop", "--db", store, "serve", "--port", "0",
         "--token-file", str(tmp_path / "tokens.json"),
         "--webhook", receiver.url + "/pos", "--webhook-secret", SECRET],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_a_killed_server_resumes_delivery_on_start(store_url: str, receiver: Receiver, tmp_path: Path) -> None:
    """A real ``voiceshop serve`` is SIGKILLed while its events are still pending (the receiver
    failing); started again, it delivers them, its attempts counted on from before the kill."""
    events = store_with_events(store_url, 3)
    receiver.fail_first["/pos"] = 10_000
    server = _serve(store_url, receiver, tmp_path)
    try:
        # every event tried and its attempt written down (a request the receiver got is not yet counted)
        wait_for(lambda: _attempted(store_url) == len(events), "the first server never tried to deliver")
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(10)
    with Database(store_url) as db:
        before = {d.event_id: d.attempts for d in DeliveryRepository(db).list()}
        assert all(d.state == "pending" for d in DeliveryRepository(db).list())
    assert sorted(before) == events and min(before.values()) >= 1
    receiver.fail_first["/pos"] = 0
    server = _serve(store_url, receiver, tmp_path)
    try:
        wait_for(lambda: not _pending(store_url), "the restarted server did not deliver the pending events")
    finally:
        server.terminate()
        server.wait(10)
    assert sorted(e["id"] for e in receiver.accepted("/pos")) == events
    with Database(store_url) as db:
        after = {d.event_id: d.attempts for d in DeliveryRepository(db).list("delivered")}
    assert all(after[e] > before[e] for e in events)  # attempts carried on across the kill
    assert not receiver.bad_signatures


def _failed_store(url: str, receiver: Receiver, n: int = 2) -> list[int]:
    """A store whose ``n`` events failed to reach ``receiver``/pos (one attempt each); their delivery ids."""
    store_with_events(url, n)
    receiver.fail_first["/pos"] = n
    WebhookWorker(opener(url), [Endpoint(receiver.url + "/pos", SECRET)], max_attempts=1).run_once()
    with Database(url) as db:
        return [d.id for d in DeliveryRepository(db).list("failed", newest_first=False)]


def test_staff_api_lists_and_replays_failed_deliveries(receiver: Receiver, tmp_path: Path) -> None:
    import httpx

    from tests.serving import running
    from voiceshop.server.app import create_app
    from voiceshop.server.auth import StaffTokens

    store = str(tmp_path / "store.db")
    first, second = _failed_store(store, receiver)
    tokens = tmp_path / "tokens.json"
    token = StaffTokens(tokens).add("Sam")
    app = create_app(store, tokens, webhooks=[Endpoint(receiver.url + "/pos", SECRET)])
    auth = {"Authorization": f"Bearer {token}"}
    with running(app) as url, httpx.Client(base_url=url + "/api/v1", headers=auth) as api:
        page = api.get("/webhooks/deliveries", params={"state": "failed", "limit": 1}).json()
        assert [d["id"] for d in page["items"]] == [second] and page["next_offset"] == 1
        assert page["counts"] == {"pending": 0, "delivered": 0, "failed": 2}
        failed = page["items"][0]
        assert failed["state"] == "failed" and failed["last_error"] == "HTTP 500" and failed["url"].endswith("/pos")
        for resp in (api.get("/webhooks/deliveries/999"), api.post("/webhooks/deliveries/999/replay")):
            assert resp.status_code == 404 and resp.headers["content-type"].startswith("application/problem+json")
            assert resp.json()["code"] == "not_found" and "no webhook delivery 999" in resp.json()["detail"]
        bad = api.get("/webhooks/deliveries", params={"state": "lost"})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
        assert httpx.get(url + "/api/v1/webhooks/deliveries").status_code == 401  # staff only
        replayed = api.post(f"/webhooks/deliveries/{first}/replay")
        assert replayed.status_code == 200 and replayed.json()["state"] in ("pending", "delivered")
        wait_for(lambda: api.get(f"/webhooks/deliveries/{first}").json()["state"] == "delivered", "never redelivered")
        again = api.post(f"/webhooks/deliveries/{first}/replay")  # a delivered one may be sent again
        assert again.status_code == 200
        wait_for(lambda: api.get(f"/webhooks/deliveries/{first}").json()["state"] == "delivered", "never redelivered")
        assert api.get(f"/webhooks/deliveries/{second}").json()["state"] == "failed"  # not replayed: left alone
        doc = httpx.get(url + "/api/v1/openapi.json").json()
    assert set(doc["paths"]["/api/v1/webhooks/deliveries"]) == {"get"}
    assert "404" in doc["paths"]["/api/v1/webhooks/deliveries/{delivery_id}/replay"]["post"]["responses"]
    accepted = receiver.accepted("/pos")
    assert len(accepted) == 2 and {e["id"] for e in accepted} == {accepted[0]["id"]}  # the replayed event, twice


def test_cli_lists_and_replays(vs, receiver: Receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = str(tmp_path / "cli.db")  # the store the vs fixture uses
    assert "no webhook deliveries yet" in vs("webhooks", "list")
    first, second = _failed_store(store, receiver)
    with socket.socket() as taken:  # serve stops at the busy port, after its warnings
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        out = vs("serve", "--port", port, "--webhook", receiver.url + "/pos", "--webhook-secret", SECRET, code=1)
    assert "2 webhook deliveries failed earlier: `voiceshop webhooks list --failed`" in out
    out = vs("webhooks", "list", "--failed")
    assert "HTTP 500" in out and out.count("failed") >= 2 and receiver.url in out
    listed = json.loads(vs("webhooks", "list", "--state", "failed", "--json"))
    assert [d["id"] for d in listed] == [second, first] and listed[0]["attempts"] == 1
    assert "no pending webhook deliveries" in vs("webhooks", "list", "--state", "pending")
    assert "not a state" in vs("webhooks", "list", "--state", "lost", code=2)
    assert "no webhook delivery 999" in vs("webhooks", "replay", "999", code=1)
    assert "give a delivery ID or --all-failed" in vs("webhooks", "replay", code=2)
    assert "give a delivery ID or --all-failed" in vs("webhooks", "replay", str(first), "--all-failed", code=2)
    assert f"delivery {first} " in vs("webhooks", "replay", str(first))
    assert "still pending" in vs("webhooks", "replay", str(first), code=1)
    assert f"1 failed deliveries are queued again: {second}" in vs("webhooks", "replay", "--all-failed")
    assert "no failed webhook deliveries to replay" in vs("webhooks", "replay", "--all-failed")
    assert json.loads(vs("webhooks", "list", "--json", "--state", "pending"))[0]["attempts"] == 0
