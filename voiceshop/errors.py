"""The one exception tree of voiceshop.

Every error a user can cause or fix derives from ``VoiceshopError``; its message says what was wrong
and what to do. The CLI turns these into a one-line reason and exit code 1, never a traceback.

    VoiceshopError
    ├── ShopFileError          a shop folder or catalog file is malformed (carries every Problem found)
    ├── ShopNotFound           no such shop loaded in the store
    ├── ProductNotFound        no such SKU in the shop
    ├── OptionError            an option or add-on choice that the product does not offer
    ├── CartError              an impossible cart operation (quantity, unknown line)
    ├── CouponError            unknown, expired or not-applicable coupon
    ├── CheckoutError          the order cannot be placed
    │   ├── OutOfStock         not enough stock for a line (carries what is available)
    │   ├── SpendingCapExceeded
    │   ├── PriceChanged       a price changed since the shopper heard the total
    │   └── EmptyCart
    ├── OrderNotFound          no order with that number
    ├── OrderTransitionError   a status change the order's life cycle does not allow
    ├── CustomerError          unknown or duplicate customer, bad PIN format
    ├── GrammarError           a grammar file is malformed (carries every Problem found)
    ├── LanguageError          no word tables for a language, or they are malformed
    ├── StoreError             the database cannot be used
    │   ├── StoreLocked        another process holds the database for too long
    │   ├── StoreDamaged       the database file is damaged or lost part of its schema (restore a backup)
    │   └── SchemaTooNew       the database was written by a newer voiceshop
    ├── AudioError             sound cannot be read or captured
    │   ├── AudioFormatError   a file or stream that is not usable audio (empty, not a WAV, bad format)
    │   └── MicrophoneError    no microphone, or it cannot be opened
    │       └── MicrophoneLost the microphone went away mid-session (unplugged)
    ├── SpeechOutputError      replies cannot be synthesised or played
    ├── RecognizerError        a speech recognition engine cannot be used (not installed, failed)
    └── ModelError             a speech model is missing, corrupt or for another language
        └── DownloadError      a model download or install failed (the installed model is untouched)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

LONGEST_QUOTE = 80
"""Characters of a user's value quoted in a message; a 10,000-character name is cut, not echoed."""


def shorten(value: object, limit: int = LONGEST_QUOTE) -> str:
    """``value`` as text for a message: control characters shown escaped, cut to ``limit`` characters."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class VoiceshopError(Exception):
    """Base of every error a user can cause or fix. ``str(err)`` is a complete, actionable sentence
    for the operator (CLI, logs); a shopper never hears it. The dialog says a reply chosen by
    ``code`` and filled from ``fields`` instead."""

    default_code: ClassVar[str] = "failed"

    def __init__(self, message: str = "", *, code: str | None = None, **fields: str | int) -> None:
        super().__init__(message)
        self.code: str = code or self.default_code
        """What went wrong, as a key a reply is chosen by: "out_of_stock", "option_needed"."""
        self.fields: dict[str, str | int] = dict(fields)
        """What the reply may say about it: a product's name, a group, how many are left."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a shop file, located as precisely as the format allows."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class _FilesError(VoiceshopError):
    """Files that could not be used, with every problem found in them."""

    files = "files"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the {self.files}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))


class ShopFileError(_FilesError):
    files = "shop files"


class ShopNotFound(VoiceshopError):
    default_code = "shop_not_found"


class ProductNotFound(VoiceshopError):
    default_code = "product_not_found"


class OptionError(VoiceshopError):
    default_code = "option"


class CartError(VoiceshopError):
    default_code = "cart"


class CouponError(VoiceshopError):
    default_code = "coupon"


class CheckoutError(VoiceshopError):
    default_code = "checkout"


class OutOfStock(CheckoutError):
    default_code = "out_of_stock"

    def __init__(self, sku: str, name: str, wanted: int, available: int) -> None:
        self.sku = sku
        self.name = name
        self.wanted = wanted
        self.available = available
        left = "none left" if available == 0 else f"only {available} left"
        super().__init__(
            f"not enough stock of {name} ({sku}): {wanted} wanted, {left}", product=name, available=available
        )


class SpendingCapExceeded(CheckoutError):
    default_code = "spending_cap"


class PriceChanged(CheckoutError):
    default_code = "price_changed"


class EmptyCart(CheckoutError):
    default_code = "empty_cart"


class OrderNotFound(VoiceshopError):
    default_code = "order_not_found"


class OrderTransitionError(VoiceshopError):
    default_code = "order_transition"


class CustomerError(VoiceshopError):
    default_code = "customer"


class GrammarError(_FilesError):
    files = "grammar files"


class LanguageError(VoiceshopError):
    default_code = "language"


class StoreError(VoiceshopError):
    default_code = "store"


class StoreLocked(StoreError):
    default_code = "store_locked"


class StoreDamaged(StoreError):
    default_code = "store"


class SchemaTooNew(StoreError):
    default_code = "store"


class AudioError(VoiceshopError):
    pass


class AudioFormatError(AudioError):
    pass


class MicrophoneError(AudioError):
    pass


class MicrophoneLost(MicrophoneError):
    pass


class SpeechOutputError(VoiceshopError):
    pass


class RecognizerError(VoiceshopError):
    pass


class ModelError(VoiceshopError):
    pass


class DownloadError(ModelError):
    pass
