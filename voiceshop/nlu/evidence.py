"""How much the words around the items say for an order: the weighing behind the items-first reading
(and the options-first one).

Each word of the items counts 1. Each word outside them costs: light words ("hi", "dear") almost
nothing, words the ordering sentences use ("can i get", "please") little, unknown words and other
intents' words more, and deciding words of other intents ("remove", "where") a lot when they come
before the order (a question or command comes before what it is about; after the order, "if that's
not too much trouble" is politeness). The items must be well heard: their naming scores count twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from voiceshop.language import load
from voiceshop.nlu.align import HEADS, Tag
from voiceshop.nlu.items import OPTION_WITH, SEPARATORS, is_item_tag
from voiceshop.nlu.symbols import Hit, Symbol, slot_symbol
from voiceshop.nlu.text import stem

COST_LIGHT = 0.05
COST_SUPPORT = 0.15
"""A word the ordering sentences use ("i", "get", "please")."""
COST_OTHER = 0.35
"""An unknown word, or a word of other intents' sentences."""
COST_DECIDING = 2.0
"""A word that decides for another intent ("remove", "where", "cancel")."""
EVIDENCE_EXPONENT = 0.7
GAP_PENALTY = 0.9
"""Confidence factor per unknown word inside an item ("a small house coffee and one of them blueberry things")."""
GOOD_OPTION = 0.85
"""An option heard at least this well may be read on its own (a near miss, "trouble" for "double", not)."""
OPTION = slot_symbol("option")
ASKS = load().function_words("asks")
"""Words a question opens with: options said after them are asked about, not chosen."""


@dataclass(frozen=True)
class Evidence:
    light: frozenset[str]
    support: frozenset[str]
    deciding: frozenset[str]

    def confidence(
        self,
        items: Sequence[Tag],
        outside: Iterable[tuple[Tag, bool]],
        tokens: Sequence[str],
        marks: frozenset[int] = frozenset(),
    ) -> float:
        """How sure ``items`` (the tags of every item run) are an order, given the ``outside`` tags
        (each with whether it comes after the last item). Words of a correction or refusal
        (``marks``: "not the bagel, the croissant", "sorry, i mean") are part of how items are said."""
        heard = [t.score for t in items if is_item_tag(t)]
        quality = (0.5 * sum(heard) / len(heard) + 0.5 * min(heard)) ** 2
        quality *= GAP_PENALTY ** sum(t.kind == "unknown" for t in items)
        said = float(sum(t.length for t in items if not (t.kind == "word" and t.value in SEPARATORS)))
        cost = sum(
            (COST_SUPPORT if t.start in marks else self.cost(t, tokens, after=after)) * t.length for t, after in outside
        )
        return float(quality * (said / (said + cost)) ** EVIDENCE_EXPONENT)

    def cost(self, tag: Tag, tokens: Sequence[str], *, after: bool = False) -> float:
        word = str(tag.value) if tag.kind == "word" else stem(tokens[tag.start])
        if word in self.deciding:
            return COST_OTHER if after else COST_DECIDING
        if tag.kind != "word":
            return COST_OTHER
        if word in self.light:
            return COST_LIGHT
        return COST_SUPPORT if word in self.support else COST_OTHER


def options_first(
    encoding: Sequence[Symbol],
    tokens: Sequence[str],
    marks: frozenset[int],
    evidence: Evidence,
    template: int,
    query: str,
    rank: int,
) -> list[Hit]:
    """A turn that names options and no product ("ugh actually can it have soy milk", "only milk, no
    sugar, no cream") as one option slot of ``template`` (the sentence that is nothing but an option),
    weighed like items first by the words around them; none when it names a product or no option
    heard well. Words of a correction or refusal (``marks``) are part of how options are said."""
    named = [k for k, s in enumerate(encoding) if s.name == OPTION and min(t.score for t in s.tags) >= GOOD_OPTION]
    if not named or any(t.kind in HEADS for s in encoding for t in s.tags) or _unheard_head(encoding, named):
        return []
    if encoding[0].name in ASKS:  # "is the gluten free base safe for coeliacs?"
        return []
    tags = tuple(t for k in named for t in encoding[k].tags)
    last = named[-1]
    outside = [(t, k > last) for k, s in enumerate(encoding) if k not in named for t in s.tags]
    marks |= frozenset(t.start for s in encoding for t in s.tags if t.kind == "word" and t.value in SEPARATORS)
    return [Hit(template, evidence.confidence(tags, outside, tokens, marks), (Symbol(OPTION, tags),), query, rank)]


def _unheard_head(encoding: Sequence[Symbol], named: list[int]) -> bool:
    """Whether words nothing knows stand where a product would ("a medium mocker with soy", "pat tie
    with prawns"): between the options, or before "with"."""
    for k, symbol in enumerate(encoding):
        if not symbol.tags[0].unheard:  # "pat tie" is heard as "part time"
            continue
        if named[0] < k < named[-1] or (k + 1 < len(encoding) and encoding[k + 1].name in OPTION_WITH):
            return True
    return False
