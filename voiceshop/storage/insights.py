"""The shop's insights over a period: what shoppers asked for and ordered most, what was not
understood (their phrases, to add aliases), abandoned carts, and conversions per day.

Read from the turns every channel records (``storage.turns``), the orders and the saved carts. Days
are the shop's own (its time zone). Definitions, so the figures can be checked by hand:

- a **conversation** is a run of one session's turns with no pause longer than
  ``CONVERSATION_GAP``; it ends with a goodbye, and after the turn that placed an order (a counter
  device serves many shoppers one after another), though a goodbye right after the order still
  belongs to it; it counts on the day of its first turn, and is **converted** when one of its turns
  placed an order;
- an **abandoned cart** holds items and has not been touched for ``ABANDONED_AFTER`` (placing an
  order empties the cart, so a cart with items never led to an order); it counts on the day it was
  last touched.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from voiceshop.commerce.cart import Cart
from voiceshop.commerce.catalog import Catalog
from voiceshop.errors import VoiceshopError
from voiceshop.storage.db import Database
from voiceshop.storage.shops import StoredShop

CONVERSATION_GAP = timedelta(minutes=5)
"""As the assistant's idle timeout: after this long the dialog forgets its question and greets anew."""
ABANDONED_AFTER = timedelta(hours=1)
DEFAULT_DAYS = 7
MAX_DAYS = 366
TOP = 20


class _Figures(BaseModel):
    # the docstring under each field is its description in the API's OpenAPI document
    model_config = ConfigDict(use_attribute_docstrings=True)


class ProductCount(_Figures):
    sku: str
    name: str
    count: int
    """Units ordered, or turns that named the product."""


class Phrase(_Figures):
    phrase: str
    """What the shopper said, as heard (lower case, single-spaced)."""
    count: int
    last_at: datetime
    """When it was last said."""


class Example(_Figures):
    heard: str
    channel: str
    session: str
    at: datetime


class AbandonedCart(_Figures):
    key: str
    """The customer's name, or ``device:NAME`` for an anonymous shopper at a device."""
    items: int
    value: int
    """The cart's subtotal in minor units of the shop's currency."""
    updated_at: datetime
    """When the shopper last touched it."""


class DayConversions(_Figures):
    day: date
    conversations: int
    converted: int
    """Conversations that placed an order."""
    rate: float
    """converted / conversations (0 on a day without conversations)."""


class Insights(_Figures):
    shop: str
    currency: str
    start: date
    """First day of the period (the shop's own days, in ``timezone``)."""
    end: date
    """Last day of the period, included."""
    timezone: str
    turns: int
    """Shopper turns in the period, on every channel."""
    not_understood_turns: int
    ordered: list[ProductCount] = Field(description="Products ordered most (units; cancelled orders left out).")
    asked_for: list[ProductCount] = Field(description="Products shoppers named most (turns naming each).")
    not_understood: list[Phrase] = Field(description="Phrases not understood, most often said first.")
    not_understood_recent: list[Example] = Field(description="The newest turns not understood.")
    abandoned_carts: list[AbandonedCart] = Field(description="Carts with items left alone, newest first.")
    abandoned_count: int
    abandoned_value: int
    """Their subtotals together, in minor units."""
    conversions: list[DayConversions] = Field(description="Every day of the period, oldest first.")


