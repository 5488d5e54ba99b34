from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceshop.nlu.numbers import (
    Parsed,
    number_words,
    ordinal_words,
    parse_number,
    parse_ordinal,
    parse_quantity,
)


@given(st.integers(min_value=0, max_value=999))
def test_words_parse_back_to_the_number(n: int) -> None:
    words = number_words(n).split()
    assert parse_number(words) == Parsed(n, len(words))
    assert parse_number([*words, "lattes"]) == Parsed(n, len(words))  # stops at the first non-number


@given(st.integers(min_value=0, max_value=999))
def test_digits(n: int) -> None:
    assert parse_number([str(n), "x"]) == Parsed(n, 1)


@given(st.integers(min_value=101, max_value=999).filter(lambda n: n % 100))
def test_hundred_and(n: int) -> None:
    hundreds, rest = divmod(n, 100)
    words = [number_words(hundreds), "hundred", "and", *number_words(rest).split()]
    assert parse_number(words) == Parsed(n, len(words))


@given(st.integers(min_value=1, max_value=59))
def test_ordinals_round_trip(n: int) -> None:
    words = ordinal_words(n).split()
    assert parse_ordinal(words) == Parsed(n, len(words))


@pytest.mark.parametrize(
    ("text", "value", "length"),
    [
        ("a latte", 1, 1),
        ("an espresso", 1, 1),
        ("a couple of bagels", 2, 3),
        ("a couple bagels", 2, 2),
        ("a pair of batteries", 2, 3),
        ("a dozen eggs", 12, 2),
        ("half a dozen eggs", 6, 3),
        ("two dozen eggs", 24, 2),
        ("a hundred and five", 105, 4),
        ("twenty-one", 21, 1),
        ("one hundred", 100, 2),
        ("three", 3, 1),
        ("12 oat lattes", 12, 1),
        ("a dozen of eggs", 12, 3),
    ],
)
def test_quantities(text: str, value: int, length: int) -> None:
    assert parse_quantity(text.split()) == Parsed(value, length)


@pytest.mark.parametrize("text", ["latte", "for here", "to go", "1000 cups", "hundred", ""])
def test_not_a_quantity(text: str) -> None:
    assert parse_quantity(text.split()) is None


def test_homophones_only_when_asked() -> None:
    assert parse_quantity(["for", "lattes"]) is None
    assert parse_quantity(["for", "lattes"], homophones=True) == Parsed(4, 1)
    assert parse_quantity(["to", "bagels"], homophones=True) == Parsed(2, 1)


@pytest.mark.parametrize(
    ("text", "value"),
    [("the second one", None), ("second one", 2), ("3rd", 3), ("last", 5), ("twenty first", 21), ("first", 1)],
)
def test_ordinal_examples(text: str, value: int | None) -> None:
    got = parse_ordinal(text.split(), count=5)
    assert (got.value if got else None) == value


def test_out_of_range() -> None:
    with pytest.raises(ValueError):
        number_words(1000)
    with pytest.raises(ValueError):
        ordinal_words(60)
