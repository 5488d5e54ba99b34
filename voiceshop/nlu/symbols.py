"""The symbols understanding compares: a transcript read as a short sequence of words and slots.

A command word stays a word, a product becomes ``{product}``, a stretch of items ``{items}``, an
unknown word ``?``. ``matcher`` encodes both the transcript and every grammar sentence this way and
finds the nearest sentence by edit distance; the helpers here line the two up and read off what the
transcript mentions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from voiceshop.nlu.align import Tag
from voiceshop.nlu.result import Mention


@dataclass(frozen=True)
class Symbol:
    """One symbol of an encoding and the tags of the words it stands for."""

    name: str
    tags: tuple[Tag, ...]


@dataclass(frozen=True)
class Hit:
    """A grammar sentence found near an encoding, with the confidence of the match."""

    template: int
    confidence: float
    encoding: tuple[Symbol, ...]
    query: str
    rank: int


def slot_symbol(kind: str) -> str:
    """Slots and tags are written "{kind}" so they never meet a command word of the same spelling."""
    return "{" + kind + "}"


def aligned(sentence: str, query: str) -> list[tuple[int, int]]:
    """Pairs (sentence position, query position) that edit-distance alignment lines up."""
    pairs: list[tuple[int, int]] = []
    for op in Levenshtein.opcodes(sentence, query):
        if op.tag in ("equal", "replace"):
            for d in range(min(op.src_end - op.src_start, op.dest_end - op.dest_start)):
                pairs.append((op.src_start + d, op.dest_start + d))
    return pairs


def mentions_of(
    tags: Sequence[Tag], tokens: Sequence[str], refused: Collection[int] = (), varieties: Collection[int] = ()
) -> tuple[Mention, ...]:
    """Every stretch read as a thing (not a command word, not unknown), with the words it came from;
    those starting at ``refused`` are refused, those at ``varieties`` a variety named by the word
    before ("oat milk"). An amount counts when an option follows it ("a little bit of cream"), however
    it was heard."""
    return tuple(
        Mention(
            kind=t.kind,
            value=t.value,
            text=" ".join(tokens[t.start - (t.start in varieties) : t.end]),
            score=round(t.score, 3),
            refused=t.start in refused,
            variety=t.start in varieties,
        )
        for k, t in enumerate(tags)
        if t.kind not in ("word", "unknown")
        and (not t.weak or (t.kind == "amount" and k + 1 < len(tags) and tags[k + 1].kind == "option"))
    )


def near_words_unknown(plain: list[Tag], tokens: Sequence[str]) -> list[Tag]:
    """The plain reading with words heard only nearly like a command word made unknown."""
    return [
        Tag(t.start, t.end, "unknown", tokens[t.start], 0.0) if t.kind == "word" and t.score < 1.0 else t for t in plain
    ]
