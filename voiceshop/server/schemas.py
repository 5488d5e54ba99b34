"""What crosses the HTTP boundary: request bodies and the responses that are not domain models.

Bodies forbid unknown fields, so a typo (or a ``pin``) is a 422, never silently ignored. Orders,
shops and products are returned as the domain models themselves; customers are returned as
``CustomerOut``, which has no PIN hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from voiceshop.commerce.customer import Customer
from voiceshop.commerce.order import Order, OrderStatus
from voiceshop.commerce.shop import DeliveryKind


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionIn(Body):
    group: str = Field(min_length=1, max_length=80)
    """The option group: "size", "milk"."""
    choice: str = Field(min_length=1, max_length=80)
    """The choice in that group: "large", "soy milk"."""
    amount: str | None = Field(default=None, max_length=80)
    """For add-ons: how much ("a bit of"); omitted for the plain amount."""


class ItemIn(Body):
    sku: str = Field(min_length=1, max_length=80)
    """The product's SKU (or its exact name or alias)."""
    quantity: int = Field(default=1, ge=1, le=99)
    options: list[OptionIn] = Field(default_factory=list, max_length=20)


class OrderIn(Body):
    shop: str | None = Field(default=None, max_length=64)
    """Shop slug; the current shop when omitted."""
    items: list[ItemIn] = Field(min_length=1, max_length=100)
    delivery: DeliveryKind = DeliveryKind.PICKUP
    coupon: str | None = Field(default=None, max_length=32)
    customer: str | None = Field(default=None, max_length=80)
    """An existing customer's name (a PIN is never taken over the staff API)."""


class AdvanceIn(Body):
    to: OrderStatus | None = None
    """The status to move to; it must be the next step. Omitted: the next step."""
    note: str = Field(default="", max_length=500)


class CancelIn(Body):
    note: str = Field(default="", max_length=500)


class OrderPage(BaseModel):
    items: list[Order]
    offset: int
    limit: int
    next_offset: int | None
    """Pass as ``offset`` for the next page; null on the last page."""


class CustomerOut(BaseModel):
    name: str
    has_pin: bool
    """Whether purchases need a PIN; the PIN and its hash never leave the store."""
    default_delivery: DeliveryKind | None
    preferences: dict[str, str]
    spending_cap: int | None
    locked_until: datetime | None
    """Purchases are refused until then, after too many wrong PINs."""

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(
            name=c.name,
            has_pin=c.has_pin,
            default_delivery=c.default_delivery,
            preferences=dict(c.preferences),
            spending_cap=c.spending_cap,
            locked_until=c.pin_locked_until,
        )


class ShopSummary(BaseModel):
    slug: str
    name: str
    currency: str
    locale: str


class TurnIn(Body):
    text: str = Field(min_length=1, max_length=1000)
    """What the shopper said or typed."""


class ReplyOut(BaseModel):
    text: str
    """What the assistant says (speakable words)."""
    expects_answer: bool
    """A question is waiting for the shopper's answer."""
    end: bool
    """The assistant said goodbye: the conversation is over."""


class TurnOut(BaseModel):
    session: str
    shop: str
    replies: list[ReplyOut]
    ended: bool


class Health(BaseModel):
    status: Literal["ok"]
    version: str
