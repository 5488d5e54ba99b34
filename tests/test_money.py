from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceshop.commerce.money import exponent, format_money, parse_amount, percent_of


@pytest.mark.parametrize(
    ("value", "exp", "minor"),
    [
        ("4.25", 2, 425),
        (4.25, 2, 425),
        (4, 2, 400),
        ("0", 2, 0),
        ("$1,299.99", 2, 129999),
        (0.1, 2, 10),
        ("1000", 0, 1000),
        ("1.234", 3, 1234),
    ],
)
def test_parse_amount(value: object, exp: int, minor: int) -> None:
    assert parse_amount(value, exp) == minor


def test_float_literal_is_read_as_written_not_as_binary() -> None:
    # 4.35 is 4.3499999... in binary; the shop owner wrote 4.35
    assert parse_amount(4.35, 2) == 435
    with pytest.raises(ValueError, match="decimal places"):
        parse_amount(2.675, 2)


@pytest.mark.parametrize("value", ["4.255", "abc", "", True, None, [], "nan", "inf", 1.001])
def test_parse_amount_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parse_amount(value, 2)


def test_unknown_currency() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        exponent("USDD")


def test_format_money() -> None:
    assert format_money(425, "USD") == "$4.25"
    assert format_money(-5, "USD") == "-$0.05"
    assert format_money(123456, "EUR") == "€1,234.56"
    assert format_money(1500, "JPY") == "¥1,500"
    assert format_money(1234, "KWD") == "1.234 KWD"


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["USD", "EUR", "JPY", "KWD", "SEK"]))
def test_format_then_parse_round_trips(minor: int, currency: str) -> None:
    text = format_money(minor, currency).replace(currency, "").replace("¥", "").replace("€", "").strip()
    assert parse_amount(text.replace("kr", ""), exponent(currency)) == minor


@given(st.integers(min_value=0, max_value=10**9), st.decimals(min_value=0, max_value=100, places=2))
def test_percent_of_is_bounded_and_exact(minor: int, percent: Decimal) -> None:
    got = percent_of(minor, percent)
    assert 0 <= got <= minor
    assert abs(Decimal(got) - Decimal(minor) * percent / 100) <= Decimal("0.5")
