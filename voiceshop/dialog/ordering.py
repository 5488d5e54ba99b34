"""Building the cart: adding what was said, asking what is missing, changing, removing, undoing.

Adding works through a queue of ``PendingItem``: each item said is completed in turn (which product,
a required option, a stock decision); what is complete goes into the cart at once, and the first item
needing an answer becomes the question, with the rest waiting behind it.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.commerce.cart import ChosenOption, price_item
from voiceshop.commerce.catalog import OptionGroup, OptionKind
from voiceshop.dialog import alongside, which
from voiceshop.dialog.context import Context
from voiceshop.dialog.incart import (
    as_options,
    just_added,
    kept,
    named_lines,
    names_another,
    recounted,
    restyled,
    said_again,
)
from voiceshop.dialog.respond import anything_else, first_choices, join, respond
from voiceshop.dialog.speak import say_list, say_number, speakable
from voiceshop.dialog.state import Choice, Decision, DialogState, PendingItem, Question
from voiceshop.errors import CartError, OptionError
from voiceshop.nlu.numbers import parse_number
from voiceshop.nlu.readings import said_readings
from voiceshop.nlu.result import ItemMention, OptionMention, Understanding
from voiceshop.nlu.text import words


def pending_from(mention: ItemMention) -> PendingItem:
    return PendingItem(
        sku=mention.sku,
        quantity=mention.quantity,
        options=tuple(ChosenOption(group=o.group, choice=o.choice, amount=o.amount) for o in mention.options),
        text=mention.text,
        candidates=tuple(Choice(value=c.value, name=speakable(c.name)) for c in mention.candidates),
        instead=mention.unsold is not None,
        doubted=mention.doubted,
        doubts=tuple(ChosenOption(group=o.group, choice=o.choice, amount=o.amount) for o in mention.doubts),
    )


def add_said(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    notes: list[str] = []
    unlisted = u.slots.get("unlisted")
    if unlisted is not None and unlisted.text:
        notes.append(ctx.replies("not_sold", what=unlisted.text))
    for mention in u.items:
        if mention.unsold and not mention.refused:  # "an iced latte": what the shop has instead
            notes.append(ctx.replies("not_sold", what=speakable(mention.unsold)))
        not_offered: list[str] = []  # "the bagel doesn't come with medium or whole milk": one note
        for unfit in mention.unfit_options:
            group = ctx.catalog.group(unfit.group)
            if unfit.not_sold and group is not None:  # "oat milk" where the shop has none: what it has
                notes.append(_option_not_sold(ctx, unfit.choice, group))
            elif mention.sku and unfit.choice not in not_offered:
                not_offered.append(unfit.choice)
        if not_offered and mention.sku:
            product = ctx.product_name(mention.sku)
            notes.append(ctx.replies("option_not_offered", product=product, option=say_list(not_offered, "or")))
    state, notes = _refused(state, u, ctx, notes)
    mentions = [m for m in u.items if not m.refused]
    if u.corrects or u.only:
        # "no wait, two muffins": the muffins in the cart, two of them, not two more; "vegetable oil
        # only" after adding one: that one, not one more; "just one coke" (two in the cart): one; "no,
        # triple a, not double a": the triple a in the cart
        state, mentions, notes = recounted(state, mentions, ctx, notes, fewer=not u.corrects)
        mentions, notes = kept(state, mentions, ctx, notes)
    state, mentions, notes = restyled(state, mentions, ctx, notes, u.corrects)
    mentions, notes = said_again(state, u, mentions, ctx, notes)
    state, mentions, notes = as_options(state, mentions, ctx, notes)
    items = [pending_from(m) for m in mentions]
    if u.same and state.focus is not None and state.focus < len(state.cart.lines):  # "same as that"
        items = [alongside.like(item, state.cart.lines[state.focus], ctx) for item in items]
    if not items and len(mentions) < len(u.items):
        return respond(state, join(*notes), question=anything_else(ctx))  # only counts changed
    if not items:
        return respond(state, join(*notes, ctx.replies("what_else")))
    return proceed(state.model_copy(update={"queue": tuple(items)}), ctx, notes=notes)


def replace_item(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    """ "Scratch that, a mocha instead": the item last added or changed comes out, what is said goes in."""
    notes: list[str] = []
    if state.focus is not None and state.focus < len(state.cart.lines):
        line = state.cart.lines[state.focus]
        state = state.with_cart(state.cart.remove(state.focus), None)
        notes.append(ctx.replies("removed", items=ctx.describe(line)))
    items = [pending_from(m) for m in u.items if not m.refused]
    if not items:
        return respond(state, join(*notes, ctx.replies("what_else")))
    return proceed(state.model_copy(update={"queue": tuple(items)}), ctx, notes=notes)


def _refused(state: DialogState, u: Understanding, ctx: Context, notes: list[str]) -> tuple[DialogState, list[str]]:
    """ "Not the bagel, the croissant": a refused product in the cart comes out (the one last touched
    first), and what is said with it goes in instead."""
    for mention in u.items:
        if not mention.refused or mention.sku is None:
            continue
        lines = [i for i, ln in enumerate(state.cart.lines) if ln.sku == mention.sku]
        if not lines:
            continue
        index = state.focus if state.focus in lines else lines[-1]
        line = state.cart.lines[index]
        state = state.with_cart(state.cart.remove(index), None)
        notes = [*notes, ctx.replies("removed", items=ctx.describe(line))]
    return state, notes


def proceed(state: DialogState, ctx: Context, *, notes: Sequence[str] = (), added: Sequence[str] = ()) -> Decision:
    """Work through the queue: add what is complete, ask about the first item that is not."""
    notes, added = list(notes), list(added)
    while state.queue:
        item, rest = state.queue[0], state.queue[1:]
        state = state.model_copy(update={"queue": rest})
        asked = _complete(state, item, ctx, notes)
        if isinstance(asked, Question):
            text = join(_added_text(ctx, added), *notes)
            return respond(state, text, question=asked)
        if asked is not None:
            state, said = asked
            added.append(said)
    text = join(_added_text(ctx, added), *notes)
    offer = usual_extra(state, ctx) if added else None
    if offer is not None:
        return respond(state, text, question=offer)
    if added:
        return respond(state, text, question=anything_else(ctx))
    return respond(state, join(text, ctx.replies("what_else")))


def usual_extra(state: DialogState, ctx: Context) -> Question | None:
    """An add-on the customer usually has ("with soy milk, as usual?") for the item just added.

    Offered, not added: an add-on changes the drink and the price, so the shopper says yes to it.
    """
    customer = ctx.customer(state.customer)
    if customer is None or state.focus is None or state.focus >= len(state.cart.lines):
        return None
    line = state.cart.lines[state.focus]
    product = ctx.catalog.product(line.sku)
    if product is None:
        return None
    for group in ctx.catalog.groups_for(product):
        liked = customer.preferences.get(group.name)
        choice = group.choice(liked) if liked else None
        if group.kind is not OptionKind.ADD_ON or choice is None or any(o.group == group.name for o in line.options):
            continue
        text = ctx.replies("usual_extra", choice=speakable(choice.name))
        return Question(
            kind="option_offer", text=text, group=group.name, choices=(Choice(value=choice.name, name=choice.name),)
        )
    return None


def add_option(state: DialogState, index: int, group: str, choice: str, ctx: Context) -> Decision:
    """Add an option to a cart line (an offered usual add-on accepted)."""
    line = state.cart.lines[index]
    chosen = ctx.catalog.group(group)
    single = chosen is not None and (chosen.kind is OptionKind.ONE_OF or chosen.max_choices == 1)
    kept = [o for o in line.options if not (single and o.group == group)]  # soy milk for almond
    try:
        new = price_item(ctx.catalog, line.sku, (*kept, ChosenOption(group=group, choice=choice)), line.quantity)
    except OptionError as exc:
        return respond(state, join(ctx.replies("cannot_change"), ctx.refused(exc)))
    cart = state.cart.replace(index, new)
    return respond(
        state.with_cart(cart, index), ctx.replies("changed", item=ctx.describe(new)), question=anything_else(ctx)
    )


def _added_text(ctx: Context, added: Sequence[str]) -> str:
    return ctx.replies("added", items=say_list(list(added))) if added else ""


def _complete(
    state: DialogState, item: PendingItem, ctx: Context, notes: list[str]
) -> Question | tuple[DialogState, str] | None:
    """The question ``item`` needs, or the state with it added and how to say it; None if dropped."""
    if item.sku is None:
        if item.candidates:
            return which_question(ctx, item)
        notes.append(ctx.replies("not_found", what=item.text or ctx.replies("that")))
        return None
    product = ctx.catalog.product(item.sku)
    if product is None:
        notes.append(ctx.replies("not_found", what=item.text or item.sku))
        return None
    doubt = doubt_question(ctx, item)
    if doubt is not None:
        return doubt
    item = _with_preferences(item, ctx, state)
    for group in ctx.catalog.groups_for(product):
        needed = group.kind is OptionKind.ONE_OF and group.required and group.default is None
        if needed and not any(o.group == group.name for o in item.options):
            return option_question(ctx, item, group)
    in_cart = sum(line.quantity for line in state.cart.lines if line.sku == item.sku)
    if product.stock is not None and in_cart + item.quantity > product.stock:
        left = product.stock - in_cart
        name = speakable(product.name)
        if left <= 0:
            notes.append(
                ctx.replies("sold_out", product=name) if in_cart == 0 else ctx.replies("no_more", product=name)
            )
            return None
        return Question(
            kind="stock",
            text=ctx.replies("only_left", count=say_number(left), product=name),
            item=item.model_copy(update={"quantity": left}),
        )
    try:
        line = price_item(ctx.catalog, product.sku, item.options, item.quantity)
        cart = state.cart.add(line)
    except (OptionError, CartError) as exc:
        notes.append(join(ctx.replies("cannot_add", product=speakable(product.name)), ctx.refused(exc)))
        return None
    index = next(i for i, ln in enumerate(cart.lines) if ln.same_item(line))
    return state.with_cart(cart, index), ctx.describe(line)


def _with_preferences(item: PendingItem, ctx: Context, state: DialogState) -> PendingItem:
    """Fill a required option the shopper did not say from what they usually have."""
    customer = ctx.customer(state.customer)
    product = ctx.catalog.product(item.sku or "")
    if customer is None or product is None or not customer.preferences:
        return item
    options = list(item.options)
    for group in ctx.catalog.groups_for(product):
        liked = customer.preferences.get(group.name)
        if not liked or group.choice(liked) is None or any(o.group == group.name for o in options):
            continue
        if group.kind is OptionKind.ONE_OF and group.required and group.default is None:
            options.append(ChosenOption(group=group.name, choice=liked))
    return item.model_copy(update={"options": tuple(options)})


def which_question(ctx: Context, item: PendingItem) -> Question:
    listed = first_choices(ctx, [c.name for c in item.candidates])
    if item.doubted:  # two recognisers heard two products: which was said
        text = ctx.replies("heard_which", choices=listed)
    elif item.instead:
        text = ctx.replies("which_instead", choices=listed)
    else:
        text = ctx.replies("which_one", what=speakable(item.text) or ctx.replies("that"), choices=listed)
    return Question(kind="which", text=text, choices=item.candidates, item=item)


def doubt_question(ctx: Context, item: PendingItem) -> Question | None:
    """ "Large or medium?" for the first option two recognisers heard apart and no answer has settled;
    an option question whose choices are just their readings."""
    for doubt in item.doubts:
        if any(o.group == doubt.group for o in item.options):
            continue
        readings = list(dict.fromkeys(o.choice for o in item.doubts if o.group == doubt.group))
        choices = tuple(Choice(value=c, name=speakable(c)) for c in readings)
        text = ctx.replies("heard_which", choices=say_list([c.name for c in choices], "or"))
        return Question(kind="option", text=text, choices=choices, group=doubt.group, item=item)
    return None


def _option_not_sold(ctx: Context, said: str, group: OptionGroup) -> str:
    """ "Sorry, we don't have oat milk", and the group's first few choices."""
    choices = first_choices(ctx, [speakable(c.name) for c in group.choices])
    return ctx.replies("option_not_sold", option=said, group=group.name, choices=choices)


