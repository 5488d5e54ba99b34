"""Two hearings of one command compared: what both understood is taken, what they heard apart is asked.

With two recognisers on the same sound (Whisper biased by the shop's phrases, pocketsphinx held to
the grammar's sentences), each transcript is understood on its own and the understandings are
compared slot by slot:

- ``agreed``: the same intent, the same items (product, quantity, every option); taken as it is.
- ``confirm``: the same intent and items, but a product or an option choice heard differently by
  each ("large" and "medium"): the first understanding goes on with that slot left open and both
  readings attached (``ItemMention.doubted`` / ``doubts``), and the dialog asks "large or medium?".
- ``differ``: they differ in a way a question cannot settle (another intent, another number of
  items, an option one heard and the other did not): the first understanding is taken as it is, as it
  would be with one engine.
- ``alone``: the first was not understood, or the second heard nothing: nothing to compare.

The first engine leads (it hears any words); the second only ever adds a question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voiceshop.nlu.result import Candidate, ItemMention, OptionMention, Understanding

Verdict = Literal["agreed", "confirm", "differ", "alone"]


@dataclass(frozen=True)
class Agreement:
    understanding: Understanding
    """What goes on to the dialog: the first understanding, with the slots to confirm left open."""
    verdict: Verdict
    disputed: tuple[str, ...] = ()
    """What the two heard differently: "intent", "items", "product", "quantity", "slot:<name>",
    "option:<group>", "amount:<group>"."""


def agree(first: Understanding, second: Understanding) -> Agreement:
    """``first`` (the leading engine's understanding) checked against ``second``'s."""
    if not first.understood or not second.text:
        return Agreement(first, "alone")
    if first.intent != second.intent:
        return Agreement(first, "differ", ("intent",))
    disputed = [f"slot:{name}" for name in sorted(set(first.slots) | set(second.slots))
                if first.slot(name) != second.slot(name)]  # fmt: skip
    if len(first.items) != len(second.items):
        return Agreement(first, "differ", (*disputed, "items"))
    items: list[ItemMention] = []
    asked = False
    for mine, theirs in zip(first.items, second.items, strict=True):
        item, differs, confirm = _item(mine, theirs)
        items.append(item)
        disputed += differs
        asked = asked or confirm
    if not disputed:
        return Agreement(first, "agreed")
    if not asked:
        return Agreement(first, "differ", tuple(disputed))
    return Agreement(first.model_copy(update={"items": tuple(items)}), "confirm", tuple(disputed))


def _item(mine: ItemMention, theirs: ItemMention) -> tuple[ItemMention, list[str], bool]:
    """The item to go on with, what differs, and whether a question is to settle it."""
    differs: list[str] = []
    update: dict[str, object] = {}
    if mine.refused != theirs.refused:
        differs.append("refused")
    if mine.sku != theirs.sku:
        differs.append("product")
        if mine.sku is not None and theirs.sku is not None:
            update["sku"] = None
            update["doubted"] = True
            update["candidates"] = (
                Candidate(value=mine.sku, name=mine.name or mine.sku, score=mine.score),
                Candidate(value=theirs.sku, name=theirs.name or theirs.sku, score=theirs.score),
            )
    if mine.quantity != theirs.quantity:
        differs.append("quantity")
    ours = {o.group: o for o in mine.options}
    other = {o.group: o for o in theirs.options}
    doubts: list[OptionMention] = []
    for group in sorted(set(ours) | set(other)):
        a, b = ours.get(group), other.get(group)
        if a is None or b is None:
            differs.append(f"option:{group}")  # one heard it, the other did not: no question settles it
        elif a.choice != b.choice:
            differs.append(f"option:{group}")
            doubts += [a, b]
        elif a.amount != b.amount:
            differs.append(f"amount:{group}")
    if doubts:
        asked = {o.group for o in doubts}
        update["options"] = tuple(o for o in mine.options if o.group not in asked)
        update["doubts"] = tuple(doubts)
    confirm = bool(update)
    return (mine.model_copy(update=update) if update else mine), differs, confirm
