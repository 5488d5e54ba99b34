"""Answers to the question the assistant asked: which one, what size, pickup or delivery, yes or no, the PIN.

An answer is taken from whatever the shopper said that fits the question: an ordinal ("the second
one"), a product or option named, or words matching a choice ("pick up"). An answer that does not
fit is not forced into the slot: the question is asked again, with its choices read out after two
tries. Something that is clearly a new request (asking for the cart, adding another item) is not an
answer at all: ``answer`` returns None and the request is handled instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from voiceshop.commerce.cart import Cart, ChosenOption
from voiceshop.dialog import account, checkout, ordering
from voiceshop.dialog.context import Context
from voiceshop.dialog.ordering import pending_from, proceed
from voiceshop.dialog.respond import all_choices, join, respond
from voiceshop.dialog.speak import speakable
from voiceshop.dialog.state import (
    CancelOrder,
    Choice,
    Decision,
    DialogState,
    PendingItem,
    RequestCallback,
    SaveCustomer,
)
from voiceshop.nlu.result import Understanding
from voiceshop.nlu.text import words

ACCEPT = 85
# Intents that may be answers to a question; anything else understood is a new request.
ANSWERS = frozenset({"Yes", "No", "PickOrdinal", "SayDigits", "ChangeOption", "ChangeQuantity", "AddItems"})
DELIVERY_WORDS = {
    "pickup": (
        "pick up",
        "pickup",
        "pick it up",
        "pick them up",
        "collect",
        "collection",
        "take away",
        "in store",
        "at the counter",
        "come and get it",
        "come get it",
    ),
    "standard": ("deliver", "delivery", "delivered", "standard", "bring it"),
    "express": ("express", "fast", "quick", "quickly", "asap"),
}


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The one choice the words name, or None when none (or several equally) fit."""
    said = words(text)
    if not said:
        return None
    joined = " ".join(said)
    scored: list[tuple[float, Choice]] = []
    for choice in choices:
        best = 0.0
        for phrase in (choice.name, *choice.aliases):
            pw = words(phrase)
            if not pw:
                continue
            # a choice named word for word beats any near spelling; the longer phrase is more specific
            fit = 100 + len(pw) if _contains(said, pw) else fuzz.ratio(joined, " ".join(pw))
            best = max(best, fit)
        scored.append((best, choice))
    scored.sort(key=lambda sc: -sc[0])
    if not scored or scored[0][0] < ACCEPT:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def _contains(said: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(list(said[i : i + n]) == list(phrase) for i in range(len(said) - n + 1))


def _by_ordinal(u: Understanding, choices: Sequence[Choice]) -> Choice | None:
    ordinal = u.slot("ordinal")
    if u.intent == "PickOrdinal" and isinstance(ordinal, int) and choices:
        index = len(choices) - 1 if ordinal == -1 else ordinal - 1
        if 0 <= index < len(choices):
            return choices[index]
    return None


def _mentioned(u: Understanding) -> list[str]:
    """Every value the understanding names: products, candidates of a single item, options."""
    values: list[str] = []
    for item in u.items:
        if item.sku:
            values.append(item.sku)
        elif len(u.items) == 1:
            values += [c.value for c in item.candidates]
        values += [f"{o.group}:{o.choice}" for o in item.options]
    for slot in u.slots.values():
        if slot.value is not None:
            values.append(str(slot.value))
    return values


def pick(u: Understanding, choices: Sequence[Choice], group: str | None = None) -> Choice | None:
    found = _by_ordinal(u, choices)
    if found is not None:
        return found
    values = _mentioned(u)
    if group is not None:
        values = [v.partition(":")[2] for v in values if v.startswith(f"{group}:")]
    hits = [c for c in choices if c.value in values]
    if len(hits) == 1:
        return hits[0]
    return match_choice(u.text, choices)


def answer(state: DialogState, u: Understanding, ctx: Context) -> Decision | None:
    q = state.question
    assert q is not None
    yes, no = u.intent == "Yes", u.intent == "No"
    if q.kind == "which" and q.item is not None:
        choice = pick(u, q.choices)
        if choice is not None:
            item = q.item.model_copy(update={"sku": choice.value, "candidates": ()})
            return proceed(state.model_copy(update={"question": None, "queue": _answered(item, u, state)}), ctx)
        if no:
            return _skip(state, ctx)
    elif q.kind == "option" and q.item is not None and q.group is not None:
        choice = pick(u, q.choices, q.group)
        if choice is not None:
            options = (*q.item.options, _chosen(q.group, choice.value))
            item = q.item.model_copy(update={"options": options})
            return proceed(state.model_copy(update={"question": None, "queue": (item, *state.queue)}), ctx)
        if no:
            return _skip(state, ctx)
    elif q.kind == "stock" and q.item is not None:
        quantity = u.slot("quantity")
        if yes or (isinstance(quantity, int) and 0 < quantity <= q.item.quantity):
            item = q.item if yes else q.item.model_copy(update={"quantity": quantity})
            return proceed(state.model_copy(update={"question": None, "queue": (item, *state.queue)}), ctx)
        if no:
            return _skip(state, ctx)
    elif q.kind == "offer":
        choice = _by_ordinal(u, q.choices)
        if choice is not None:
            q = q.model_copy(update={"item": q.item.model_copy(update={"sku": choice.value}) if q.item else None})
            return account.offer_accepted(state.model_copy(update={"question": q}), ctx)
        if yes:
            return account.offer_accepted(state, ctx)
        if no:
            return _skip(state, ctx)
    elif q.kind == "option_offer" and q.group is not None and q.choices:
        if yes and state.focus is not None and state.focus < len(state.cart.lines):
            return ordering.add_option(state, state.focus, q.group, q.choices[0].value, ctx)
        if no or yes:
            return respond(state, join(ctx.replies("okay"), ctx.replies("anything_else")))
    elif q.kind == "delivery":
        choice = match_choice(u.text, _with_delivery_words(q.choices)) or _by_ordinal(u, q.choices)
        if choice is not None:
            return checkout.choose_delivery(state.model_copy(update={"question": None}), choice.value, ctx)
    elif q.kind == "confirm":
        if yes:
            return checkout.confirmed(state, ctx)
        if no:
            state = state.model_copy(update={"checkout_token": None})
            return respond(state, ctx.replies("not_ordered"))
    elif q.kind == "pin":
        digits = u.slot("digits")
        if digits is not None:
            if q.purpose == "switch" and q.switch_to:
                return _switch_pin(state, str(digits), q.switch_to, ctx)
            return checkout.pin_answer(state, str(digits), ctx)
        if no:
            return respond(state, ctx.replies("pin_skipped"))
    elif q.kind == "cancel_order" and q.order is not None:
        if yes:
            return Decision(state=state.model_copy(update={"question": None}), actions=(CancelOrder(number=q.order),))
        if no:
            return respond(state, ctx.replies("order_kept"))
    elif q.kind == "clear_cart":
        if yes:
            return respond(state.with_cart(Cart(), None), ctx.replies("cart_cleared"))
        if no:
            return respond(state, ctx.replies("cart_kept_short"))
    elif q.kind == "handoff":
        if yes:
            return handoff(state, ctx, reason="offered after misunderstandings")
        if no:
            return respond(state.model_copy(update={"misses": 0}), ctx.replies("lets_go_on"))
    if u.understood and u.intent not in ANSWERS:
        return None  # a new request: handled as such, the question is dropped
    if u.understood and u.intent == "AddItems" and q.kind not in ("which", "option"):
        return None
    return reask(state, ctx, u)


def _answered(item: PendingItem, u: Understanding, state: DialogState) -> tuple[PendingItem, ...]:
    """The queue after a "which" answer; an answer that is a whole order ("two of the colgate and a
    milk") completes the item with its own quantity and options, and adds the other items after it."""
    if u.intent != "AddItems":
        return (item, *state.queue)
    mentions = [pending_from(m) for m in u.items]
    mine = next((m for m in mentions if m.sku == item.sku), None)
    if mine is None:
        return (item, *state.queue)
    merged = item.model_copy(
        update={
            "quantity": mine.quantity if any(m.quantity_said for m in u.items if m.sku == item.sku) else item.quantity,
            "options": (*item.options, *mine.options),
        }
    )
    return (merged, *state.queue, *[m for m in mentions if m is not mine])


def _chosen(group: str, choice: str) -> ChosenOption:
    return ChosenOption(group=group, choice=choice)


def _with_delivery_words(choices: Sequence[Choice]) -> list[Choice]:
    return [c.model_copy(update={"aliases": (*c.aliases, *DELIVERY_WORDS.get(c.value, ()))}) for c in choices]


def _skip(state: DialogState, ctx: Context) -> Decision:
    state = state.model_copy(update={"question": None})
    if state.queue:
        return proceed(state, ctx, notes=[ctx.replies("skipped")])
    return respond(state, join(ctx.replies("okay"), ctx.replies("anything_else")))


def _switch_pin(state: DialogState, digits: str, name: str, ctx: Context) -> Decision:
    state2, save, ok, text = checkout.check_pin(state, digits, ctx)
    actions = (SaveCustomer(customer=save),) if save is not None else ()
    if not ok:
        return respond(state2, text, keep_question=state2.question is not None, actions=actions)
    decision = account.switch_to(state2, name, ctx)
    decision = decision.model_copy(update={"state": decision.state.model_copy(update={"pin_ok": True})})
    return decision.model_copy(update={"actions": (*actions, *decision.actions)})


def reask(state: DialogState, ctx: Context, u: Understanding | None = None) -> Decision:
    """The answer did not fit: say so and ask again; from the second try, with every choice read."""
    q = state.question
    assert q is not None
    tries = q.tries + 1
    q = q.model_copy(update={"tries": tries})
    state = state.model_copy(update={"question": q, "misses": state.misses + 1})
    if q.kind == "pin":
        return respond(state, ctx.replies("pin_reask"), keep_question=True)
    said = " ".join(words(u.text)) if u is not None else ""
    sorry = ctx.replies("not_a_choice", said=said, what=q.group or ctx.replies("an_answer")) if said else ""
    if q.kind in ("confirm", "cancel_order", "clear_cart", "handoff", "stock", "offer", "option_offer"):
        return respond(state, join(ctx.replies("yes_or_no"), q.text), keep_question=True)
    if tries >= 2 and q.choices:
        return respond(state, join(sorry, all_choices(ctx, q)), keep_question=True)
    return respond(state, join(sorry, q.text), keep_question=True)


def handoff(state: DialogState, ctx: Context, *, reason: str) -> Decision:
    action = RequestCallback(customer=state.customer, reason=reason, transcript=state.transcript)
    phone = next((loc.phone for loc in ctx.shop.locations if loc.phone), None)
    text = ctx.replies("handoff_done")
    if phone:
        text = join(text, ctx.replies("shop_phone", phone=" ".join(c for c in phone if c.isdigit())))
    return respond(state.model_copy(update={"misses": 0}), speakable(text), actions=(action,))
