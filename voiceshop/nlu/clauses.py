"""A request among chatter: the clauses of a turn that say it, when the whole turn says nothing sure.

People talk around what they want: "Oh hi! Gorgeous morning, isn't it? I've just come from yoga.
Anyway, I'd love a small cappuccino with soy milk." A recognizer with punctuation (Whisper) and typed
chat mark where the clauses are; the request is a run of neighbouring clauses that is understood on
its own, and the clauses left out must name nothing the shop has (a product, an option) and ask for
nothing sure on their own ("Hi, I'm blind, so please read everything back to me. I'd like ...": the
order is kept; the wish for a read-back is met by the read-back at checkout anyway).

Only an order may leave out clauses before it at a comma: before any other request a clause that is
not understood is more likely the thing it is about ("a long black, large, ta" is no change of size).
Before other requests only whole sentences may be left out ("Oh well. Delivery please, nothing fancy."),
or clauses at a comma when the request names its product ("you know what, take the razors off"),
and no clause left out may be understood on its own ("sorry, can you read the order back" is no "sorry?").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from voiceshop.nlu.result import Understanding

__all__ = ["ends_done", "within_clauses"]

_CLAUSE_END = re.compile(r"(?<=[.!?;,])\s+")
_SENTENCE_END = re.compile(r"[.!?]$")
MAX_CLAUSES = 8
"""A turn with more clauses than this is not searched (each run of clauses is understood once)."""
NOT_THINGS = frozenset(("agreement",))
"""Mentions a left-out clause may have: a "yes" names no shop thing."""
THING_SCORE = 0.85
"""A mention this sure names a shop thing (or a number of one); a left-out clause must have none."""


def within_clauses(
    text: str,
    whole: Understanding,
    understand: Callable[[str], Understanding],
    accept: float,
    sure: float,
    ordering: str | None,
) -> Understanding:
    """The best reading of a run of ``text``'s clauses, or ``whole`` when no run is understood.

    ``understand`` reads one piece of text (without this search); a reading counts from ``accept``.
    Beside an order (intent ``ordering`` with items) a left-out clause only has to name no shop
    thing; beside any other request it must not be understood at all, and the request itself must be
    ``sure``.
    """
    parts = [p for p in _CLAUSE_END.split(text.strip()) if p]
    if not 2 <= len(parts) <= MAX_CLAUSES:
        return whole
    alone = [understand(p) for p in parts]
    things = [k for k, found in enumerate(alone) if _names_things(found)]
    # A run that is understood starts with the turn or a clause that names a thing or is understood
    # alone, and ends with one or with the turn; a clause that names a thing is never left out.
    telling = [k for k, found in enumerate(alone) if k in things or _understood(found, accept)]
    if not telling:
        return whole
    first, last = (things[0], things[-1]) if things else (len(parts), -1)
    best: tuple[tuple[float, int], Understanding] | None = None
    starts = sorted({0, *telling})
    ends = sorted({len(parts), *(k + 1 for k in telling)})
    for i in (k for k in starts if k <= first):
        for j in (k for k in ends if k > max(i, last)):
            if (i, j) == (0, len(parts)):
                continue
            found = alone[i] if j == i + 1 else understand(" ".join(parts[i:j]))
            if not _understood(found, accept):
                continue
            if not (found.intent == ordering and found.items):
                dropped = alone[:i] + alone[j:]
                asks = any(_understood(d, accept) for d in dropped)
                at_comma = i > 0 and not _SENTENCE_END.search(parts[i - 1]) and "product" not in found.slots
                if asks or found.confidence < sure or at_comma:
                    continue
            key = (found.confidence, j - i)
            if best is None or key > best[0]:
                best = (key, found)
    if best is None or (_understood(whole, accept) and best[1].confidence <= whole.confidence):
        return whole
    # "no wait, two muffins, ...": the turn still opens with a correction when its run does not
    return best[1].model_copy(update={"text": text, "corrects": whole.corrects or best[1].corrects})


def _understood(found: Understanding, accept: float) -> bool:
    return found.intent is not None and found.confidence >= accept


def _names_things(found: Understanding) -> bool:
    return bool(found.items) or any(m.kind not in NOT_THINGS and m.score >= THING_SCORE for m in found.mentions)


def ends_done(
    text: str, understand: Callable[[str], Understanding], sure: float, finish: str, along: frozenset[str]
) -> bool:
    """Whether the last clauses of ``text`` say, each sure on its own, that the order is complete
    ("..., that's it, pick up", "..., a cream soda, pick up"): each of intent ``finish`` or of
    ``along`` (how to get the order is said once it is all said), and no shop thing named in them
    (the clauses before them hold the order)."""
    parts = [p for p in _CLAUSE_END.split(text.strip()) if p]
    if not 2 <= len(parts) <= MAX_CLAUSES:
        return False
    seen: set[str | None] = set()
    for part in reversed(parts[1:]):
        found = understand(part)
        if found.intent not in along | {finish} or found.confidence < sure or found.items:
            break
        seen.add(found.intent)
    return bool(seen)
