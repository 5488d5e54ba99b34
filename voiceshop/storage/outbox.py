"""The outbox: events written in the same transaction as the change they tell of (an order placed,
its status moved, a shop loaded, a callback asked for), read and marked delivered by whoever carries
them on (the webhook worker of ``voiceshop serve``)."""

from __future__ import annotations

from dataclasses import dataclass

from voiceshop.storage.db import Database, utcnow


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    payload_json: str
    created_at: str


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def pending(self, limit: int = 100) -> list[OutboxRow]:
        """Events not yet delivered, oldest first."""
        rows = self.db.execute(
            "SELECT id, topic, payload_json, created_at FROM outbox WHERE delivered_at IS NULL ORDER BY id LIMIT ?",
            (limit,),
        ).fetchall()
        return [OutboxRow(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def mark_delivered(self, event_id: int) -> None:
        with self.db.transaction() as c:
            c.execute("UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL", (utcnow(), event_id))
