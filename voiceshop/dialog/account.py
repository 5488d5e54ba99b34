"""The shopper and their history: who is shopping, orders placed, reordering, recommendations, settings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from voiceshop.commerce.cart import CartLine, price_item
from voiceshop.commerce.order import Order, OrderStatus
from voiceshop.dialog.context import Context
from voiceshop.dialog.ordering import proceed
from voiceshop.dialog.respond import join, respond
from voiceshop.dialog.speak import say_digits, say_list
from voiceshop.dialog.state import (
    ActionDone,
    Choice,
    Decision,
    DialogState,
    PendingItem,
    Question,
    SaveCart,
    SaveCustomer,
)
from voiceshop.errors import VoiceshopError
from voiceshop.nlu.result import Understanding


def history(state: DialogState, ctx: Context) -> Sequence[Order]:
    return ctx.records.orders(state.customer, state.orders)


def greet(state: DialogState, ctx: Context) -> Decision:
    state = state.model_copy(update={"started": True, "ended": False})
    if state.customer:
        usual = usual_lines(history(state, ctx), ctx)
        if usual:
            offer = _offer(ctx, usual, ctx.replies("usual_offer", items=_say_lines(ctx, usual)))
            return respond(state, ctx.replies("welcome_back", name=state.customer), question=offer)
        returning = bool(history(state, ctx))
        if state.cart.lines:
            key = "welcome_back_cart" if returning else "hello_name_cart"
            return respond(state, ctx.replies(key, name=state.customer, items=_cart(state, ctx)))
        return respond(state, ctx.replies("hello_name", name=state.customer, shop=ctx.shop.name))
    greeting = ctx.shop.greeting or ctx.replies("hello", shop=ctx.shop.name)
    if state.cart.lines:
        return respond(state, join(greeting, ctx.replies("cart_kept", items=_cart(state, ctx))))
    return respond(state, greeting)


def _cart(state: DialogState, ctx: Context) -> str:
    return ctx.describe_cart(state.cart)


def identify(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    slot = u.slots.get("name")
    said = slot.text if slot is not None else ""
    customer = ctx.customer(said)
    if customer is None:
        return respond(state, ctx.replies("unknown_customer", name=said or ctx.replies("that")))
    if customer.name == state.customer:
        return respond(state, ctx.replies("already_you", name=customer.name))
    if customer.has_pin:
        question = Question(
            kind="pin", text=ctx.replies("switch_pin", name=customer.name), purpose="switch", switch_to=customer.name
        )
        return respond(state, "", question=question)
    return switch_to(state, customer.name, ctx)


def switch_to(state: DialogState, name: str, ctx: Context) -> Decision:
    """The customer at the device changes; each keeps their own cart."""
    actions = []
    key = state.customer or ""
    if key:
        actions.append(SaveCart(key=key, cart=state.cart))
    cart = ctx.records.saved_cart(name)
    if not cart.lines and not key:
        cart = state.cart  # an anonymous shopper saying who they are keeps what they have built
    customer = ctx.records.customer(name)
    new = DialogState(
        customer=name,
        cart=cart,
        started=True,
        pin_ok=False,
        pace=customer.pace if customer else 0,
        volume=customer.volume if customer else 0,
        detail=customer.detail if customer else "short",
        transcript=state.transcript,
    )
    decision = greet(new, ctx)
    return decision.model_copy(update={"actions": (*actions, *decision.actions)})


# Orders after placing ---------------------------------------------------------------------------


def _find_order(state: DialogState, u: Understanding, ctx: Context, *, anyone: bool = False) -> Order | None:
    """The order asked about: by its number, else the newest. ``anyone``: any order of the shop
    by number (a status), not only the shopper's own (a cancellation)."""
    orders = history(state, ctx)
    digits = u.slot("digits")
    if digits:
        own = next((o for o in orders if o.number == str(digits)), None)
        return own if own is not None or not anyone else ctx.records.order(str(digits))
    return orders[0] if orders else None


STATUS_KEYS = {
    OrderStatus.PLACED: "status_placed",
    OrderStatus.CONFIRMED: "status_confirmed",
    OrderStatus.PREPARING: "status_preparing",
    OrderStatus.READY: "status_ready",
    OrderStatus.SHIPPED: "status_shipped",
    OrderStatus.DELIVERED: "status_delivered",
    OrderStatus.CANCELLED: "status_cancelled",
}


