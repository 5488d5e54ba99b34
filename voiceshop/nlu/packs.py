"""Pack sizes said with an item: "a two liter of coke", "an 8 pack of AA batteries" (how big one is,
not how many), and numbers that are words of a name ("a gallon of 2 percent", "a 9 volt battery").
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from voiceshop.commerce.catalog import Catalog, Product
from voiceshop.language import load
from voiceshop.nlu.align import ARTICLES
from voiceshop.nlu.numbers import parse_quantity
from voiceshop.nlu.result import AMBIGUITY_MARGIN, Candidate
from voiceshop.nlu.tags import HEADS, Tag
from voiceshop.nlu.text import stems


def adjacent(a: Tag, b: Tag) -> bool:
    return a.end == b.start


def sizes(run: Sequence[Tag]) -> set[Tag]:
    """Numbers said between an article or another number and a unit: "a two liter", "the 4 pack" (a
    pack of that size), "three two liter cokes" (three of that size)."""
    return {
        tag
        for before, tag, after in zip(run, run[1:], run[2:], strict=False)
        if tag.kind == "quantity"
        and not tag.weak
        and (before.kind == "quantity" or (before.kind == "word" and before.value in ARTICLES))
        and after.kind == "unit"
        and adjacent(before, tag)
        and adjacent(tag, after)
    }


def in_names(run: Sequence[Tag], tokens: Sequence[str]) -> set[Tag]:
    """Numbers said just before a head whose name has that number and was heard without it: "2
    percent" (of "2 percent milk"), "nine vault battery" (of "9 volt battery")."""
    out = set()
    for tag, head in pairwise(run):
        if tag.kind != "quantity" or tag.weak or head.kind not in HEADS or not adjacent(tag, head):
            continue
        entity = head.candidates[0][0] if head.candidates else None
        if entity is None:
            continue
        heard = set(tokens[head.start : head.end])
        words = entity.words
        at = [k for k, w in enumerate(words) if w not in heard and _value(w) == tag.value]
        if at and any(w in heard for w in words[at[0] + 1 :]):
            out.add(tag)
    return out


def _value(word: str) -> int | None:
    parsed = parse_quantity([word])
    return parsed.value if parsed is not None and parsed.length == 1 else None


def with_packs(head: Tag, candidates: list[Candidate], catalog: Catalog) -> list[Candidate]:
    """The candidates and the other packs of the best one: products whose name has every word the
    shopper's phrase named ("double a batteries" -> "double a batteries eight pack"), one step below it."""
    entity = next((e for e, _ in head.candidates if e.kind == "product"), None)
    if entity is None or not candidates:
        return candidates
    have = {c.value for c in candidates}
    below = round(candidates[0].score - AMBIGUITY_MARGIN, 3)
    more = [
        Candidate(value=p.sku, name=p.name, score=below)
        for p in catalog.products
        if p.sku not in have and set(entity.words) <= set(stems(p.name))
    ]
    return [*candidates, *more]


def fits(product: Product | None, size: int, unit: str) -> bool:
    """Whether ``product`` comes in packs of ``size`` (a "6 pack") or holds ``size`` ``unit`` ("2 l")."""
    if product is None:
        return False
    if product.pack.amount is not None and product.pack.unit == unit:
        return holds(product, size, unit)
    return product.pack.count == size


_LANGUAGE = load()
COUNTED_PACK = 6
"""Packs of this many or more are counted in what they hold ("twelve eggs" is one dozen); a small pack
is as often counted in packs ("three matches" for three boxes of three)."""


def in_packs(product: Product, count: int) -> bool:
    """Whether ``count`` things are whole packs of ``product`` (twelve or twenty four eggs in packs of
    twelve), for a product sold by count in packs of several and named by what the pack holds ("large
    eggs"); a product named in the singular ("coin battery", a pack of two) is counted as sold."""
    per = product.pack.count
    whole = per >= COUNTED_PACK and product.pack.amount is None and count >= per and count % per == 0
    return whole and _LANGUAGE.is_plural(product.name)


UNSAID_UNIT = 50
"""A number said without a unit counts what a pack holds only when packs hold this much or more
("two hundred of swiss" in 200 g packs); below it, it counts packs."""


def in_amounts(product: Product, number: int, unit: str | None) -> int | None:
    """How many packs ``number`` is when it counts what a pack holds: "four hundred grams" (or "two
    hundred of swiss", no unit) of a product sold in packs of 200 g; None when it counts packs. With
    the unit said, an amount no count of packs holds is the nearest count ("two hundred grams" of
    packs of 150 g: one)."""
    amount = product.pack.amount
    if amount is None or amount < 2 or amount != int(amount) or (unit is not None and unit != product.pack.unit):
        return None
    if unit is None and amount < UNSAID_UNIT:
        return None  # "two cokes" of a 2 l bottle: two bottles
    whole = int(amount)
    if unit is not None:  # "two hundred grams" of 150 g packs: the nearest count, one
        return max(1, (2 * number + whole) // (2 * whole))
    return number // whole if number >= whole and number % whole == 0 else None


def holds(product: Product | None, size: int, unit: str) -> bool:
    """Whether one of ``product`` holds ``size`` ``unit`` ("6 rolls"): not a count of packs ("two packs")."""
    return product is not None and product.pack.unit == unit and product.pack.amount == size


def prefer_pack(candidates: list[Candidate], size: int, unit: str, catalog: Catalog) -> list[Candidate]:
    """The candidates of the size said first, as sure as the best candidate was, the others a
    margin below: the size was said."""
    fitting = [c for c in candidates if fits(catalog.product(c.value), size, unit)]
    if not fitting:
        return candidates
    top = candidates[0].score
    others = [c for c in candidates if c not in fitting]
    return [
        *(c.model_copy(update={"score": top}) for c in fitting),
        *(c.model_copy(update={"score": round(min(c.score, top - AMBIGUITY_MARGIN), 3)}) for c in others),
    ]
