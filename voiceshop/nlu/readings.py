"""A tagged thing as the products or choice it names: a head's candidate products and the one to
take, a grammar slot's value, an option's readings."""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.commerce.catalog import Catalog
from voiceshop.nlu.align import HEADS, Tag
from voiceshop.nlu.result import AMBIGUITY_MARGIN, Candidate, SlotValue, Understanding

__all__ = ["amount_after", "named_by", "option_readings", "pick", "product_candidates", "slot_value"]

NARROW_SCORE = 0.6
"""Score of each product when only a brand or category was said ("some batteries")."""
MAX_NARROW = 20


def product_candidates(head: Tag, catalog: Catalog) -> list[Candidate]:
    """The products a head may name, best first, one entry per SKU."""
    best: dict[str, float] = {}
    for entity, score in head.candidates:
        if entity.kind == "product":
            best[entity.value] = max(best.get(entity.value, 0.0), score)
        elif entity.kind in ("brand", "category") and not any(e.kind == "product" for e, _ in head.candidates):
            for p in catalog.products:
                if (p.brand if entity.kind == "brand" else p.category) == entity.value:
                    best.setdefault(p.sku, NARROW_SCORE * score)
    out = []
    for sku, score in sorted(best.items(), key=lambda kv: -kv[1])[:MAX_NARROW]:
        product = catalog.product(sku)
        out.append(Candidate(value=sku, name=product.name if product else sku, score=round(score, 3)))
    return out


def pick(candidates: Sequence[Candidate]) -> Candidate | None:
    """The one candidate, or None when the first two are too close to choose between."""
    if not candidates:
        return None
    if len(candidates) > 1 and candidates[0].score - candidates[1].score < AMBIGUITY_MARGIN:
        return None
    return candidates[0]


def slot_value(kind: str, tag: Tag, said: str, catalog: Catalog) -> SlotValue:
    """A grammar slot of list ``kind`` filled by ``tag``: a product (or the products it may be), an
    option choice, a category or brand, or the list's own value."""
    if kind == "product":
        candidates = tuple(product_candidates(tag, catalog)) if tag.kind in HEADS else ()
        chosen = pick(candidates)
        return SlotValue(value=chosen.value if chosen else None, text=said, score=tag.score, candidates=candidates)
    if kind == "option" and tag.kind == "option":
        options = sorted((e for e, _ in tag.candidates if e.kind == "option"), key=lambda e: not e.exact_name)
        candidates = tuple(
            Candidate(value=e.value, name=e.value.split(":", 1)[1], score=round(tag.score, 3))
            for e in dict((e.value, e) for e in options).values()
        )
        return SlotValue(value=options[0].value, text=said, score=tag.score, candidates=candidates)
    if tag.kind == kind or (kind in ("category", "brand") and tag.kind in HEADS):
        return SlotValue(value=tag.value, text=said, score=tag.score)
    return SlotValue(value=None, text=said, score=0.0)


def option_readings(slot: SlotValue) -> tuple[str, ...]:
    """An option slot's "group:choice" readings, best first."""
    found = [str(slot.value)] if slot.value else []
    return tuple(dict.fromkeys([*found, *(c.value for c in slot.candidates)]))


def said_readings(u: Understanding) -> tuple[tuple[str, ...], ...]:
    """The readings of each option a turn says: those it heard one by one ("with egg and sweetcorn"),
    else its option slot's."""
    slot = u.slots.get("option")
    return u.options or ((option_readings(slot),) if slot is not None else ())


def named_by(tags: Sequence[Tag]) -> Tag:
    """The tag of a slot's symbol that names what fills it: the last, but not an amount said after
    its option ("jalapenos, a little")."""
    return next((t for t in reversed(tags) if t.kind != "amount"), tags[-1])


def amount_after(tags: Sequence[Tag], k: int) -> bool:
    """Whether ``tags[k]`` is an option with its amount said after it ("with milk, a little"): an
    amount follows it and no option follows that."""
    if tags[k].kind != "option" or k + 1 >= len(tags) or tags[k + 1].kind != "amount":
        return False
    return k + 2 >= len(tags) or tags[k + 2].kind != "option"
