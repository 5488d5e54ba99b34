"""A line shared out by the choices said for it: "two lattes" then "one with whole milk and one with
soy" makes two lines, and "two large and one small" answers a size question for three."""

from __future__ import annotations

from voiceshop.commerce.cart import ChosenOption, price_item
from voiceshop.dialog.context import Context
from voiceshop.dialog.respond import anything_else, respond
from voiceshop.dialog.speak import say_list
from voiceshop.dialog.state import Decision, DialogState
from voiceshop.errors import CartError, OptionError
from voiceshop.nlu.result import Understanding


def share_out(state: DialogState, u: Understanding, ctx: Context) -> Decision | None:
    """ "One with whole milk and one with soy" said after "two large lattes": the line last added is
    split by the choices said for it; None when the words do not share it out."""
    index = state.focus
    if index is None or index >= len(state.cart.lines) or state.cart.lines[index].quantity < 2:
        return None
    line = state.cart.lines[index]
    product = ctx.catalog.product(line.sku)
    if product is None:
        return None
    for group in ctx.catalog.groups_for(product):
        offered = {c.name for c in group.choices}
        parts = shares(u, group.name, offered, line.quantity)
        if len(parts) < 2 or sum(n for n, _ in parts) != line.quantity:
            continue
        kept = [o for o in line.options if o.group != group.name]
        try:
            new = [
                price_item(ctx.catalog, line.sku, (*kept, ChosenOption(group=group.name, choice=c)), n)
                for n, c in parts
            ]
        except (OptionError, CartError):
            return None
        cart = state.cart.remove(index)
        for part in new:
            cart = cart.add(part)
        said = say_list([ctx.describe(part) for part in new])
        return respond(state.with_cart(cart, None), ctx.replies("changed", item=said), question=anything_else(ctx))
    return None


def shares(u: Understanding, group: str, offered: set[str], quantity: int) -> list[tuple[int, str]]:
    """How many of each choice of ``group`` the words give, in order ("two large and one small"),
    when they share out ``quantity`` items (or say each count outright)."""
    parts: list[tuple[int, str]] = []
    count: int | None = None
    said = False
    was = str(u.slot("was") or "")  # "no, flour, not corn" puts one right, it shares nothing out
    for m in u.mentions:
        if was and m.value == was:
            continue
        if m.kind == "quantity" and isinstance(m.value, int):
            count, said = m.value, True
        elif m.kind == "option" and str(m.value).startswith(f"{group}:"):
            choice = str(m.value).partition(":")[2]
            if choice in offered:
                parts.append((count or 1, choice))
            count = None
    if len({choice for _, choice in parts}) < 2:
        return []
    return parts if said or sum(n for n, _ in parts) == quantity else []
