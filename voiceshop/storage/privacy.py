"""What the store keeps about shoppers, and how it lets go of it.

- ``forget_customer``: a shopper's personal data goes (their record with its PIN hash and
  preferences, their saved cart, their name on callbacks and in sessions, conversation transcripts
  that are theirs, their words and name in the record of turns); their orders stay for the books,
  with no name attached, and their turns stay as nameless counts for the shop's insights.
- ``prune_transcripts``: conversation transcripts older than the retention period are emptied
  (sessions not used since, callbacks, and the words of recorded turns); what the sessions, orders
  and insights' counts are for stays.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from voiceshop.errors import CustomerError
from voiceshop.storage.db import Database

RETENTION_SETTING = "transcript_retention_days"
DEFAULT_RETENTION_DAYS = 7
"""Days a conversation's words are kept when the shop has not said otherwise: long enough to look
into last week's misunderstandings, short enough that nobody's chatter piles up."""


def retention_days(db: Database) -> int:
    value = db.get_setting(RETENTION_SETTING)
    return DEFAULT_RETENTION_DAYS if value is None else int(value)


def set_retention_days(db: Database, days: int) -> None:
    if not 0 <= days <= 3650:
        raise CustomerError(f"keep transcripts for 0 to 3650 days, not {days}", code="customer")
    with db.transaction() as c:
        db.set_setting(c, RETENTION_SETTING, str(days))


def forget_customer(db: Database, name: str) -> dict[str, int]:
    """Erase ``name``'s personal data in one transaction; returns what was erased or anonymised."""
    with db.transaction() as c:
        row = c.execute("SELECT id, name FROM customers WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            raise CustomerError(f"no customer called {name!r}; `voiceshop customers list` shows who is kept")
        customer_id, stored_name = int(row[0]), str(row[1])
        done = {
            "orders_anonymised": c.execute(
                "UPDATE orders SET customer_id = NULL WHERE customer_id = ?", (customer_id,)
            ).rowcount,
            "carts": c.execute("DELETE FROM carts WHERE customer_key = ?", (stored_name,)).rowcount,
            "callbacks": c.execute(
                "UPDATE callbacks SET customer = NULL, transcript_json = '[]' WHERE customer = ?", (stored_name,)
            ).rowcount,
            "sessions": 0,
            "events": 0,
            "turns": c.execute(
                "UPDATE turns SET heard = NULL, customer = NULL WHERE lower(customer) = lower(?)", (stored_name,)
            ).rowcount,
        }
        for shop_id, device, state_json in c.execute("SELECT shop_id, device, state_json FROM sessions").fetchall():
            state = json.loads(state_json)
            if isinstance(state, dict) and str(state.get("customer") or "").lower() == stored_name.lower():
                c.execute("DELETE FROM sessions WHERE shop_id = ? AND device = ?", (shop_id, device))
                done["sessions"] += 1
        for event_id, payload_json in c.execute("SELECT id, payload_json FROM outbox").fetchall():
            payload = json.loads(payload_json)
            if isinstance(payload, dict) and str(payload.get("customer") or "").lower() == stored_name.lower():
                payload["customer"] = None
                scrubbed = json.dumps(payload, sort_keys=True)
                c.execute("UPDATE outbox SET payload_json = ? WHERE id = ?", (scrubbed, event_id))
                done["events"] += 1
        c.execute("DELETE FROM customers WHERE id = ?", (customer_id,))
    return done


def prune_transcripts(db: Database, days: int | None = None, *, now: datetime | None = None) -> int:
    """Empty the transcripts of sessions idle, callbacks made and turns said more than ``days`` ago
    (the store's retention setting by default); returns how many were emptied."""
    keep = retention_days(db) if days is None else days
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=keep)).isoformat(timespec="microseconds")
    emptied = 0
    with db.transaction() as c:
        old = c.execute("SELECT shop_id, device, state_json FROM sessions WHERE updated_at < ?", (cutoff,)).fetchall()
        for shop_id, device, state_json in old:
            state = json.loads(state_json)
            if isinstance(state, dict) and state.get("transcript"):
                state["transcript"] = []
                c.execute(
                    "UPDATE sessions SET state_json = ? WHERE shop_id = ? AND device = ?",
                    (json.dumps(state), shop_id, device),
                )
                emptied += 1
        emptied += c.execute(
            "UPDATE callbacks SET transcript_json = '[]' WHERE created_at < ? AND transcript_json <> '[]'", (cutoff,)
        ).rowcount
        emptied += c.execute(
            "UPDATE turns SET heard = NULL, customer = NULL WHERE created_at < ? AND heard IS NOT NULL", (cutoff,)
        ).rowcount
    return emptied
