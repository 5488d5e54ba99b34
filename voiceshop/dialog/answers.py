"""Answers to the question the assistant asked: which one, what size, pickup or delivery, yes or no, the PIN.

An answer is taken from whatever the shopper said that fits the question: an ordinal ("the second
one"), a product or option named, or words matching a choice ("pick up"). An answer that does not
fit is not forced into the slot: the question is asked again, with its choices read out after two
tries. Something that is clearly a new request (asking for the cart, adding another item) is not an
answer at all: ``answer`` returns None and the request is handled instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from voiceshop.commerce.cart import Cart, ChosenOption
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.dialog import account, alongside, checkout, ordering, shares, which
from voiceshop.dialog.context import Context
from voiceshop.dialog.ordering import pending_from, proceed
from voiceshop.dialog.respond import all_choices, anything_else, join, respond, said_before_question
from voiceshop.dialog.speak import say_list, say_number, speakable
from voiceshop.dialog.state import (
    CancelOrder,
    Choice,
    Decision,
    DialogState,
    PendingItem,
    Question,
    RequestCallback,
    SaveCustomer,
)
from voiceshop.dialog.waiting import dropped
from voiceshop.language import load
from voiceshop.nlu.result import Understanding
from voiceshop.nlu.text import stems, words

PASSED = 2
"""Times "which one?" about a vague item ("five drinks") is asked again while the shopper names other
items instead; the next time it is left out, and said so."""
GO_ON = load().function_words("go_on")
ONLY_ANSWERS = frozenset({"Yes", "No", "PickOrdinal", "SayDigits"})
"""Intents that are nothing but an answer: while a question waits, they never start a new request."""
GIVE_UP = 3
"""Answers that do not fit "which one?" / "what size?" before the item is left out, so a shopper who
cannot name it is never stuck (they hear it was skipped and can go on)."""
SAID_BACK = 4
"""Words of a reply that did not fit said back ("Sorry, purple isn't one of the choices"); more
are "that", so the question is not buried."""
INSIST = frozenset({"which", "option", "stock", "delivery", "confirm", "pin", "cancel_order", "clear_cart"})
"""Questions asked again when the words were not understood; the others give way to "sorry"."""


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
    # Things heard outside the intent's sentence count too: "large, and add a muffin" names "large".
    values += [str(m.value) for m in u.mentions if m.kind in ("product", "option")]
    return values


def pick(u: Understanding, choices: Sequence[Choice], group: str | None = None) -> Choice | None:
    found = _by_ordinal(u, choices)
    if found is not None:
        return found
    # what the sentence's slots settled first: "small, i guess... no, medium" names both sizes, and
    # its correction slot says which one stands
    slots = [str(s.value) for s in u.slots.values() if s.value is not None]
    for values in (slots, _mentioned(u)):
        if group is not None:
            values = [v.partition(":")[2] for v in values if v.startswith(f"{group}:")]
        hits = [c for c in choices if c.value in values]
        if len(hits) == 1:
            return hits[0]
    return which.match_choice(u.text, choices)


def answer(state: DialogState, u: Understanding, ctx: Context) -> Decision | None:
    """The answer to the question waiting, taken from whatever in ``u`` fills its slot; None when
    ``u`` does not answer it (a new request, or not understood where the question gives way)."""
    q = state.question
    assert q is not None
    form = FORMS.get(q.kind)
    decision = form(state, q, u, ctx) if form is not None else None
    if decision is not None:
        return decision
    if q.kind in INSIST and (not u.understood or u.intent in ONLY_ANSWERS):
        if q.kind in ("which", "option") and q.item is not None and q.tries + 1 >= GIVE_UP:
            return _give_up(state, q.item, ctx)
        return reask(state, ctx, u)
    return None


def _which(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    assert q.item is not None
    choice = pick(u, q.choices)
    if choice is None and (choice := which.described(u, q.choices, ctx)) is not None:
        u = u.model_copy(update={"items": ()})  # its one item was the answer, not another item
    choice = choice or (which.of_its_kind(u, q.item.text, ctx) if u.intent == "AddItems" else None)
    if choice is not None:
        item = q.item.model_copy(update={"sku": choice.value, "candidates": ()})
        return proceed(state.model_copy(update={"question": None, "queue": _answered(item, u, state)}), ctx)
    if (count := which.recount(u, {c.value for c in q.choices}, q.item.quantity)) is not None:
        return _recounted(state, q, q.item, count, ctx)  # "make it four bags of chips" at "which chips?"
    kept = alongside.for_any(u, q.item, ctx) if u.intent in (None, "ChangeOption") else ()
    if kept:  # "large" at "which bowl?": kept for the bowl, and asked again
        item = q.item.model_copy(update={"options": (*q.item.options, *kept)})
        noted = ctx.replies("kept", item=say_list([speakable(o.choice) for o in kept]))
        return respond(state, noted, question=q.model_copy(update={"item": item}))
    return _unanswered(state, q, q.item, u, ctx)


def _option(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    assert q.item is not None and q.group is not None
    parts_said = shares.shares(u, q.group, {c.value for c in q.choices}, q.item.quantity)
    if len(parts_said) > 1:  # "one large, one small" for two mochas
        parts = tuple(
            q.item.model_copy(update={"quantity": n, "options": (*q.item.options, _chosen(q.group, value))})
            for n, value in parts_said
        )
        return proceed(state.model_copy(update={"question": None, "queue": (*parts, *state.queue)}), ctx)
    choice = _unattached(u, q.choices, q.group) or pick(u, q.choices, q.group)
    also = alongside.also_said(u, q.item, q.group, ctx)  # "large, hot": the spice too
    if choice is not None:
        u = _not_another(u, q.group, choice.value, q.item.quantity, ctx)  # "a vimto" at "what drink?": no can
        # a reading two recognisers were asked about keeps the amount it was heard with ("a lot of cream")
        chosen = next((o for o in q.item.doubts if o.group == q.group and o.choice == choice.value), None)
        options = alongside.replaced(q.item.options, (chosen or _chosen(q.group, choice.value), *also))
        queue = _answered(q.item.model_copy(update={"options": options}), u, state)
        if u.every:  # "both regular": the dishes waiting behind it too
            queue = (queue[0], *alongside.shared(queue[1:], q.group, choice.value, ctx))
        unsold = [ctx.replies("not_sold", what=m.text) for m in u.mentions if m.variety]  # "large, oat milk"
        return proceed(state.model_copy(update={"question": None, "queue": queue}), ctx, notes=unsold)
    if q.item.sku and (count := which.recount(u, {q.item.sku}, q.item.quantity)) is not None:
        return _recounted(state, q, q.item, count, ctx)  # "make it two" at "what size latte?"
    if also and u.intent == "ChangeOption":  # "double shot" at "what size espresso?": kept, and asked again
        item = q.item.model_copy(update={"options": alongside.replaced(q.item.options, also)})
        noted = ctx.replies("kept", item=say_list([o.choice for o in also]))
        return respond(state, noted, question=q.model_copy(update={"item": item}))
    return _unanswered(state, q, q.item, u, ctx)


def _not_another(u: Understanding, group: str, choice: str, count: int, ctx: Context) -> Understanding:
    """``u`` without the items that only name the choice given as the answer, once or once for each of
    the ``count`` asked about: a product called like it ("a vimto" at "what drink?" where a can of
    vimto is also sold) is not wanted beside it."""
    g = ctx.catalog.group(group)
    chosen = next((c for c in g.choices if c.name == choice), None) if g is not None else None
    if chosen is None:
        return u
    names = {stems(n) for n in (chosen.name, *chosen.aliases)}
    items = tuple(m for m in u.items if not (m.sku and m.quantity in (1, count) and stems(m.text) in names))
    return u if len(items) == len(u.items) else u.model_copy(update={"items": items})


def _recounted(state: DialogState, q: Question, item: PendingItem, count: int, ctx: Context) -> Decision:
    """The item asked about with its new count, said back, and the question asked again."""
    item = item.model_copy(update={"quantity": count})
    return respond(state, ctx.replies("kept", item=say_number(count)), question=q.model_copy(update={"item": item}))


def _unattached(u: Understanding, choices: Sequence[Choice], group: str) -> Choice | None:
    """The one choice of ``group`` said outside the items said with it: "small" in "small, and a
    cappuccino, large"."""
    free = [choice for said, choice, _ in alongside.free_options(u) if said == group]
    found = {c.value: c for c in choices if c.value in free}
    return next(iter(found.values())) if len(found) == 1 else None


