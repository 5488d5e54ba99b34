"""Customers: who is shopping, their optional purchase PIN and remembered preferences.

A PIN is never stored; only a salted scrypt hash of it is, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from voiceshop.commerce.catalog import Name, Strict
from voiceshop.commerce.money import Amount
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.errors import CustomerError

PIN_PATTERN = re.compile(r"^\d{4,8}$")
# scrypt cost: ~15 ms on a Raspberry Pi 4, enough to make offline guessing of short PINs slow.
_N, _R, _P = 2**14, 8, 1


class Customer(Strict):
    name: Name
    """How the customer is addressed and switched to ("this is Anna"); unique per store."""
    pin_hash: str | None = None
    """Salted scrypt hash of the purchase PIN, or None when purchases need no PIN."""
    default_delivery: DeliveryKind | None = None
    preferences: dict[str, str] = Field(default_factory=dict)
    """Remembered choices by option group, e.g. {"milk": "oat milk", "size": "large"}."""
    spending_cap: Amount | None = Field(default=None, gt=0)
    """Largest total one order of this customer may have, in minor units of the shop's currency."""
    pin_failures: int = Field(default=0, ge=0)
    """Wrong PINs said in a row; reset by a right one."""
    pin_locked_until: datetime | None = None
    """Purchases and switching to this customer are refused until then, after too many wrong PINs."""
    pace: int = Field(default=0, ge=-3, le=3)
    """Speaking rate the customer asked for: below zero slower, above faster."""
    volume: int = Field(default=0, ge=-3, le=3)
    """Loudness the customer asked for, relative to the device's setting."""
    detail: Literal["short", "full"] = "short"
    """How much the assistant says: "short" replies, or "full" with options and prices read out."""

    @field_validator("preferences", mode="before")
    @classmethod
    def _lower_keys(cls, v: object) -> object:
        if isinstance(v, dict):
            return {str(k).strip().lower(): str(val).strip() for k, val in v.items()}
        return v

    @property
    def has_pin(self) -> bool:
        return self.pin_hash is not None


def check_pin_format(pin: str) -> str:
    digits = re.sub(r"[\s-]", "", pin)
    if not PIN_PATTERN.match(digits):
        raise CustomerError("a PIN must be 4 to 8 digits")
    return digits


def hash_pin(pin: str) -> str:
    digits = check_pin_format(pin)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(digits.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt_hex, digest_hex = stored.split("$")
        if algo != "scrypt":
            return False
        digits = re.sub(r"[\s-]", "", pin)
        digest = hashlib.scrypt(digits.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)
