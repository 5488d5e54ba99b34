"""How much the words around the items say for an order: the weighing behind the items-first reading.

Each word of the items counts 1. Each word outside them costs: light words ("hi", "dear") almost
nothing, words the ordering sentences use ("can i get", "please") little, unknown words and other
intents' words more, and deciding words of other intents ("remove", "where") a lot when they come
before the order (a question or command comes before what it is about; after the order, "if that's
not too much trouble" is politeness). The items must be well heard: their naming scores count twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from voiceshop.nlu.align import Tag
from voiceshop.nlu.items import SEPARATORS, is_item_tag
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