def period(
    today: date, start: date | None = None, end: date | None = None, days: int | None = None
) -> tuple[date, date]:
    """The days asked for: ``start``..``end`` (inclusive), or the ``days`` up to ``end`` (default: the
    last seven days up to today)."""
    end = end or today
    if start is None:
        count = DEFAULT_DAYS if days is None else days
        if not 1 <= count <= MAX_DAYS:
            raise VoiceshopError(f"a period is 1 to {MAX_DAYS} days, not {count}", code="invalid_request")
        start = end - timedelta(days=count - 1)
    if start > end:
        raise VoiceshopError(
            f"the period starts ({start}) after it ends ({end}); swap the dates", code="invalid_request"
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise VoiceshopError(f"a period is at most {MAX_DAYS} days; {start} to {end} is longer", code="invalid_request")
    return start, end


def compute(
    db: Database, stored: StoredShop, catalog: Catalog, start: date, end: date, *, now: datetime | None = None
) -> Insights:
    """The insights of ``stored`` from ``start`` to ``end`` (the shop's days, both included)."""
    zone = ZoneInfo(stored.shop.timezone)
    now = now or datetime.now(UTC)

    def utc(day: date) -> str:
        local = datetime.combine(day, time(), tzinfo=zone)
        return local.astimezone(UTC).isoformat(timespec="microseconds")

    lo, hi = utc(start), utc(end + timedelta(days=1))
    where = "shop_id = ? AND created_at >= ? AND created_at < ?"
    args = (stored.id, lo, hi)

    def name(sku: str, fallback: str | None = None) -> str:
        product = catalog.product(sku)
        return product.name if product is not None else fallback or sku

    ordered = [
        ProductCount(sku=str(r[0]), name=name(str(r[0]), str(r[1])), count=int(r[2]))
        for r in db.execute(
            "SELECT l.sku, min(l.name), sum(l.quantity) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id"
            " WHERE o.shop_id = ? AND o.created_at >= ? AND o.created_at < ? AND o.status != 'cancelled'"
            " GROUP BY l.sku ORDER BY n DESC, l.sku LIMIT ?",
            (*args, TOP),
        ).fetchall()
    ]
    counts = db.execute(f"SELECT count(*), coalesce(sum(1 - understood), 0) FROM turns WHERE {where}", args).fetchone()
    named: Counter[str] = Counter()
    for skus_json, n in db.execute(
        f"SELECT skus_json, count(*) FROM turns WHERE {where} AND skus_json <> '[]' GROUP BY skus_json", args
    ):  # few distinct lists, each read once
        for sku in json.loads(skus_json):
            named[sku] += int(n)
    asked = [
        ProductCount(sku=sku, name=name(sku), count=n)
        for sku, n in sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    ]
    missed = f"{where} AND understood = 0 AND heard IS NOT NULL"
    phrases = [
        Phrase(phrase=str(r[0]), count=int(r[1]), last_at=datetime.fromisoformat(r[2]))
        for r in db.execute(
            f"SELECT lower(heard) AS phrase, count(*) AS n, max(created_at) AS last FROM turns WHERE {missed}"
            " GROUP BY lower(heard) ORDER BY n DESC, last DESC LIMIT ?",
            (*args, TOP),
        ).fetchall()
    ]
    recent = [
        Example(heard=str(r[0]), channel=str(r[1]), session=str(r[2]), at=datetime.fromisoformat(r[3]))
        for r in db.execute(
            f"SELECT heard, channel, session, created_at FROM turns WHERE {missed} ORDER BY id DESC LIMIT ?",
            (*args, TOP),
        ).fetchall()
    ]
    abandoned = _abandoned(db, stored, lo, min(hi, (now - ABANDONED_AFTER).isoformat(timespec="microseconds")))
    return Insights(
        shop=stored.shop.slug,
        currency=stored.shop.currency,
        start=start,
        end=end,
        timezone=stored.shop.timezone,
        turns=int(counts[0]),
        not_understood_turns=int(counts[1]),
        ordered=ordered,
        asked_for=asked,
        not_understood=phrases,
        not_understood_recent=recent,
        abandoned_carts=abandoned[:TOP],
        abandoned_count=len(abandoned),
        abandoned_value=sum(c.value for c in abandoned),
        conversions=_conversions(db, where, args, zone, start, end),
    )


def _abandoned(db: Database, stored: StoredShop, lo: str, before: str) -> list[AbandonedCart]:
    rows = db.execute(
        "SELECT customer_key, cart_json, updated_at FROM carts WHERE shop_id = ? AND updated_at >= ?"
        " AND updated_at < ? ORDER BY updated_at DESC",
        (stored.id, lo, before),
    ).fetchall()
    out = []
    for key, cart_json, updated_at in rows:
        cart = Cart.model_validate_json(cart_json)
        if cart.lines:
            out.append(
                AbandonedCart(
                    key=str(key),
                    items=cart.item_count,
                    value=cart.subtotal,
                    updated_at=datetime.fromisoformat(updated_at),
                )
            )
    return out


def _conversions(
    db: Database, where: str, args: tuple[object, ...], zone: ZoneInfo, start: date, end: date
) -> list[DayConversions]:
    days = {start + timedelta(days=i): [0, 0] for i in range((end - start).days + 1)}
    rows = db.execute(
        f"SELECT session, created_at, order_number, ended FROM turns WHERE {where} ORDER BY session, id", args
    ).fetchall()
    session, last, ended, current, converted = None, datetime.min.replace(tzinfo=UTC), True, None, False
    for r in rows:
        at, goodbye = datetime.fromisoformat(r[1]), bool(r[3])
        if r[0] != session or ended or at - last > CONVERSATION_GAP or (converted and not goodbye):
            current = days.setdefault(at.astimezone(zone).date(), [0, 0])
            current[0] += 1
            converted = False
        assert current is not None
        if r[2] is not None and not converted:
            current[1] += 1
            converted = True
        session, last, ended = r[0], at, goodbye
    return [
        DayConversions(day=day, conversations=n, converted=k, rate=round(k / n, 4) if n else 0.0)
        for day, (n, k) in sorted(days.items())
        if start <= day <= end
    ]
