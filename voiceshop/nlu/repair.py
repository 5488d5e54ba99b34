"""Sound-alike repair: words beside an order that sound like what the order lacks are read as it.

A recognizer that does not know "latte" writes a word it knows that sounds the same ("late"); noise
turns "iced mocha" into "ice smoker" and "sweetener" into "sweet near". Spelling-based matching
misses those, and a word like "late" is a perfectly good word of the grammar. So, after tagging,
the words right beside an item (a quantity, option, amount or product) are compared by sound with
the shop's item phrases: the spoken form's sound key (``sound``) and its spelling,
with the spaces removed so a phrase split differently still meets ("ice smoker" / "iced mocha").
The kind of thing expected decides what may be found: a product where the item has none yet
("a large late with almond milk"), otherwise an option or amount ("a triple shot late roast mocha").
Only a close sound match (``REPAIR_SCORE``) replaces what was there, and never an exact reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from voiceshop.language import load
from voiceshop.nlu.align import HEADS, STOP, Aligner, Tag
from voiceshop.nlu.items import ITEM_KINDS, Marks
from voiceshop.nlu.lexicon import Entity, Lexicon
from voiceshop.nlu.sound import SoundKey

REPAIR_SCORE = 0.78
"""How alike in sound and spelling a stretch must be to a phrase to be read as it."""
BY_SOUND = 0.65
"""How much the sound key counts against the spelling."""
REPAIRED = 0.95
"""A repaired reading is a little less sure than the match itself."""
GOOD = 0.9
"""How well a stretch read another way must name its product."""
OPENED = 0.85
"""How alike a stretch opened by a grammar word ("all mend milk") must be to a phrase to take the word."""
MAX_SPAN = 3
KINDS = ("product", "option", "amount")
LINKS = load().function_words("links")
WITH = load().function_words("option_with")
ELLIPSIS_AFTER = load().function_words("ellipsis_after")
AND = load().function_words("and")
"""Words after which an item may leave out the head noun of the one before ("... and triple a")."""
SHORTEST = 3
"""Words shorter than this ("at", "a") are never repaired: too many things sound like them."""


def _key(sound: SoundKey, text: str) -> str:
    """The sound key of a stretch said as one: "ice smoker" and "iced mocha" come close."""
    return sound(text.replace(" ", ""))


@dataclass
class SoundIndex:
    """The shop's item phrases by sound key, per kind."""

    keys: dict[str, list[str]]
    entities: dict[str, list[Entity]]
    sound: SoundKey

    def key(self, text: str) -> str:
        return _key(self.sound, text)

    @classmethod
    def build(cls, lexicon: Lexicon, sound: SoundKey) -> SoundIndex:
        keys: dict[str, list[str]] = {k: [] for k in KINDS}
        entities: dict[str, list[Entity]] = {k: [] for k in KINDS}
        for e in lexicon.entities:
            if e.kind in KINDS and len("".join(e.words)) >= SHORTEST + 1:
                keys[e.kind].append(_key(sound, e.text))
                entities[e.kind].append(e)
        return cls(keys, entities, sound)

    def best(self, said: str, kinds: Sequence[str]) -> tuple[Entity, float] | None:
        """The phrase of ``kinds`` that ``said`` sounds most like, with how alike, if close enough."""
        heard = self.key(said)
        if len(heard) < 2:
            return None
        despaced = said.replace(" ", "")
        found: tuple[Entity, float] | None = None
        for kind in kinds:
            for _, by_sound, n in process.extract(heard, self.keys[kind], scorer=fuzz.ratio, limit=5, score_cutoff=70):
                entity = self.entities[kind][n]
                spelled = fuzz.ratio(despaced, "".join(entity.text.split())) / 100
                score = BY_SOUND * by_sound / 100 + (1 - BY_SOUND) * spelled
                if score >= REPAIR_SCORE and (found is None or score > found[1]):
                    found = (entity, score)
        return found


