"""Items said of lines already in the cart: a correction's new count ("no wait, two muffins") and a
turn that limits what it names ("vegetable oil only") change or say back those lines instead of adding.
"""

from __future__ import annotations

from voiceshop.commerce.cart import CartLine
from voiceshop.dialog.context import Context
from voiceshop.dialog.state import DialogState
from voiceshop.errors import CartError
from voiceshop.nlu.result import ItemMention

__all__ = ["kept", "recounted"]


def recounted(
    state: DialogState, mentions: list[ItemMention], ctx: Context, notes: list[str]
) -> tuple[DialogState, list[ItemMention], list[str]]:
    """A correction that names a product in the cart with a new count sets that line's count; the
    other items are still to add."""
    rest: list[ItemMention] = []
    for m in mentions:
        lines = [i for i, ln in enumerate(state.cart.lines) if ln.sku == m.sku]
        if not m.quantity_said or len(lines) != 1 or not _said_of(m, state.cart.lines[lines[0]]):
            rest.append(m)
            continue
        try:
            cart = state.cart.set_quantity(lines[0], m.quantity)
        except CartError:
            rest.append(m)
            continue
        state = state.with_cart(cart, lines[0])
        notes = [*notes, ctx.replies("changed", item=ctx.describe(cart.lines[lines[0]]))]
    return state, rest, notes


def kept(
    state: DialogState, mentions: list[ItemMention], ctx: Context, notes: list[str]
) -> tuple[list[ItemMention], list[str]]:
    """Of a turn that limits what it names, the items already in the cart, said without a count, are
    those lines, said back; the others are still to add."""
    rest: list[ItemMention] = []
    for m in mentions:
        lines = [ln for ln in state.cart.lines if ln.sku == m.sku and _said_of(m, ln) and not m.quantity_said]
        if lines:
            notes = [*notes, ctx.replies("kept", item=ctx.describe(lines[-1]))]
        else:
            rest.append(m)
    return rest, notes


def _said_of(m: ItemMention, line: CartLine) -> bool:
    """Whether ``m`` may name ``line``: the same product, and every option said is the line's."""
    return m.sku == line.sku and {(o.group, o.choice) for o in m.options} <= {(o.group, o.choice) for o in line.options}
