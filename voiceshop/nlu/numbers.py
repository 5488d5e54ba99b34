"""Numbers as people say them and recognizers write them.

``parse_quantity(tokens, i)`` reads a quantity starting at token ``i``: digits ("12"), words
("twenty one", "one hundred and five", "a hundred"), "a" / "an", "a couple of", "a pair of",
"a dozen", "half a dozen", "two dozen". With ``homophones=True`` it also accepts what a recognizer
writes for a spoken number ("for" -> 4, "to" -> 2, "won" -> 1), which only the caller can judge
(the next words must be a product). ``number_words(n)`` is the inverse, for speech and grammars.
Ordinals ("the second one", "3rd", "last") are read by ``parse_ordinal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voiceshop.language import load

_WORDS = load().numbers
UNITS = _WORDS.ones
TENS = ("_", "_", *_WORDS.tens)
_UNIT = {w: i for i, w in enumerate(UNITS)}
_TEN = {w: i * 10 for i, w in enumerate(TENS) if w != "_"}
_UNIT.update({w: v for w, v in _WORDS.also.items() if v < 20})
_TEN.update({w: v for w, v in _WORDS.also.items() if v >= 20 and v % 10 == 0})
HOMOPHONES = _WORDS.homophones
ORDINALS = _WORDS.ordinals
TENS_ORDINALS = _WORDS.tens_ordinals
_ORDINAL = {w: i + 1 for i, w in enumerate(ORDINALS)}
MAX_QUANTITY = 999


@dataclass(frozen=True)
class Parsed:
    value: int
    length: int
    """How many tokens were read."""


def number_words(n: int) -> str:
    """0..999 in words: ``number_words(105) == "one hundred five"``."""
    if not 0 <= n <= 999:
        raise ValueError(f"{n} is outside 0..999")
    if n < 20:
        return UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return TENS[tens] + (f" {UNITS[unit]}" if unit else "")
    hundreds, rest = divmod(n, 100)
    return f"{UNITS[hundreds]} {_WORDS.hundred}" + (f" {number_words(rest)}" if rest else "")


def _below_hundred(tokens: Sequence[str], i: int) -> Parsed | None:
    if i >= len(tokens):
        return None
    word = tokens[i]
    if word in _TEN:
        if i + 1 < len(tokens) and tokens[i + 1] in _UNIT and 0 < _UNIT[tokens[i + 1]] < 10:
            return Parsed(_TEN[word] + _UNIT[tokens[i + 1]], 2)
        return Parsed(_TEN[word], 1)
    if "-" in word:  # "twenty-one" kept as one token
        head, _, tail = word.partition("-")
        if head in _TEN and tail in _UNIT and 0 < _UNIT[tail] < 10:
            return Parsed(_TEN[head] + _UNIT[tail], 1)
    if word in _UNIT:
        return Parsed(_UNIT[word], 1)
    return None


def parse_number(tokens: Sequence[str], i: int = 0, *, homophones: bool = False) -> Parsed | None:
    """A cardinal number at ``tokens[i]``: 0..999 in digits or words, or so many thousand in words
    ("two thousand": more than anyone can order, said so rather than heard as two); None if there
    is none."""
    found = _parse_below_thousand(tokens, i, homophones=homophones)
    after = i + found.length if found is not None else len(tokens)
    if found is not None and 0 < found.value < 1000 and after < len(tokens) and tokens[after] == _WORDS.thousand:
        return Parsed(found.value * 1000, found.length + 1)
    return found


def _parse_below_thousand(tokens: Sequence[str], i: int, *, homophones: bool) -> Parsed | None:
    if i >= len(tokens):
        return None
    word = tokens[i]
    if word.isdecimal():
        value = int(word)
        return Parsed(value, 1) if value <= MAX_QUANTITY else None
    if word in _WORDS.one_hundred and i + 1 < len(tokens) and tokens[i + 1] == _WORDS.hundred:
        rest = _after_hundred(tokens, i + 2)
        return Parsed(100 + (rest.value if rest else 0), 2 + (rest.length if rest else 0))
    first = _below_hundred(tokens, i)
    if first is not None:
        if first.value < 10 and first.length == 1 and i + 1 < len(tokens) and tokens[i + 1] == _WORDS.hundred:
            rest = _after_hundred(tokens, i + 2)
            return Parsed(first.value * 100 + (rest.value if rest else 0), 2 + (rest.length if rest else 0))
        return first
    if homophones and word in HOMOPHONES:
        return Parsed(HOMOPHONES[word], 1)
    return None


def _after_hundred(tokens: Sequence[str], i: int) -> Parsed | None:
    skip = 1 if i < len(tokens) and tokens[i] in _WORDS.hundred_and else 0
    rest = _below_hundred(tokens, i + skip)
    if rest is None or rest.value == 0:
        return None
    return Parsed(rest.value, rest.length + skip)


def parse_quantity(tokens: Sequence[str], i: int = 0, *, homophones: bool = False) -> Parsed | None:
    """A quantity at ``tokens[i]``: a number, optionally "dozen", or a phrase like "a couple of"."""
    # numbers first, so "a hundred and five" is not read as "a"
    n = parse_number(tokens, i, homophones=homophones)
    if n is not None:
        if i + n.length < len(tokens) and tokens[i + n.length] in _WORDS.dozen:
            value = n.value * 12
            return Parsed(value, n.length + 1) if value <= MAX_QUANTITY else None
        return n
    for words, value in _WORDS.quantities:
        if tuple(tokens[i : i + len(words)]) == words:
            length = len(words)
            if words[-1] in _WORDS.dozen and i + length < len(tokens) and tokens[i + length] in _WORDS.dozen_of:
                length += 1  # "a dozen of" is not standard but recognizers and people produce it
            return Parsed(value, length)
    return None


def parse_ordinal(tokens: Sequence[str], i: int = 0, *, count: int | None = None) -> Parsed | None:
    """An ordinal at ``tokens[i]`` as a 1-based position: "second" -> 2, "3rd" -> 3, "twenty first" -> 21.

    "last" needs ``count`` (how many items there are); "next to last" is not handled.
    """
    if i >= len(tokens):
        return None
    word = tokens[i]
    if word in _ORDINAL:
        return Parsed(_ORDINAL[word], 1)
    if word in TENS_ORDINALS:
        return Parsed(TENS_ORDINALS[word], 1)
    if word[:-2].isdecimal() and word[-2:] in _WORDS.ordinal_suffixes and int(word[:-2]) > 0:
        return Parsed(int(word[:-2]), 1)
    if word in _TEN and i + 1 < len(tokens) and tokens[i + 1] in _ORDINAL and _ORDINAL[tokens[i + 1]] < 10:
        return Parsed(_TEN[word] + _ORDINAL[tokens[i + 1]], 2)
    if word in _WORDS.last and count:
        return Parsed(count, 1)
    return None


def ordinal_words(n: int) -> str:
    """1..59 as an ordinal: ``ordinal_words(21) == "twenty first"``."""
    if 1 <= n <= len(ORDINALS):
        return ORDINALS[n - 1]
    tens, unit = divmod(n, 10)
    if 2 <= tens <= 5:
        if unit == 0:
            return next(w for w, v in TENS_ORDINALS.items() if v == n)
        return f"{TENS[tens]} {ORDINALS[unit - 1]}"
    raise ValueError(f"{n} is outside 1..59")
