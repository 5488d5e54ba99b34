"""Webhooks: the store's outbox events POSTed to the shop's own URLs, signed, retried, recorded.

The store writes an outbox event in the same transaction as each change (``order.placed`` with the
order, ``order.status`` with number, status and the status before, ``shop.loaded``,
``callback.requested``). This worker delivers each event to every endpoint that wants its topic:

- the body is the event as JSON: ``{"id", "topic", "created_at", "payload"}``;
- ``Voiceshop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the shared
  secret>`` lets the receiver check it came from this shop and is fresh (refuse old ``t``);
- ``Voiceshop-Event-Id`` lets the receiver ignore an event it already has (delivery is at least once);
- a 2xx answer is delivered; anything else (or no answer) is tried again after 1, 2, 4 ... seconds
  (at most ``MAX_BACKOFF``), and after ``max_attempts`` the delivery is failed, with its last error.

Delivery state lives in the store (``storage.deliveries``: one row per event and endpoint URL), so
attempts and backoff continue across a restart, and a server killed with events pending delivers
them when started again. Each round the worker makes the rows for new events, claims the due ones
(two servers on one PostgreSQL store never post the same delivery at once), posts them and records
each outcome; an outbox event is marked delivered once every endpoint that wants it has it
delivered or failed. ``voiceshop webhooks list --failed`` and ``replay`` (or the staff API) show
failures and put them back in the queue.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from voiceshop.errors import VoiceshopError
from voiceshop.storage import Database
from voiceshop.storage.deliveries import Delivery, DeliveryRepository, this_process

MAX_BACKOFF = 3600.0
TIMEOUT = 10.0


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    topics: frozenset[str] = frozenset()
    """Topics this endpoint wants; empty: every topic."""

    def wants(self, topic: str) -> bool:
        return not self.topics or topic in self.topics


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Voiceshop-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: float = 300.0) -> bool:
    """What a receiver does: the signature matches and is not older than ``tolerance`` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def backoff(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed tries: 1, 2, 4, ... up to ``MAX_BACKOFF``."""
    return float(min(MAX_BACKOFF, 2 ** max(0, attempts - 1)))


def post(url: str, body: bytes, headers: dict[str, str]) -> str | None:
    """POST ``body``; None when the endpoint answered 2xx, else what went wrong."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # the URLs come from the operator
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"no answer: {getattr(exc, 'reason', exc)}"
    return None if 200 <= status < 300 else f"HTTP {status}"


OpenStore = Callable[[], AbstractContextManager[Database]]
"""Opens the store for one step: the worker runs on its own thread, and a SQLite connection belongs
to the thread that opened it."""


def run_in_background(worker: WebhookWorker, stop: threading.Event, every: float = 1.0) -> threading.Thread:
    """Deliver what is due every ``every`` seconds until ``stop`` is set; a failing round is retried.
    Claims left by a killed server on this machine are released first; the worker's own are released
    when it stops."""

    def loop() -> None:
        started = False
        while not stop.is_set():
            try:
                if not started:
                    worker.start()
                    started = True
                if worker.run_once() >= worker.batch:
                    continue  # more may be due: no pause between full batches
            except VoiceshopError as exc:  # the store busy or gone for a moment: the next round retries
                worker.last_error = str(exc)
            stop.wait(every)
        with contextlib.suppress(VoiceshopError):  # unreleased claims expire by themselves
            worker.stop()

    thread = threading.Thread(target=loop, name="voiceshop-webhooks", daemon=True)
    thread.start()
    return thread


def event_body(delivery: Delivery) -> bytes:
    """What is posted: the event as JSON."""
    return json.dumps(
        {
            "id": delivery.event_id,
            "topic": delivery.topic,
            "created_at": delivery.event_created_at,
            "payload": json.loads(delivery.payload_json),
        },
        sort_keys=True,
    ).encode()


class WebhookWorker:
    def __init__(
        self,
        open_store: OpenStore,
        endpoints: Sequence[Endpoint],
        *,
        max_attempts: int = 8,
        clock: Callable[[], float] = time.time,
        send: Callable[[str, bytes, dict[str, str]], str | None] = post,
        owner: str | None = None,
        batch: int = 10,
    ) -> None:
        self.open_store = open_store
        self.endpoints = {e.url: e for e in endpoints}  # one endpoint per URL: the store keys deliveries by URL
        self.max_attempts = max_attempts
        self.clock = clock
        self.send = send
        self.owner = owner or this_process()
        self.batch = batch
        self.lease = batch * (TIMEOUT + 2) + 30
        """Seconds a claim lasts: long enough to post the whole batch, each POST waiting at most TIMEOUT."""
        self.last_error = ""

    def wanting(self, topic: str) -> list[str]:
        """The URLs that want ``topic``."""
        return [url for url, e in self.endpoints.items() if e.wants(topic)]

    def start(self) -> int:
        """Release the claims of this machine's dead servers (killed mid-delivery); how many."""
        with self.open_store() as db:
            return DeliveryRepository(db).release_dead()

    def stop(self) -> int:
        """Give back this worker's claims, so another server need not wait them out."""
        with self.open_store() as db:
            return DeliveryRepository(db).release(self.owner)

    def run_once(self) -> int:
        """Try every delivery that is due (up to ``batch``); returns how many POSTs were made.

        The store stays open for the round (no transaction is held while posting)."""
        now = self.clock()
        with self.open_store() as db:
            repo = DeliveryRepository(db)
            repo.enqueue([(url, e.topics) for url, e in self.endpoints.items()], now=now)
            if all(e.topics for e in self.endpoints.values()):
                # events no endpoint wants are settled as they are
                for event_id in repo.unwanted(sorted({t for e in self.endpoints.values() for t in e.topics})):
                    repo.settle(event_id, [], now=now)
            claimed = repo.claim(list(self.endpoints), owner=self.owner, now=now, lease=self.lease, limit=self.batch)
            for delivery in claimed:
                self._attempt(repo, delivery)
        return len(claimed)

    def _attempt(self, repo: DeliveryRepository, delivery: Delivery) -> None:
        endpoint = self.endpoints[delivery.url]
        body = event_body(delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "voiceshop-webhooks",
            "Voiceshop-Event-Id": str(delivery.event_id),
            "Voiceshop-Topic": delivery.topic,
            "Voiceshop-Signature": sign(endpoint.secret, int(self.clock()), body),
        }
        error = self.send(endpoint.url, body, headers)
        now = self.clock()
        with repo.db.transaction():
            done = repo.record(
                delivery.id,
                owner=self.owner,
                now=now,
                error=error,
                retry_at=now + backoff(delivery.attempts + 1),
                max_attempts=self.max_attempts,
            )
            if done is not None and done.state != "pending":
                repo.settle(delivery.event_id, self.wanting(delivery.topic), now=now)
