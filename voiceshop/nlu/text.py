"""Turning a transcript, or a template's literal text, into the words the matcher compares.

Both sides go through the language's one normaliser (``voiceshop.language``) so that a template written
"what's in my cart" and a recognizer's "what is in my cart" meet in the middle: lower case,
contractions expanded, apostrophes and punctuation dropped, "&" and "%" spelled out. Here, on top:
spelled-out letters ("s a v e") joined into one word, and phrases found or dropped.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from functools import cache

from voiceshop.language import load

__all__ = [
    "Phrases",
    "clean_heard",
    "drop_phrases",
    "find_phrases",
    "is_text",
    "join_spelled",
    "longer_wins",
    "looked_up",
    "stem",
    "words",
]

_LANGUAGE = load()
_LETTER = re.compile(r"^[a-z]$")
_LETTER_WORDS = _LANGUAGE.function_words("letter_words")
stem = _LANGUAGE.singular
"""A word's singular, as every stage folds plurals ("lattes" -> "latte")."""
Phrases = tuple[tuple[str, ...], ...]
"""Phrases as tuples of words."""


def words(text: str) -> list[str]:
    """Normalised words: ``words("I'd like 2 Coca-Colas!") == ["i", "would", "like", "2", "coca", "colas"]``."""
    return _LANGUAGE.words(text)


def stems(text: str) -> tuple[str, ...]:
    """A name's words as every stage compares them: normalised and singular ("Bags of Potatoes" ->
    ("bag", "of", "potato"))."""
    return tuple(stem(w) for w in words(text))


MAX_HEARD = 1_000
"""Characters of one turn that are understood; a spoken or typed request is never longer."""
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def is_text(text: str) -> bool:
    """Whether ``text`` is text, not binary data read as text (control characters, undecodable bytes)."""
    return _NOT_TEXT.search(text) is None


def clean_heard(text: str) -> str:
    """A turn as the assistant keeps it: no control characters or undecodable bytes, single-spaced,
    at most ``MAX_HEARD`` characters."""
    return " ".join(_NOT_TEXT.sub(" ", text).split())[:MAX_HEARD]


def join_spelled(tokens: list[str]) -> list[str]:
    """Join letters spelled one by one ("s a v e ten" -> "save ten"), as people spell coupon codes.

    A run needs three letters or more and two that are not the words "a" or "i", so "i want a latte"
    is left alone.
    """
    out: list[str] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and _LETTER.match(tokens[j]):
            j += 1
        run = tokens[i:j]
        if len(run) >= 3 and sum(t not in _LETTER_WORDS for t in run) >= 2:
            out.append("".join(run))
            i = j
        elif run:
            out += run
            i = j
        else:
            out.append(tokens[i])
            i += 1
    return out


def find_phrases(tokens: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> list[tuple[int, int]]:
    """Where ``phrases`` (longest first) occur in ``tokens``, left to right, without overlaps: [start, end)."""
    found: list[tuple[int, int]] = []
    starting = _by_first(phrases)
    i = 0
    while i < len(tokens):
        for phrase in starting.get(tokens[i], ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                found.append((i, i + len(phrase)))
                i += len(phrase)
                break
        else:
            i += 1
    return found


def longer_wins(
    ones: list[tuple[int, int]], others: list[tuple[int, int]]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Two kinds of phrases found (``find_phrases``), each without those that start where a longer one
    of the other kind starts: "instead of" refuses, "instead" alone corrects; "no" does both."""
    ends = {start: end for start, end in ones}
    other_ends = {start: end for start, end in others}
    return (
        [(s, e) for s, e in ones if other_ends.get(s, 0) <= e],
        [(s, e) for s, e in others if ends.get(s, 0) <= e],
    )


@cache
def _by_first(phrases: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    """The phrases by their first word, longest first as given."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        out.setdefault(phrase[0], []).append(phrase)
    return out


def drop_phrases(tokens: list[str], phrases: Phrases, named: Phrases = ()) -> tuple[list[str], list[int]]:
    """Remove filler phrases (longest first), but not one that opens a phrase of ``named`` (stemmed
    words) said whole ("well done"); returns the kept words and their positions in ``tokens``."""
    said = [stem(t) for t in tokens]
    dropped = {
        k
        for start, end in find_phrases(tokens, phrases)
        if not any(tuple(said[start : start + len(n)]) == n for n in named)
        for k in range(start, end)
    }
    where = [i for i in range(len(tokens)) if i not in dropped]
    return [tokens[i] for i in where], where


def looked_up(
    said: str,
    needs: Mapping[tuple[str, ...], tuple[str, ...]],
    need_phrases: tuple[tuple[str, ...], ...],
    command_words: Collection[str],
) -> str:
    """Free words without the grammar's own ("to wash my clothes with" -> "wash clothes"), and what
    the needs among them are also looked up as ("a headache" -> "headache pain")."""
    heard = words(said)
    extra = [w for start, end in find_phrases(heard, need_phrases) for w in needs[tuple(heard[start:end])]]
    telling = [w for w in heard if stem(w) not in command_words]
    return " ".join([*(telling or heard), *extra])
