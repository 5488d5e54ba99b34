"""One thing said two ways is one item: a kind and one product of it ("a CR2032 battery"), a product
and what sets one kind of it apart ("rice, the basmati"), or a kind and a word only one product of
that kind is known by ("a bag of chips, the potato ones"). A count of a kind followed by as many
products of it is a heading, not an item ("two large pizzas, a pumpkin and feta and an aussie")."""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.commerce.catalog import Catalog, Product
from voiceshop.nlu.align import STOP
from voiceshop.nlu.result import ItemMention
from voiceshop.nlu.text import stem

__all__ = ["known_by", "known_words", "one_thing"]


def one_thing(
    items: list[ItemMention],
    spans: list[tuple[int, int]],
    counted: list[bool],
    breaks: list[int],
    catalog: Catalog,
) -> list[ItemMention]:
    """A kind said and, with no "and" between, one product of it: one item, the product ("a battery
    for my car key, a CR2032", "a CR2032 battery", "rice, the basmati", "butter, unsalted"). The
    first one's count stays when only it had one. ``spans``: the words each item covers; ``counted``:
    whether a count was said before its name; ``breaks``: where a separator ("and") was said."""
    items, spans, counted = _headed(items, spans, counted, catalog)
    out: list[ItemMention] = []
    kept: list[tuple[int, int]] = []
    for item, span, count_first in zip(items, spans, counted, strict=True):
        if out and not any(kept[-1][1] <= b < span[0] for b in breaks):
            before = out[-1]
            vague, named = (before, item) if before.sku is None else (item, before)
            kind = vague.sku is None and named.sku is not None and named.sku in {c.value for c in vague.candidates}
            if item.sku is not None and item.sku == before.sku and not item.quantity_said and not item.options:
                kept[-1] = (kept[-1][0], span[1])  # "basmati rice, tilda": the brand names it again
                continue
            if not kind and before.sku is None and not count_first and (only := _known_by(before, item, catalog)):
                picked = tuple(c for c in before.candidates if c.value == only)
                kind, vague, named = True, before, item.model_copy(update={"sku": only, "candidates": picked})
            # "rice, the basmati": a second product that only narrows the first, said without a count
            # of its own before it ("two cokes, one diet" are two)
            if not kind and not count_first and _narrows(before, item, catalog):
                kind, vague, named = True, before, item
            if kind:
                taken = tuple(o for o in vague.options if _takes(named, o.group, catalog))
                if taken:  # "a large pizza, the aussie": large
                    named = named.model_copy(update={"options": (*named.options, *taken)})
                if vague.quantity_said and not named.quantity_said:
                    unit = named.unit or vague.unit
                    named = named.model_copy(update={"quantity": vague.quantity, "quantity_said": True, "unit": unit})
                out[-1], kept[-1] = named, (kept[-1][0], span[1])
                continue
        out.append(item)
        kept.append(span)
    return out


def _narrows(before: ItemMention, item: ItemMention, catalog: Catalog) -> bool:
    """Whether ``item`` names, by what sets it apart only, one kind of the product said just before:
    "basmati" after "rice" is the basmati rice."""
    product = catalog.product(item.sku) if item.sku else None
    if product is None or before.sku is None or before.sku == item.sku:
        return False
    first = catalog.product(before.sku)
    named = {stem(w) for n in (first.name, *first.aliases) for w in n.lower().split()} if first else set()
    said = {stem(w) for w in before.text.split()} & named - STOP  # "bags of rice": "rice"
    mine = {stem(w) for w in item.text.split()}
    names = (product.name, *product.aliases)
    # one name holds both what was said before and what is said now: "basmati" and "rice"
    both = said | mine
    return bool(said) and not said & mine and any(both <= {stem(w) for w in n.lower().split()} for n in names)


def _known_by(vague: ItemMention, item: ItemMention, catalog: Catalog) -> str | None:
    """The one product of ``vague``'s candidates known by every word ``item`` was heard in, when
    ``item`` names another product ("chips, the potato ones": potato chips, not the potatoes)."""
    if item.sku is None:
        return None
    return known_by(item.text, [c.value for c in vague.candidates], catalog, description=False)


def known_by(said: str, skus: Sequence[str], catalog: Catalog, *, description: bool) -> str | None:
    """The one of ``skus`` known by every word of ``said`` (small words apart), or None."""
    heard = {stem(w) for w in said.lower().split()} - STOP
    fits = [
        sku
        for sku in skus
        if (product := catalog.product(sku)) is not None and heard <= known_words(product, description=description)
    ]
    return fits[0] if heard and len(fits) == 1 else None


def known_words(product: Product, *, description: bool) -> set[str]:
    """Every word (stemmed) ``product`` is known by: its name, aliases, brand and tags, and with
    ``description`` its description's."""
    text = " ".join((product.name, *product.aliases, product.brand or "", *product.tags))
    if description:
        text += " " + product.description
    return {stem(w) for w in text.lower().replace(",", " ").split()}


def _headed(
    items: list[ItemMention], spans: list[tuple[int, int]], counted: list[bool], catalog: Catalog
) -> tuple[list[ItemMention], list[tuple[int, int]], list[bool]]:
    """The items without a heading: "two large pizzas" followed by products of that kind whose
    counts add up to two gives each of them its options (where they chose none of that group)."""
    for i, head in enumerate(items):
        kinds = {c.value for c in head.candidates}
        if head.sku is not None or not head.quantity_said or head.quantity < 2 or head.refused:
            continue
        total, k = 0, i + 1
        while k < len(items) and total < head.quantity and items[k].sku in kinds and not items[k].refused:
            total += items[k].quantity
            k += 1
        if total != head.quantity or k - i < 3:
            continue
        listed = [
            m.model_copy(update={"options": (*m.options, *(o for o in head.options if _takes(m, o.group, catalog)))})
            for m in items[i + 1 : k]
        ]
        return (
            [*items[:i], *listed, *items[k:]],
            [*spans[:i], *spans[i + 1 :]],
            [*counted[:i], *counted[i + 1 :]],
        )
    return items, spans, counted


def _takes(item: ItemMention, group: str, catalog: Catalog) -> bool:
    product = catalog.product(item.sku) if item.sku else None
    return product is not None and group in product.options and all(o.group != group for o in item.options)
