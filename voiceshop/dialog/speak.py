"""Words made for the ear: money, numbers, order numbers, units and lists as a speech engine reads them well.

``say_money(450, "USD") == "four dollars fifty"``; ``say_digits("451239") == "four five one two three nine"``;
``speakable("2 x latte, 12 oz, $4.50") == "two latte, twelve ounce, four dollars fifty"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from voiceshop.commerce.money import exponent
from voiceshop.language import load
from voiceshop.nlu.numbers import number_words

LANGUAGE = load()
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))


def say_number(n: int) -> str:
    """Any whole number in words: ``say_number(1250) == "one thousand two hundred fifty"``."""
    if n < 0:
        return "minus " + say_number(-n)
    if n < 1000:
        return number_words(n)
    for size, name in SCALES:
        if n >= size:
            head, rest = divmod(n, size)
            return f"{say_number(head)} {name}" + (f" {say_number(rest)}" if rest else "")
    raise AssertionError("unreachable")


def say_money(minor: int, currency: str = "USD") -> str:
    """An amount in minor units as spoken: "four dollars fifty", "one dollar", "fifty cents", "free" is not
    said here (zero is "zero dollars"; the caller decides when "free" reads better)."""
    major_one, major_many, minor_one, minor_many = LANGUAGE.currencies.get(currency, ("", "", "", ""))
    digits = exponent(currency)
    if not major_one:
        code = " ".join(currency)  # "S E K" is read letter by letter
        major_one = major_many = code
    negative = minor < 0
    major, cents = divmod(abs(minor), 10**digits) if digits else (abs(minor), 0)
    words: str
    if major and cents:
        words = f"{say_number(major)} {major_one if major == 1 else major_many} {say_number(cents)}"
    elif cents and minor_one:
        words = f"{say_number(cents)} {minor_one if cents == 1 else minor_many}"
    elif cents:
        words = f"zero {major_many} {say_number(cents)}"
    else:
        words = f"{say_number(major)} {major_one if major == 1 else major_many}"
    return ("minus " if negative else "") + words


def say_digits(text: str) -> str:
    """Digit by digit, for order numbers and PINs: "451239" -> "four five one two three nine"."""
    return " ".join(number_words(int(c)) for c in text if c.isdecimal())


def say_list(items: Sequence[str], conjunction: str = "and") -> str:
    """ "a", "a and b", "a, b and c": no Oxford comma, which a speech engine reads as a longer pause."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def plural(count: int, word: str) -> str:
    """ "one latte", "two lattes": the count in words and the language's plural."""
    if count == 1:
        return f"one {word}"
    return f"{say_number(count)} {LANGUAGE.plural(word)}"


_MONEY = re.compile(r"([$€£¥₹])\s?(\d+)(?:\.(\d{1,2}))?")
_TIMES = re.compile(r"\b(?:x\s?(\d+)|(\d+)\s?x)\b", re.IGNORECASE)
_UNIT = re.compile(
    r"\b(\d+(?:\.\d+)?)\s?("
    + "|".join(sorted((re.escape(u) for u in LANGUAGE.short_forms), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)

_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")


def _say_decimal(text: str) -> str:
    whole, _, frac = text.partition(".")
    out = say_number(int(whole))
    return out + (" point " + say_digits(frac) if frac else "")


def speakable(text: str) -> str:
    """Symbols, abbreviations and digits rewritten as words a speech engine reads naturally."""

    def money(m: re.Match[str]) -> str:
        cur = CURRENCY_SYMBOLS[m.group(1)]
        cents = int((m.group(3) or "0").ljust(exponent(cur), "0")) if exponent(cur) else 0
        return say_money(int(m.group(2)) * 10 ** exponent(cur) + cents, cur)

    def unit(m: re.Match[str]) -> str:
        return f"{_say_decimal(m.group(1))} {LANGUAGE.say_short(m.group(2))}"

    text = _MONEY.sub(money, text)
    text = _TIMES.sub(lambda m: say_number(int(m.group(1) or m.group(2))), text)
    text = _UNIT.sub(unit, text)
    text = text.replace("%", " percent").replace("&", " and ").replace("#", " number ")
    text = _NUMBER.sub(lambda m: _say_decimal(m.group(0)), text)
    return " ".join(text.split())
