"""Webhook deliveries: one row per (outbox event, endpoint URL), kept in the store so that attempts,
backoff and failures survive a restart, and so staff can list failures and replay them.

    enqueue(endpoints)    rows for the outbox events each endpoint wants and has no row for yet
    claim(urls, ...)      due pending rows, taken for a while by one worker (a guarded UPDATE)
    record(...)           the outcome of one attempt: delivered, pending again later, or failed
    settle(event, urls)   the outbox event is marked delivered once every endpoint's row is settled
    list / get / replay   what staff see (``voiceshop webhooks``, the API) and put back in the queue

Two servers on one store never post the same delivery at the same time: a claim is an UPDATE whose
WHERE clause says the row is pending, due and not claimed by anyone else (or their claim expired).
On PostgreSQL the second UPDATE waits for the first's row lock and then re-checks that clause, so it
finds the row claimed and leaves it; SQLite's writers take turns. A worker that dies leaves its
claims to expire (``claimed_until``); a server restarted on the same machine releases at once the
claims of its own dead predecessors (``release_dead``), so it resumes at once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from voiceshop.errors import VoiceshopError
from voiceshop.storage.db import Conn, Database, Row

DeliveryState = Literal["pending", "delivered", "failed"]
STATES: tuple[str, ...] = get_args(DeliveryState)

_COLUMNS = (
    "d.id, d.event_id, o.topic, o.payload_json, o.created_at, d.url, d.state, d.attempts, d.next_at, "
    "d.last_error, d.delivered_at, d.created_at"
)


class DeliveryError(VoiceshopError):
    """An operator's mistake about a delivery (``voiceshop webhooks``, the staff API); never met by a
    shopper (code "failed")."""


class DeliveryNotFound(DeliveryError):
    """No delivery with that id."""


class DeliveryPending(DeliveryError):
    """A replay of a delivery that is still pending (only failed or delivered ones are replayed)."""


def iso(seconds: float) -> str:
    """Unix seconds as the store writes times (ISO 8601 UTC, microseconds), so text compares as time."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def this_process() -> str:
    """Who holds a claim: this machine and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Delivery:
    """One outbox event on its way to one endpoint."""

    id: int
    event_id: int
    topic: str
    payload_json: str
    event_created_at: str
    url: str
    state: DeliveryState
    attempts: int
    next_at: str
    """When the next attempt is due (pending), as ISO 8601 UTC."""
    last_error: str
    """What went wrong the last time ("HTTP 500", "no answer: ..."); empty once delivered."""
    delivered_at: str | None
    created_at: str


def _delivery(r: Row) -> Delivery:
    return Delivery(
        id=int(r[0]),
        event_id=int(r[1]),
        topic=str(r[2]),
        payload_json=str(r[3]),
        event_created_at=str(r[4]),
        url=str(r[5]),
        state=r[6],
        attempts=int(r[7]),
        next_at=str(r[8]),
        last_error=str(r[9]),
        delivered_at=None if r[10] is None else str(r[10]),
        created_at=str(r[11]),
    )


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the worker ------------------------------------------------------------------------------

    def enqueue(self, endpoints: Iterable[tuple[str, frozenset[str]]], *, now: float, limit: int = 500) -> int:
        """Make the missing rows: for each (url, topics) (empty topics: every topic), the undelivered
        outbox events of those topics that have no row for that url yet. Returns how many were made."""
        made = 0
        stamp = iso(now)
        with self.db.transaction() as c:
            for url, topics in endpoints:
                wanted = f"AND o.topic IN ({_marks(sorted(topics))})" if topics else ""
                rows = c.execute(
                    "SELECT o.id FROM outbox o WHERE o.delivered_at IS NULL "
                    f"{wanted} AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d "
                    "WHERE d.event_id = o.id AND d.url = ?) ORDER BY o.id LIMIT ?",
                    (*sorted(topics), url, limit),
                ).fetchall()
                c.executemany(
                    "INSERT INTO webhook_deliveries (event_id, url, next_at, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id, url) DO NOTHING",
                    [(int(r[0]), url, stamp, stamp, stamp) for r in rows],
                )
                made += len(rows)
        return made

    def unwanted(self, topics: Sequence[str], *, limit: int = 500) -> list[int]:
        """Undelivered outbox events whose topic is none of ``topics`` (no endpoint wants them)."""
        rows = self.db.execute(
            f"SELECT id FROM outbox WHERE delivered_at IS NULL AND topic NOT IN ({_marks(topics)}) ORDER BY id LIMIT ?",
            (*topics, limit),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def claim(
        self, urls: Sequence[str], *, owner: str, now: float, lease: float, limit: int = 10
    ) -> Sequence[Delivery]:
        """Take up to ``limit`` due pending deliveries to ``urls`` until ``now + lease``, oldest first.

        A row another worker holds (its claim not yet expired) is never taken: the guarded UPDATE
        re-checks the claim, so of two workers racing for a row exactly one gets it."""
        if not urls:
            return []
        at, until = iso(now), iso(now + lease)
        free = (
            f"state = 'pending' AND next_at <= ? AND url IN ({_marks(urls)}) "
            "AND (claimed_until IS NULL OR claimed_until < ?)"
        )
        with self.db.transaction() as c:
            ids = c.execute(
                f"UPDATE webhook_deliveries SET claimed_by = ?, claimed_until = ?, updated_at = ? WHERE {free} "
                f"AND id IN (SELECT id FROM webhook_deliveries WHERE {free} ORDER BY id LIMIT ?) RETURNING id",
                (owner, until, at, at, *urls, at, at, *urls, at, limit),
            ).fetchall()
        return self._by_ids(sorted(int(r[0]) for r in ids))

    def record(
        self, delivery_id: int, *, owner: str, now: float, error: str | None, retry_at: float, max_attempts: int
    ) -> Delivery | None:
        """The outcome of one attempt by the worker that claimed it (``error`` None: delivered). A
        failed attempt is due again at ``retry_at``, or failed for good after ``max_attempts``.

        None when the claim was lost meanwhile (it expired and another worker took the row)."""
        at = iso(now)
        with self.db.transaction() as c:
            if error is None:
                changed = c.execute(
                    "UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_error = '', "
                    "delivered_at = ?, claimed_by = NULL, claimed_until = NULL, updated_at = ? "
                    "WHERE id = ? AND claimed_by = ? AND state = 'pending'",
                    (at, at, delivery_id, owner),
                ).rowcount
            else:
                changed = c.execute(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?, next_at = ?, "
                    "state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END, "
                    "claimed_by = NULL, claimed_until = NULL, updated_at = ? "
                    "WHERE id = ? AND claimed_by = ? AND state = 'pending'",
                    (error[:500], iso(retry_at), max_attempts, at, delivery_id, owner),
                ).rowcount
        return self.get(delivery_id) if changed else None

    def release(self, owner: str) -> int:
        """Give back every claim ``owner`` holds (a worker stopping), so others need not wait them out."""
        with self.db.transaction() as c:
            return c.execute(
                "UPDATE webhook_deliveries SET claimed_by = NULL, claimed_until = NULL "
                "WHERE claimed_by = ? AND state = 'pending'",
                (owner,),
            ).rowcount

    def release_dead(self) -> int:
        """Give back the claims of processes on this machine that no longer run (a server killed
        mid-delivery), so a restarted server resumes at once instead of waiting for them to expire."""
        host = socket.gethostname()
        rows = self.db.execute(
            "SELECT DISTINCT claimed_by FROM webhook_deliveries WHERE claimed_by IS NOT NULL AND state = 'pending'"
        ).fetchall()
        released = 0
        for row in rows:
            owner = str(row[0])
            where, _, pid = owner.rpartition(":")
            if where == host and pid.isdigit() and not _alive(int(pid)):
                released += self.release(owner)
        return released

    def settle(self, event_id: int, urls: Sequence[str], *, now: float) -> bool:
        """Mark the outbox event delivered once every one of ``urls`` has it delivered or failed."""
        with self.db.transaction() as c:
            return self._settle(c, event_id, urls, now)

    def _settle(self, c: Conn, event_id: int, urls: Sequence[str], now: float) -> bool:
        if not urls:
            changed = c.execute(
                "UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL", (iso(now), event_id)
            ).rowcount
            return bool(changed)
        changed = c.execute(
            "UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL AND (SELECT count(*) "
            f"FROM webhook_deliveries WHERE event_id = ? AND state <> 'pending' AND url IN ({_marks(urls)})) = ?",
            (iso(now), event_id, event_id, *urls, len(set(urls))),
        ).rowcount
        return bool(changed)

    # -- staff -----------------------------------------------------------------------------------

    def list(
        self, state: DeliveryState | None = None, *, offset: int = 0, limit: int = 50, newest_first: bool = True
    ) -> list[Delivery]:
        where = "WHERE d.state = ?" if state is not None else ""
        order = "DESC" if newest_first else "ASC"
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM webhook_deliveries d JOIN outbox o ON o.id = d.event_id {where} "
            f"ORDER BY d.id {order} LIMIT ? OFFSET ?",
            (*([state] if state is not None else []), limit, offset),
        ).fetchall()
        return [_delivery(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Deliveries in each state."""
        rows = self.db.execute("SELECT state, count(*) FROM webhook_deliveries GROUP BY state").fetchall()
        found = {str(r[0]): int(r[1]) for r in rows}
        return {s: found.get(s, 0) for s in STATES}

    def get(self, delivery_id: int) -> Delivery:
        found = self._by_ids([delivery_id])
        if not found:
            raise DeliveryNotFound(
                f"no webhook delivery {delivery_id}; `voiceshop webhooks list` shows them", delivery=delivery_id
            )
        return found[0]

    def replay(self, delivery_id: int, *, now: float) -> Delivery:
        """Put a failed (or delivered) delivery back in the queue, due at once, with its attempts
        counted afresh; its outbox event is undelivered again until it is settled."""
        current = self.get(delivery_id)
        if current.state == "pending":
            raise DeliveryPending(
                f"webhook delivery {delivery_id} is still pending (attempt {current.attempts + 1} is due at "
                f"{current.next_at}); only failed or delivered ones are replayed",
                delivery=delivery_id,
            )
        at = iso(now)
        with self.db.transaction() as c:
            c.execute(
                "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = ?, delivered_at = NULL, "
                "claimed_by = NULL, claimed_until = NULL, updated_at = ? WHERE id = ?",
                (at, at, delivery_id),
            )
            c.execute("UPDATE outbox SET delivered_at = NULL WHERE id = ?", (current.event_id,))
        return self.get(delivery_id)

    def replay_failed(self, *, now: float) -> Sequence[int]:
        """Replay every failed delivery; their ids."""
        at = iso(now)
        with self.db.transaction() as c:
            rows = c.execute(
                "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_at = ?, "
                "claimed_by = NULL, claimed_until = NULL, updated_at = ? WHERE state = 'failed' RETURNING id, event_id",
                (at, at),
            ).fetchall()
            events = sorted({int(r[1]) for r in rows})
            c.executemany("UPDATE outbox SET delivered_at = NULL WHERE id = ?", [(e,) for e in events])
        return sorted(int(r[0]) for r in rows)

    def _by_ids(self, ids: Sequence[int]) -> Sequence[Delivery]:
        if not ids:
            return []
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM webhook_deliveries d JOIN outbox o ON o.id = d.event_id "
            f"WHERE d.id IN ({_marks(ids)}) ORDER BY d.id",
            tuple(ids),
        ).fetchall()
        return [_delivery(r) for r in rows]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True
