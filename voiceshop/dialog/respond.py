"""Building a decision: the reply text, the question it asks, the list it starts reading.

Every handler ends here, so the rules of a reply live in one place: lists are read three at a time,
a question is remembered for "repeat" and for checking the answer, and the shopper's voice settings
travel with the reply.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.dialog.context import LIST_CHUNK, Context
from voiceshop.dialog.speak import say_list, say_number
from voiceshop.dialog.state import Action, Decision, DialogState, Listing, Question, Reply

CHOICES_READ = 3
"""How many choices a question reads before "or one of N more"."""


def join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def respond(
    state: DialogState,
    text: str,
    *,
    question: Question | None = None,
    keep_question: bool = False,
    actions: Sequence[Action] = (),
    end: bool = False,
    pin_wrong: bool = False,
) -> Decision:
    """Say ``text`` (and ``question.text`` after it, if a question is asked); ``pin_wrong``: the
    reply answers a wrong PIN."""
    if question is not None:
        text = join(text, question.text)
        state = state.model_copy(update={"question": question})
    elif not keep_question:
        state = state.model_copy(update={"question": None})
    state = state.model_copy(update={"last_reply": text, "ended": end})
    reply = Reply(
        text=text,
        expects_answer=state.question is not None,
        end=end,
        pin_wrong=pin_wrong,
        pace=state.pace,
        volume=state.volume,
        detail=state.detail,
    )
    return Decision(state=state, actions=tuple(actions), reply=reply)


def said_before_question(decision: Decision) -> str:
    """What a decision's reply says before the question it asks ("Added one croissant.")."""
    if decision.reply is None:
        return ""
    asked = decision.state.question
    return decision.reply.text.removesuffix(asked.text).strip() if asked is not None else decision.reply.text


def anything_else(ctx: Context) -> Question:
    """ "Anything else?" as a question: "no" or "that's all" answers it by checking out."""
    return Question(kind="anything_else", text=ctx.replies("anything_else"))


def all_choices(ctx: Context, question: Question) -> str:
    """ "The choices are a, b or c.": every choice of a question, when the short form was not enough."""
    return ctx.replies("choices_are", choices=say_list([c.name for c in question.choices], "or"))


def first_choices(ctx: Context, names: Sequence[str]) -> str:
    """The first few choices, and how many more there are: a question stays short."""
    shown = list(names[:CHOICES_READ])
    more = len(names) - len(shown)
    return say_list(shown, "or") + (ctx.replies("and_more", count=say_number(more)) if more else "")


def read_list(
    state: DialogState, ctx: Context, intro: str, entries: Sequence[str], *, after: str = "", conjunction: str = "and"
) -> Decision:
    """Say a list: all of it if short, else the first three and "say more for the next"."""
    if len(entries) <= LIST_CHUNK + 1:
        state = state.model_copy(update={"listing": None})
        return respond(state, join(intro, say_list(list(entries), conjunction) + ".", after))
    listing = Listing(intro=intro, entries=tuple(entries), offset=0)
    return next_chunk(state.model_copy(update={"listing": listing}), ctx)


def next_chunk(state: DialogState, ctx: Context) -> Decision:
    listing = state.listing
    if listing is None:
        return respond(state, ctx.replies("nothing_more"), keep_question=True)
    chunk = listing.entries[listing.offset : listing.offset + LIST_CHUNK]
    offset = listing.offset + len(chunk)
    left = len(listing.entries) - offset
    head = listing.intro if listing.offset == 0 else ""
    tail = ctx.replies("say_more", count=left) if left else ctx.replies("end_of_list")
    state = state.model_copy(update={"listing": listing.model_copy(update={"offset": offset}) if left else None})
    return respond(state, join(head, say_list(list(chunk)) + ".", tail), keep_question=True)


def previous_chunk(state: DialogState, ctx: Context) -> Decision:
    listing = state.listing
    if listing is None or listing.offset <= LIST_CHUNK:
        if listing is not None:
            return next_chunk(state.model_copy(update={"listing": listing.model_copy(update={"offset": 0})}), ctx)
        return respond(state, ctx.replies("nothing_before"), keep_question=True)
    start = max(0, listing.offset - 2 * LIST_CHUNK)
    return next_chunk(state.model_copy(update={"listing": listing.model_copy(update={"offset": start})}), ctx)