def order_status(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    order = _find_order(state, u, ctx, anyone=True)
    if order is None:
        return respond(state, ctx.replies("no_such_order" if u.slot("digits") else "no_orders"))
    option = ctx.shop.delivery_option(order.delivery)
    text = ctx.replies(
        STATUS_KEYS[order.status],
        number=say_digits(order.number),
        eta=option.eta if option else "",
        items=say_list([ctx.describe(line) for line in order.lines]),
    )
    return respond(state, text)


def cancel_order(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    order = _find_order(state, u, ctx)
    if order is None:
        return respond(state, ctx.replies("no_such_order" if u.slot("digits") else "no_orders"))
    number = say_digits(order.number)
    if not order.cancellable:
        status = ctx.replies(f"state_{order.status.value}")
        return respond(state, ctx.replies("cannot_cancel", number=number, status=status))
    items = say_list([ctx.describe(line) for line in order.lines])
    question = Question(
        kind="cancel_order", text=ctx.replies("confirm_cancel", number=number, items=items), order=order.number
    )
    return respond(state, "", question=question)


def order_cancelled(state: DialogState, event: ActionDone, ctx: Context) -> Decision:
    assert event.order is not None
    return respond(state, ctx.replies("cancelled_order", number=say_digits(event.order.number)))


# Reordering -------------------------------------------------------------------------------------


def usual_lines(orders: Sequence[Order], ctx: Context) -> tuple[PendingItem, ...]:
    """The customer's usual: the order they placed most often (at least twice), as items to add."""
    counts = Counter(_order_key(o) for o in orders if o.status is not OrderStatus.CANCELLED)
    if not counts:
        return ()
    key, n = counts.most_common(1)[0]
    if n < 2:
        return ()
    order = next(o for o in orders if _order_key(o) == key)
    return _available(order.lines, ctx)


def _order_key(order: Order) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    return tuple(sorted((ln.sku, tuple(o.describe() for o in ln.options), ln.quantity) for ln in order.lines))


def _available(lines: Sequence[CartLine], ctx: Context) -> tuple[PendingItem, ...]:
    items = []
    for line in lines:
        try:
            price_item(ctx.catalog, line.sku, line.options, line.quantity)
        except VoiceshopError:
            continue  # no longer sold, or its options changed
        items.append(PendingItem(sku=line.sku, quantity=line.quantity, options=line.options, text=line.name))
    return tuple(items)


def _say_lines(ctx: Context, items: Sequence[PendingItem]) -> str:
    said = []
    for item in items:
        line = price_item(ctx.catalog, item.sku or "", item.options, item.quantity)
        said.append(ctx.describe(line))
    return say_list(said)


def _offer(ctx: Context, items: Sequence[PendingItem], text: str) -> Question:
    return Question(kind="offer", text=text, lines=tuple(items))


def reorder(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    which = u.slot("which")
    orders = [o for o in history(state, ctx) if o.status is not OrderStatus.CANCELLED]
    if not orders:
        return respond(state, ctx.replies("no_history"))
    if which == "usual":
        items = usual_lines(orders, ctx) or _available(orders[0].lines, ctx)
    elif which == "product":
        items = _from_history(orders, u, ctx)
        if not items:
            slot = u.slots.get("product")
            return respond(state, ctx.replies("never_ordered", what=slot.text if slot else ctx.replies("that")))
    else:
        items = _available(orders[0].lines, ctx)
    if not items:
        return respond(state, ctx.replies("nothing_available"))
    return proceed(state.model_copy(update={"queue": items}), ctx)


def _from_history(orders: Sequence[Order], u: Understanding, ctx: Context) -> tuple[PendingItem, ...]:
    slot = u.slots.get("product")
    if slot is None:
        return ()
    skus = [str(slot.value)] if slot.value else [c.value for c in slot.candidates]
    for order in orders:
        for line in order.lines:
            if line.sku in skus:
                return _available([line], ctx)
    return ()


def offer_accepted(state: DialogState, ctx: Context) -> Decision:
    assert state.question is not None
    items = state.question.lines or ((state.question.item,) if state.question.item else ())
    return proceed(state.model_copy(update={"question": None, "queue": (*items, *state.queue)}), ctx)


# Recommendations --------------------------------------------------------------------------------


def recommend(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    in_cart = {line.sku for line in state.cart.lines}
    picks: list[str] = []
    # bought together: what this customer ordered alongside what is in the cart (or the product asked about)
    basis = set(in_cart)
    product = u.slots.get("product")
    if product is not None and product.value:
        basis.add(str(product.value))
    for order in history(state, ctx):
        skus = {ln.sku for ln in order.lines}
        if skus & basis:
            picks += [s for s in skus - basis if s not in picks]
    for sku in sorted(basis):
        p = ctx.catalog.product(sku)
        if p is not None:
            picks += [r for r in p.related if r not in picks and r not in basis]
    category = u.slot("category")
    if category:
        picks = []  # a category asked for: the shop's best sellers in it
    popular = [s for s in ctx.records.popular() if s not in basis] or [p.sku for p in ctx.catalog.products]
    if category:
        popular = [s for s in popular if (p := ctx.catalog.product(s)) is not None and p.category == category]
        popular += [p.sku for p in ctx.catalog.products if p.category == category and p.sku not in popular]
    picks += [s for s in popular if s not in picks]
    offered = [s for s in picks if _can_sell(s, ctx)][:3]
    if not offered:
        return respond(state, ctx.replies("no_recommendation"))
    names = [ctx.product_name(s) for s in offered]
    item = PendingItem(sku=offered[0], text=names[0])
    question = Question(
        kind="offer",
        text=ctx.replies("offer_first", item=ctx.counted(offered[0], names[0], 1)),
        item=item,
        choices=tuple(Choice(value=s, name=n) for s, n in zip(offered, names, strict=True)),
    )
    return respond(state, ctx.replies("recommend", products=say_list(names, "or")), question=question)


def _can_sell(sku: str, ctx: Context) -> bool:
    product = ctx.catalog.product(sku)
    return product is not None and (product.stock is None or product.stock > 0)


# Voice settings ---------------------------------------------------------------------------------


def voice_settings(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    setting = u.slot("voice")
    pace, volume, detail = state.pace, state.volume, state.detail
    if setting == "slower":
        pace = max(-3, pace - 1)
    elif setting == "faster":
        pace = min(3, pace + 1)
    elif setting == "louder":
        volume = min(3, volume + 1)
    elif setting == "quieter":
        volume = max(-3, volume - 1)
    elif setting == "more_detail":
        detail = "full"
    elif setting == "less_detail":
        detail = "short"
    else:
        return respond(state, ctx.replies("volume_hint"))
    state = state.model_copy(update={"pace": pace, "volume": volume, "detail": detail})
    actions = []
    customer = ctx.customer(state.customer)
    if customer is not None:
        saved = customer.model_copy(update={"pace": pace, "volume": volume, "detail": detail})
        actions.append(SaveCustomer(customer=saved))
    return respond(state, ctx.replies(f"voice_{setting}"), actions=actions, keep_question=True)
