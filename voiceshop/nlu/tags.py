"""A tag: which stretch of a transcript's words names which thing (the output of ``align``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from voiceshop.nlu.lexicon import Entity

HEADS = frozenset(("product", "category", "brand"))
"""Kinds that name what an item is."""


@dataclass(frozen=True)
class Tag:
    """A stretch ``[start, end)`` of the transcript's words and what it was read as."""

    start: int
    end: int
    kind: str
    """An entity kind (product, option, ...), quantity, ordinal, digits, word (a command word) or unknown."""
    value: str | int
    score: float
    candidates: tuple[tuple[Entity, float], ...] = field(default=(), compare=False)
    """For entity kinds: every phrase the words may name, best first."""
    weak: bool = False
    """A reading that only counts inside an item ("a" as one, "can" as a unit)."""
    fit: float = -1.0
    """How well the words were heard, apart from which thing they name: "toothpaste" fits several
    toothpastes perfectly (fit 1.0) though no single one scores high. Defaults to ``score``."""
    variety: bool = field(default=False, compare=False)
    """An option said with a word of its own before its bare name ("oat milk" where the shop has
    "milk", "soy milk" and "almond milk"): a variety the shop does not have."""

    @property
    def heard(self) -> float:
        return self.score if self.fit < 0 else self.fit

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def unheard(self) -> bool:
        """A word nothing knows, or one heard only nearly like a command word ("oat" near "at")."""
        return self.kind == "unknown" or (self.kind == "word" and self.score < 1.0)