def _unanswered(state: DialogState, q: Question, item: PendingItem, u: Understanding, ctx: Context) -> Decision | None:
    """A reply to "which one?" / "what size?" that does not choose: "no" skips the item, a quantity
    changes it, other items are added first and the question comes back; "that's all" cannot end
    the order while the item waits."""
    if u.intent == "No":
        return _skip(state, ctx)
    if (other := which.variant(u, item.sku, ctx)) is not None:  # "wait no, the iced one" at "what size mocha?"
        queue = (item.model_copy(update={"sku": other}), *state.queue)
        return proceed(state.model_copy(update={"question": None, "queue": queue}), ctx)
    named = u.slot("product")
    if u.intent == "RemoveItem" and named:  # "take off the mocha" while its size is asked, or one waiting
        return dropped(state, q, item, str(named), ctx)
    waiting = {c.value for c in item.candidates} | {item.sku}
    quantity = u.slot("quantity")
    if u.intent == "ChangeQuantity" and isinstance(quantity, int) and quantity > 0 and named in (None, *waiting):
        item = item.model_copy(update={"quantity": quantity})  # not "make the cokes three" at "which chips?"
        return proceed(state.model_copy(update={"question": None, "queue": (item, *state.queue)}), ctx)
    # the thing asked about said again as vaguely ("the battery" at "which battery?") or as it is
    # ("just a normal coffee" at "what size coffee?") is no new item; refused, it is not wanted
    # ("no no, not espresso, i said americano")
    said = [m for m in u.items if (m.sku is not None or m.candidates) and not m.refused]
    again = [m for m in said if ({m.sku} if m.sku else {c.value for c in m.candidates}) <= waiting]
    again = [m for m in again if not (m.sku and m.quantity_said and m.quantity != item.quantity)]
    if u.intent == "AddItems" and said and len(again) == len(said):
        return reask(state, ctx, u)
    others = [pending_from(m) for m in said if m not in again]
    passed = item.model_copy(update={"passed": item.passed + 1})
    kept = () if any(m.refused and m.sku in waiting for m in u.items) else (passed,)
    if u.intent == "AddItems" and others and item.sku is None and item.passed >= PASSED:  # "which drinks?" let go by
        notes = [ctx.replies("left_out", what=_what(item, ctx))]
        return proceed(state.model_copy(update={"question": None, "queue": (*others, *state.queue)}), ctx, notes=notes)
    if u.intent == "AddItems" and others:
        return proceed(state.model_copy(update={"question": None, "queue": (*others, *kept, *state.queue)}), ctx)
    if u.intent in ("Checkout", "ChooseDelivery"):  # "that's it", "pick up": this one first
        return _first(state, q, u, ctx)
    return None


