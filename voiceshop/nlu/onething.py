"""One thing said two ways is one item: a kind and one product of it ("a CR2032 battery"), or a product
and what sets one kind of it apart ("rice, the basmati")."""

from __future__ import annotations

from voiceshop.commerce.catalog import Catalog
from voiceshop.nlu.align import STOP
from voiceshop.nlu.result import ItemMention
from voiceshop.nlu.text import stem

__all__ = ["one_thing"]


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
    out: list[ItemMention] = []
    kept: list[tuple[int, int]] = []
    for item, span, count_first in zip(items, spans, counted, strict=True):
        if out and not any(kept[-1][1] <= b < span[0] for b in breaks):
            before = out[-1]
            vague, named = (before, item) if before.sku is None else (item, before)
            kind = vague.sku is None and named.sku is not None and named.sku in {c.value for c in vague.candidates}
            # "rice, the basmati": a second product that only narrows the first, said without a count
            # of its own before it ("two cokes, one diet" are two)
            if not kind and not count_first and _narrows(before, item, catalog):
                kind, vague, named = True, before, item
            if kind:
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
