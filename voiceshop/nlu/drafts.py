"""An item as it is being read (a ``Draft``: the head, quantity, unit and options said around it) and
how a finished one becomes an ``ItemMention``: which product it names (narrowed by the pack size or
count said), how many packs its number is, and which of its options the product takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from voiceshop.commerce.catalog import Catalog, OptionKind, Product
from voiceshop.nlu.align import Tag
from voiceshop.nlu.heads import group_of
from voiceshop.nlu.kinds import named_choices, unsold_kind
from voiceshop.nlu.packs import fits, holds, in_amounts, in_packs, prefer_pack, with_packs
from voiceshop.nlu.readings import pick, product_candidates
from voiceshop.nlu.result import Candidate, ItemMention, OptionMention
from voiceshop.nlu.text import stem

__all__ = ["Draft", "resolve"]


@dataclass
class Draft:
    """An item being read: its head and what was said around it."""

    head: Tag | None = None
    quantity: Tag | None = None
    count: int | None = None
    """The quantity when it is not one said number: what is left of "two lattes" after "one with soy"."""
    unit: Tag | None = None
    options: list[tuple[Tag, Tag | None]] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    corrects: bool = False
    """Said right after a correction: it replaces the item before instead of adding one."""
    refused: bool = False
    """Said after a negation ("not the bagel, the croissant"): the shopper does not want it."""
    size: Tag | None = None
    """A number between an article and a unit ("a two liter", "a 4 pack"): how big the pack is, not
    how many."""

    @property
    def number(self) -> int | None:
        if self.count is not None:
            return self.count
        return int(self.quantity.value) if self.quantity is not None else None


def resolve(
    d: Draft, tokens: Sequence[str], catalog: Catalog, units: Mapping[tuple[str, ...], str], covered: set[int]
) -> ItemMention:
    assert d.head is not None
    candidates = product_candidates(d.head, catalog)
    number = d.number
    unit = str(d.unit.value) if d.unit else _unit_in_name(tokens[d.head.start : d.head.end], units)
    if unit and d.size is not None:  # "a two liter of coke", "an 8 pack of AA batteries"
        size = int(d.size.value)
        if not any(fits(catalog.product(c.value), size, unit) for c in candidates):
            candidates = with_packs(d.head, candidates, catalog)
        candidates = prefer_pack(candidates, size, unit, catalog)
    elif unit and " " in unit and len(candidates) > 1:  # "a six pack of coke" ("6 pack")
        count, _, name = unit.partition(" ")
        candidates = prefer_pack(candidates, int(count), name, catalog)
    elif (
        unit
        and d.unit is not None
        and d.count is None
        and d.quantity is not None
        and not d.quantity.weak
        and d.quantity.end == d.unit.start
    ):
        # "twelve rolls of toilet paper" where a pack holds twelve rolls: that pack, once
        size = int(d.quantity.value)
        if any(holds(catalog.product(c.value), size, unit) for c in candidates):
            candidates = prefer_pack(candidates, size, unit, catalog)
            number = None
    counted = d.unit is None and d.count is None and d.quantity is not None and not d.quantity.weak
    if counted and number:  # "six eggs": of the six and the twelve pack, the six
        candidates = prefer_pack(candidates, number, "", catalog)
    chosen = pick(candidates)
    product = catalog.product(chosen.value) if chosen else None
    if counted and number and product is not None and in_packs(product, number):
        number //= product.pack.count  # "twelve eggs", "two dozen eggs" where a pack holds twelve: packs
    elif (
        number
        and product is not None
        and d.size is None
        and _counts_amount(d)
        and (packs := in_amounts(product, number, unit))
    ):
        number = packs  # "four hundred grams of pastrami" sold in packs of 200 g: two
    fit, unfit = _options(d.options, product, catalog, tokens)
    fit += [
        o
        for o in named_choices(product, tokens[d.head.start : d.head.end], catalog)
        if o.group not in {f.group for f in fit}
    ]
    unsold = unsold_kind(d.head, product, tokens, covered, catalog)
    if unsold is not None and product is not None:  # "an iced latte": the latte or the iced drinks
        _, kinds = unsold
        score = candidates[0].score
        candidates = [Candidate(value=p.sku, name=p.name, score=score) for p in (product, *kinds)]
        product = None
    named = [t for t in d.tags if t.kind != "quantity"] or d.tags  # "which battery", not "which a battery"
    start = min(t.start for t in named)
    end = max(t.end for t in named)
    return ItemMention(
        sku=product.sku if product else None,
        name=product.name if product else None,
        quantity=number or 1,
        quantity_said=number is not None,
        unit=unit,
        options=tuple(fit),
        unfit_options=tuple(unfit),
        text=" ".join(tokens[start:end]),
        score=round(min(t.score for t in d.tags), 3),  # the head is among the tags
        candidates=tuple(candidates),
        refused=d.refused,
        unsold=unsold[0] if unsold else None,
    )


def _counts_amount(d: Draft) -> bool:
    """Whether the item's number may count what a pack holds: said right before its unit ("four
    hundred grams"), or with no unit at all."""
    return d.unit is None or (d.quantity is not None and d.count is None and d.quantity.end == d.unit.start)


def _unit_in_name(said: Sequence[str], units: Mapping[tuple[str, ...], str]) -> str | None:
    """The unit of a name said as "<unit> of ..." ("box of tissues"), so it reads like "a box of" + name."""
    stems = [stem(w) for w in said]
    for n in range(1, 3):
        unit = units.get(tuple(stems[:n]))
        if unit is not None and stems[n : n + 1] == ["of"]:
            return unit
    return None


def _options(
    said: list[tuple[Tag, Tag | None]], product: Product | None, catalog: Catalog, tokens: Sequence[str]
) -> tuple[list[OptionMention], list[OptionMention]]:
    offered = set(product.options) if product else None
    fit: list[OptionMention] = []
    unfit: list[OptionMention] = []
    for tag, amount in said:
        if tag.variety:
            text = " ".join(tokens[tag.start : tag.end])
            unfit.append(OptionMention(group=group_of(tag), choice=text, text=text, not_sold=True))
            continue
        readings = [e for e, _ in tag.candidates if e.kind == "option"]
        # An exact choice name beats an alias ("medium" is a size before it is "medium roast").
        readings.sort(key=lambda e: not e.exact_name)
        usable = [e for e in readings if offered is None or e.value.split(":")[0] in offered]
        entity = (usable or readings)[0]
        group, choice = entity.value.split(":", 1)
        amount_name = None
        g = catalog.group(group)
        if amount is not None and g is not None and g.amount(str(amount.value)) is not None:
            amount_name = str(amount.value)
        start = amount.start if amount is not None else tag.start
        mention = OptionMention(group=group, choice=choice, amount=amount_name, text=" ".join(tokens[start : tag.end]))
        (fit if usable else unfit).append(mention)
    return _one_each(fit, catalog), unfit


def _one_each(options: list[OptionMention], catalog: Catalog) -> list[OptionMention]:
    """A one-of group takes one value, the last said ("a large ... small latte" is small), and an
    add-on each choice once."""
    kept: dict[tuple[str, str], OptionMention] = {}
    for o in options:
        group = catalog.group(o.group)
        key = (o.group, "" if group is not None and group.kind is OptionKind.ONE_OF else o.choice)
        kept.pop(key, None)
        kept[key] = o
    return list(kept.values())