def _first(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision:
    """Checking out while an answer is still owed: the first time, what was said for the checkout is
    kept and the question is asked again first, saying how to skip it; the second time the item is
    left out, said so, and the checkout goes on: never a dead end."""
    if not q.held:
        state, _ = checkout.checkout_slots(state, u, ctx)
        state = state.model_copy(update={"question": q.model_copy(update={"held": True})})
        return respond(state, ctx.replies("answer_first", question=q.text), keep_question=True)
    if state.queue and q.item is not None:
        return _give_up(state, q.item, ctx)  # the items still waiting are asked about next
    state = state.model_copy(update={"question": None})
    go_on = checkout.checkout_said if u.intent == "Checkout" else checkout.choose
    decision = go_on(state, u, ctx)
    items = q.lines or ((q.item,) if q.item is not None else ())
    what = say_list([_what(i, ctx) for i in items]) if items else ctx.replies("that")
    note = ctx.replies("left_out", what=what)
    text = join(note, decision.reply.text if decision.reply is not None else "")
    again = respond(decision.state, text, keep_question=True)
    return again.model_copy(update={"actions": (*decision.actions, *again.actions)})


def _stock(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    assert q.item is not None
    quantity = u.slot("quantity")
    if u.intent == "Yes" or (isinstance(quantity, int) and 0 < quantity <= q.item.quantity):
        item = q.item if u.intent == "Yes" else q.item.model_copy(update={"quantity": quantity})
        return proceed(state.model_copy(update={"question": None, "queue": (item, *state.queue)}), ctx)
    return _skip(state, ctx) if u.intent == "No" else None


def _offer(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    vague = q.lines[0] if len(q.lines) == 1 and q.lines[0].sku is None else None
    one = pick(u, vague.candidates) if vague is not None and vague.candidates else None
    if vague is not None and one is not None:  # "did you want batteries?" - "triple a"
        # as said, with its count and options: "two turkey clubs, whole" at "did you want sandwiches?"
        as_said = next((pending_from(m) for m in u.items if m.sku == one.value and not m.refused), None)
        item = as_said or vague.model_copy(update={"sku": one.value, "candidates": ()})
        return proceed(state.model_copy(update={"question": None, "queue": (item, *state.queue)}), ctx)
    choice = pick(u, q.choices) if len(q.choices) > 1 else _by_ordinal(u, q.choices)
    if choice is not None:
        item = (q.item or PendingItem(text=choice.name)).model_copy(update={"sku": choice.value})
        q = q.model_copy(update={"item": alongside.taken_with(item, u, None)})
        return account.offer_accepted(state.model_copy(update={"question": q}), ctx)
    # "I'll take one", "a medium one then", "two of those", "the usual, please" (when the usual is
    # what is offered) say yes to it, with what they add.
    taken = u.intent == "PickOrdinal" and u.slot("ordinal") is None
    quantity = u.slot("quantity") if u.intent == "ChangeQuantity" else None
    usual = u.intent == "Reorder" and u.slot("which") == "usual" and bool(q.lines)
    offered = q.lines or ((q.item,) if q.item is not None else ())
    declined = any(m.kind == "decline" for m in u.mentions)  # "ok, leave that then, a chow mein"
    agreed = not declined and any(m.kind == "agreement" for m in u.mentions)
    said = tuple(pending_from(m) for m in u.items if (m.sku or m.candidates) and not m.refused)
    more = [i for i in said if i.sku not in {o.sku for o in offered}]
    # "and a box of plasters" after "did you want orange juice?": going on from it takes it
    going_on = agreed or len(more) < len(said) or (q.unsure and u.continues)
    if said and ((u.intent == "AddItems" and going_on) or (not u.understood and agreed and more)):
        # "great, one of those and a wall charger", "yes, this one, also one water": the offer and
        # what is said with it (an offered product said again comes as said: "a small mocha then")
        # of several lines offered, those named are the ones chosen ("the cappuccino then" after
        # "did you want latte and cappuccino?"); a single line offered is taken with what is added
        named = len(offered) > 1 and len(more) < len(said)
        # "ok, the prosciutto sounds good" after "shall I add a margherita?": what is named without a
        # count instead of the offer ("yes, and a wall charger" takes both)
        instead = agreed and bool(more) and len(more) == len(said) and not u.continues
        instead = instead and not any(m.quantity_said for m in u.items) and not q.unsure
        kept = () if named or instead else tuple(o for o in offered if o.sku not in {i.sku for i in said})
        return proceed(state.model_copy(update={"question": None, "queue": (*kept, *said, *state.queue)}), ctx)
    if q.unsure and u.intent in ("Checkout", "ChooseDelivery"):  # "that's all" at "did you want...?"
        return _first(state, q, u, ctx)
    product = ctx.catalog.product(q.item.sku) if q.item is not None and q.item.sku else None
    fits = product is not None and str(u.slot("option")).partition(":")[0] in product.options
    if (agreed and u.intent is None) or (u.intent == "ChangeOption" and (agreed or fits)):
        taken = True  # "yes, one box", "okay, one of those, with whole milk", "i'll take two, not sliced"
        quantity = next((m.value for m in u.mentions if m.kind == "quantity"), None)
    if _agrees(u) or taken or usual or isinstance(quantity, int):
        if q.item is not None and not q.lines:
            q = q.model_copy(update={"item": alongside.taken_with(q.item, u, quantity)})
            state = state.model_copy(update={"question": q})
        return account.offer_accepted(state, ctx)
    return _skip(state, ctx) if u.intent == "No" else None


def _option_offer(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    if u.intent == "Yes" and q.group and q.choices and state.focus is not None and state.focus < len(state.cart.lines):
        return ordering.add_option(state, state.focus, q.group, q.choices[0].value, ctx)
    if u.intent in ("Yes", "No"):
        return respond(state, ctx.replies("okay"), question=anything_else(ctx))
    return None


def _delivery(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    offered = {c.value for c in q.choices}
    said = [k for k in checkout.kinds_said(u) if k in offered]
    choice = next((c for c in q.choices if said and c.value == said[-1]), None)
    choice = choice or _by_ordinal(u, q.choices) or which.match_choice(u.text, q.choices)
    choice = choice or checkout.way_said(u.text, q.choices, ctx)
    if choice is None:
        return None
    state = state.model_copy(update={"question": None, "delivery": DeliveryKind(choice.value)})
    # The same breath may carry more: "pick up, and can I use code TREAT2", "delivery, and a muffin".
    if u.intent == "AddItems" and u.items:
        added = ordering.add_said(state, u, ctx)
        asked = added.state.question
        if added.reply is None or (asked is not None and asked.kind != "anything_else"):
            return added  # the new item needs an answer first ("what size?")
        return checkout.read_back(added.state, ctx, note=said_before_question(added))
    state, note = checkout.checkout_slots(state, u, ctx)  # a coupon said with it
    return checkout.read_back(state, ctx, note=note)


def _confirm(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    if _agrees(u) or (u.intent == "Checkout" and not _fills_checkout(u)):  # "yes, place the order"
        return checkout.confirmed(state, ctx)
    other = checkout.way_said(u.text, checkout.delivery_question(ctx).choices, ctx, state.delivery)
    if other is not None:  # "actually, the free one", "no, counter's fine", "whichever's cheaper"
        return checkout.choose_delivery(state, other.value, ctx)
    if u.intent == "No" or (u.intent == "CancelOrder" and u.slot("digits") is None):  # "cancel the order"
        return respond(state.model_copy(update={"checkout_token": None}), ctx.replies("not_ordered"))
    return None


def _agrees(u: Understanding) -> bool:
    """A yes, or "go on (then)" at a yes/no question ("aye, go on"; not "and" or "what else")."""
    going_on = any(m.kind == "agreement" for m in u.mentions) or not GO_ON.isdisjoint(words(u.text))
    return u.intent == "Yes" or (u.intent == "Next" and going_on)


def _fills_checkout(u: Understanding) -> bool:
    """Whether the words name a delivery kind or coupon ("place it, for delivery" changes the order)."""
    return any(m.kind in ("delivery", "coupon") for m in u.mentions)


def _pin(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    digits = u.slot("digits")
    if digits is not None:
        if q.purpose == "switch" and q.switch_to:
            return _switch_pin(state, str(digits), q.switch_to, ctx)
        return checkout.pin_answer(state, str(digits), ctx)
    return respond(state, ctx.replies("pin_skipped")) if u.intent == "No" else None


def _cancel_order(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    if u.intent == "Yes" and q.order is not None:
        return Decision(state=state.model_copy(update={"question": None}), actions=(CancelOrder(number=q.order),))
    return respond(state, ctx.replies("order_kept")) if u.intent == "No" else None


def _clear_cart(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    if u.intent == "Yes":
        return respond(state.with_cart(Cart(), None), ctx.replies("cart_cleared"))
    return respond(state, ctx.replies("cart_kept_short")) if u.intent == "No" else None


def _handoff(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    if u.intent == "Yes":
        return handoff(state, ctx, reason="offered after misunderstandings")
    if u.intent == "No":
        return respond(state.model_copy(update={"misses": 0}), ctx.replies("lets_go_on"))
    return None


def _anything_else(state: DialogState, q: Question, u: Understanding, ctx: Context) -> Decision | None:
    if u.intent in (None, "ChangeOption"):
        shared = shares.share_out(state, u, ctx)  # "one with whole milk and one with soy"
        if shared is not None:
            return shared
    if u.intent == "Yes":
        return respond(state, ctx.replies("what_else"))
    named = any(m.kind == "product" for m in u.mentions)  # "no, not the pods, the liquid" is not "no"
    if u.intent in ("No", "Checkout", "ChooseDelivery") and not (u.intent == "No" and named):
        return checkout.checkout_said(state.model_copy(update={"question": None}), u, ctx)
    return None


Form = Callable[[DialogState, Question, Understanding, Context], Decision | None]
FORMS: dict[str, Form] = {
    "which": _which,
    "option": _option,
    "stock": _stock,
    "offer": _offer,
    "option_offer": _option_offer,
    "delivery": _delivery,
    "confirm": _confirm,
    "pin": _pin,
    "cancel_order": _cancel_order,
    "clear_cart": _clear_cart,
    "handoff": _handoff,
    "anything_else": _anything_else,
}


def _answered(item: PendingItem, u: Understanding, state: DialogState) -> tuple[PendingItem, ...]:
    """The queue after an answer that completes ``item``. An answer that is a whole order ("two of
    the colgate and a milk", "large, and add a muffin") completes the item with its own quantity and
    options, and adds the other items after it."""
    if u.intent != "AddItems":
        return (item, *state.queue)
    mentions = [pending_from(m) for m in u.items if (m.sku is not None or m.candidates) and not m.refused]
    mine = next((m for m in mentions if m.sku == item.sku), None)
    if mine is None:
        return (item, *state.queue, *mentions)
    said = [o for o in mine.options if all(o.group != have.group for have in item.options)]
    merged = item.model_copy(
        update={
            "quantity": mine.quantity if any(m.quantity_said for m in u.items if m.sku == item.sku) else item.quantity,
            "options": (*item.options, *said),
        }
    )
    return (merged, *state.queue, *[m for m in mentions if m is not mine])


def _chosen(group: str, choice: str) -> ChosenOption:
    return ChosenOption(group=group, choice=choice)


def _give_up(state: DialogState, item: PendingItem, ctx: Context) -> Decision:
    """The item is left out, said so, and the order goes on: never a dead end."""
    state = state.model_copy(update={"question": None, "misses": state.misses + 1})
    note = ctx.replies("left_out", what=_what(item, ctx))
    if state.queue:
        return proceed(state, ctx, notes=[note])
    return respond(state, note, question=anything_else(ctx))


def _what(item: PendingItem, ctx: Context) -> str:
    return ctx.product_name(item.sku) if item.sku else speakable(item.text) or ctx.replies("that")


def _skip(state: DialogState, ctx: Context) -> Decision:
    state = state.model_copy(update={"question": None})
    if state.queue:
        return proceed(state, ctx, notes=[ctx.replies("skipped")])
    return respond(state, ctx.replies("okay"), question=anything_else(ctx))


def _switch_pin(state: DialogState, digits: str, name: str, ctx: Context) -> Decision:
    state2, save, verdict, text = checkout.check_pin(state, digits, ctx)
    if verdict != "right":
        return checkout.pin_refused(state2, verdict, save, text)
    actions = (SaveCustomer(customer=save),) if save is not None else ()
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
    if len(said.split()) > SAID_BACK:
        said = ctx.replies("that")
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
        text = join(text, ctx.replies("shop_phone", phone=" ".join(c for c in phone if c.isdecimal())))
    return respond(state.model_copy(update={"misses": 0}), speakable(text), actions=(action,))
