"""What the product an item's head names takes: its option groups, its pack's unit, its choices said
as products ("a reuben with swiss": the cheese, not the deli's block of it)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from voiceshop.commerce.catalog import Catalog, Product
from voiceshop.language import load
from voiceshop.nlu.align import Tag
from voiceshop.nlu.lexicon import Entity
from voiceshop.nlu.readings import product_candidates
from voiceshop.nlu.text import stem

_LANGUAGE = load()
PLAIN = _LANGUAGE.function_words("plain")


def group_of(tag: Tag) -> str:
    return str(tag.value).split(":", 1)[0]


def names_varieties(tag: Tag, catalog: Catalog) -> bool:
    """Whether the option ``tag`` reads as is a bare name that several choices of its group end in
    ("milk" of "soy milk" and "almond milk"), so that a word said before it names a variety."""
    entity = next((e for e, _ in tag.candidates if e.kind == "option"), None)
    group = catalog.group(group_of(tag))
    if entity is None or group is None or len(entity.words) != 1:
        return False
    named = [_LANGUAGE.words(c.name) for c in group.choices]
    return sum(len(w) > 1 and stem(w[-1]) == entity.words[0] for w in named) >= 2


def names_kind(tag: Tag, catalog: Catalog) -> bool:
    """Whether the option ``tag`` is one of several choices of its group whose names end in the same
    word ("almond milk" of "soy milk" and "almond milk"), so that a word said before it may name
    another of them."""
    group = catalog.group(group_of(tag))
    choice = str(tag.value).partition(":")[2]
    if group is None or group.max_choices > 1:
        return False
    last = [stem(w[-1]) for w in (_LANGUAGE.words(c.name) for c in group.choices) if len(w) > 1]
    said = _LANGUAGE.words(choice)
    return len(said) > 1 and last.count(stem(said[-1])) >= 2


def varieties(tags: Sequence[Tag], tokens: Sequence[str], strange: Collection[int], catalog: Catalog) -> frozenset[int]:
    """Where options start that a word not known before them makes a variety the shop does not have
    ("oat milk")."""
    return frozenset(t.start for t in tags if names_variety(t, tokens, strange, catalog))


def names_variety(tag: Tag, tokens: Sequence[str], strange: Collection[int], catalog: Catalog) -> bool:
    """Whether the option ``tag`` is a bare name said after a word not known that makes it a variety
    ("oat milk"), not after a word for the plain one ("normal milk")."""
    before = tag.start - 1
    return tag.kind == "option" and before in strange and tokens[before] not in PLAIN and names_varieties(tag, catalog)


def as_choice(tag: Tag, head: Tag, said: Sequence[str], catalog: Catalog) -> Tag:
    """A product said after "with" or "on" an item (or after "and" another of its choices, or before
    "instead of") that is also a choice the item takes, as well heard: that choice ("a reuben with
    swiss and cheddar"), or a choice said with its group's name ("with bbq sauce", the sauce "bbq")."""
    product = product_of(head, catalog)
    if product is None:
        return tag
    for entity, score in tag.candidates:
        taken = str(entity.value).partition(":")[0]
        if entity.kind == "option" and taken in product.options and score >= tag.score:
            return replace(tag, kind="option", value=entity.value, candidates=((entity, score),))
    stems = [stem(w) for w in said]
    for group in catalog.groups_for(product):
        named = [stem(w) for w in _LANGUAGE.words(group.name)]
        for choice in group.choices:
            for name in (choice.name, *choice.aliases):
                if stems == [stem(w) for w in _LANGUAGE.words(name)] + named:
                    value = f"{group.name}:{choice.name}"
                    entity = Entity("option", value, tuple(stems), " ".join(said), False)
                    return replace(tag, kind="option", value=value, candidates=((entity, tag.score),))
    return tag


def product_of(head: Tag, catalog: Catalog) -> Product | None:
    """The product ``head`` names best."""
    candidates = product_candidates(head, catalog)
    return catalog.product(candidates[0].value) if candidates else None


def takes(head: Tag, option: Tag, catalog: Catalog) -> bool:
    """Whether the product ``head`` names best takes the group of ``option``."""
    product = product_of(head, catalog)
    return product is not None and group_of(option) in product.options


def comes_in(head: Tag, unit: Tag, catalog: Catalog) -> bool:
    """Whether the product ``head`` names best is sold in ``unit`` (a "1 lb" pack in pounds)."""
    product = product_of(head, catalog)
    if product is None:
        return False
    said = str(unit.value)
    return product.pack.unit == said or (said == "pack" and product.pack.count > 1)


def as_sibling(tag: Tag, head: Tag, tokens: Sequence[str], catalog: Catalog) -> Tag:
    """A choice the item before does not take, said with a count after it, that names another product
    with that item's last word: "two chocolate croissants and one plain" is a plain croissant."""
    product = product_of(head, catalog)
    if product is None or tag.kind != "option" or group_of(tag) in product.options:
        return tag
    said = [stem(w) for w in (*tokens[tag.start : tag.end], tokens[head.end - 1])]
    for other in catalog.products:
        if other.sku != product.sku and any(
            said == [stem(w) for w in _LANGUAGE.words(n)] for n in (other.name, *other.aliases)
        ):
            entity = Entity("product", other.sku, tuple(said), " ".join(tokens[tag.start : tag.end]), False)
            return replace(tag, kind="product", value=other.sku, candidates=((entity, tag.score),))
    return tag
