"""Exact money: integer minor units of one currency per shop. Never a float.

Shop files write prices as decimals in the shop's currency ("4.25"); ``parse_amount`` turns them into
minor units (425) and refuses anything that would lose a fraction of a cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo

# ISO 4217 minor-unit exponents for the currencies a shop is likely to use.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "BGN": 2,
    "TRY": 2,
    "ILS": 2,
    "INR": 2,
    "BRL": 2,
    "MXN": 2,
    "ARS": 2,
    "CLP": 0,
    "COP": 2,
    "PEN": 2,
    "ZAR": 2,
    "NGN": 2,
    "KES": 2,
    "EGP": 2,
    "AED": 2,
    "SAR": 2,
    "SGD": 2,
    "HKD": 2,
    "TWD": 2,
    "CNY": 2,
    "THB": 2,
    "MYR": 2,
    "IDR": 2,
    "PHP": 2,
    "VND": 0,
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
    "KWD": 3,
    "BHD": 3,
    "JOD": 3,
    "OMR": 3,
    "TND": 3,
    "UAH": 2,
}

CURRENCY_SYMBOLS: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "CHF": "CHF ",
    "CNY": "CN¥",
    "BRL": "R$",
    "MXN": "MX$",
}

# Validation context key: when a model is validated from a shop file, amounts are decimals in major
# units and are converted with this exponent. Without it (e.g. reading our own stored JSON) amounts
# are already integer minor units.
MAJOR_UNITS_EXPONENT = "money_major_units_exponent"


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"unknown currency {currency!r}; use an ISO 4217 code such as USD, EUR or GBP") from None


def parse_amount(value: object, exp: int) -> int:
    """Turn a decimal amount in major units ("4.25", 4.25, 4) into minor units (425).

    Raises ValueError with a readable reason for text that is not a number, or for more decimal
    places than the currency has (a price of 4.255 dollars is a typo, not something to round).
    """
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, float):
        value = repr(value)  # repr round-trips the literal the file contained (4.25 -> "4.25")
    if isinstance(value, str):
        value = value.strip().lstrip("$€£¥").replace(",", "")
    try:
        amount = Decimal(value)  # type: ignore[arg-type]  # checked by the except below
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"must be an amount such as 4.25, not {value!r}") from None
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    minor = amount.scaleb(exp)
    if minor != minor.to_integral_value():
        raise ValueError(f"has more than {exp} decimal places")
    return _in_range(int(minor))


MAX_MINOR = 10**12
"""The largest amount of one price, fee or cap, in minor units (ten billion dollars): larger is a typo,
and stays far from what a database integer holds even times a quantity and summed over an order."""


def _in_range(minor: int) -> int:
    if abs(minor) > MAX_MINOR:
        raise ValueError("is too large for a price, fee or cap; check it for a typo")
    return minor


def _amount_before(value: Any, info: ValidationInfo) -> Any:
    ctx = info.context or {}
    exp = ctx.get(MAJOR_UNITS_EXPONENT)
    if exp is None:
        return value
    return parse_amount(value, exp)


# A money amount in minor units. From a shop file (validation context with an exponent) it is read as
# a decimal in major units; otherwise as an integer of minor units.
Amount = Annotated[int, BeforeValidator(_amount_before), AfterValidator(_in_range)]


def format_money(minor: int, currency: str) -> str:
    """Format for a screen or table: ``format_money(425, "USD") == "$4.25"``."""
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    value = Decimal(abs(minor)).scaleb(-exp)
    text = f"{value:,.{exp}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return f"{sign}{text} {currency}"
    return f"{sign}{symbol}{text}"


def percent_of(minor: int, percent: Decimal) -> int:
    """``percent`` % of an amount, rounded half-up to a whole minor unit."""
    return int((Decimal(minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
