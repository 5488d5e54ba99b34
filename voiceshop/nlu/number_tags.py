"""Numbers among the tags: a run of digits said one by one (a PIN, an order number), and the words
that sound like numbers ("to lattes" is two lattes, "the second one" has no quantity)."""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.language import load
from voiceshop.nlu.numbers import HOMOPHONES, UNITS
from voiceshop.nlu.tags import HEADS, Tag
from voiceshop.nlu.text import stem

_LANGUAGE = load()
OF = _LANGUAGE.function_words("of")
DIGITS_END_BEFORE = _LANGUAGE.function_words("digits_end_before")
ONE = UNITS[1]
DIGIT_WORDS = {w: str(i) for i, w in enumerate(UNITS[:10])} | {"oh": "0"}


def digit_run(tokens: Sequence[str], i: int) -> Tag | None:
    token = tokens[i]
    if token.isdecimal() and len(token) >= 4:
        return Tag(i, i + 1, "digits", token, 1.0)
    digits: list[str] = []
    real = 0
    j = i
    while j < len(tokens):
        t = tokens[j]
        if t in DIGIT_WORDS or (t.isdecimal() and len(t) == 1):
            digits.append(DIGIT_WORDS.get(t, t))
            real += 1
        elif t in HOMOPHONES and HOMOPHONES[t] < 10:
            digits.append(str(HOMOPHONES[t]))
        else:
            break
        j += 1
    while digits and tokens[j - 1] in DIGITS_END_BEFORE:  # "... three four to five" is a word, not a digit
        digits.pop()
        j -= 1
    if digits and tokens[i] in HOMOPHONES and real < 3:
        return None
    if len(digits) >= 3 and real >= 2:
        return Tag(i, j, "digits", "".join(digits), 1.0 if real == len(digits) else 0.9)
    return None


# "one" is a word, not a quantity, in "the second one", "another one", "one more".
ONE_AFTER = _LANGUAGE.function_words("one_after")
ONE_BEFORE = _LANGUAGE.function_words("one_before")
END_NUMBER_AFTER = _LANGUAGE.function_words("end_number_after")
NOT_NUMBER_AFTER = _LANGUAGE.function_words("not_number_after")
"""After these "for" / "to" is the word: "something for allergies" is not four allergy reliefs."""
LABEL_BEFORE = _LANGUAGE.function_words("label_before")
"""A number after these names a kind, not a count: "nappies, size three", "sun cream, factor fifty"."""
AGE_OF = _LANGUAGE.function_words("age_of")
AGE_IS = _LANGUAGE.function_words("age_is")
AGE_AFTER = _LANGUAGE.function_words("age_after")
"""A number after "he is" / "she is" is an age: "a small mocha for my daughter, she's twelve"."""


def _plural(token: str) -> bool:
    return stem(token) != token


def number_homophones(tags: list[Tag], tokens: Sequence[str]) -> list[Tag]:
    """ "add to lattes": a "to" / "for" right before what is being ordered is a number; "one" in "the
    second one" / "that one" and a number after "size" are words."""
    out = list(tags)
    for k, t in enumerate(tags):
        word = tokens[t.start]
        counts = k + 1 < len(tags) and tags[k + 1].kind in (*HEADS, "unit")  # "medium size, three lattes"
        before = tokens[max(0, t.start - 2) : t.start]
        age = bool(before) and before[-1] in AGE_AFTER
        age |= len(before) == 2 and before[0] in AGE_OF and before[1] in AGE_IS
        if t.kind == "quantity" and t.start > 0 and (tokens[t.start - 1] in LABEL_BEFORE or age) and not counts:
            out[k] = Tag(t.start, t.end, "word", " ".join(tokens[t.start : t.end]), 1.0)
            continue
        if t.kind == "quantity" and word == ONE and t.length == 1:
            before = tokens[t.start - 1] if t.start > 0 else ""
            after = tokens[t.end] if t.end < len(tokens) else ""
            if (k > 0 and tags[k - 1].kind == "ordinal") or before in ONE_AFTER or after in ONE_BEFORE:
                out[k] = Tag(t.start, t.end, "word", ONE, 1.0)
                continue
        last = k == len(tags) - 1 and k > 0
        if t.kind in ("word", "unknown") and word in HOMOPHONES and last and tokens[t.start - 1] in END_NUMBER_AFTER:
            out[k] = Tag(t.start, t.end, "quantity", HOMOPHONES[word], 0.8)  # "make it for" is "make it four"
            continue
        if t.start > 0 and tokens[t.start - 1] in NOT_NUMBER_AFTER:
            continue
        if t.kind in ("word", "unknown") and word in HOMOPHONES and k + 1 < len(tags):
            m = k + 1
            units = False  # "for cans of tuna": the plural may be the unit's
            while m < len(tags) and (tags[m].kind in ("option", "amount", "unit") or tags[m].value in OF):
                units |= tags[m].kind == "unit" and _plural(tokens[tags[m].end - 1])
                m += 1
            # "to lattes" is two; "i want to double shot espresso" is one: a number needs a plural
            if m < len(tags) and tags[m].kind in HEADS and (units or _plural(tokens[tags[m].end - 1])):
                out[k] = Tag(t.start, t.end, "quantity", HOMOPHONES[word], 0.8)
    return out