def option_question(ctx: Context, item: PendingItem, group: OptionGroup) -> Question:
    choices = tuple(Choice(value=c.name, name=speakable(c.name)) for c in group.choices)
    listed = first_choices(ctx, [c.name for c in choices])
    product = ctx.product_name(item.sku or "")
    text = ctx.replies("which_option", group=group.name, product=product, choices=listed)
    return Question(kind="option", text=text, choices=choices, group=group.name, item=item)


# Changing the cart ------------------------------------------------------------------------------


def target_line(state: DialogState, u: Understanding) -> int | None:
    """Which cart line a change means: the product named, the ordinal said, else the one last touched."""
    lines = state.cart.lines
    product = u.slots.get("product")
    skus: list[str] = []
    if product is not None:
        skus = [str(product.value)] if product.value else [c.value for c in product.candidates]
    skus += [m.sku for m in u.items if m.sku]
    if skus:
        found = [i for i, ln in enumerate(lines) if ln.sku in skus]
        # "the coffee" for the drip coffee in the cart, "four cans of soup": the one line whose name has the words said
        said = ([(product.text, None)] if product is not None else []) + [(m.text, m.unit) for m in u.items]
        found = found or next((n for text, unit in said if len(n := named_lines(lines, text, unit)) == 1), [])
        if state.focus is not None and state.focus in found:
            return state.focus
        return found[-1] if found else None
    ordinal = u.slot("ordinal")
    if isinstance(ordinal, int):
        index = len(lines) - 1 if ordinal == -1 else ordinal - 1
        return index if 0 <= index < len(lines) else None
    if state.focus is not None and state.focus < len(lines):
        return state.focus
    return 0 if len(lines) == 1 else None


