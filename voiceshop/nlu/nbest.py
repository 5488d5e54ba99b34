"""Readings put together: one request said twice in other words, and the best of several recognizer
hypotheses. ``matcher`` finds the sentences; these weigh what it found."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from voiceshop.nlu.result import Understanding
from voiceshop.nlu.sentence_codes import Sentences
from voiceshop.nlu.symbols import Hit, Symbol

SAID_TWICE_PENALTY = 0.95
"""Confidence factor of a request said twice in other words ("i'm done, you can check me out")."""


def said_twice(
    core: tuple[Symbol, ...], cost: float, index: Sentences, sure: Callable[[tuple[Symbol, ...]], dict[str, Hit]]
) -> list[Hit]:
    """One request said twice in other words ("i'm done, you can check me out", "yes, that's right,
    go ahead"): both halves read as the same intent, each sure enough on its own (``sure`` gives the
    best hit per intent of a part). One half must be a sentence of the grammar word for word, so that
    not every cut is searched."""
    found: list[Hit] = []
    for cut in range(2, len(core) - 1):
        halves = (core[:cut], core[cut:])
        if not any(index.is_sentence(half) for half in halves):
            continue
        first, second = (sure(half) for half in halves)
        for intent in first.keys() & second.keys():
            a, b = first[intent], second[intent]
            better = a if a.confidence >= b.confidence else b
            confidence = min(a.confidence, b.confidence) * cost * SAID_TWICE_PENALTY
            found.append(Hit(better.template, confidence, better.encoding, better.query, better.rank))
    return found


def best_supported(results: Sequence[tuple[Understanding, float]]) -> Understanding:
    """The best-supported of several hypotheses' understandings, each with the recognizer's confidence
    (0..1): its own confidence weighted by the recognizer's, and hypotheses that agree on intent and
    items support each other."""
    if not results:
        return Understanding(text="", intent=None, confidence=0.0)

    def key(u: Understanding) -> tuple[object, ...]:
        return (u.intent, tuple((i.sku, i.quantity) for i in u.items))

    support: dict[tuple[object, ...], float] = {}
    for u, asr in results:
        if u.understood:
            support[key(u)] = support.get(key(u), 0.0) + asr
    total = sum(asr for _, asr in results) or 1.0

    def score(pair: tuple[Understanding, float]) -> float:
        u, asr = pair
        agreement = support.get(key(u), 0.0) / total
        return u.confidence * (0.5 + 0.5 * asr) * (0.75 + 0.25 * agreement)

    return max(results, key=score)[0]
