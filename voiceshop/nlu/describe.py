"""A product named by what it is like: "the one with the prawns and calamari, medium", "the creamy one
with almonds and coconut". The words said that name nothing else are looked up among each product's
names, tags and description; the product that has nearly all of them, and more of them than any
other, is the one meant. Its choices and count are taken from what else was said.

Only where the turn names no product at all (or opens "the one with ..."): a name said outright always
wins over a description.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.commerce.catalog import Catalog, Product
from voiceshop.language import load
from voiceshop.nlu.align import Tag
from voiceshop.nlu.heads import group_of
from voiceshop.nlu.onething import known_words
from voiceshop.nlu.result import ItemMention, OptionMention, Understanding
from voiceshop.nlu.text import stem

_LANGUAGE = load()
STOP = _LANGUAGE.function_words("stop")
UNDESCRIBING = _LANGUAGE.function_words("undescribing")
REFER_OPEN = _LANGUAGE.function_words("refer_open")
REFER_ONE = _LANGUAGE.function_words("refer_one")
ASKS = _LANGUAGE.function_words("asks")
WITH = _LANGUAGE.function_words("option_with")
ORDERING = frozenset(("AddItems", "ChangeOption"))
"""What a description is read instead of: a turn read as an order or a choice with no product named,
or not read at all."""
MIN_MATCHED = 2
"""Words of the description the product must have."""
MIN_SHARE = 0.75
"""Of the words said that describe (and the choices said), how many the product must have (take)."""
PREFIX = 5
"""Letters two words must share to be one ("creamy" and "cream", "chocolatey" and "chocolate")."""
CONFIDENCE = 0.9
MAX_CACHED = 20_000
"""Products whose words are kept at most (a shop's catalog is read again after each change)."""


def described(found: Understanding, tokens: Sequence[str], tags: Sequence[Tag], catalog: Catalog) -> Understanding:
    """``found``, or an order for the one product the turn's words describe."""
    opens = len(tokens) > 2 and tokens[0] in REFER_OPEN and tokens[1] in REFER_ONE and tokens[2] in WITH
    named = any(i.sku or i.candidates for i in found.items) or "product" in found.slots
    if (tokens and tokens[0] in ASKS) or (found.intent is not None and found.intent not in ORDERING):
        return found
    if named and not opens:
        return found
    kind = {k: t for t in tags for k in range(t.start, t.end)}
    best: list[tuple[float, int, Product]] = []
    for product in catalog.products:
        if product.stock == 0:
            continue
        said, choices, taken = _describing(tokens, kind, product)
        known = _known_words(product)
        matched = sum(_known(w, known) for w in said)
        share = (matched + taken) / (len(said) + choices) if said else 0.0
        if matched >= MIN_MATCHED and share >= MIN_SHARE:
            best.append((share, matched, product))
    best.sort(key=lambda b: (-b[0], -b[1]))
    if not best or (len(best) > 1 and best[1][:2] == best[0][:2]):
        return found
    share, _, product = best[0]
    item = ItemMention(
        sku=product.sku,
        name=product.name,
        quantity=_count(tags, tokens),
        quantity_said=False,
        options=_choices(tags, tokens, product),
        text=" ".join(tokens),
        score=round(CONFIDENCE * share, 3),
    )
    return Understanding(text=found.text, intent="AddItems", confidence=round(CONFIDENCE * share, 3), items=(item,))


def _describing(tokens: Sequence[str], kind: dict[int, Tag], product: Product) -> tuple[list[str], int, int]:
    """The words said that may describe ``product`` (not small words, counts, units, amounts or
    choices), how many choices were said, and how many of them it takes (each a word for it)."""
    said, choices, taken = [], 0, 0
    for k, word in enumerate(tokens):
        t = kind.get(k)
        if t is not None and t.kind == "option":
            choices += t.start == k
            taken += t.start == k and group_of(t) in product.options
        elif (
            word not in STOP
            and word not in UNDESCRIBING
            and (t is None or t.kind not in ("quantity", "unit", "amount"))
        ):
            said.append(word)
    return said, choices, taken


_KNOWN: dict[int, tuple[Product, set[str]]] = {}
"""Each product's words, by the product object (a catalog lives as long as its understander)."""


def _known_words(product: Product) -> set[str]:
    cached = _KNOWN.get(id(product))
    if cached is None or cached[0] is not product:
        if len(_KNOWN) >= MAX_CACHED:  # shops reloaded many times: start again
            _KNOWN.clear()
        cached = _KNOWN[id(product)] = (product, known_words(product, description=True))
    return cached[1]


def _known(word: str, known: set[str]) -> bool:
    said = stem(word)
    if said in known:
        return True
    return len(said) >= PREFIX and any(k[:PREFIX] == said[:PREFIX] for k in known if len(k) >= PREFIX)


def _count(tags: Sequence[Tag], tokens: Sequence[str]) -> int:
    """The count said, not the "one" of "the one with"."""
    counts = [t for t in tags if t.kind == "quantity" and not t.weak and tokens[t.start] not in REFER_ONE]
    return int(counts[0].value) if counts else 1


def _choices(tags: Sequence[Tag], tokens: Sequence[str], product: Product) -> tuple[OptionMention, ...]:
    """The choices said that ``product`` takes, one per group."""
    chosen: dict[str, OptionMention] = {}
    for t in tags:
        if t.kind != "option":
            continue
        for entity, _ in t.candidates:
            group, _, choice = str(entity.value).partition(":")
            if entity.kind == "option" and group in product.options:
                text = " ".join(tokens[t.start : t.end])
                chosen.setdefault(group, OptionMention(group=group, choice=choice, text=text))
                break
    return tuple(chosen.values())