def _no_target(state: DialogState, ctx: Context, u: Understanding) -> Decision:
    if not state.cart.lines:
        item = which.described_anew(u, ctx) or which.by_choices(u, ctx)
        if item is not None:  # "i want the purple one with lots of boba" with nothing in the cart yet
            return add_said(state, u.model_copy(update={"intent": "AddItems", "items": (item,)}), ctx)
        return respond(state, ctx.replies("change_empty"))
    product = u.slots.get("product")
    if product is not None and product.text:
        return respond(state, ctx.replies("not_in_cart", what=product.text))
    return respond(state, ctx.replies("which_item", items=ctx.describe_cart(state.cart)))


def change_quantity(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    quantity = u.slot("quantity")
    restyle = [m for m in u.items if m.options and not m.quantity_said]
    if quantity is None and restyle and not u.slot("change"):
        # "make that latte a double shot instead": options of a line in the cart, no count
        changed, rest, notes = restyled(state, restyle, ctx, [])
        if not rest:
            return respond(changed, join(*notes), question=anything_else(ctx))
    change = str(u.slot("change") or "")
    if len(u.items) > 1 and not change and all(m.quantity_said for m in u.items):
        # "make it four madras and four rice": each line named, its new count
        counted, rest, notes = recounted(state, list(u.items), ctx, [])
        if not rest:
            return respond(counted, join(*notes), question=anything_else(ctx))
    if not isinstance(quantity, int) and u.items:
        quantity = u.items[0].quantity
    index = target_line(state, u)
    if index is not None and change:  # "one more", "one less", "double it": by so much
        have = state.cart.lines[index].quantity
        step = int(change[1:])
        quantity = have * step if change[0] == "*" else have + step if change[0] == "+" else have - step
        if quantity < 1:
            return remove_item(state, u, ctx)
    if index is None and names_another(state, u, change):
        # "change it to a winter melon tea instead" with a taro milk tea in the cart: that one goes
        focus = state.focus if state.focus is not None else len(state.cart.lines) - 1
        return replace_item(state.model_copy(update={"focus": focus}), u, ctx)
    if index is None or not isinstance(quantity, int):
        return _no_target(state, ctx, u)
    line = state.cart.lines[index]
    product = ctx.catalog.product(line.sku)
    others = sum(ln.quantity for i, ln in enumerate(state.cart.lines) if ln.sku == line.sku and i != index)
    if product is not None and product.stock is not None and quantity + others > product.stock:
        left = product.stock - others
        return respond(state, ctx.replies("only_have", count=say_number(left), product=speakable(product.name)))
    try:
        cart = state.cart.set_quantity(index, quantity)
    except CartError as exc:
        return respond(state, join(ctx.replies("cannot_change"), ctx.refused(exc)))
    if quantity == 0:
        return respond(state.with_cart(cart, None), ctx.replies("removed", items=ctx.describe(line)))
    new = cart.lines[index]
    return respond(state.with_cart(cart, index), ctx.replies("changed", item=ctx.describe(new)))


def change_option(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    slot = u.slots.get("option")
    value = str(slot.value) if slot is not None and slot.value else ""
    group_name, _, choice = value.partition(":")
    unsold = next((m for m in u.mentions if m.variety and m.value == value), None)
    if unsold is not None and (group := ctx.catalog.group(group_name)) is not None:  # "with oat milk": none
        return respond(state, _option_not_sold(ctx, unsold.text, group))
    index = target_line(state, u)
    named = u.slots.get("product")
    if index is None and choice and named is not None and named.value:
        # "and the latte with almond milk" with no latte in the cart: the latte is wanted, so add it
        option = OptionMention(group=group_name, choice=choice, amount=_amount(u), text=slot.text if slot else choice)
        item = ItemMention(sku=str(named.value), quantity=1, options=(option,), text=named.text, score=u.confidence)
        return add_said(state, u.model_copy(update={"intent": "AddItems", "items": (item,)}), ctx)
    if index is None or not choice:
        return _no_target(state, ctx, u)
    was = str(u.slot("was") or "")
    if was and was != value:  # "no, oat, not almond": the "no" is the almond's, the oat is chosen
        u = u.model_copy(update={"refusals": ()})
    readings = said_readings(u)
    every = alongside.change_every(state, readings[0], u, ctx) if len(readings) == 1 else None
    if every is not None:
        return every
    if (another := alongside.another_with(state, index, readings, u, ctx)) is not None:
        return proceed(state.model_copy(update={"queue": (another,)}), ctx)
    line = state.cart.lines[index]
    product = ctx.catalog.product(line.sku)
    options = list(line.options)
    unfit: list[str] = []
    for k, said in enumerate(readings):  # "with egg and sweetcorn": each of them, as this product takes it
        taken = alongside.reading_for(product, said) or said[0]
        group_name, _, choice = taken.partition(":")
        group = ctx.catalog.group(group_name)
        if product is None or group is None or group.name not in product.options:
            unfit.append(choice)  # "thin cut" read as thin and as "cut" (sliced, a bread's): thin is done
            continue
        amount = u.amounts[k] if k < len(u.amounts) and u.amounts[k] else _amount(u)
        options = alongside.said_on(options, group, choice, amount if group.amount(amount or "") else None, u, k)
    if len(unfit) == len(readings):
        return respond(state, ctx.replies("option_not_offered", product=speakable(line.name), option=unfit[0]))
    if was != value:  # "grass jelly instead of the pearls": the pearls come off
        options = [o for o in options if f"{o.group}:{o.choice}" != was]
    count = _items_count(u, ctx.catalog.group(readings[0][0].partition(":")[0])) if len(readings) == 1 else None
    try:
        new = price_item(ctx.catalog, line.sku, options, count or line.quantity)
    except OptionError as exc:
        return respond(state, join(ctx.replies("cannot_change"), ctx.refused(exc)))
    some = u.slot("some")
    if isinstance(some, int) and 0 < some < line.quantity:  # "make one of the espressos a triple"
        try:
            cart = state.cart.set_quantity(index, line.quantity - some).add(new.model_copy(update={"quantity": some}))
        except CartError as exc:
            return respond(state, join(ctx.replies("cannot_change"), ctx.refused(exc)))
        both = say_list([ctx.describe(cart.lines[index]), ctx.describe(new.model_copy(update={"quantity": some}))])
        focus = next(i for i, ln in enumerate(cart.lines) if ln.same_item(new))
        return respond(state.with_cart(cart, focus), ctx.replies("changed", item=both))
    cart = state.cart.replace(index, new)
    text = ctx.replies("changed", item=ctx.describe(new))
    if unfit:
        text = join(text, ctx.replies("option_not_offered", product=speakable(line.name), option=say_list(unfit, "or")))
    return respond(state.with_cart(cart, index), text)


def _items_count(u: Understanding, group: OptionGroup | None) -> int | None:
    """A number said with a one-of option counts the items ("make it two bowls", "make it two large":
    an item has one size); with an add-on it is the option's ("make it two sugars")."""
    if group is None or group.kind is not OptionKind.ONE_OF or u.slot("some") is not None:
        return None
    counts = [m.value for m in u.mentions if m.kind == "quantity" and parse_number(words(m.text)) is not None]
    return counts[0] if len(counts) == 1 and isinstance(counts[0], int) and counts[0] > 0 else None


def _amount(u: Understanding) -> str | None:
    for item in u.items:
        for o in item.options:
            if o.amount:
                return o.amount
    return None


def remove_item(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    index = target_line(state, u)
    named = u.slots.get("product")
    sku = str(named.value) if named is not None and named.value else ""
    if index is None and u.corrects and sku and not any(ln.sku == sku for ln in state.cart.lines):
        # "no, americano" with no americano to take out: the shopper putting right what was heard,
        # in place of the line just added if there is one ("a latte" ... "no, americano")
        item = ItemMention(sku=sku, quantity=1, text=named.text if named else "", score=u.confidence)
        u = u.model_copy(update={"intent": "AddItems", "items": (item,), "slots": {}})
        return replace_item(state, u, ctx) if just_added(state) else add_said(state, u, ctx)
    if index is None:
        return _no_target(state, ctx, u)
    line = state.cart.lines[index]
    some = u.slot("quantity")
    state = state.model_copy(update={"removing": True})
    if isinstance(some, int) and 0 < some < line.quantity:
        cart = state.cart.set_quantity(index, line.quantity - some)
        return respond(state.with_cart(cart, index), ctx.replies("changed", item=ctx.describe(cart.lines[index])))
    cart = state.cart.remove(index)
    text = ctx.replies("removed", items=ctx.describe(line))
    if not cart.lines:
        text = join(text, ctx.replies("cart_now_empty"))
    return respond(state.with_cart(cart, None), text)


def undo(state: DialogState, ctx: Context) -> Decision:
    if not state.undo:
        return respond(state, ctx.replies("nothing_to_undo"))
    cart = state.undo[-1]
    state = state.model_copy(update={"cart": cart, "undo": state.undo[:-1], "focus": None, "checkout_token": None})
    if not cart.lines:
        return respond(state, ctx.replies("undone_empty"))
    return respond(state, ctx.replies("undone", items=ctx.describe_cart(cart)))
