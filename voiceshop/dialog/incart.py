"""Items said of lines already in the cart: a correction's new count ("no wait, two muffins"), a
turn that limits what it names ("vegetable oil only"), dishes named again with options ("chow mein
medium spice, pad thai mild"), a choice named like a product ("on sourdough" after a sandwich) and
more said right after a removal ("drop the tiramisu" ... "and the wedges") change, say back or take
out those lines instead of adding.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.commerce.cart import CartLine
from voiceshop.dialog import alongside
from voiceshop.dialog.context import Context
from voiceshop.dialog.respond import join, respond
from voiceshop.dialog.speak import say_list
from voiceshop.dialog.state import Decision, DialogState
from voiceshop.errors import CartError
from voiceshop.language import load
from voiceshop.nlu.result import ItemMention, Understanding
from voiceshop.nlu.text import stem, words

_SMALL = load().function_words("stop")

__all__ = ["as_options", "just_added", "kept", "names_another", "recounted", "removed_too", "restyled", "said_again"]


def recounted(
    state: DialogState, mentions: list[ItemMention], ctx: Context, notes: list[str], fewer: bool = False
) -> tuple[DialogState, list[ItemMention], list[str]]:
    """A correction that names a product in the cart with a new count sets that line's count; the
    other items are still to add. ``fewer``: only a count below the line's ("just one coke" with two
    in the cart)."""
    rest: list[ItemMention] = []
    changed: list[int] = []
    for m in mentions:
        if fewer and not any(ln.sku == m.sku and ln.quantity > m.quantity for ln in state.cart.lines):
            rest.append(m)
            continue
        lines = [i for i, ln in enumerate(state.cart.lines) if ln.sku == m.sku]
        if not lines:  # "two packs of butter, actually" with the unsalted butter in the cart
            lines = named_lines(state.cart.lines, m.text, m.unit)
            m = m.model_copy(update={"sku": state.cart.lines[lines[0]].sku}) if len(lines) == 1 else m
        if not m.quantity_said or len(lines) != 1 or not _said_of(m, state.cart.lines[lines[0]]):
            rest.append(m)
            continue
        try:
            cart = state.cart.set_quantity(lines[0], m.quantity)
        except CartError:
            rest.append(m)
            continue
        state = state.with_cart(cart, lines[0])
        changed.append(lines[0])
    return state, rest, [*notes, *_changed(state, changed, ctx)]


def kept(
    state: DialogState, mentions: list[ItemMention], ctx: Context, notes: list[str]
) -> tuple[list[ItemMention], list[str]]:
    """Of a turn that limits what it names, the items already in the cart, said without a count or
    with the line's, are those lines, said back (every one it may name: "the latte" with two latte
    lines); the others are still to add."""
    rest: list[ItemMention] = []
    for m in mentions:
        counted = m.quantity if m.quantity_said else None
        lines = [ln for ln in state.cart.lines if _said_of(m, ln) and counted in (ln.quantity, None)]
        if lines:
            notes = [*notes, ctx.replies("kept", item=say_list([ctx.describe(ln) for ln in lines]))]
        else:
            rest.append(m)
    return rest, notes


def said_again(
    state: DialogState, u: Understanding, mentions: list[ItemMention], ctx: Context, notes: list[str]
) -> tuple[list[ItemMention], list[str]]:
    """A turn that only names again the line the cart's last change added, as it is ("ramune, the
    marble soda" after "Added one ramune", "a large mocha, the hot one"): the shopper saying it
    again, not asking for a second, which "another", "one more" or "and a ..." would. Said back."""
    if u.continues or len(mentions) != 1 or not just_added(state):
        return mentions, notes
    line, m = state.cart.lines[-1], mentions[0]
    if not _said_of(m, line):
        return mentions, notes
    if m.quantity_said and m.quantity != line.quantity:
        return mentions, notes
    return [], [*notes, ctx.replies("said_again", item=ctx.describe(line))]


def just_added(state: DialogState) -> bool:
    """Whether the cart's last change added the line in focus (the cart's last)."""
    cart, index = state.cart, state.focus
    return bool(state.undo) and index == len(cart.lines) - 1 and state.undo[-1].lines == cart.lines[:-1]


def _said_of(m: ItemMention, line: CartLine) -> bool:
    """Whether ``m`` may name ``line``: the same product, and every option said is the line's."""
    return m.sku == line.sku and {(o.group, o.choice) for o in m.options} <= {(o.group, o.choice) for o in line.options}


