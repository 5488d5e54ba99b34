"""Which product, by the words that describe it: "the pork one" at "which ramen?".

When the answer to "which one?" names no choice outright, the words an item was heard in may still
say which: every one of them is a word of exactly one choice's name, aliases, brand, tags or
description ("pork": the tonkotsu, also called pork ramen; "the potato ones": the potato chips, not
the frozen french fries). An item said with a count ("a pork bao") is a new request, not an answer.
So at "what size mocha?", "wait no, the iced one" turns the mocha into the iced mocha.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.dialog.context import Context
from voiceshop.dialog.state import Choice
from voiceshop.nlu.align import STOP
from voiceshop.nlu.onething import known_by, known_words
from voiceshop.nlu.result import Understanding
from voiceshop.nlu.text import stem, words

__all__ = ["described", "variant"]


def described(u: Understanding, choices: Sequence[Choice], ctx: Context) -> Choice | None:
    """The one product choice whose words hold every word of the one item ``u`` heard without a count."""
    if len(u.items) != 1 or u.items[0].quantity_said:
        return None
    sku = known_by(u.items[0].text, [c.value for c in choices], ctx.catalog, description=True)
    return next((c for c in choices if c.value == sku), None)


def variant(u: Understanding, sku: str | None, ctx: Context) -> str | None:
    """The product a turn naming no item turns ``sku`` into ("wait no, the iced one" at "what size
    mocha?": the iced mocha): the one other product known by every word of ``sku``'s name and by a
    word said that ``sku`` is not known by."""
    product = ctx.catalog.product(sku) if sku else None
    if product is None or u.items:
        return None
    own = known_words(product, description=False)
    name = {stem(w) for w in words(product.name)} - STOP
    said = {stem(w) for w in words(u.text)} - own - STOP
    fits = [
        p.sku
        for p in ctx.catalog.products
        if p.sku != sku and name <= (known := known_words(p, description=False)) and not said.isdisjoint(known)
    ]
    return fits[0] if len(fits) == 1 else None
