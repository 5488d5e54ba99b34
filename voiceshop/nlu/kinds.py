"""A kind of product the shop does not have: "an iced latte" where the shop has a latte, and iced
coffee and iced mocha but no iced latte; and a kind the product's other name says ("buffalo wings",
where buffalo is a flavour of the chicken wings).

The word before the product's name is no name of its own, but other products' names start with it:
the shopper asked for that kind of the product. Taking the plain product silently would serve a hot
latte to someone who wanted it iced; the dialog says the shop does not have it and offers the product
and those of that kind.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.commerce.catalog import Catalog, OptionKind, Product
from voiceshop.nlu.align import STOP
from voiceshop.nlu.result import OptionMention
from voiceshop.nlu.tags import Tag
from voiceshop.nlu.text import find_phrases, stem, stems


def of_kind(word: str, product: Product, said: tuple[str, ...], catalog: Catalog) -> list[Product]:
    """The other products whose names start with ``word`` (said just before ``said``, the words that
    named ``product``), when no product is called ``word`` + ``said``; else none."""
    kind = stem(word)
    wanted = (kind, *(stem(w) for w in said))
    found: list[Product] = []
    for p in catalog.products:
        names = [stems(n) for n in (p.name, *p.aliases)]
        if wanted in names:
            return []  # "iced coffee" is a product: not a kind it lacks
        if p.sku != product.sku and any(len(n) > 1 and n[0] == kind for n in names):
            found.append(p)
    return found


def unsold_kind(
    head: Tag, product: Product | None, tokens: Sequence[str], covered: set[int], catalog: Catalog
) -> tuple[str, list[Product]] | None:
    """The words of a kind of ``product`` the shop does not have and the products of that kind, when
    the word just before ``head`` (no word of any tag in ``covered``) says one ("iced" in "an iced
    latte"); else None."""
    before = head.start - 1
    if product is None or before < 0 or before in covered or tokens[before] in STOP:
        return None
    kinds = of_kind(tokens[before], product, tuple(tokens[head.start : head.end]), catalog)
    return (" ".join(tokens[before : head.end]), kinds) if kinds else None


def named_choices(product: Product | None, said: Sequence[str], catalog: Catalog) -> list[OptionMention]:
    """The choices of ``product``'s one-of options that the other name it was called by (``said``,
    an alias) holds: "buffalo wings" for chicken wings with a buffalo flavour. Its own name holds
    none (whatever it says, the product is always that), nor does an add-on ("cheese pizza" is no
    extra cheese)."""
    words = stems(" ".join(said))
    if product is None or words == stems(product.name):
        return []
    found: list[OptionMention] = []
    for name in product.options:
        group = catalog.group(name)
        for choice in group.choices if group is not None and group.kind is OptionKind.ONE_OF else ():
            named = [stems(n) for n in (choice.name, *choice.aliases)]
            if find_phrases(words, tuple(n for n in named if 0 < len(n) < len(words))):
                found.append(OptionMention(group=name, choice=choice.name, text=" ".join(said)))
                break
    return found