def restyled(
    state: DialogState, mentions: list[ItemMention], ctx: Context, notes: list[str], corrects: bool = False
) -> tuple[DialogState, list[ItemMention], list[str]]:
    """Of the items said, those named again with options and no count where the cart has the dish
    once ("chow mein medium spice, pad thai mild" after both were added): the options go on that
    line (it is said back when it has them already), as where it is named vaguely and the cart has
    one of the things it may be ("make the soup a cup" with a split pea soup), or, in a turn that
    ``corrects``, with the line's count ("actually, a latte with oat milk"); the others are still to
    add."""
    rest: list[ItemMention] = []
    changed: list[int] = []
    for m in mentions:
        named = {m.sku} if m.sku else {c.value for c in m.candidates}
        lines = [i for i, ln in enumerate(state.cart.lines) if ln.sku in named]
        line = state.cart.lines[lines[0]] if len(lines) == 1 else None
        if not m.options or line is None or (m.quantity_said and not (corrects and m.quantity == line.quantity)):
            rest.append(m)
            continue
        new = (
            line
            if _said_of(m, line)
            else alongside.with_choices(line, [(o.group, o.choice, o.amount) for o in m.options], ctx)
        )
        if new is None:
            rest.append(m)
            continue
        state = state.with_cart(state.cart.replace(lines[0], new), lines[0])
        changed.append(lines[0])
    return state, rest, [*notes, *_changed(state, changed, ctx)]


def as_options(
    state: DialogState, mentions: list[ItemMention], ctx: Context, notes: list[str]
) -> tuple[DialogState, list[ItemMention], list[str]]:
    """Of the items said, those said without a count whose words name a choice the line last added
    takes ("on sourdough", "with cheddar" after a sandwich, where the shop also sells a sourdough
    loaf and cheddar): that choice on the line; the others are still to add."""
    index = state.focus
    if index is None or index >= len(state.cart.lines):
        return state, mentions, notes
    product = ctx.catalog.product(state.cart.lines[index].sku)
    rest: list[ItemMention] = []
    changed: list[int] = []
    for m in mentions:
        named = [
            (group.name, choice.name)
            for group in (ctx.catalog.groups_for(product) if product is not None else ())
            if (choice := group.choice(m.text)) is not None
        ]
        new = (
            None
            if m.quantity_said or m.options or not named
            else alongside.with_choices(state.cart.lines[index], [(*named[0], None)], ctx)
        )
        if new is None:
            rest.append(m)
            continue
        state = state.with_cart(state.cart.replace(index, new), index)
        changed = [index]
    return state, rest, [*notes, *_changed(state, changed, ctx)]


def _changed(state: DialogState, indexes: list[int], ctx: Context) -> list[str]:
    if not indexes:
        return []
    return [ctx.replies("changed", item=say_list([ctx.describe(state.cart.lines[i]) for i in indexes]))]


def named_lines(lines: Sequence[CartLine], text: str, unit: str | None = None) -> list[int]:
    """The lines whose names hold every word that names a thing in ``text``, but for a ``unit``
    said with it ("cans of soup" of the tomato soup)."""
    said = _named(text) - {stem(unit or "")}
    return [i for i, ln in enumerate(lines) if said and said <= _named(ln.name)]


def _named(text: str) -> set[str]:
    """The words that name a thing in ``text`` (stemmed; "packs of butter": pack, butter)."""
    return {stem(w) for w in words(text) if w not in _SMALL}


def removed_too(state: DialogState, u: Understanding, ctx: Context) -> Decision | None:
    """After a removal, a turn that goes on from it ("and the wedges", "and the gel too") naming only
    lines in the cart, without a count: those lines come out too. None when it names anything else."""
    if not u.continues or not u.items:
        return None
    found: list[int] = []
    for m in u.items:
        named = [m.sku] if m.sku else [c.value for c in m.candidates]
        lines = [
            next((i for i, ln in enumerate(state.cart.lines) if ln.sku == sku and i not in found), None)
            for sku in named
        ]
        line = next((i for i in lines if i is not None), None)  # the likeliest of the products it may be
        if m.refused or m.quantity_said or line is None:
            return None
        found.append(line)
    cart = state.cart
    for index in sorted(found, reverse=True):
        cart = cart.remove(index)
    text = ctx.replies("removed", items=say_list([ctx.describe(state.cart.lines[i]) for i in found]))
    if not cart.lines:
        text = join(text, ctx.replies("cart_now_empty"))
    return respond(state.with_cart(cart, None).model_copy(update={"removing": True}), text)


def names_another(state: DialogState, u: Understanding, change: str) -> bool:
    """Whether "make it ..." / "change it to ..." names only products not in the cart, where one line
    is the one meant (the one last touched, or the only one)."""
    skus = {ln.sku for ln in state.cart.lines}
    meant = state.focus is not None or len(state.cart.lines) == 1
    others = all(m.sku and m.sku not in skus and not m.refused for m in u.items)
    return meant and not change and bool(u.items) and others
