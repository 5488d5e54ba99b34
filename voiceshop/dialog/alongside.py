"""Options said alongside an answer: "large, hot" at "what size?", "both regular" for two dishes,
"same as that" for the line before.

An answer to "what size ramen?" may say more than the size: another option of the same dish
("large, hot"), or that the size is for every dish waiting ("both regular", "all regular only").
What the item's product takes is kept with it; what it does not take is left to the rest of the
dialog. Whether the turn says "every one" is understanding's to say (``Understanding.every``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from voiceshop.commerce.cart import CartLine, ChosenOption, price_item
from voiceshop.commerce.catalog import OptionGroup, OptionKind, Product, normalize_phrase
from voiceshop.dialog.context import Context
from voiceshop.dialog.respond import respond
from voiceshop.dialog.speak import say_list
from voiceshop.dialog.state import Decision, DialogState, PendingItem
from voiceshop.errors import OptionError
from voiceshop.language import load
from voiceshop.nlu.readings import said_readings
from voiceshop.nlu.result import Understanding

_SMALL = load().function_words("stop")


def free_options(u: Understanding) -> list[tuple[str, str, str | None]]:
    """(group, choice, amount said before it) of every option said in ``u`` outside the items it
    names, in order, but those refused."""
    claimed = Counter(f"{o.group}:{o.choice}" for item in u.items for o in item.options)
    free: list[tuple[str, str, str | None]] = []
    amount: str | None = None
    for m in u.mentions:
        value = str(m.value)
        if m.kind == "amount":
            amount = value
        if m.kind != "option" or m.refused or m.variety:  # "no sugar", "oat milk": not an option to add
            continue
        if claimed[value]:
            claimed[value] -= 1
        else:
            group, _, choice = value.partition(":")
            free.append((group, choice, amount))
        amount = None
    return free


def also_said(u: Understanding, item: PendingItem, asked: str, ctx: Context) -> tuple[ChosenOption, ...]:
    """The options besides the one asked for that ``u`` gives ``item``: of groups its product takes
    and it has no choice in yet, one each ("large, hot": hot); in a turn that corrects, of groups of
    one choice it has one in too ("no, barbacoa" after carnitas), to take its place (``replaced``)."""
    product = ctx.catalog.product(item.sku) if item.sku else None
    if product is None:
        return ()
    have = {o.group for o in item.options if not (u.corrects and _single(ctx, o.group))} | {asked}
    found: dict[str, ChosenOption] = {}
    for group, choice, amount in free_options(u):
        if group in product.options and group not in have and group not in found and _offers(ctx, group, choice):
            taken = amount if (g := ctx.catalog.group(group)) is not None and g.amount(amount or "") else None
            found[group] = ChosenOption(group=group, choice=choice, amount=taken)
    for m in u.mentions if u.corrects else ():
        # "no barbacoa" after carnitas, where a protein is one of: the item has no barbacoa to leave
        # out, so the "no" takes back the carnitas ("no, barbacoa"), as a recogniser writes it
        group, _, choice = str(m.value).partition(":")
        had = {o.choice for o in item.options if o.group == group}
        other = m.kind == "option" and m.refused and group not in found and bool(had) and choice not in had
        if other and group in product.options and _single(ctx, group) and _offers(ctx, group, choice):
            found[group] = ChosenOption(group=group, choice=choice)
    return tuple(found.values())


def replaced(options: Sequence[ChosenOption], new: Sequence[ChosenOption]) -> tuple[ChosenOption, ...]:
    """``options`` with ``new`` in place of the choices of their groups."""
    groups = {o.group for o in new}
    return (*(o for o in options if o.group not in groups), *new)


def _single(ctx: Context, group: str) -> bool:
    g = ctx.catalog.group(group)
    return g is not None and (g.kind is OptionKind.ONE_OF or g.max_choices == 1)


def for_any(u: Understanding, item: PendingItem, ctx: Context) -> tuple[ChosenOption, ...]:
    """The options ``u`` gives an item whose product is not chosen yet ("large, with kiwi" at "which
    bowl?"): of each option said, the first reading every product it may be takes ("large" is the
    bowls' large bowl), one each of a group that takes one."""
    products = [ctx.catalog.product(c.value) for c in item.candidates]
    readings = said_readings(u)
    if not products or any(p is None for p in products) or any(u.refusals):
        return ()
    have = {o.group for o in item.options}
    found: dict[tuple[str, str], ChosenOption] = {}
    for k, said in enumerate(readings):
        taken = next(
            (r for r in said if all(p is not None and r.partition(":")[0] in p.options for p in products)), None
        )
        if taken is None:
            continue
        group, _, choice = taken.partition(":")
        g = ctx.catalog.group(group)
        single = g is None or g.kind is OptionKind.ONE_OF or g.max_choices == 1
        if group in have or (single and any(key[0] == group for key in found)) or not _offers(ctx, group, choice):
            continue
        amount = u.amounts[k] if k < len(u.amounts) else None
        found[(group, choice)] = ChosenOption(
            group=group, choice=choice, amount=amount if g and g.amount(amount or "") else None
        )
    return tuple(found.values())


def shared(queue: tuple[PendingItem, ...], group: str, choice: str, ctx: Context) -> tuple[PendingItem, ...]:
    """``queue`` with ``choice`` given to every item whose product takes it and that has no choice
    of ``group`` yet."""
    out = []
    for item in queue:
        product = ctx.catalog.product(item.sku) if item.sku else None
        takes = product is not None and group in product.options and _offers(ctx, group, choice)
        if takes and all(o.group != group for o in item.options):
            item = item.model_copy(update={"options": (*item.options, ChosenOption(group=group, choice=choice))})
        out.append(item)
    return tuple(out)


def like(item: PendingItem, line: CartLine, ctx: Context) -> PendingItem:
    """``item`` with the choices of ``line`` ("and a taro one, same as that") in the groups its
    product takes and it has no choice in yet."""
    product = ctx.catalog.product(item.sku) if item.sku else None
    have = {o.group for o in item.options}
    taken = tuple(
        o
        for o in line.options
        if product is not None
        and o.group in product.options
        and o.group not in have
        and _offers(ctx, o.group, o.choice)
    )
    return item.model_copy(update={"options": (*item.options, *taken)}) if taken else item


def another_with(
    state: DialogState, index: int, readings: Sequence[tuple[str, ...]], u: Understanding, ctx: Context
) -> PendingItem | None:
    """ "And one ginger and lemon" after two raspberry kombuchas: a turn that goes on with a count
    and a choice of a group of one, where the line has another choice of it said, asks for more of
    the line's product with that choice (and the line's other choices), not for the line changed."""
    counts = [m.value for m in u.mentions if m.kind == "quantity" and isinstance(m.value, int)]
    if not u.continues or u.slot("some") is not None or len(counts) != 1 or counts[0] < 1 or len(readings) != 1:
        return None
    line = state.cart.lines[index]
    taken = reading_for(ctx.catalog.product(line.sku), readings[0])
    group_name, _, choice = (taken or "").partition(":")
    group = ctx.catalog.group(group_name)
    if group is None or not _single(ctx, group_name) or not _offers(ctx, group_name, choice):
        return None
    had = [o.choice for o in line.options if o.group == group_name]
    if not had or _same(had[0], choice) or _same(had[0], group.default or ""):
        return None
    item = PendingItem(sku=line.sku, quantity=counts[0], options=(ChosenOption(group=group_name, choice=choice),))
    return like(item, line, ctx)


def reading_for(product: Product | None, readings: tuple[str, ...]) -> str | None:
    """The first "group:choice" reading of an option said that ``product`` takes ("egg": a topping
    of a ramen, not its noodles)."""
    return next((r for r in readings if product is not None and r.partition(":")[0] in product.options), None)


def chosen_on(options: list[ChosenOption], group: OptionGroup, choice: str, amount: str | None) -> list[ChosenOption]:
    """A line's ``options`` with ``choice`` of ``group`` chosen: it replaces the group's choice (one
    of), or joins the add-ons, the oldest making way when the group is full."""
    if group.kind is OptionKind.ONE_OF:
        return [*(o for o in options if o.group != group.name), ChosenOption(group=group.name, choice=choice)]
    kept = [o for o in options if not (o.group == group.name and _same(o.choice, choice))]
    if len([o for o in kept if o.group == group.name]) >= group.max_choices:
        kept = [o for o in kept if o.group != group.name]
    return [*kept, ChosenOption(group=group.name, choice=choice, amount=amount)]


def said_on(
    options: list[ChosenOption], group: OptionGroup, choice: str, amount: str | None, u: Understanding, k: int = 0
) -> list[ChosenOption]:
    """A line's ``options`` once ``u`` says ``choice`` of ``group`` (its ``k``-th option): chosen
    (``chosen_on``) or, refused ("no sugar", "without cream"), taken off, where the group may go
    without it. "No, soy milk" on an almond milk latte corrects the milk: after "no", a choice of a
    group where the line has another choice, not the group's default, is chosen ("no, no honey" on a
    smoothie with no added sweetener refuses the honey); the opening "no" is only the first option's
    ("no, small, not medium" refuses the medium)."""
    if amount is None:  # "no, cream, not milk" with a little cream on: said again, it keeps its amount
        amount = next((o.amount for o in options if o.group == group.name and _same(o.choice, choice)), None)
    if k < len(u.refusals) and u.refusals[k]:
        chose = [o.choice for o in options if o.group == group.name and not _same(o.choice, group.default or "")]
        other = any(not _same(c, choice) for c in chose)
        if not (u.corrects and other and k == 0):
            if group.kind is OptionKind.ONE_OF and group.required:
                return options
            return [o for o in options if not (o.group == group.name and _same(o.choice, choice))]
    elif k == 0 and group.kind is not OptionKind.ONE_OF:
        # "actually chive cream cheese" on a bagel with plain cream cheese, or "make the chive one
        # plain cream cheese": in place of the add-on of its own kind (sharing a word of its name)
        # that was taken back or named, not beside it
        alike = [o for o in options if o.group == group.name and _alike(o.choice, choice)]
        said = set(normalize_phrase(u.text).split())
        gone = [o for o in alike if u.corrects or _own_words(o.choice, choice) & said]
        options = [o for o in options if o not in gone]
    return chosen_on(options, group, choice, amount)


def _own_words(one: str, other: str) -> set[str]:
    """The words of ``one``'s name that ``other``'s does not have ("chive" of "chive cream cheese")."""
    return set(normalize_phrase(one).split()) - set(normalize_phrase(other).split()) - _SMALL


def _alike(one: str, other: str) -> bool:
    """Whether two choices' names share a word ("plain cream cheese", "chive cream cheese")."""
    return bool(set(normalize_phrase(one).split()) & set(normalize_phrase(other).split()) - _SMALL)


def change_every(state: DialogState, readings: tuple[str, ...], u: Understanding, ctx: Context) -> Decision | None:
    """ "Make all of them thin", "both with oat milk", "no sugar in either": the choice on every line
    whose product takes it (None when the turn does not say every one, or fewer than two lines take it)."""
    if not u.every or u.slot("product"):
        return None
    cart, changed = state.cart, []
    for index, line in enumerate(state.cart.lines):
        taken = reading_for(ctx.catalog.product(line.sku), readings)
        group, _, choice = (taken or "").partition(":")
        new = with_choices(line, [(group, choice, None)], ctx, u) if taken else None
        if new is None:
            continue
        cart = cart.replace(index, new)
        changed.append(ctx.describe(new))
    if len(changed) < 2:
        return None
    return respond(state.with_cart(cart, state.focus), ctx.replies("changed", item=say_list(changed)))


def with_choices(
    line: CartLine, said: list[tuple[str, str, str | None]], ctx: Context, u: Understanding | None = None
) -> CartLine | None:
    """``line`` with each (group, choice, amount) chosen on it (or refused, as ``u`` says:
    ``said_on``), or None when its product does not take them."""
    options: list[ChosenOption] = list(line.options)
    for k, (group_name, choice, amount) in enumerate(said):
        group = ctx.catalog.group(group_name)
        if group is None:
            return None
        options = said_on(options, group, choice, amount, u, k) if u else chosen_on(options, group, choice, amount)
    try:
        return price_item(ctx.catalog, line.sku, options, line.quantity)
    except OptionError:
        return None


def _same(a: str, b: str) -> bool:
    return normalize_phrase(a) == normalize_phrase(b)


def _offers(ctx: Context, group: str, choice: str) -> bool:
    g = ctx.catalog.group(group)
    return g is not None and g.choice(choice) is not None


def taken_with(item: PendingItem, u: Understanding, quantity: object) -> PendingItem:
    """An offered item with the quantity and options said when taking it ("a large one, please"); an
    option said replaces the offer's choice of its group ("and a medium" after "shall I add one large
    supreme?")."""
    said = [str(m.value).partition(":") for m in u.mentions if m.kind == "option" and not m.refused]
    options = [o for o in item.options if o.group not in {group for group, _, _ in said}]
    for group, _, choice in said:
        if all(o.group != group for o in options):
            options.append(ChosenOption(group=group, choice=choice))
    count = quantity if isinstance(quantity, int) and quantity > 0 else item.quantity
    return item.model_copy(update={"options": tuple(options), "quantity": count})
