"""A transcript's tags as the symbols the matcher compares with the grammar's sentences.

A command word stays a word, a stretch of items becomes ``{items}`` (when runs are read), an amount
with its option one ``{option}``, a thing its slot, an unknown word ``?`` (neighbouring unknown words
are one ``?``). A thing heard only weakly is read as its words.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from voiceshop.commerce.catalog import Catalog
from voiceshop.language import load
from voiceshop.nlu.align import HEADS, Tag
from voiceshop.nlu.items import Marks
from voiceshop.nlu.readings import amount_after, option_readings, slot_value
from voiceshop.nlu.runs import run_end
from voiceshop.nlu.sentence_codes import ITEMS, UNKNOWN
from voiceshop.nlu.symbols import Symbol, slot_symbol
from voiceshop.nlu.text import stem

__all__ = ["NO_MARKS", "SaidOptions", "encode", "refused_options", "said_options"]

NO_MARKS = Marks()
_SEPARATORS = load().function_words("separators")


def encode(
    tags: list[Tag], tokens: Sequence[str], command_words: Collection[str], *, runs: bool, marks: Marks = NO_MARKS
) -> tuple[Symbol, ...]:
    """``tags`` as symbols; with ``runs``, items said together are one ``{items}`` (a correction or
    refusal in ``marks`` may stand inside a run). Options said together, side by side or joined by
    "and", are one ``{option}``."""
    symbols: list[Symbol] = []
    k = 0
    while k < len(tags):
        tag = tags[k]
        end = run_end(tags, k, marks.covered) if runs else k
        if end > k or (runs and tag.kind in HEADS):
            symbols.append(Symbol(ITEMS, tuple(tags[k : end + 1])))
            k = end + 1
            continue
        both = k + 2 < len(tags) and tags[k + 1].kind == "amount" and tags[k + 2].kind == "option"
        if tag.kind == "amount" and (both or (k + 1 < len(tags) and tags[k + 1].kind == "option")):
            # "a bit of soy milk": one option; "a bit of extra jalapenos" too
            symbols.append(Symbol(slot_symbol("option"), tuple(tags[k : k + 2 + both])))
            k += 2 + both
            continue
        if amount_after(tags, k):
            symbols.append(Symbol(slot_symbol("option"), (tag, tags[k + 1])))  # "jalapenos, a little": one option
            k += 2
            continue
        if tag.weak:
            for i in range(tag.start, tag.end):
                word = stem(tokens[i])
                name = word if word in command_words else UNKNOWN
                symbols.append(Symbol(name, (Tag(i, i + 1, "word" if name != UNKNOWN else "unknown", word, 1.0),)))
        elif tag.kind == "word":
            symbols.append(Symbol(str(tag.value), (tag,)))
        elif tag.kind == "unknown":
            symbols.append(Symbol(UNKNOWN, (tag,)))
        else:
            symbols.append(Symbol(slot_symbol(tag.kind), (tag,)))
        k += 1
    merged: list[Symbol] = []
    option = slot_symbol("option")
    for s in symbols:
        if s.name == UNKNOWN and merged and merged[-1].name == UNKNOWN:
            merged[-1] = Symbol(UNKNOWN, merged[-1].tags + s.tags)
        elif s.name == option and merged and merged[-1].name == option:
            merged[-1] = Symbol(option, merged[-1].tags + s.tags)  # "large, hot": options said together
        elif (
            s.name == option
            and len(merged) > 1
            and merged[-2].name == option
            and merged[-1].name in _SEPARATORS
            and not runs
        ):
            # "with tofu and bean sprouts": one option slot of several
            merged[-2:] = [Symbol(option, merged[-2].tags + merged[-1].tags + s.tags)]
        else:
            merged.append(s)
    return tuple(merged)


class SaidOptions(NamedTuple):
    """What an ``{option}`` slot's words say besides its value (``Understanding``'s fields of these names)."""

    options: tuple[tuple[str, ...], ...] = ()
    amounts: tuple[str | None, ...] = ()
    refusals: tuple[bool, ...] = ()


def said_options(tags: Sequence[Tag], said: str, catalog: Catalog, marks: Marks = NO_MARKS) -> SaidOptions:
    """Of an ``{option}`` symbol's tags: the readings of each option when there are several ("with
    tofu and bean sprouts"; none for one), the amount said with each, before it ("extra tomato and a
    little bit of red onion": a lot of, a little bit of) or after it ("milk, a little"), None where
    none was, and whether each is refused (``refused_options``)."""
    options = [t for t in tags if t.kind == "option"]
    readings = (
        tuple(option_readings(slot_value("option", t, said, catalog)) for t in options) if len(options) > 1 else ()
    )
    amounts: list[str | None] = []
    for k, tag in enumerate(tags):
        if tag.kind == "option":
            before = tags[k - 1] if k > 0 else None
            if before is None or before.kind != "amount":
                before = tags[k + 1] if amount_after(tags, k) else None
            elif k > 1 and tags[k - 2].kind == "amount" and tags[k - 2].end == before.start:
                before = tags[k - 2]  # "a bit of extra jalapenos": a bit of
            amounts.append(str(before.value) if before is not None else None)
    refused = refused_options(tags, marks)
    return SaidOptions(tuple(r for r in readings if r), tuple(amounts), tuple(t.start in refused for t in options))


REFUSAL_REACH = 1
"""Words that may stand between a negation and the option it refuses ("no more sugar", "hold the
extra cheese"; a negation phrase's own words do not count)."""


def refused_options(tags: Sequence[Tag], marks: Marks) -> frozenset[int]:
    """Where the refused options of ``tags`` start: those said within ``REFUSAL_REACH`` words after
    a negation, with no other thing between ("only milk, no sugar, no cream": sugar and cream; "no
    sugar and cream": sugar; "no, a latte with soy": none). Right after a choice of its group, a
    negation that also corrects ("no") corrects it: "small, no, medium" chooses medium; and an option
    after such a "no" is chosen when another of its group is refused after it: "no, small, not
    medium"; but after a refused choice "no" refuses again ("no cheese no sour cream")."""
    out: dict[int, tuple[str, bool]] = {}  # where a refused option starts: its group, refused by a "no"
    since = 0  # where the thing before ended
    before = ""  # the group of the option before, if the thing before was one
    refused_before = False  # whether that option was refused
    for k, tag in enumerate(tags):
        if tag.kind in ("word", "unknown", "amount"):
            continue
        start = tags[k - 1].start if k > 0 and tags[k - 1].kind == "amount" else tag.start
        gap, at = 0, start - 1
        while at >= since and at not in marks.negations:
            gap += at not in marks.covered
            at -= 1
        group = str(tag.value).partition(":")[0] if tag.kind == "option" else ""
        # "no cheese no sour cream": after a refused choice a "no" refuses again, it corrects nothing
        corrects = at in marks.corrections and group == before and not refused_before
        refused_before = False
        if group and at >= since and gap <= REFUSAL_REACH and not corrects:
            out[tag.start] = (group, at in marks.corrections)
            refused_before = True
        before = group
        since = tag.end
    later = {(group, start) for start, (group, by_no) in out.items() if not by_no}
    return frozenset(
        start
        for start, (group, by_no) in out.items()
        if not (by_no and any(g == group and s > start for g, s in later))
    )
