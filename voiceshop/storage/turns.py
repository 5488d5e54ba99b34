"""What shoppers said, one row per turn on every channel, for the shop's insights.

The runtime writes a turn in the same transaction as the dialog state it led to, so a turn is
recorded exactly when it happened. What is kept: when, which shop, session and channel, who was
shopping (if known), the words (personal data: emptied after the transcript retention period and
when the customer is forgotten, see ``storage.privacy``), the intent or "not understood", the
products the words named, and the order the turn placed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from voiceshop.storage.db import Database, utcnow
from voiceshop.storage.shops import StoredShop

Channel = Literal["chat", "voice", "api", "web", "wyoming"]
"""Where a turn came from: typed chat (``voiceshop chat``), the voice loop (``run``), the HTTP
conversation endpoint, the shopper's web chat page, or Home Assistant (``voiceshop wyoming``)."""
CHANNELS: tuple[Channel, ...] = ("chat", "voice", "api", "web", "wyoming")


@dataclass(frozen=True)
class Turn:
    """One thing a shopper said, as the store keeps it."""

    session: str
    """The device or web session it was said on."""
    channel: Channel
    heard: str
    """The words (a PIN is never among them: the runtime passes the dialog's masked text)."""
    intent: str | None
    """The intent understanding found; None when nothing matched."""
    understood: bool
    """Whether the dialog could act on it (an answer to its question counts as understood)."""
    customer: str | None = None
    skus: tuple[str, ...] = field(default=())
    """Products the words named (not those said as not wanted)."""
    order: str | None = None
    """The number of the order this turn placed."""
    ended: bool = False
    """The shopper said goodbye."""


class TurnRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, stored: StoredShop, turn: Turn, *, at: str | None = None) -> None:
        """Keep a turn; joins the caller's transaction (the turn's own)."""
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO turns (shop_id, session, channel, customer, heard, intent, understood, skus_json,"
                " order_number, ended, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stored.id,
                    turn.session,
                    turn.channel,
                    turn.customer,
                    turn.heard,
                    turn.intent,
                    int(turn.understood),
                    json.dumps(list(dict.fromkeys(turn.skus))),
                    turn.order,
                    int(turn.ended),
                    at or utcnow(),
                ),
            )

    def heard(self, stored: StoredShop, limit: int = 100) -> list[tuple[str | None, bool]]:
        """The newest turns' words (None once erased) and whether each was understood, newest first."""
        rows = self.db.execute(
            "SELECT heard, understood FROM turns WHERE shop_id = ? ORDER BY id DESC LIMIT ?", (stored.id, limit)
        ).fetchall()
        return [(r[0], bool(r[1])) for r in rows]
