"""Item runs: which stretch of tagged words is one order ("two large lattes, one with soy, and a croissant").

A run starts at an item word (a quantity, option, product...) or a word like "some", goes on over
connectors ("and", "with"), corrections and negations ("no", "i mean") and up to ``MAX_GAP``
unknown words while an item word follows, and needs a head (a product, brand or category). After the
last head it keeps the options, and a quantity when that item has none yet or was corrected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from voiceshop.language import load
from voiceshop.nlu.align import HEADS, Tag
from voiceshop.nlu.items import CONNECTORS, SEPARATORS, is_item_tag

LEADING = load().function_words("leading")
"""Words an item stretch may start with: "some ice cream"."""
MAX_GAP = 2
"""Unknown words an item may span."""
HEDGES = load().function_words("hedges")
"""Words an item may span right before a number: "chicken soup, like three cans"."""


class Symbol(Protocol):
    @property
    def tags(self) -> tuple[Tag, ...]: ...


def run_end(tags: list[Tag], k: int, marked: frozenset[int] = frozenset()) -> int:
    """Index of the last tag of the item run starting at ``k``, or ``k`` when no run starts there.

    A run goes on over connectors ("and", "with"), corrections and negations ("no", "i mean") and up
    to ``MAX_GAP`` unknown words, as long as an item word follows.
    """
    if not is_item_tag(tags[k]) and not (tags[k].kind == "word" and tags[k].value in LEADING):
        return k
    end = k
    last_head = k if tags[k].kind in HEADS else -1
    j = k + 1
    gap = 0
    while j < len(tags):
        tag = tags[j]
        if tag.unheard:  # "oat", only near "at"
            gap += 1
            if gap > MAX_GAP:
                break
        elif not (is_item_tag(tag) or (tag.kind == "word" and (tag.value in CONNECTORS or tag.start in marked))):
            if not _hedge(tags, j):
                break
        else:
            gap = 0
        if is_item_tag(tag):
            end = j
        if tag.kind in HEADS:
            last_head = j
        j += 1
    if last_head < 0:
        return k
    # Options after the last head still belong to it ("a latte, large"), and so does a quantity when
    # its item has none yet ("milk, two gallons") or a correction comes before it ("two, no, three").
    while end > last_head and not _trailing(tags, last_head, end, marked):
        end -= 1
    return end


def _hedge(tags: list[Tag], j: int) -> bool:
    """Whether ``tags[j]`` is a word that softens the count right after it, said alone or in a unit
    ("like three cans", not "like three times a week")."""
    nxt = tags[j + 1] if j + 1 < len(tags) else None
    if tags[j].kind != "word" or tags[j].value not in HEDGES or nxt is None or nxt.kind != "quantity":
        return False
    after = tags[j + 2] if j + 2 < len(tags) else None
    return after is None or after.kind == "unit" or (after.kind == "word" and after.value in SEPARATORS)


def _trailing(tags: list[Tag], head: int, end: int, marked: frozenset[int]) -> bool:
    """Whether the item word ``tags[end]`` after the last head belongs to that head's item."""
    kind = tags[end].kind
    if kind in ("option", "amount"):
        return True
    if kind == "unit" and end - 1 > head and tags[end - 1].kind == "quantity":
        return _trailing(tags, head, end - 1, marked)  # "skim milk, two gallons"
    if kind != "quantity" or tags[end].weak:
        return False
    if any(t.kind == "word" and t.start in marked for t in tags[head:end]):
        return True
    before = head
    while before > 0 and tags[before - 1].kind in ("option", "amount", "unit", "quantity", "word"):
        if tags[before - 1].kind == "quantity" and not tags[before - 1].weak:
            return False  # "two lattes ... three" is not "lattes, three"
        if tags[before - 1].kind == "word" and tags[before - 1].value not in CONNECTORS:
            break
        before -= 1
    return True


def separator_before(encoding: Sequence[Symbol], k: int) -> tuple[Tag, ...]:
    before = encoding[k - 1].tags if k > 0 else ()
    return before[-1:] if before and before[-1].kind == "word" and before[-1].value in SEPARATORS else ()
