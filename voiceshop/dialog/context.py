"""What the policy may read on a turn: the shop, its live catalog, the clock, and the records.

``Records`` is a read-only view of the store (customers, their orders, what sells); the runtime
passes the real repositories in, a test can pass a dictionary. The policy reads through it and never
writes: writing is done by returning actions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from voiceshop.commerce.cart import Cart, CartLine
from voiceshop.commerce.catalog import Catalog, OptionKind, Product
from voiceshop.commerce.customer import Customer
from voiceshop.commerce.order import Order
from voiceshop.commerce.shop import Shop
from voiceshop.dialog.replies import Replies
from voiceshop.dialog.speak import LANGUAGE, say_list, say_money, say_number, speakable
from voiceshop.errors import VoiceshopError

LIST_CHUNK = 3
MONEY_FIELDS = frozenset({"total", "cap", "minimum"})
"""Error fields that are amounts of money in minor units."""


class Records(Protocol):
    def customer(self, name: str) -> Customer | None: ...

    def orders(self, customer: str | None, numbers: Sequence[str]) -> Sequence[Order]:
        """The customer's orders (or, for an anonymous shopper, those numbers), newest first."""
        ...

    def order(self, number: str) -> Order | None:
        """Any order of the shop by its number (its status is for whoever has the number)."""
        ...

    def popular(self) -> Sequence[str]:
        """SKUs by how often they were ordered, most first."""
        ...

    def saved_cart(self, key: str) -> Cart: ...


@dataclass(frozen=True)
class Context:
    shop: Shop
    catalog: Catalog
    now: datetime
    records: Records
    replies: Replies
    new_token: str
    """A fresh checkout token, used if this turn reads an order back."""
    device_customer: str | None = None
    """The device's default customer, who the session returns to when it expires."""

    def customer(self, name: str | None) -> Customer | None:
        """The record of the customer shopping (None for an anonymous shopper or an unknown name)."""
        return self.records.customer(name) if name else None

    def money(self, minor: int) -> str:
        return say_money(minor, self.shop.currency)

    def refusal(self, code: str, fields: Mapping[str, str | int]) -> str:
        """Why something could not be done, as the shopper hears it: the reply for the error's code
        (``refused_<code>``), never the operator's message."""
        key = f"refused_{code}"
        if not self.replies.has(key):
            return self.replies("refused")
        said = {
            name: self.money(value)
            if name in MONEY_FIELDS and isinstance(value, int)
            else say_number(value)
            if isinstance(value, int)
            else speakable(value)
            for name, value in fields.items()
        }
        try:
            return self.replies(key, **said)
        except (KeyError, IndexError):  # a reply asking for a field this error did not carry
            return self.replies("refused")

    def refused(self, err: VoiceshopError) -> str:
        return self.refusal(err.code, err.fields)

    def product_name(self, sku: str) -> str:
        product = self.catalog.product(sku)
        return speakable(product.name) if product else sku

    def describe(self, line: CartLine, *, full: bool = False, count: bool = True) -> str:
        """A cart line as said: "two large lattes with soy milk"."""
        return describe_line(self.catalog, line, full=full, count=count)

    def counted(self, sku: str, name: str, quantity: int) -> str:
        """``quantity`` of a product as said: "one latte", "one pack of paper towels"."""
        product = self.catalog.product(sku)
        return f"{say_number(quantity)} {counted_name(product, name, quantity) if product else name}"

    def price_of(self, name: str, price: int) -> str:
        """ "The latte is ...", "The antacid tablets are ..."."""
        key = "price_plural" if LANGUAGE.is_plural(name) else "price"
        return self.replies(key, product=name, price=self.money(price))

    def describe_cart(self, cart: Cart, *, full: bool = False) -> str:
        return say_list([self.describe(line, full=full) for line in cart.lines])


def counted_name(product: Product, name: str, quantity: int) -> str:
    """``name`` after a count: "two lattes"; a name already in the plural is counted in packs when one
    unit holds several or an amount ("one pack of paper towels"), else said by a singular alias when
    it is one ("one banana", "two bananas")."""
    if not LANGUAGE.is_plural(name):
        return LANGUAGE.plural(name) if quantity > 1 else name
    if product.pack.count > 1 or product.pack.amount is not None:
        (container,) = LANGUAGE.function_words("container")
        packs = f"{container} of {name}"
        return LANGUAGE.plural(packs) if quantity > 1 else packs
    if quantity == 1 and not LANGUAGE.function_words("and").intersection(name.split()):  # "fish and chips" stays
        head, last = name.split()[:-1], name.rpartition(" ")[2]
        for alias in (speakable(a) for a in product.aliases):
            words = alias.split()
            if words[:-1] == head and words[-1] != last and LANGUAGE.singular(last) == LANGUAGE.singular(words[-1]):
                return alias
    return name


def describe_line(catalog: Catalog, line: CartLine, *, full: bool = False, count: bool = True) -> str:
    product = catalog.product(line.sku)
    groups = {g.name: g for g in catalog.groups_for(product)} if product else {}
    before: list[str] = []
    after: list[str] = []
    extras: list[str] = []
    for opt in line.options:
        group = groups.get(opt.group)
        if group is None or group.kind is OptionKind.ADD_ON:
            extras.append(speakable(opt.describe()))
        elif group.required:
            before.append(speakable(opt.choice))
        elif full or group.default is None or opt.choice != group.default:
            after.append(speakable(opt.choice))
    if len(before) > 1:  # "one fish supper meal deal, haddock, regular, vimto", not all before its name
        after, before = [*before, *after], []
    name = speakable(line.name)
    noun = counted_name(product, name, line.quantity) if count and product else name
    text = " ".join([say_number(line.quantity), *before, noun] if count else [*before, noun])
    if after:
        text += ", " + ", ".join(after) + ("," if extras else "")
    if extras:
        text += " with " + say_list(extras)
    return text