def repair(tags: list[Tag], tokens: Sequence[str], index: SoundIndex, keep: frozenset[str] = frozenset()) -> list[Tag]:
    """``tags`` with stretches beside an item that sound like a missing item phrase read as it.

    Words in ``keep`` (the words ordering sentences use, "make", "get", and light words, "dear"), heard
    as they are, never start a stretch read as something else: they are what they seem. One may only
    open a stretch of misheard words that sounds clearly like a phrase with it ("all mend milk").
    """
    out = list(tags)
    k = 0
    while k < len(out):
        if not _repairable(out[k], tokens, keep) or not _beside_item(out, k):
            k += 1
            continue
        if _has_head(out, k):
            found = _span(out, k, tokens, index, ("option", "amount"), keep)
            found = found or _longer_name(out, k, tokens, index, keep)
        else:  # a missing product first; else an option for what is in the cart ("with all mend milk"),
            # which no product's own options can check: only a close likeness of words not heard as
            # they are ("that sounds nice" is not "no ice")
            found = _span(out, k, tokens, index, ("product",), keep)
            if found is None:
                found = _span(out, k, tokens, index, ("option", "amount"), keep)
                if found is not None and (found[3] < GOOD or not _misheard(out[found[0] : found[1] + 1])):
                    found = None
        if found is None:
            k += 1
            continue
        first, last, entity, score = found
        start, stop = out[first].start, out[last].end
        out[first : last + 1] = [Tag(start, stop, entity.kind, entity.value, score * REPAIRED, ((entity, score),))]
        k = first + 1
    return out


def _span(
    out: list[Tag], k: int, tokens: Sequence[str], index: SoundIndex, kinds: Sequence[str], keep: frozenset[str]
) -> tuple[int, int, Entity, float] | None:
    """The stretch from ``k`` (first and last tag) that sounds most like a phrase of ``kinds``, if any."""
    best: tuple[int, Entity, float] | None = None
    end = k
    while end < len(out) and end - k < MAX_SPAN and (_repairable(out[end], tokens, keep) or _weak_item(out[end])):
        found = index.best(" ".join(tokens[out[k].start : out[end].end]), kinds)
        if found is not None and (best is None or found[1] > best[2]):
            best = (end, *found)
        end += 1
    # "mend milk": the item word after words not heard as they are may end the phrase they sound like
    item_after = end < len(out) and out[end].kind in ITEM_KINDS and end - k < MAX_SPAN and _misheard(out[k:end], True)
    if item_after:
        found = index.best(" ".join(tokens[out[k].start : out[end].end]), kinds)
        fits = found is not None and _ends_phrase(out[end], out[end], tokens, found[0])
        if found is not None and fits and (best is None or found[1] > best[2]):
            best = (end, *found)
    first = k
    if _kept_before(out, k, tokens):
        # "with all mend milk": a grammar word ("all") that opens what sounds like an item phrase
        # is part of it, when the phrase it makes is a clearly better likeness than the rest alone
        last = best[0] if best is not None else end if item_after else end - 1
        found = index.best(" ".join(tokens[out[k - 1].start : out[last].end]), kinds)
        better = found is not None and found[1] >= max(OPENED, best[2] if best is not None else 0.0)
        if (
            found is not None
            and better
            and (out[last].kind not in ITEM_KINDS or _ends_phrase(out[last], out[last], tokens, found[0]))
        ):
            first, best = k - 1, (last, *found)
    if best is None:
        return None
    last, entity, score = best
    if any(
        t.kind in ITEM_KINDS and t.score >= score and not _ends_phrase(t, out[last], tokens, entity)
        for t in out[first : last + 1]
    ):
        return None  # never over a reading at least as sure
    return first, last, entity, score


