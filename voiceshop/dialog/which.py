"""Which product, by the words that describe it: "the pork one" at "which ramen?".

When the answer to "which one?" names no choice outright, the words an item was heard in may still
say which: every one of them is a word of exactly one choice's name, aliases, brand, tags or
description ("pork": the tonkotsu, also called pork ramen; "the potato ones": the potato chips, not
the frozen french fries). An item said with a count ("a pork bao") is a new request, not an answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.dialog.context import Context
from voiceshop.dialog.state import Choice
from voiceshop.nlu.onething import known_by
from voiceshop.nlu.result import Understanding

__all__ = ["described"]


def described(u: Understanding, choices: Sequence[Choice], ctx: Context) -> Choice | None:
    """The one product choice whose words hold every word of the one item ``u`` heard without a count."""
    if len(u.items) != 1 or u.items[0].quantity_said:
        return None
    sku = known_by(u.items[0].text, [c.value for c in choices], ctx.catalog, description=True)
    return next((c for c in choices if c.value == sku), None)
