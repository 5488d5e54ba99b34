"""The dialog policy: (state, event, context) -> decision (new state, actions, reply).

A pure function: no audio, no database handle, no clock of its own. Text chat and the voice loop
call it the same way; the runtime applies the actions and feeds their outcome back as an event.

Order of precedence for what the shopper said:

1. commands that always work: cancel / stop, repeat, help, say more, talk to a person, goodbye,
   voice settings, and a moment to think ("um, let me think"), which is not a misunderstanding;
2. an answer to the question waiting (``answers``), taken from whatever in the words fills it;
3. a request (add, change, check out, ask...); a question it leaves unanswered and still needed
   ("which one", "what size", "pickup or delivery", the read-back) is asked again after it;
4. not understood: say so with a hint; after two, concrete choices; after three, offer a person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from voiceshop.commerce.cart import price_item
from voiceshop.dialog import account, answers, checkout, incart, info, ordering, waiting
from voiceshop.dialog.context import Context
from voiceshop.dialog.respond import all_choices, join, next_chunk, previous_chunk, respond, said_before_question
from voiceshop.dialog.speak import say_list, say_number, speakable
from voiceshop.dialog.state import (
    TRANSCRIPT_TURNS,
    ActionDone,
    ActionFailed,
    Decision,
    DialogState,
    Event,
    Heard,
    PendingItem,
    Question,
    SessionStart,
    Turn,
)
from voiceshop.errors import VoiceshopError
from voiceshop.nlu.result import HESITATE, Understanding

HANDOFF_AFTER = 3
SURE_GOODBYE = 0.8
"""Below this a goodbye is taken as not understood: ending the session by mistake costs more."""
CHOICES_AFTER = 2

Handler = Callable[[DialogState, Understanding, Context], Decision]


def decide(state: DialogState, event: Event, ctx: Context) -> Decision:
    if isinstance(event, SessionStart):
        decision = account.greet(state, ctx)
    elif isinstance(event, ActionDone):
        decision = _done(state, event, ctx)
    elif isinstance(event, ActionFailed):
        decision = _failed(state, event, ctx)
    else:
        assert isinstance(event, Heard)
        state = _log(state, "shopper", state.kept_words(event.understanding))
        decision = _heard(state, event.understanding, ctx)
    if decision.reply is not None:
        decision = decision.model_copy(update={"state": _log(decision.state, "assistant", decision.reply.text)})
    return decision


def _log(state: DialogState, who: Literal["shopper", "assistant"], text: str) -> DialogState:
    turns = (*state.transcript, Turn(who=who, text=text))[-TRANSCRIPT_TURNS:]
    return state.model_copy(update={"transcript": turns})


def _done(state: DialogState, event: ActionDone, ctx: Context) -> Decision:
    if event.action.kind == "place_order":
        return checkout.placed(state, event, ctx)
    if event.action.kind == "cancel_order":
        return account.order_cancelled(state, event, ctx)
    return Decision(state=state)


def _failed(state: DialogState, event: ActionFailed, ctx: Context) -> Decision:
    if event.action.kind == "place_order":
        return checkout.place_failed(state, event, ctx)
    return respond(state, join(ctx.replies("not_done"), ctx.refusal(event.code, event.fields)))


def _heard(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    """What the shopper said: one request, or several said in one turn (``u.parts``), acted on one
    after the other, the replies joined ("Okay, now three coca colas. Added one diet coke. Anything
    else?"). A turn whose first part answers the question waiting is read whole, as an answer that
    may say more ("large, and add a muffin"); a request that sets off an action (placing an order) is
    the turn's last."""
    waiting = state.question is not None and state.question.kind != "anything_else"
    if not u.parts or (waiting and answers.answer(state, u.parts[0], ctx) is not None):
        return _request(state, u, ctx)
    decision = _request(state, u.parts[0], ctx)
    for part in u.parts[1:]:
        if decision.actions or decision.reply is None:
            break
        after = _request(decision.state, part, ctx)
        if after.reply is None:
            break
        text = join(said_before_question(decision), after.reply.text)
        state = after.state.model_copy(update={"last_reply": text})
        decision = after.model_copy(update={"state": state, "reply": after.reply.model_copy(update={"text": text})})
    return decision


def _request(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    removing, state = state.removing, state.model_copy(update={"removing": False})
    if state.ended:
        state = state.model_copy(update={"ended": False, "question": None, "listing": None})
    always = ALWAYS.get(u.intent or "")
    if u.intent == "Next" and state.listing is None and state.question is not None:
        always = None  # "aye, go on" at "shall I place the order?" answers it: nothing is being read out
    if u.intent == "Goodbye" and u.confidence < SURE_GOODBYE:
        always = None  # "whichever's cheaper" is not "cheers": a doubtful goodbye ends nothing
        u = u.model_copy(update={"intent": None})
    if always is not None:
        return always(state, u, ctx)
    if removing and u.intent == "AddItems" and (gone := waiting.dropped_too(state, u, ctx)) is not None:
        return gone  # "take off the pretzels" while "which chips?" waits, then "and the popcorn"
    if state.question is not None:
        decision = answers.answer(state, u, ctx)
        if decision is not None:
            if decision.state.misses > state.misses:
                return decision
            return _understood(_checkout_slots(u, decision, ctx))
        if u.intent == "Next":
            return _more(state, u, ctx)
        # A new request: the question stays in the state for handlers that build on it (a coupon
        # said at the read-back); the reply drops it unless the handler keeps it on purpose.
    if not u.understood or u.intent is None:
        return _miss(state, u, ctx)
    handler = HANDLERS.get(u.intent)
    if handler is None:
        return _miss(state, u, ctx)
    state = state.model_copy(update={"listing": None})
    taken = incart.removed_too(state, u, ctx) if removing and u.intent == "AddItems" else None
    decision = taken or handler(state, u, ctx)
    decision = _checkout_slots(u, _resume(state, decision, ctx), ctx)
    asked = decision.state.question
    if u.finished and asked is not None and asked.kind == "anything_else":  # "..., that's it, pick up"
        decision = checkout.checkout(decision.state.model_copy(update={"question": None}), ctx)
    return _understood(decision)


ASKING = frozenset({"ShopInfo", "ProductInfo", "Search", "OrderStatus", "Recommend", "CancelOrder", "Reorder"})
"""Intents that ask about something: a delivery kind or coupon they name is not chosen by it."""


def _checkout_slots(u: Understanding, decision: Decision, ctx: Context) -> Decision:
    """A delivery kind or coupon said along with another request ("twelve ounce, and use the code
    MORNING10") is kept for the checkout, and a coupon is acknowledged."""
    if u.intent in ASKING or decision.reply is None:
        return decision
    state, note = checkout.checkout_slots(decision.state, u, ctx, say_taken=True)
    if state == decision.state:
        return decision
    reply = decision.reply.model_copy(update={"text": join(note, decision.reply.text)})
    return decision.model_copy(update={"state": state.model_copy(update={"last_reply": reply.text}), "reply": reply})


RESUMED = frozenset({"which", "option", "delivery", "confirm"})
"""Questions asked again after a request made in between ("how much is a latte?" at "what size?")."""


def _resume(before: DialogState, decision: Decision, ctx: Context) -> Decision:
    """After a request made while a question waited: the question again, if it is still needed.

    At the read-back, a change to the order reads it back again; "yes" always answers the read-back
    the shopper last heard.
    """
    q, reply, state = before.question, decision.reply, decision.state
    asked = state.question
    # "did you want...?" is asked again once; let go by twice, it lapses
    resumed = q is not None and (q.kind in RESUMED or (q.unsure and q.tries == 0))
    if q is None or reply is None or not resumed or (asked is not None and asked.kind != "anything_else"):
        if asked is None and before.question is not None:
            state = state.model_copy(update={"queue": ()})  # items waiting on a dropped question go with it
        return decision.model_copy(update={"state": state})
    said = said_before_question(decision)
    if q.kind == "confirm":
        if not state.cart.lines:
            return decision
        changed = (state.cart, state.delivery, state.coupon) != (before.cart, before.delivery, before.coupon)
        again = checkout.read_back(state, ctx, note=said) if changed else respond(state, said, question=q)
        return again.model_copy(update={"actions": (*decision.actions, *again.actions)})
    if q.kind == "delivery" and not state.cart.lines:
        return decision
    state = state.model_copy(update={"queue": before.queue})
    again = respond(state, said, question=q.model_copy(update={"tries": q.tries + 1}) if q.unsure else q)
    return again.model_copy(update={"actions": (*decision.actions, *again.actions)})


def _understood(decision: Decision) -> Decision:
    return decision.model_copy(update={"state": decision.state.model_copy(update={"misses": 0})})


def _miss(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    misses = state.misses + 1
    state = state.model_copy(update={"misses": misses})
    heard = tuple(ordering.pending_from(m) for m in u.items if not m.refused and (m.sku or m.candidates))
    offered = state.question
    if heard and offered is not None and offered.unsure:
        heard = (*offered.lines, *heard)  # "... and a croissant" after "did you want two lattes?"
    if heard and misses < HANDOFF_AFTER:
        # Items were heard, but not clearly as an order ("... a large latte, hey, do you want
        # anything?"): ask, rather than drop them or add them unasked.
        said = say_list([_heard_item(item, ctx) for item in heard])
        question = Question(kind="offer", text=ctx.replies("did_you_want", items=said), lines=heard, unsure=True)
        return respond(state, ctx.replies("not_sure"), question=question)
    if misses >= HANDOFF_AFTER:
        question = Question(kind="handoff", text=ctx.replies("offer_handoff"))
        return respond(state, ctx.replies("trouble"), question=question)
    if misses >= CHOICES_AFTER:
        return respond(state, join(ctx.replies("sorry_again"), _choices(state, ctx)))
    return respond(state, join(ctx.replies("sorry"), _hint(state, ctx)))


def _heard_item(item: PendingItem, ctx: Context) -> str:
    """An item as heard, said back: "one large mocha", or the words heard when it names no product."""
    if item.sku is None:
        return speakable(item.text)
    try:
        line = price_item(ctx.catalog, item.sku, item.options, item.quantity)
    except VoiceshopError:
        return speakable(item.text)
    return ctx.describe(line)


def _hint(state: DialogState, ctx: Context) -> str:
    if state.cart.lines:
        return ctx.replies("hint_cart")
    return ctx.replies("hint_start", example=_example(ctx))


def _example(ctx: Context) -> str:
    popular = [s for s in ctx.records.popular() if ctx.catalog.product(s) is not None]
    sku = popular[0] if popular else (ctx.catalog.products[0].sku if ctx.catalog.products else "")
    return ctx.product_name(sku) if sku else ctx.replies("something")


def _choices(state: DialogState, ctx: Context) -> str:
    options = [ctx.replies("choice_order", example=_example(ctx)), ctx.replies("choice_menu")]
    if state.cart.lines:
        options = [ctx.replies("choice_cart"), ctx.replies("choice_checkout"), *options[:1]]
    options.append(ctx.replies("choice_person"))
    return ctx.replies("you_can_say", choices=say_list(options, "or"))


# Commands that work whatever is going on ---------------------------------------------------------


def _cancel(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    asked = state.question is not None and state.question.kind != "anything_else"
    had = asked or state.queue or state.listing is not None
    state = state.model_copy(update={"question": None, "queue": (), "listing": None, "misses": 0})
    if had:
        count = state.cart.item_count
        key = "cart_status_one" if count == 1 else "cart_status"
        follow = ctx.replies(key, count=say_number(count)) if state.cart.lines else ""
        return respond(state, join(ctx.replies("cancelled"), follow, ctx.replies("what_else")))
    if state.cart.lines:
        return respond(state, ctx.replies("stopped_cart"))
    return respond(state, ctx.replies("stopped"))


def _repeat(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    return respond(state, state.last_reply or ctx.replies("nothing_said"), keep_question=True)


def _help(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    q = state.question
    if q is not None and q.kind == "anything_else":
        return respond(state, ctx.replies("help_cart"), keep_question=True)
    if q is not None:
        text = ctx.replies(f"help_{q.kind}")
        if q.choices:
            text = join(text, all_choices(ctx, q))
        return respond(state, join(text, q.text), keep_question=True)
    if state.cart.lines:
        return respond(state, ctx.replies("help_cart"))
    return respond(state, ctx.replies("help_start", example=_example(ctx)))


def _more(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    q = state.question
    if state.listing is None and q is not None and q.choices:
        return respond(state, all_choices(ctx, q), keep_question=True)
    return next_chunk(state, ctx)


def _previous(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    return previous_chunk(state, ctx)


def _handoff(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    return answers.handoff(state, ctx, reason="asked for a person")


def _goodbye(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    state = state.model_copy(update={"queue": (), "listing": None, "misses": 0})
    key = "goodbye_cart" if state.cart.lines else "goodbye"
    return respond(state, ctx.replies(key), end=True)


def _hesitate(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    """ "Um, let me think": wait, keeping the question, without counting a misunderstanding."""
    return respond(state, ctx.replies("take_your_time"), keep_question=True)


def _voice(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    return account.voice_settings(state, u, ctx)


ALWAYS: dict[str, Handler] = {
    "Cancel": _cancel,
    "Repeat": _repeat,
    "Help": _help,
    "Next": _more,
    "Previous": _previous,
    "Handoff": _handoff,
    "Goodbye": _goodbye,
    "VoiceSettings": _voice,
    HESITATE: _hesitate,
}


# Requests -----------------------------------------------------------------------------------------


def _yes(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    return respond(state, ctx.replies("yes_to_what", hint=_hint(state, ctx)))


def _no(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    return respond(state, join(ctx.replies("okay"), ctx.replies("what_else")))


def _clear(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    if not state.cart.lines:
        return respond(state, ctx.replies("cart_empty"))
    count = state.cart.item_count
    key = "confirm_clear_one" if count == 1 else "confirm_clear"
    question = Question(kind="clear_cart", text=ctx.replies(key, count=say_number(count)))
    return respond(state, "", question=question)


def _cancel_order(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    if state.cart.lines and u.slot("digits") is None and not account.history(state, ctx):
        return _clear(state, u, ctx)  # "cancel my order" before any was placed: the cart
    return account.cancel_order(state, u, ctx)


def _coupon(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    slot = u.slots.get("coupon") or u.slots.get("code")
    code = str(slot.value) if slot is not None and slot.value else (slot.text if slot is not None else None)
    return checkout.apply_coupon(state, code, slot.text if slot is not None else "", ctx)


def _greeting(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    if state.customer:
        return respond(state, ctx.replies("hello_name", name=state.customer, shop=ctx.shop.name))
    return respond(state, ctx.shop.greeting or ctx.replies("hello", shop=ctx.shop.name))


def _pick_outside(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    if isinstance(u.slot("ordinal"), int) and state.cart.lines:
        return respond(state, ctx.replies("pick_what_for", items=ctx.describe_cart(state.cart)))
    return respond(state, ctx.replies("nothing_to_pick"))


def _digits_outside(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    return account.order_status(state, u, ctx)


HANDLERS: dict[str, Handler] = {
    "AddItems": ordering.add_said,
    "ReplaceItem": ordering.replace_item,
    "ChangeQuantity": ordering.change_quantity,
    "ChangeOption": ordering.change_option,
    "RemoveItem": ordering.remove_item,
    "Undo": lambda s, u, c: ordering.undo(s, c),
    "ReadCart": lambda s, u, c: checkout.read_cart(s, c),
    "ClearCart": _clear,
    "Checkout": checkout.checkout_said,
    "ChooseDelivery": checkout.choose,
    "ApplyCoupon": _coupon,
    "Yes": _yes,
    "No": _no,
    "PickOrdinal": _pick_outside,
    "SayDigits": _digits_outside,
    "Search": info.search,
    "ProductInfo": info.product_info,
    "ShopInfo": info.shop_info,
    "Recommend": account.recommend,
    "OrderStatus": account.order_status,
    "CancelOrder": _cancel_order,
    "Reorder": account.reorder,
    "IdentifyCustomer": account.identify,
    "Greeting": _greeting,
}
