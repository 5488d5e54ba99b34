"""Conversations in the store: each device's dialog state, and shoppers' requests for a callback.

The state is opaque JSON here: the dialog defines it, the store only keeps it safe. Saving it joins
the caller's transaction, so a turn that places an order and moves the dialog on commits both or
neither.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from voiceshop.errors import VoiceshopError
from voiceshop.storage.db import Database, utcnow
from voiceshop.storage.shops import StoredShop


@dataclass(frozen=True)
class Callback:
    id: int
    shop: str
    customer: str | None
    device: str
    reason: str
    transcript: list[dict[str, str]]
    status: str
    """``open``, or ``done`` once a person returned it."""
    created_at: datetime
    returned_by: str | None = None
    """The staff member who returned it."""
    returned_at: datetime | None = None


class SessionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, stored: StoredShop, device: str) -> tuple[str, datetime] | None:
        """The saved state JSON of a device's session and when it was last saved, if any."""
        row = self.db.execute(
            "SELECT state_json, updated_at FROM sessions WHERE shop_id = ? AND device = ?", (stored.id, device)
        ).fetchone()
        return None if row is None else (str(row[0]), datetime.fromisoformat(row[1]))

    def save(self, stored: StoredShop, device: str, state_json: str) -> None:
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO sessions (shop_id, device, state_json, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (shop_id, device) DO UPDATE SET state_json = excluded.state_json,"
                " updated_at = excluded.updated_at",
                (stored.id, device, state_json, utcnow()),
            )

    def request_callback(
        self, stored: StoredShop, device: str, customer: str | None, reason: str, transcript: list[dict[str, str]]
    ) -> int:
        """Record that a shopper wants a person to call back, with the conversation so far."""
        now = utcnow()
        with self.db.transaction() as c:
            callback_id = int(
                c.execute(
                    "INSERT INTO callbacks (shop_id, customer, device, reason, transcript_json, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (stored.id, customer, device, reason, json.dumps(transcript), now),
                ).fetchall()[0][0]
            )
            payload = {"id": callback_id, "shop": stored.shop.slug, "customer": customer, "reason": reason}
            c.execute(
                "INSERT INTO outbox (topic, payload_json, created_at) VALUES ('callback.requested', ?, ?)",
                (json.dumps(payload, sort_keys=True), now),
            )
        return callback_id

    def callbacks(
        self,
        stored: StoredShop | None = None,
        *,
        status: str | None = None,
        limit: int | None = None,
        callback_id: int | None = None,
    ) -> list[Callback]:
        """Newest first (only ``callback_id`` when given)."""
        sql = "SELECT c.*, s.slug FROM callbacks c JOIN shops s ON s.id = c.shop_id WHERE 1 = 1"
        args: list[object] = []
        if callback_id is not None:
            sql += " AND c.id = ?"
            args.append(callback_id)
        if stored is not None:
            sql += " AND c.shop_id = ?"
            args.append(stored.id)
        if status is not None:
            sql += " AND c.status = ?"
            args.append(status)
        sql += " ORDER BY c.id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        rows = self.db.execute(sql, args).fetchall()
        return [
            Callback(
                id=int(r["id"]),
                shop=r["slug"],
                customer=r["customer"],
                device=r["device"],
                reason=r["reason"],
                transcript=json.loads(r["transcript_json"]),
                status=r["status"],
                created_at=datetime.fromisoformat(r["created_at"]),
                returned_by=r["returned_by"],
                returned_at=datetime.fromisoformat(r["returned_at"]) if r["returned_at"] else None,
            )
            for r in rows
        ]

    def waiting_callbacks(self) -> int:
        """Callbacks not yet returned, in every shop."""
        return int(self.db.execute("SELECT count(*) FROM callbacks WHERE status = 'open'").fetchone()[0])

    def mark_returned(self, callback_id: int, who: str, stored: StoredShop | None = None) -> bool:
        """Record that ``who`` returned a callback (once: False when it was already returned).

        An id that is not a callback (of ``stored``) is a ``VoiceshopError`` with code "not_found"."""
        now = utcnow()
        with self.db.transaction() as c:
            row = c.execute("SELECT shop_id, status FROM callbacks WHERE id = ?", (callback_id,)).fetchone()
            if row is None or (stored is not None and int(row["shop_id"]) != stored.id):
                raise VoiceshopError(
                    f"there is no callback {callback_id}; the callbacks page lists them", code="not_found"
                )
            if row["status"] == "done":
                return False
            c.execute(
                "UPDATE callbacks SET status = 'done', returned_by = ?, returned_at = ? WHERE id = ?",
                (who, now, callback_id),
            )
            payload = {"id": callback_id, "returned_by": who}
            c.execute(
                "INSERT INTO outbox (topic, payload_json, created_at) VALUES ('callback.returned', ?, ?)",
                (json.dumps(payload, sort_keys=True), now),
            )
        return True
