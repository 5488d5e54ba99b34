"""A shop: who it is, when it is open, how it delivers, its policies and coupons.

Read from a shop folder's ``shop.yaml``; the catalog is separate (see ``catalog.py``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from voiceshop.commerce.catalog import Name, Strict, normalize_phrase
from voiceshop.commerce.money import Amount, exponent, percent_of

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class TimeSpan(Strict):
    opens: time
    closes: time
    """May be earlier than ``opens`` for spans past midnight (18:00-02:00)."""

    @classmethod
    def parse(cls, text: str) -> TimeSpan:
        m = _SPAN.match(text)
        if not m:
            raise ValueError(f"opening hours {text!r} are not like '07:00-18:30'")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h2 == 24 and m2 == 0:
            h2, m2 = 23, 59
        try:
            return cls(opens=time(h1, m1), closes=time(h2, m2))
        except ValueError as exc:
            raise ValueError(f"opening hours {text!r}: {exc}") from None

    def contains(self, t: time) -> bool:
        if self.opens <= self.closes:
            return self.opens <= t < self.closes
        return t >= self.opens or t < self.closes


class Location(Strict):
    name: Name
    address: str
    directions: str = ""
    """Spoken directions: "across from the train station, next to the bakery"."""
    phone: str | None = None


class DeliveryKind(StrEnum):
    PICKUP = "pickup"
    STANDARD = "standard"
    EXPRESS = "express"


class DeliveryOption(Strict):
    kind: DeliveryKind
    name: Name
    """As spoken: "pick up at the counter", "standard delivery"."""
    fee: Amount = Field(default=0, ge=0)
    eta: str
    """As spoken: "in about ten minutes", "in two to three days"."""
    free_over: Amount | None = Field(default=None, ge=0)
    """Orders with a subtotal at or above this amount get this option free."""

    def fee_for(self, subtotal: int) -> int:
        if self.free_over is not None and subtotal >= self.free_over:
            return 0
        return self.fee


class Policies(Strict):
    returns: str = ""
    warranty: str = ""
    shipping: str = ""
    payment: tuple[str, ...] = ()
    """Accepted payment methods, as spoken: "cash", "card", "contactless"."""


class Coupon(Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9-]{2,32}$")
    percent: Decimal | None = Field(default=None, gt=0, le=100)
    amount: Amount | None = Field(default=None, gt=0)
    minimum: Amount = Field(default=0, ge=0)
    """Smallest subtotal the coupon applies to."""
    expires: date | None = None
    """Last day the coupon is valid (inclusive)."""
    description: str = ""

    @field_validator("code")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    @model_validator(mode="after")
    def _one_kind(self) -> Coupon:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a coupon needs exactly one of 'percent' or 'amount'")
        return self

    def is_valid_on(self, day: date) -> bool:
        return self.expires is None or day <= self.expires

    def discount_for(self, subtotal: int) -> int:
        """Discount in minor units for a subtotal; never more than the subtotal."""
        if subtotal < self.minimum:
            return 0
        if self.percent is not None:
            return min(subtotal, percent_of(subtotal, self.percent))
        return min(subtotal, self.amount or 0)


class Shop(Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    """Short identifier used on the command line and in the database: "corner-store"."""
    name: Name
    currency: str = "USD"
    locale: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    timezone: str = "UTC"
    greeting: str = ""
    """What the assistant says first, if the shop wants its own words."""
    opening_hours: dict[str, tuple[TimeSpan, ...]] = Field(default_factory=dict)
    """Per weekday ("monday"...), a list of spans such as "07:00-12:00"; a missing day is closed."""
    locations: tuple[Location, ...] = ()
    delivery: tuple[DeliveryOption, ...] = Field(min_length=1)
    policies: Policies = Policies()
    coupons: tuple[Coupon, ...] = ()
    spending_cap: Amount | None = Field(default=None, gt=0)
    """Optional largest total one order may have."""
    catalog: str | None = None
    """Catalog file name inside the shop folder; found automatically when omitted."""

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        exponent(v)  # raises a readable ValueError for unknown codes
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use a name such as Europe/London") from None
        return v

    @field_validator("opening_hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        out: dict[str, object] = {}
        for day, spans in value.items():
            key = str(day).lower()
            if key not in WEEKDAYS:
                raise ValueError(f"{day!r} is not a weekday (use monday ... sunday)")
            if spans in (None, "closed", False):
                out[key] = ()
                continue
            items = spans if isinstance(spans, list) else [spans]
            out[key] = tuple(TimeSpan.parse(s) if isinstance(s, str) else s for s in items)
        return out

    @model_validator(mode="after")
    def _unique(self) -> Shop:
        kinds = [d.kind for d in self.delivery]
        if len(set(kinds)) != len(kinds):
            raise ValueError("each delivery kind (pickup, standard, express) may be listed once")
        codes = [c.code for c in self.coupons]
        if len(set(codes)) != len(codes):
            raise ValueError("a coupon code is listed twice")
        return self

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        spans = self.opening_hours.get(WEEKDAYS[local.weekday()], ())
        return any(s.contains(local.time()) for s in spans)

    def delivery_option(self, kind: DeliveryKind | str) -> DeliveryOption | None:
        for d in self.delivery:
            if d.kind == kind or normalize_phrase(d.name) == normalize_phrase(str(kind)):
                return d
        return None

    def coupon(self, code: str) -> Coupon | None:
        key = re.sub(r"[^A-Za-z0-9-]", "", code).upper()
        for c in self.coupons:
            if c.code == key:
                return c
        return None
