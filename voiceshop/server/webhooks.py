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

The worker reads events through the ``Outbox`` protocol. The store keeps no delivery state per
endpoint, so it is kept here (``Deliveries``); an event is marked delivered in the outbox once every
endpoint has it delivered or failed.

Not wired into ``voiceshop serve`` yet: the store has the ``outbox`` table but no repository that
reads pending events or marks them delivered, and this package does not query store tables itself.
Once ``storage`` offers ``pending(limit)`` and ``mark_delivered(id)``, serving starts a thread that
calls ``run_once`` every second.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

from voiceshop.errors import VoiceshopError
from voiceshop.storage import Database
from voiceshop.storage.outbox import OutboxRepository

MAX_BACKOFF = 3600.0
TIMEOUT = 10.0


@dataclass(frozen=True)
class OutboxEvent:
    id: int
    topic: str
    payload_json: str
    created_at: str


class Outbox(Protocol):
    """The store's outbox, as the worker needs it."""

    def pending(self, limit: int) -> Sequence[OutboxEvent]:
        """Events not yet marked delivered, oldest first."""
        ...

    def mark_delivered(self, event_id: int) -> None: ...


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    topics: frozenset[str] = frozenset()
    """Topics this endpoint wants; empty: every topic."""

    def wants(self, topic: str) -> bool:
        return not self.topics or topic in self.topics


@dataclass
class Delivery:
    event_id: int
    url: str
    state: Literal["pending", "delivered", "failed"] = "pending"
    attempts: int = 0
    next_at: float = 0.0
    last_error: str = ""


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


@dataclass
class Deliveries:
    """Delivery state per (event, endpoint)."""

    by_key: dict[tuple[int, str], Delivery] = field(default_factory=dict)

    def get(self, event_id: int, url: str) -> Delivery:
        return self.by_key.setdefault((event_id, url), Delivery(event_id, url))


class StoreOutbox:
    """The store's outbox (``OutboxRepository``) as the worker reads it, opening the store itself: the
    worker runs on its own thread, and a SQLite connection belongs to the thread that opened it."""

    def __init__(self, open_store: Callable[[], AbstractContextManager[Database]]) -> None:
        self.open_store = open_store

    def pending(self, limit: int) -> Sequence[OutboxEvent]:
        with self.open_store() as db:
            rows = OutboxRepository(db).pending(limit)
        return [OutboxEvent(r.id, r.topic, r.payload_json, r.created_at) for r in rows]

    def mark_delivered(self, event_id: int) -> None:
        with self.open_store() as db:
            OutboxRepository(db).mark_delivered(event_id)


def run_in_background(worker: WebhookWorker, stop: threading.Event, every: float = 1.0) -> threading.Thread:
    """Deliver what is due every ``every`` seconds until ``stop`` is set; a failing round is retried."""

    def loop() -> None:
        while not stop.is_set():
            try:
                worker.run_once()
            except VoiceshopError as exc:  # the store busy or gone for a moment: the next round retries
                worker.last_error = str(exc)
            stop.wait(every)

    thread = threading.Thread(target=loop, name="voiceshop-webhooks", daemon=True)
    thread.start()
    return thread


class WebhookWorker:
    def __init__(
        self,
        outbox: Outbox,
        endpoints: Sequence[Endpoint],
        *,
        max_attempts: int = 8,
        clock: Callable[[], float] = time.time,
        send: Callable[[str, bytes, dict[str, str]], str | None] = post,
        deliveries: Deliveries | None = None,
    ) -> None:
        self.outbox = outbox
        self.endpoints = list(endpoints)
        self.max_attempts = max_attempts
        self.clock = clock
        self.send = send
        self.deliveries = deliveries or Deliveries()
        self.last_error = ""

    def run_once(self, limit: int = 100) -> int:
        """Try every delivery that is due; returns how many POSTs were made."""
        made = 0
        for event in self.outbox.pending(limit):
            body = json.dumps(
                {
                    "id": event.id,
                    "topic": event.topic,
                    "created_at": event.created_at,
                    "payload": json.loads(event.payload_json),
                },
                sort_keys=True,
            ).encode()
            settled = True
            for endpoint in self.endpoints:
                if not endpoint.wants(event.topic):
                    continue
                delivery = self.deliveries.get(event.id, endpoint.url)
                if delivery.state == "pending" and delivery.next_at <= self.clock():
                    self._attempt(delivery, endpoint, event, body)
                    made += 1
                settled = settled and delivery.state != "pending"
            if settled:
                self.outbox.mark_delivered(event.id)
        return made

    def _attempt(self, delivery: Delivery, endpoint: Endpoint, event: OutboxEvent, body: bytes) -> None:
        now = self.clock()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "voiceshop-webhooks",
            "Voiceshop-Event-Id": str(event.id),
            "Voiceshop-Topic": event.topic,
            "Voiceshop-Signature": sign(endpoint.secret, int(now), body),
        }
        error = self.send(endpoint.url, body, headers)
        delivery.attempts += 1
        if error is None:
            delivery.state, delivery.last_error = "delivered", ""
            return
        delivery.last_error = error
        if delivery.attempts >= self.max_attempts:
            delivery.state = "failed"
        else:
            delivery.next_at = now + backoff(delivery.attempts)
