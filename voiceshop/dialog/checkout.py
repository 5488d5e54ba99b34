"""Checking out: delivery, coupon, the read-back, explicit confirmation, the PIN, placing the order.

The order is placed only on a "yes" to the read-back question (and the right PIN, if the customer
has one). The read-back mints the checkout token; placing retries with the same token, so a crash or
a repeated "yes" can never store the order twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

from voiceshop.commerce.cart import Cart, Totals, compute_totals, price_item
from voiceshop.commerce.customer import Customer, verify_pin
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.dialog.context import Context
from voiceshop.dialog.respond import anything_else, join, read_list, respond
from voiceshop.dialog.speak import say_digits, say_list, say_number
from voiceshop.dialog.state import (
    ActionDone,
    ActionFailed,
    Choice,
    Decision,
    DialogState,
    PlaceOrder,
    Question,
    SaveCustomer,
)
from voiceshop.errors import CartError, CouponError, VoiceshopError
from voiceshop.language import load
from voiceshop.nlu.result import Understanding
from voiceshop.nlu.text import stem, stems, words

FREE = load().function_words("free")
CHEAPEST = load().function_words("cheapest")
FASTEST = load().function_words("fastest")
NOT_SO = load().function_words("not_so")
NOT_THIS = load().function_words("not_this")
OWN_WORD = 4
"""The fewest letters of a word that names one way by being in its name only ("bike", "counter")."""
PIN_TRIES = 3
PIN_LOCK = timedelta(minutes=15)
PinVerdict = Literal["right", "wrong", "locked"]
"""A PIN said: right, wrong (a try counted), or not checked because purchases are locked."""


def checkout_said(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    """ "That's it, pickup", "done, and use code TREAT2": check out with what else was said."""
    state, note = checkout_slots(state, u, ctx)
    decision = checkout(state, ctx)
    if note and decision.reply is not None:
        decision = respond(decision.state, join(note, decision.reply.text), keep_question=True)
    return decision


def kinds_said(u: Understanding) -> list[str]:
    """The ways of getting the order the words name, in order; with a place said, only the sentence's
    own ("deliver it to 12 main street": not a pick up read into "main street")."""
    if u.slot("place") and u.slot("delivery") in set(DeliveryKind):
        return [str(u.slot("delivery"))]
    return [str(m.value) for m in u.mentions if m.kind == "delivery" and m.value in set(DeliveryKind)]


def checkout_slots(
    state: DialogState, u: Understanding, ctx: Context, *, say_taken: bool = False
) -> tuple[DialogState, str]:
    """The delivery and coupon said in any request: the checkout's own slots, filled when heard.

    The text says what became of a coupon: always when it was refused, and when it was taken only
    if ``say_taken`` (a read-back says what it takes off anyway)."""
    note = ""
    offered = [k for k in kinds_said(u) if ctx.shop.delivery_option(DeliveryKind(k)) is not None]
    if offered and state.delivery != offered[-1]:  # "can you bring it fast? express": the last one said
        state = state.model_copy(update={"delivery": DeliveryKind(offered[-1]), "checkout_token": None})
    for m in u.mentions:
        if m.kind == "coupon" and state.coupon != m.value:
            state, note = take_coupon(state, str(m.value), m.text, ctx)
            note = "" if state.coupon == m.value and not say_taken else note
    return state, note


def checkout(state: DialogState, ctx: Context) -> Decision:
    if not state.cart.lines:
        return respond(state, ctx.replies("checkout_empty"))
    if state.delivery is None or ctx.shop.delivery_option(state.delivery) is None:
        if len(ctx.shop.delivery) == 1:
            state = state.model_copy(update={"delivery": ctx.shop.delivery[0].kind})
        else:
            return respond(state, "", question=delivery_question(ctx))
    return read_back(state, ctx)


def choose(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    """ "For delivery, please" said on its own: kept for the checkout, or read back with the order."""
    said = [m.value for m in u.mentions if m.kind == "delivery"]
    kind = u.slot("delivery") or (said[-1] if said else None)
    option = ctx.shop.delivery_option(DeliveryKind(str(kind))) if kind in set(DeliveryKind) else None
    if option is None:
        offered = say_list([o.name for o in ctx.shop.delivery], "or")
        return respond(state, ctx.replies("delivery_not_offered", offered=offered))
    state = state.model_copy(update={"delivery": option.kind, "checkout_token": None})
    if state.cart.lines:
        return read_back(state, ctx)
    return respond(state, join(ctx.replies("delivery_noted", name=option.name), ctx.replies("what_else")))


def delivery_question(ctx: Context) -> Question:
    offers = []
    for option in ctx.shop.delivery:
        if option.fee == 0:
            offers.append(ctx.replies("delivery_free", name=option.name))
        else:
            offers.append(ctx.replies("delivery_choice", name=option.name, fee=ctx.money(option.fee)))
    # ", or" before the last: "free or delivery" would run two offers together
    last = f", {ctx.replies('or_last')} {offers[-1]}" if len(offers) > 1 else offers[-1]
    listed = ", ".join(offers[:-1]) + last
    choices = tuple(Choice(value=o.kind.value, name=o.name) for o in ctx.shop.delivery)
    return Question(kind="delivery", text=ctx.replies("which_delivery", offers=listed), choices=choices)


def way_said(said: str, choices: Sequence[Choice], ctx: Context, current: DeliveryKind | None = None) -> Choice | None:
    """A way offered named by its kind ("standard") or by a word of its name no other has ("bike is
    fine"), not after "not"; "the free one": the one way that costs nothing; "the cheapest": the way
    that costs least (of the deliveries, when a delivery is ``current``: "whichever's cheaper"); "as
    fast as possible", "the quick one": express delivery, where the shop has it. None when the words
    say none of these; what it costs or how fast, said after "no" or "not" ("no hurry"), says nothing."""
    heard = words(said)
    meant = {w for k, w in enumerate(heard) if NOT_SO.isdisjoint(heard[max(0, k - 3) : k])}  # "not in a hurry"
    heard = [w for k, w in enumerate(heard) if NOT_THIS.isdisjoint(heard[max(0, k - 3) : k])]  # "not the bike"
    options = {o.kind.value: o for o in ctx.shop.delivery}
    offered = [c for c in choices if c.value in options]
    named = [c for c in offered if c.value in heard]  # "standard is fine", where "standard" is also a size
    if len(named) == 1:
        return named[0]
    # "counter's fine", "no, the bike": a word only one way's name has
    names = {c.value: set(stems(c.name)) for c in offered}
    telling = [w for w in map(stem, heard) if len(w) >= OWN_WORD and sum(w in n for n in names.values()) == 1]
    own = {v for w in telling for v, n in names.items() if w in n}
    if len(own) == 1:
        return next(c for c in offered if c.value in own)
    free = [c for c in offered if options[c.value].fee == 0]
    if meant & FREE and len(free) == 1:
        return free[0]
    if meant & CHEAPEST and offered:
        if current is not None and current is not DeliveryKind.PICKUP:
            offered = [c for c in offered if c.value != DeliveryKind.PICKUP.value] or offered
        fees = [options[c.value].fee for c in offered]
        cheapest = [c for c, fee in zip(offered, fees, strict=True) if fee == min(fees)]
        return cheapest[0] if len(cheapest) == 1 else None
    if meant & FASTEST:
        return next((c for c in offered if c.value == DeliveryKind.EXPRESS.value), None)
    return None


def choose_delivery(state: DialogState, kind: str, ctx: Context) -> Decision:
    return read_back(state.model_copy(update={"delivery": DeliveryKind(kind)}), ctx)


def totals(state: DialogState, ctx: Context) -> Totals:
    assert state.delivery is not None
    return compute_totals(ctx.shop, state.cart.subtotal, state.delivery, state.coupon, ctx.now.date())


def read_back(state: DialogState, ctx: Context, *, note: str = "") -> Decision:
    """Read the order back with its total and ask for an explicit yes."""
    notes = [note] if note else []
    try:
        t = totals(state, ctx)
    except CouponError:
        coupon = ctx.shop.coupon(state.coupon or "")
        code = say_coupon(state.coupon or "")
        if coupon is not None and coupon.is_valid_on(ctx.now.date()):
            notes.append(ctx.replies("coupon_dropped", code=code, minimum=ctx.money(coupon.minimum)))
        else:
            notes.append(ctx.replies("coupon_dropped_expired", code=code))
        state = state.model_copy(update={"coupon": None})
        t = totals(state, ctx)
    except CartError:
        return respond(state.model_copy(update={"delivery": None}), "", question=delivery_question(ctx))
    cap = _cap(state, ctx)
    if cap is not None and t.total > cap:
        return respond(state, join(*notes, ctx.replies("over_cap", total=ctx.money(t.total), cap=ctx.money(cap))))
    option = ctx.shop.delivery_option(t.delivery)
    assert option is not None
    parts = [ctx.replies("read_back", items=ctx.describe_cart(state.cart, full=state.detail == "full"))]
    if t.discount:
        parts.append(ctx.replies("with_discount", code=say_coupon(t.coupon or ""), discount=ctx.money(t.discount)))
    if t.delivery_fee:
        parts.append(
            ctx.replies("total_with_fee", total=ctx.money(t.total), fee=ctx.money(t.delivery_fee), delivery=option.name)
        )
    else:
        parts.append(ctx.replies("total", total=ctx.money(t.total), delivery=option.name))
    token = state.checkout_token or ctx.new_token
    state = state.model_copy(update={"checkout_token": token})
    question = Question(kind="confirm", text=ctx.replies("confirm"))
    return respond(state, join(*notes, *parts), question=question)


def _cap(state: DialogState, ctx: Context) -> int | None:
    caps = [ctx.shop.spending_cap]
    customer = ctx.customer(state.customer)
    if customer is not None:
        caps.append(customer.spending_cap)
    known = [c for c in caps if c is not None]
    return min(known) if known else None


def say_coupon(code: str) -> str:
    """ "MORNING10" -> "M O R N I N G one zero": letters and digits one by one, as a code is read."""
    return " ".join(say_digits(c) if c.isdecimal() else c for c in code if c.isalnum())


def take_coupon(state: DialogState, code: str | None, said: str, ctx: Context) -> tuple[DialogState, str]:
    """The state with the coupon on (if it can be), and what to say about it."""
    coupon = ctx.shop.coupon(code) if code else None
    if coupon is None:
        return state, ctx.replies("coupon_unknown", code=said or ctx.replies("that"))
    if not coupon.is_valid_on(ctx.now.date()):
        return state, ctx.replies("coupon_expired", code=say_coupon(coupon.code))
    state = state.model_copy(update={"coupon": coupon.code, "checkout_token": None})
    text = ctx.replies("coupon_applied", code=say_coupon(coupon.code), description=coupon.description)
    if state.cart.subtotal < coupon.minimum:
        text = join(text, ctx.replies("coupon_minimum", minimum=ctx.money(coupon.minimum)))
    return state, text


def apply_coupon(state: DialogState, code: str | None, said: str, ctx: Context) -> Decision:
    before = state.coupon
    state, text = take_coupon(state, code, said, ctx)
    if state.coupon == before:
        return respond(state, text)
    if state.question is not None and state.question.kind == "confirm" and state.delivery is not None:
        return read_back(state, ctx)  # the read-back says what the coupon takes off
    return respond(state, text, question=anything_else(ctx))


# Confirmation and PIN ---------------------------------------------------------------------------


def confirmed(state: DialogState, ctx: Context) -> Decision:
    """The shopper said yes to the read-back: ask for the PIN if needed, else place the order."""
    customer = ctx.customer(state.customer)
    if customer is not None and customer.has_pin and not state.pin_ok:
        locked = _locked(customer, ctx)
        if locked:
            return respond(state, locked)
        return respond(state, "", question=Question(kind="pin", text=ctx.replies("say_pin"), purpose="order"))
    return place(state, ctx)


def place(state: DialogState, ctx: Context) -> Decision:
    if state.delivery is None or state.checkout_token is None:
        return read_back(state, ctx)
    action = PlaceOrder(
        cart=state.cart,
        token=state.checkout_token,
        delivery=state.delivery,
        coupon=state.coupon,
        customer=state.customer,
    )
    return Decision(state=state.model_copy(update={"question": None}), actions=(action,), reply=None)


def _locked(customer: Customer, ctx: Context) -> str:
    until = customer.pin_locked_until
    if until is not None and until > ctx.now:
        minutes = max(1, math.ceil((until - ctx.now).total_seconds() / 60))
        return ctx.replies("pin_locked", minutes=say_number(minutes))
    return ""


def check_pin(state: DialogState, digits: str, ctx: Context) -> tuple[DialogState, Customer | None, PinVerdict, str]:
    """Verify a PIN said for the customer the question is about.

    Returns the state, the customer record to save (failures counted, lock set), the verdict, and
    the reply when it was not right. The reply never says how close a wrong PIN was.
    """
    question = state.question
    assert question is not None
    name = question.switch_to if question.purpose == "switch" else state.customer
    customer = ctx.customer(name)
    if customer is None or customer.pin_hash is None:
        return state, None, "right", ""
    locked = _locked(customer, ctx)
    if locked:
        return state.model_copy(update={"question": None}), None, "locked", locked
    if verify_pin(digits, customer.pin_hash):
        saved = customer.model_copy(update={"pin_failures": 0, "pin_locked_until": None})
        changed = saved if customer.pin_failures else None
        return state, changed, "right", ""
    failures = customer.pin_failures + 1
    if failures >= PIN_TRIES:
        saved = customer.model_copy(update={"pin_failures": 0, "pin_locked_until": ctx.now + PIN_LOCK})
        minutes = say_number(int(PIN_LOCK.total_seconds() // 60))
        return state.model_copy(update={"question": None}), saved, "wrong", ctx.replies("pin_lockout", minutes=minutes)
    saved = customer.model_copy(update={"pin_failures": failures})
    left = PIN_TRIES - failures
    key = "pin_wrong_last" if left == 1 else "pin_wrong"
    return state, saved, "wrong", ctx.replies(key, left=say_number(left))


def pin_refused(state: DialogState, verdict: PinVerdict, save: Customer | None, text: str) -> Decision:
    """The reply to a PIN that was not right: the question stays unless purchases are now locked."""
    actions = (SaveCustomer(customer=save),) if save is not None else ()
    return respond(state, text, keep_question=state.question is not None, actions=actions, pin_wrong=verdict == "wrong")


def pin_answer(state: DialogState, digits: str, ctx: Context) -> Decision:
    state2, save, verdict, text = check_pin(state, digits, ctx)
    if verdict != "right":
        return pin_refused(state2, verdict, save, text)
    actions = (SaveCustomer(customer=save),) if save is not None else ()
    state2 = state2.model_copy(update={"pin_ok": True, "question": None})
    decision = place(state2, ctx)
    return decision.model_copy(update={"actions": (*actions, *decision.actions)})


# Outcomes of placing ----------------------------------------------------------------------------


def placed(state: DialogState, event: ActionDone, ctx: Context) -> Decision:
    order = event.order
    assert order is not None
    option = ctx.shop.delivery_option(order.delivery)
    eta = option.eta if option is not None else ""
    state = state.model_copy(
        update={
            "cart": Cart(),
            "undo": (),
            "focus": None,
            "coupon": None,
            "checkout_token": None,
            "delivery": None,
            "orders": (order.number, *state.orders)[:20],
        }
    )
    text = ctx.replies("placed", number=say_digits(order.number), eta=eta)
    actions = _learn(state, event, ctx)
    return respond(state, text, actions=actions)


def _learn(state: DialogState, event: ActionDone, ctx: Context) -> tuple[SaveCustomer, ...]:
    """Remember the options a customer chose, to offer them next time."""
    customer = ctx.customer(state.customer)
    if customer is None or event.order is None:
        return ()
    prefs = dict(customer.preferences)
    for line in event.order.lines:
        for opt in line.options:
            group = ctx.catalog.group(opt.group)
            if group is not None and (group.required or group.default is None or opt.choice != group.default):
                prefs[opt.group] = opt.choice
    if prefs == customer.preferences:
        return ()
    return (SaveCustomer(customer=customer.model_copy(update={"preferences": prefs})),)


def place_failed(state: DialogState, event: ActionFailed, ctx: Context) -> Decision:
    if event.code == "out_of_stock" and event.sku is not None:
        return _out_of_stock(state, event, ctx)
    if event.code == "price_changed":
        return _repriced(state, ctx)
    return respond(state, join(ctx.replies("not_placed"), ctx.refusal(event.code, event.fields)))


def _out_of_stock(state: DialogState, event: ActionFailed, ctx: Context) -> Decision:
    name = ctx.product_name(event.sku or "")
    left = event.available or 0
    lines = []
    for line in state.cart.lines:
        if line.sku == event.sku:
            if left <= 0:
                continue
            line = line.model_copy(update={"quantity": min(line.quantity, left)})
            left -= line.quantity
        lines.append(line)
    cart = Cart(lines=tuple(lines))
    if event.available:
        note = ctx.replies("stock_reduced", count=say_number(event.available), product=name)
    else:
        note = ctx.replies("stock_gone", product=name)
    state = state.with_cart(cart, None)
    if not cart.lines:
        return respond(state, join(note, ctx.replies("cart_now_empty")))
    return read_back(state, ctx, note=note)


def _repriced(state: DialogState, ctx: Context) -> Decision:
    lines = []
    for line in state.cart.lines:
        try:
            lines.append(price_item(ctx.catalog, line.sku, line.options, line.quantity))
        except VoiceshopError:
            continue
    cart = Cart(lines=tuple(lines))
    state = state.with_cart(cart, None)
    if not cart.lines:
        return respond(state, ctx.replies("cart_now_empty"))
    return read_back(state, ctx, note=ctx.replies("prices_changed"))


def _cart_total(state: DialogState, ctx: Context) -> str:
    """What the cart comes to: once pickup or delivery is chosen, the order's total as the read-back
    said it (with the fee and any discount), so the two never differ."""
    try:
        t = totals(state, ctx) if state.delivery is not None else None
    except (CartError, CouponError):
        t = None
    if t is None:
        return ctx.replies("cart_total", total=ctx.money(state.cart.subtotal))
    option = ctx.shop.delivery_option(t.delivery)
    if t.delivery_fee and option is not None:
        fee = ctx.money(t.delivery_fee)
        return ctx.replies("cart_total_with_fee", total=ctx.money(t.total), fee=fee, delivery=option.name)
    return ctx.replies("cart_total", total=ctx.money(t.total))


def read_cart(state: DialogState, ctx: Context) -> Decision:
    cart = state.cart
    if not cart.lines:
        return respond(state, ctx.replies("cart_empty"))
    full = state.detail == "full"
    entries = [
        ctx.describe(line, full=full) + (f" {ctx.money(line.line_total)}" if full else "") for line in cart.lines
    ]
    total = _cart_total(state, ctx)
    if len(entries) <= 4:
        return read_list(state, ctx, ctx.replies("cart_has"), entries, after=total)
    return read_list(state, ctx, join(total, ctx.replies("cart_has")), entries)
