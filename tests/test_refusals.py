"""No exception text is ever spoken: every refusal reaches the shopper as a reply chosen by its code.

Walks every ``VoiceshopError`` class (an order that could not be placed, a cart action that failed)
and every code a raise site gives, through the real policy and the English reply file.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from voiceshop import errors
from voiceshop.commerce.cart import Cart, price_item
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.dialog.context import Context
from voiceshop.dialog.policy import decide
from voiceshop.dialog.replies import replies_for
from voiceshop.dialog.state import ActionFailed, CancelOrder, DialogState, PlaceOrder
from voiceshop.errors import Problem, VoiceshopError
from voiceshop.shopfiles.loader import load_shop_folder

ROOT = Path(__file__).resolve().parent.parent
SECRET = "operator-only detail: check the catalog file"


class _NoRecords:
    def customer(self, name: str) -> None:
        return None

    def orders(self, customer: str | None, numbers: object) -> list[object]:
        return []

    def order(self, number: str) -> None:
        return None

    def popular(self) -> list[str]:
        return []

    def saved_cart(self, key: str) -> Cart:
        return Cart()


def _every_error_class() -> list[type[VoiceshopError]]:
    found: list[type[VoiceshopError]] = []
    todo: list[type[VoiceshopError]] = [VoiceshopError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted(found, key=lambda c: c.__name__)


def _instance(cls: type[VoiceshopError]) -> VoiceshopError:
    if issubclass(cls, errors.OutOfStock):
        return cls("DRK-LATTE", "latte", 3, 1)  # type: ignore[call-arg]
    if cls.__init__ is errors._FilesError.__init__:
        return cls([Problem("catalog.yaml", 3, "price", SECRET)])  # type: ignore[call-arg]
    return cls(SECRET)


def _context() -> Context:
    bundle = load_shop_folder(ROOT / "examples" / "coffee-bar")
    return Context(
        shop=bundle.shop,
        catalog=bundle.catalog,
        now=datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
        records=_NoRecords(),
        replies=replies_for("en"),
        new_token="token",
    )


@pytest.mark.parametrize("cls", _every_error_class(), ids=lambda c: c.__name__)
def test_a_failed_action_never_speaks_the_exception(cls: type[VoiceshopError]) -> None:
    ctx = _context()
    error = _instance(cls)
    cart = Cart().add(price_item(ctx.catalog, "BAK-CROISSANT"))
    state = DialogState(cart=cart, delivery=DeliveryKind.PICKUP, checkout_token="token")
    for action in (PlaceOrder(cart=cart, token="token", delivery=DeliveryKind.PICKUP), CancelOrder(number="1")):
        failed = ActionFailed(action=action, code=error.code, fields=error.fields, message=str(error))
        decision = decide(state, failed, ctx)
        assert decision.reply is not None
        assert decision.reply.text
        assert SECRET not in decision.reply.text
        assert "catalog" not in decision.reply.text.lower()


def _codes_raised() -> set[str]:
    codes = {cls.default_code for cls in _every_error_class()}
    for path in (ROOT / "voiceshop").rglob("*.py"):
        codes |= set(re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8")))
    return codes


def test_every_code_a_shopper_can_meet_has_a_reply() -> None:
    """The codes of the cart, options, coupons and checkout each have their own reply; the others
    (a store that cannot be used, a shop file) fall back to the general one."""
    replies = replies_for("en")
    shopper_facing = {
        c
        for c in _codes_raised()
        if not c.startswith(("shop", "grammar", "language", "audio", "model", "recognizer", "failed"))
    }
    missing = sorted(c for c in shopper_facing if not replies.has(f"refused_{c}"))
    assert missing == [], "add refused_<code> replies to voiceshop/language/en/replies.yaml"


def test_refusals_are_said_with_their_fields() -> None:
    ctx = _context()
    try:
        price_item(ctx.catalog, "DRK-LATTE")
    except errors.OptionError as err:
        said = ctx.refused(err)
    assert said == "The latte needs a size."
    try:
        Cart().remove(3)
    except errors.CartError as err:
        said = ctx.refused(err)
    assert said == "I can't find that item in your cart."
    over = errors.SpendingCapExceeded(SECRET, total=15950, cap=15000)
    assert ctx.refused(over) == (
        "Your total of one hundred fifty nine dollars fifty is over the limit of one hundred fifty dollars"
        " for one order."
    )