def _longer_name(
    out: list[Tag], k: int, tokens: Sequence[str], index: SoundIndex, keep: frozenset[str]
) -> tuple[int, int, Entity, float] | None:
    """ "A large hock kai doe milk tea", "a pit eye a bowl": words mostly not heard as they are, right
    before a product's or a category's name, that sound with it like a longer name of a product
    ending in it (the hokkaido milk tea, the pitaya bowl)."""
    end = k
    while end < len(out) and end - k < MAX_SPAN and (_repairable(out[end], tokens, keep) or _article(out, end, k)):
        end += 1
    if end == k or end >= len(out) or out[end].kind not in HEADS:
        return None
    misheard = [t.kind == "unknown" or t.score < 1.0 for t in out[k:end] if t.kind != "quantity"]
    if 2 * sum(misheard) < len(misheard) or (len(misheard) < end - k and len(misheard) < 2):
        return None  # "brew a coffee": one word and an article are a word and an article
    found = index.best(" ".join(tokens[out[k].start : out[end].end]), ("product",))
    if found is None or found[0].value == out[end].value or not _ends_phrase(out[end], out[end], tokens, found[0]):
        return None
    return k, end, *found


def _article(tags: list[Tag], at: int, start: int) -> bool:
    """An article inside misheard words, the recognizer's cut of one word ("a pit eye a bowl")."""
    return at > start and tags[at].kind == "quantity" and tags[at].weak


def _misheard(tags: Sequence[Tag], every: bool = False) -> bool:
    """Whether some (or ``every``) word of a stretch is not heard as a known word as it is."""
    kinds = ("unknown", "word", "unit")
    heard = [t.kind == "unknown" or t.score < 1.0 for t in tags if t.kind in kinds]
    return bool(heard) and (all(heard) if every else any(heard))


def _kept_before(tags: list[Tag], k: int, tokens: Sequence[str]) -> bool:
    """Whether the word before position ``k`` is a grammar word that might be the start of a misheard
    phrase: a whole word of its own, not a short function word, before a word not heard exactly."""
    if k < 1 or (tags[k].kind == "word" and tags[k].score >= 1.0):
        return False
    before = tags[k - 1]
    word = tokens[before.start]
    return before.kind == "word" and before.end - before.start == 1 and len(word) >= SHORTEST and word not in STOP


def _ends_phrase(tag: Tag, last: Tag, tokens: Sequence[str], entity: Entity) -> bool:
    """Whether ``tag`` is the end of the stretch and says the found phrase's own last words
    ("milk" in "all mend milk" read as "almond milk"): then it agrees with the repair, not against it."""
    said = tuple(tokens[tag.start : tag.end])
    return tag.end == last.end and len(said) < len(entity.words) and entity.words[-len(said) :] == said


def _repairable(tag: Tag, tokens: Sequence[str], keep: frozenset[str]) -> bool:
    word = tokens[tag.start]
    if tag.kind == "word" and str(tag.value) in keep and tag.score >= 1.0:
        return False  # said as it is; "mend" heard near "mind" is not
    near = tag.kind in ("word", "unit") and tag.score < 1.0  # "cano" near "can" in "amerry cano"
    return (tag.kind in ("unknown", "word") or near) and len(word) >= SHORTEST and word not in STOP


def _weak_item(tag: Tag) -> bool:
    """An item reading that was itself only a near miss ("shots" as "single shot" in "tree shots")."""
    return tag.kind in ("option", "amount") and tag.score < REPAIR_SCORE


def _beside_item(tags: list[Tag], k: int) -> bool:
    """Next to an item word, or after one and "with" / "and" ("a large mocha with sweet near"), or
    after a "with" that opens the turn (the item is the one said before: "with pin toe beans")."""
    if any(0 <= j < len(tags) and tags[j].kind in ITEM_KINDS for j in (k - 1, k + 1)):
        return True
    if k == 1 and tags[0].kind == "word" and tags[0].value in WITH and tags[0].start == 0:
        return True
    return k >= 2 and tags[k - 1].kind == "word" and tags[k - 1].value in LINKS and tags[k - 2].kind in ITEM_KINDS


def _has_head(tags: list[Tag], k: int) -> bool:
    """Whether the item around position ``k`` already has a product (looking both ways to its edges)."""
    for step in (-1, 1):
        j = k + step
        while 0 <= j < len(tags) and (tags[j].kind in ITEM_KINDS or tags[j].kind in ("word", "unknown")):
            if tags[j].kind in HEADS:
                return True
            if tags[j].kind == "word" and tags[j].value in AND:
                break
            j += step
    return False


