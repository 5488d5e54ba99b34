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

A turn may also hold two requests, one after the other ("make the cokes three, and add a diet coke",
"take the chips off then check out"), which no one sentence of the grammar reads: the first is then
understood alone and the second after it (``chained``), when each is surer alone than the whole turn
read as one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from voiceshop.nlu.result import Understanding

__all__ = ["chained", "ends_done", "one_request", "within_clauses"]

_CLAUSE_END = re.compile(r"(?<=[.!?;,])\s+")
_SENTENCE_END = re.compile(r"[.!?]$")
MAX_CLAUSES = 8
"""A turn with more clauses than this is not searched (each run of clauses is understood once)."""
NOT_THINGS = frozenset(("agreement",))
"""Mentions a left-out clause may have: a "yes" names no shop thing."""
COUNTS = frozenset(("quantity", *NOT_THINGS))
"""Mentions of a clause that says only how many ("the other two")."""
THING_SCORE = 0.85
"""A mention this sure names a shop thing (or a number of one); a left-out clause must have none."""
FINISH = "Checkout"
DECLINE = "No"
FINISH_ALONG = frozenset({"ChooseDelivery"})
"""An order's last clauses that say it is complete: "that's it", with a delivery beside it ("pick up")."""
CHAINED = frozenset({
    "AddItems", "RemoveItem", "ChangeQuantity", "ChangeOption", "ReplaceItem", "ReadCart", "Checkout",
    "ChooseDelivery", "ApplyCoupon", "ProductInfo", "ShopInfo", "Search", "Recommend", "OrderStatus",
})  # fmt: skip
"""Requests that may share a turn with another: not a yes, a no, a greeting or what ends or undoes
things (cancel, goodbye, clear the cart), which a misheard half of a turn must not set off."""
CHAIN_GAIN = 0.02
"""Each request alone must be at least this much surer than the whole turn read as one."""
MAX_CUTS = 6
"""A turn with more places to cut than this is not searched for two requests."""
_PUNCTUATION = " ,;.!?"


def one_request(
    text: str, understand: Callable[[str], Understanding], accept: float, sure: float, ordering: str | None
) -> Understanding:
    """``text`` read as one request by ``understand``; when that is not ``sure``, the run of its
    clauses that says it (``within_clauses``); an order with whether its last clauses say it is
    complete (``ends_done``)."""
    whole = understand(text)
    if whole.intent is None or whole.confidence < sure:
        whole = within_clauses(text, whole, understand, accept, sure, ordering)
    if whole.intent == ordering and whole.items:
        whole = whole.model_copy(update={"finished": ends_done(text, understand, sure, FINISH, FINISH_ALONG)})
    return whole


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
    # alone, and ends with one or with the turn; a clause that names a thing is left out only by a
    # request that names its own product (``_names_its_own``).
    telling = [k for k, found in enumerate(alone) if k in things or _understood(found, accept)]
    if not telling:
        return whole
    first, last = (things[0], things[-1]) if things else (len(parts), -1)
    best: tuple[tuple[float, int], Understanding] | None = None
    starts = sorted({0, *telling})
    ends = sorted({len(parts), *(k + 1 for k in telling)})
    for i in starts:
        for j in (k for k in ends if k > i):
            if (i, j) == (0, len(parts)):
                continue
            found = alone[i] if j == i + 1 else understand(" ".join(parts[i:j]))
            if not _understood(found, accept):
                continue
            if (i > first or j <= last) and not _names_its_own(found, alone[:i] + alone[j:], accept, ordering):
                continue
            if not (found.intent == ordering and found.items):
                dropped = alone[:i] + alone[j:]
                asks = any(_asks(d, accept) for d in dropped)
                at_comma = i > 0 and not _SENTENCE_END.search(parts[i - 1]) and "product" not in found.slots
                at_comma = at_comma and not _restates(found, dropped)
                if asks or found.confidence < sure or at_comma:
                    continue
            key = (found.confidence, j - i)
            if best is None or key > best[0]:
                best = (key, found)
    if best is None or (_understood(whole, accept) and best[1].confidence <= whole.confidence):
        return whole
    # "no wait, two muffins, ...": the turn still opens with a correction when its run does not
    return best[1].model_copy(update={"text": text, "corrects": whole.corrects or best[1].corrects})


