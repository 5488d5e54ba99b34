"""Items waiting to be added (asked about, or queued behind the one asked about) taken off before they
were: "take off the mocha" while its size is asked leaves it out and goes on with the order.
"""

from __future__ import annotations

from voiceshop.dialog.context import Context
from voiceshop.dialog.ordering import proceed
from voiceshop.dialog.respond import anything_else, respond
from voiceshop.dialog.state import Decision, DialogState, PendingItem, Question
from voiceshop.nlu.result import Understanding


def dropped(state: DialogState, q: Question, item: PendingItem, sku: str, ctx: Context) -> Decision | None:
    """A waiting item taken off before it was added: left out, and the order goes on."""
    state = state.model_copy(update={"removing": True})  # "and the popcorn" may take off another
    if sku == item.sku or sku in {c.value for c in item.candidates}:
        state = state.model_copy(update={"question": None})
        note = ctx.replies("left_out_now", what=ctx.product_name(sku))
        if not state.queue and state.cart.lines:
            return respond(state, note, question=anything_else(ctx))
        return proceed(state, ctx, notes=[note])
    waiting = next((k for k, p in enumerate(state.queue) if p.sku == sku), None)
    if waiting is None:
        return None
    state = state.model_copy(update={"queue": state.queue[:waiting] + state.queue[waiting + 1 :]})
    return respond(state, ctx.replies("left_out_now", what=ctx.product_name(sku)), question=q)


def dropped_too(state: DialogState, u: Understanding, ctx: Context) -> Decision | None:
    """After one waiting item was taken off, a turn going on from it that names another waiting one
    without a count ("and the popcorn") takes that off too; None otherwise."""
    q = state.question
    if q is None or q.item is None or not u.continues or len(u.items) != 1:
        return None
    said = u.items[0]
    if said.refused or said.quantity_said or not said.sku:
        return None
    return dropped(state, q, q.item, said.sku, ctx)
