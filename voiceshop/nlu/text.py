"""Turning a transcript, or a template's literal text, into the words the matcher compares.

Both sides go through the same ``words()`` so that a template written "what's in my cart" and a
recognizer's "what is in my cart" meet in the middle: lower case, contractions expanded, apostrophes
and punctuation dropped, "&" and "%" spelled out, spelled-out letters ("s a v e") joined into one word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from voiceshop.commerce.search import stem

__all__ = ["drop_phrases", "find_phrases", "join_spelled", "stem", "words"]

# Contractions recognizers write either way. Expanded so templates need only one spelling.
CONTRACTIONS = {
    "what's": "what is",
    "where's": "where is",
    "how's": "how is",
    "that's": "that is",
    "it's": "it is",
    "there's": "there is",
    "here's": "here is",
    "let's": "let us",
    "i'd": "i would",
    "i'll": "i will",
    "i'm": "i am",
    "i've": "i have",
    "you're": "you are",
    "we're": "we are",
    "they're": "they are",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wouldn't": "would not",
    "what're": "what are",
    "that'll": "that will",
    "it'll": "it will",
    "you'll": "you will",
    "we'll": "we will",
    "they'll": "they will",
    "we've": "we have",
    "you've": "you have",
    "i'd've": "i would have",
    "shouldn't": "should not",
    "haven't": "have not",
    "hasn't": "has not",
    # recognizers often drop the apostrophe
    "whats": "what is",
    "thats": "that is",
    "wheres": "where is",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "cant": "can not",
    "im": "i am",
    "ive": "i have",
    "youre": "you are",
    "gimme": "give me",
    "wanna": "want to",
    "gonna": "going to",
    "lemme": "let me",
}

_SPLIT = re.compile(r"[^\w'.]+")
_LETTER = re.compile(r"^[a-z]$")


def words(text: str) -> list[str]:
    """Normalised words: ``words("I'd like 2 Coca-Colas!") == ["i", "would", "like", "2", "coca", "colas"]``."""
    # "\u2019" is the typographic apostrophe some recognizers and keyboards write
    text = text.lower().replace("&", " and ").replace("%", " percent ").replace("\u2019", "'")
    out: list[str] = []
    for raw in _SPLIT.split(text):
        token = raw.strip("'.")
        if not token:
            continue
        if "." in token and not re.fullmatch(r"\d+\.\d+", token):
            out += [t for t in token.split(".") if t]  # "u.s.b" or a sentence end glued to a word
            continue
        expanded = CONTRACTIONS.get(token)
        if expanded:
            out += expanded.split()
        else:
            out.append(token.replace("'", ""))
    return out


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
        if len(run) >= 3 and sum(t not in ("a", "i") for t in run) >= 2:
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


@cache
def _by_first(phrases: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    """The phrases by their first word, longest first as given."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        out.setdefault(phrase[0], []).append(phrase)
    return out


def drop_phrases(tokens: list[str], phrases: tuple[tuple[str, ...], ...]) -> tuple[list[str], list[int]]:
    """Remove filler phrases (longest first); returns the kept words and their positions in ``tokens``."""
    dropped = {k for start, end in find_phrases(tokens, phrases) for k in range(start, end)}
    where = [i for i in range(len(tokens)) if i not in dropped]
    return [tokens[i] for i in where], where