def _names_its_own(found: Understanding, dropped: list[Understanding], accept: float, ordering: str | None) -> bool:
    """Whether a request may leave out clauses that name shop things: one that is no order and
    leaves out only clauses that ask for nothing, when it names its own product ("take the latte
    off, i have coffee at work"), they name nothing but numbers ("one of them with almond milk,
    the other two normal") or only what it names itself ("the doctor says skim, make it skim milk")."""
    if found.intent == ordering or any(_asks(d, accept) for d in dropped):
        return False
    counts = all(m.kind in COUNTS for d in dropped for m in d.mentions if m.score >= THING_SCORE)
    return "product" in found.slots or counts or _restates(found, dropped)


def _restates(found: Understanding, dropped: list[Understanding]) -> bool:
    """Whether the clauses left out name (even nearly) only what the request names itself, which they
    lead up to: "the doctor says skim, make it skim milk"."""
    own = {m.value for m in found.mentions} | {i.sku for i in found.items if i.sku}
    named = {m.value for d in dropped for m in d.mentions if m.kind not in COUNTS}
    return bool(own) and bool(named) and named <= own


def _asks(found: Understanding, accept: float) -> bool:
    """Whether a clause left out asks for something: understood, and not a bare "no" ("oh no, the
    doctor says skim, make it skim milk": it opens a correction)."""
    return _understood(found, accept) and found.intent != DECLINE


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


def chained(
    text: str,
    whole: Understanding,
    understand_alone: Callable[[str], Understanding],
    understand: Callable[[str], Understanding],
    sure: float,
    joins: frozenset[str],
) -> Understanding:
    """``whole``, with its ``parts`` when ``text`` holds several requests said one after the other.

    The turn is cut at a clause's end or before a joining word (``joins``: "and", "then"); the words
    before the cut are read by ``understand_alone`` (no further cut), the rest by ``understand``
    (which may find more parts in it). A cut counts when every part is a ``sure`` request of a
    ``CHAINED`` intent, surer than ``whole``, about every product it names, the first two of
    different intents (two orders are one order), and the rest not only options after an order; of
    several, the one whose least sure part is surest. An order said complete (``finished``) is one
    request."""
    if whole.finished or (whole.understood and whole.confidence >= 1.0 - CHAIN_GAIN):
        return whole
    cuts = _cuts(text, joins)
    if len(cuts) > MAX_CUTS:
        return whole
    least = max(sure, whole.confidence + CHAIN_GAIN if whole.understood else sure)
    best: tuple[float, tuple[Understanding, ...]] | None = None
    for cut in cuts:
        before, after = text[:cut].rstrip(_PUNCTUATION), text[cut:].lstrip(_PUNCTUATION)
        if not before or not after:
            continue
        first = understand_alone(before)
        if not _request(first, least):
            continue
        rest = understand(after)
        then = rest.parts or (rest,)
        if not all(_request(p, least) for p in then) or then[0].intent == first.intent:
            continue
        if first.items and _options_alone(then[0]):
            continue  # "a mocha with almond, not dairy, medium": the options are the order's
        score = min(p.confidence for p in (first, *then))
        if best is None or score > best[0]:
            best = (score, (first, *then))
    return whole if best is None else whole.model_copy(update={"parts": best[1]})


def _request(found: Understanding, least: float) -> bool:
    """Whether ``found`` is a request that may share a turn, at least ``least`` sure, about every
    product it heard (a half read as another request that leaves out a product named in it is no
    request of its own)."""
    if found.intent not in CHAINED or found.confidence < least:
        return False
    about: set[object] = {i.sku for i in found.items} | {c.value for i in found.items for c in i.candidates}
    about |= {s.value for s in found.slots.values()} | {c.value for s in found.slots.values() for c in s.candidates}
    return all(m.value in about for m in found.mentions if m.kind == "product" and m.score >= THING_SCORE)


def _options_alone(found: Understanding) -> bool:
    """Whether ``found`` only chooses options, naming no product: after an order, they are its."""
    return not found.items and "product" not in found.slots and "option" in found.slots


def _cuts(text: str, joins: frozenset[str]) -> list[int]:
    """Where ``text`` may be cut into two requests: after a clause's end, and before a joining word
    that does not follow another (a cut before "and then" is made once)."""
    cuts = [m.end() for m in _CLAUSE_END.finditer(text)]
    previous = ""
    for m in re.finditer(r"\S+", text):
        word = m.group().strip(_PUNCTUATION).lower()
        if word in joins and previous not in joins and m.start() > 0:
            cuts.append(m.start())
        previous = word
    return sorted(set(cuts))