def complete_corrections(tags: list[Tag], tokens: Sequence[str], marks: Marks, aligner: Aligner) -> list[Tag]:
    """Words that name only a new modifier take the head noun of the item before, after a correction
    or after "and": "whole wheat bread, actually make that white" is white bread, "a dozen eggs, i
    mean half a dozen" half a dozen eggs, "double a batteries and a four pack of triple a" triple a
    batteries."""
    replaced: dict[int, tuple[int, Tag]] = {}  # first tag index -> (last tag index, new tag)
    for k, tag in enumerate(tags):
        if tag.kind != "word" or (k > 0 and tags[k - 1].start in marks.covered):
            continue
        correction = tag.start in marks.corrections
        if not correction and tag.value not in ELLIPSIS_AFTER:
            continue
        after = k + 1
        while after < len(tags) and tags[after].kind == "word" and tags[after].start in marks.covered:
            after += 1  # "oh no i mean"
        end = after
        while (
            end < len(tags)
            and tags[end].kind not in HEADS
            and not (tags[end].kind == "word" and tags[end].value in AND)
        ):
            end += 1
        heads = [t for t in tags[:k] if t.kind in HEADS]
        if after >= end or (end < len(tags) and tags[end].kind in HEADS) or not heads:
            continue
        # All that was said after it ("half a dozen"), or after a correction only the words after
        # any quantity, unit or "of" ("a four pack of | triple a").
        first = after
        for j in range(after, end):
            if _ends_amount(tags[j]):
                first = j + 1
        for start in dict.fromkeys([after, first] if correction else [first]):
            if start >= end or any(t.kind in ("option", "amount") for t in tags[start:end]):
                continue  # an option is what was corrected ("dark roast, i mean light roast, with cream")
            found = aligner.phrase([*tokens[tags[start].start : tags[end - 1].end], tokens[heads[-1].end - 1]])
            if (
                found is not None
                and found.kind == "product"
                and found.score >= REPAIR_SCORE
                and found.value != heads[-1].value
            ):
                span = Tag(tags[start].start, tags[end - 1].end, found.kind, found.value, found.score, found.candidates)
                replaced[start] = (end - 1, span)
                break
    out: list[Tag] = []
    k = 0
    while k < len(tags):
        if k in replaced:
            last, tag = replaced[k]
            out.append(tag)
            k = last + 1
        else:
            out.append(tags[k])
            k += 1
    return out


def _ends_amount(tag: Tag) -> bool:
    """A unit, a said number or "of": what comes before the modifier ("a four pack of | triple a")."""
    return (
        tag.kind == "unit" or (tag.kind == "quantity" and not tag.weak) or (tag.kind == "word" and tag.value in LINKS)
    )


def shift_article(tags: list[Tag], tokens: Sequence[str], aligner: Aligner) -> list[Tag]:
    """ "a nice coffee" may have been "an ice coffee": a word after "a" that starts with the "n" of
    "an" is tried without it, together with the product after it; taken only when they name another
    product ("an ice coffee" is iced coffee; "a nice latte" stays a latte)."""
    out = list(tags)
    for k in range(len(tags) - 1):
        word, head = tags[k], tags[k + 1]
        said = tokens[word.start]
        if word.start == 0 or tokens[word.start - 1] != "a" or not said.startswith("n") or len(said) < SHORTEST + 1:
            continue
        if word.kind not in ("unknown", "word") or head.kind not in HEADS:
            continue
        found = aligner.phrase([said[1:], *tokens[head.start : head.end]])
        if found is not None and found.kind == "product" and found.score >= GOOD and found.value != head.value:
            at = out.index(word)
            out[at : at + 2] = [
                Tag(word.start, head.end, found.kind, found.value, found.score * REPAIRED, found.candidates)
            ]
    return out
