"""Products and their options: what a shop sells and how each item can be customised.

Options come in named groups that products refer to by name, so a coffee bar defines "size" once and
every drink offers it:

- a ``one_of`` group: exactly one choice (size: small / medium / large), required or with a default;
- an ``add_on`` group: up to ``max_choices`` choices (milk: soy milk, almond milk...), each optionally
  with an amount ("a bit of", "lots of").

Each choice and amount carries its own price change in minor units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Protocol, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from voiceshop.commerce.money import Amount
from voiceshop.language import load

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
Sku = Annotated[str, StringConstraints(pattern=SKU_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


LANGUAGE = load()
"""The words names are compared in and pack sizes are read with (the shop's language, when there are more)."""
normalize_phrase = LANGUAGE.phrase
"""Lower-case, single-spaced words: the form spoken names are compared in ("Soy Milk!" -> "soy milk")."""


class Strict(BaseModel):
    """Base for file-facing models: unknown fields are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


N = TypeVar("N", bound=_Named)


def find_named(items: Iterable[N], said: str) -> N | None:
    """The item whose name or one of whose aliases is ``said`` (case and spacing ignored)."""
    key = normalize_phrase(said)
    for item in items:
        if key == normalize_phrase(item.name) or any(key == normalize_phrase(a) for a in item.aliases):
            return item
    return None


class OptionKind(StrEnum):
    ONE_OF = "one_of"
    ADD_ON = "add_on"


class OptionChoice(Strict):
    name: Name
    """Spoken and displayed name of the choice, e.g. "large" or "soy milk"."""
    aliases: tuple[Name, ...] = ()
    """Other ways people say it ("soya milk", "soy")."""
    price: Amount = 0
    """Price change in minor units when chosen (may be negative for a smaller size)."""


class AddOnAmount(Strict):
    name: Name
    """How much of an add-on, as said: "a bit of", "lots of"."""
    aliases: tuple[Name, ...] = ()
    price: Amount = 0
    """Price change in minor units for this amount, added to the choice's own price."""


class OptionGroup(Strict):
    name: Name
    """Group name products refer to, e.g. "size", "milk"."""
    kind: OptionKind = OptionKind.ONE_OF
    required: bool = False
    """For ``one_of``: the shopper must pick one (the dialog asks) unless a default is set."""
    default: str | None = None
    """For ``one_of``: the choice used when the shopper says nothing."""
    max_choices: int = Field(default=1, ge=1, le=100)
    """For ``add_on``: how many different choices of this group one item may carry."""
    choices: tuple[OptionChoice, ...] = Field(min_length=1)
    amounts: tuple[AddOnAmount, ...] = ()
    """For ``add_on``: the amounts a shopper may ask for; empty means amounts are not offered."""

    @model_validator(mode="after")
    def _check(self) -> OptionGroup:
        names = [normalize_phrase(c.name) for c in self.choices]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"choice listed twice: {', '.join(dupes)}")
        if self.default is not None:
            if self.kind is not OptionKind.ONE_OF:
                raise ValueError("only one_of groups can have a default")
            if normalize_phrase(self.default) not in names:
                raise ValueError(f"default {self.default!r} is not one of the choices")
        if self.amounts and self.kind is not OptionKind.ADD_ON:
            raise ValueError("only add_on groups can have amounts")
        return self

    def choice(self, said: str) -> OptionChoice | None:
        return find_named(self.choices, said)

    def amount(self, said: str) -> AddOnAmount | None:
        return find_named(self.amounts, said)


_PACK = re.compile(
    r"^\s*(?:(?P<count>\d+)\s*(?:x|\u00d7|pack|-pack|ct|count)\s*)?"
    r"(?:(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>[a-zA-Z][a-zA-Z ]*?)?)?\s*$"
)


class PackSize(Strict):
    """What one unit of a product holds: "6 x 330 ml" is count 6, amount 330, unit millilitre."""

    count: int = Field(default=1, ge=1, le=100_000)
    amount: Decimal | None = Field(default=None, gt=0)
    unit: str | None = None

    @classmethod
    def parse(cls, text: str) -> PackSize:
        m = _PACK.match(text.lower())
        if not m or not (m.group("count") or m.group("amount")):
            raise ValueError(f"pack size {text!r} is not like '500 g', '6 x 330 ml' or '4 pack'")
        unit = m.group("unit")
        if unit is not None:
            known = LANGUAGE.unit(unit)
            if known is None:
                raise ValueError(f"unknown unit {unit!r} in pack size {text!r}")
            unit = known
        amount = Decimal(m.group("amount")) if m.group("amount") else None
        if amount is not None and unit is None:
            # "4" alone means a pack of four items
            return cls(count=int(amount))
        return cls(count=int(m.group("count") or 1), amount=amount, unit=unit)

    def describe(self) -> str:
        parts = []
        if self.count > 1:
            parts.append(f"{self.count} x" if self.amount is not None else f"pack of {self.count}")
        if self.amount is not None:
            parts.append(f"{self.amount.normalize():f} {self.unit or ''}".strip())
        return " ".join(parts) or "single"


