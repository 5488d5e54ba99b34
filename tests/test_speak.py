"""Replies for the ear: money, digits, units and lists in words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceshop.dialog.speak import plural, say_digits, say_list, say_money, say_number, speakable


@pytest.mark.parametrize(
    ("minor", "currency", "said"),
    [
        (450, "USD", "four dollars fifty"),
        (100, "USD", "one dollar"),
        (101, "USD", "one dollar one"),
        (50, "USD", "fifty cents"),
        (1, "USD", "one cent"),
        (0, "USD", "zero dollars"),
        (123456, "USD", "one thousand two hundred thirty four dollars fifty six"),
        (250, "GBP", "two pounds fifty"),
        (5, "GBP", "five pence"),
        (1999, "EUR", "nineteen euros ninety nine"),
        (500, "JPY", "five hundred yen"),
        (-300, "USD", "minus three dollars"),
        (1050, "SEK", "ten S E K fifty"),
    ],
)
def test_money(minor: int, currency: str, said: str) -> None:
    assert say_money(minor, currency) == said


@given(st.integers(min_value=0, max_value=10**9))
def test_say_number_has_only_words(n: int) -> None:
    words = say_number(n)
    assert words and not any(ch.isdigit() for ch in words)
    assert words == " ".join(words.split())


def test_numbers_and_digits() -> None:
    assert say_number(1_000_001) == "one million one"
    assert say_digits("451239") == "four five one two three nine"
    assert say_digits("007") == "zero zero seven"


def test_lists_and_plurals() -> None:
    assert say_list([]) == ""
    assert say_list(["a latte"]) == "a latte"
    assert say_list(["a", "b", "c"]) == "a, b and c"
    assert say_list(["small", "large"], "or") == "small or large"
    assert plural(1, "latte") == "one latte"
    assert plural(2, "latte") == "two lattes"
    assert plural(3, "box") == "three boxes"
    assert plural(2, "battery") == "two batteries"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("$4.50", "four dollars fifty"),
        ("that is £2", "that is two pounds"),
        ("latte x2", "latte two"),
        ("2 x latte", "two latte"),
        ("12 oz", "twelve ounce"),
        ("64 floz", "sixty four fluid ounce"),
        ("1.5 lb", "one point five pound"),
        ("10% off", "ten percent off"),
        ("Head & Shoulders", "Head and Shoulders"),
        ("sunscreen spf 50", "sunscreen spf fifty"),
        ("order 451239", "order four hundred fifty one thousand two hundred thirty nine"),
    ],
)
def test_speakable(text: str, said: str) -> None:
    assert speakable(text) == said