class Product(Strict):
    sku: Sku
    """Stable identifier, unique in the shop; orders refer to it."""
    name: Name
    """Name as spoken and shown: "oat latte", "Colgate total toothpaste"."""
    aliases: tuple[Name, ...] = ()
    """Other names shoppers use: "tooth paste", "AA batteries" -> "double a batteries"."""
    brand: str | None = None
    category: Name
    description: str = ""
    price: Amount = Field(ge=0)
    """Base unit price in minor units, before options."""
    pack: PackSize = PackSize()
    """What one unit holds; in files a text such as "500 g" or "6 x 330 ml"."""
    stock: int | None = Field(default=None, ge=0, le=1_000_000_000)
    """Units on hand; ``None`` for items made to order (drinks) that never run out."""
    tags: tuple[str, ...] = ()
    related: tuple[Sku, ...] = ()
    """SKUs that go with this one (recommendations)."""
    options: tuple[str, ...] = ()
    """Names of the option groups (one_of and add_on) this product offers."""

    @field_validator("pack", mode="before")
    @classmethod
    def _pack_from_text(cls, value: object) -> object:
        if isinstance(value, str):
            return PackSize.parse(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return PackSize(count=value)
        return value

    @field_validator("aliases", "tags", "related", "options", mode="before")
    @classmethod
    def _split_text_list(cls, value: object) -> object:
        # CSV cells and short YAML forms give "a; b; c" rather than a list.
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(";") if part.strip())
        return value

    @field_validator("brand", mode="before")
    @classmethod
    def _empty_brand(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class Catalog(Strict):
    """Everything a shop sells: products plus the option groups they refer to."""

    option_groups: tuple[OptionGroup, ...] = ()
    products: tuple[Product, ...] = ()

    _by_sku: dict[str, Product] = PrivateAttr(default_factory=dict)
    _by_group: dict[str, OptionGroup] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        # Derived indexes, built once; equal catalogs build equal indexes, so equality still holds.
        self._by_sku = {p.sku: p for p in self.products}
        self._by_group = {g.name: g for g in self.option_groups}

    def product(self, sku: str) -> Product | None:
        return self._by_sku.get(sku)

    def find(self, said: str) -> Product | None:
        """The product a person typed: its SKU in any case, or its exact name or an alias."""
        return (
            self.product(said)
            or next((p for p in self.products if p.sku.lower() == said.lower()), None)
            or find_named(self.products, said)
        )

    def group(self, name: str) -> OptionGroup | None:
        return self._by_group.get(name)

    def groups_for(self, product: Product) -> tuple[OptionGroup, ...]:
        return tuple(g for name in product.options if (g := self.group(name)) is not None)

    def categories(self) -> list[str]:
        return sorted({p.category for p in self.products})

    def integrity_problems(self, other_skus: frozenset[str] = frozenset()) -> list[tuple[tuple[str | int, ...], str]]:
        """Cross-references a single product cannot check, as (path, message) pairs.

        Paths index this catalog's own tuples: ``("products", 3, "options")``. ``other_skus`` are SKUs
        that exist but are not in this catalog (products of the file that failed validation), so they
        are not reported a second time as missing.
        """
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: dict[str, int] = {}
        group_names = [g.name for g in self.option_groups]
        for i, name in enumerate(group_names):
            if name in group_names[:i]:
                problems.append((("option_groups", i, "name"), f"option group {name!r} is defined twice"))
        skus = {p.sku for p in self.products} | other_skus
        for i, p in enumerate(self.products):
            if p.sku in seen:
                problems.append(
                    (("products", i, "sku"), f"duplicate SKU {p.sku!r} (first used by product #{seen[p.sku] + 1})")
                )
            else:
                seen[p.sku] = i
            for opt in p.options:
                if opt not in group_names:
                    known = ", ".join(group_names) or "none defined"
                    problems.append((("products", i, "options"), f"unknown option group {opt!r} (known: {known})"))
            for rel in p.related:
                if rel not in skus:
                    problems.append((("products", i, "related"), f"related SKU {rel!r} is not in the catalog"))
        return problems
