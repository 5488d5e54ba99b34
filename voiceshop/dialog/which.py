"""Which product, by the words that describe it: "the pork one" at "which ramen?".

When the answer to "which one?" names no choice outright, the words an item was heard in may still
say which: every one of them is a word of exactly one choice's name, aliases, brand, tags or
description ("pork": the tonkotsu, also called pork ramen; "the potato ones": the potato chips, not
the frozen french fries). An item said with a count ("a pork bao") is a new request, not an answer.
So at "what size mocha?", "wait no, the iced one" turns the mocha into the iced mocha.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from voiceshop.commerce.catalog import Product
from voiceshop.dialog import alongside
from voiceshop.dialog.context import Context
from voiceshop.dialog.speak import say_list, speakable
from voiceshop.dialog.state import Choice
from voiceshop.language import load
from voiceshop.nlu.align import STOP
from voiceshop.nlu.numbers import MAX_QUANTITY
from voiceshop.nlu.onething import known_by, known_words
from voiceshop.nlu.readings import said_readings
from voiceshop.nlu.result import Candidate, ItemMention, OptionMention, Understanding
from voiceshop.nlu.text import stem, stems, words

_LANGUAGE = load()
REFER_OPEN = _LANGUAGE.function_words("refer_open")
REFER_ONE = _LANGUAGE.function_words("refer_one")
FEW = 4
"""At most this many products to ask between when only choices were said ("which egg noodles one?")."""
SURE = 0.85
"""How sure a turn of choices alone must be to add the one product that takes them all."""
ACCEPT = 85
"""How alike (0-100) words must be to a choice's name to choose it when it is not said word for word."""

__all__ = ["by_choices", "described", "described_anew", "match_choice", "of_its_kind", "recount", "variant"]


def recount(u: Understanding, offered: set[str], have: int) -> int | None:
    """The new count (not ``have``) a change of quantity gives the item asked about, one of the
    products ``offered`` ("make it four bags of chips" or "make it four" at "which chips?", "make it
    two" at "what size latte?"), when it names nothing else."""
    if u.intent != "ChangeQuantity" or u.slot("change") or len(u.items) > 1:
        return None
    count = u.slot("quantity")
    if u.items:
        m = u.items[0]
        named = {m.sku} if m.sku else {c.value for c in m.candidates}
        count = m.quantity if m.quantity_said and named and named <= offered and not m.options else None
    elif u.slot("product"):
        return None
    return count if isinstance(count, int) and 0 < count != have else None


def of_its_kind(u: Understanding, asked: str, ctx: Context) -> Choice | None:
    """The one product ``u`` names whose names have the word the shopper asked for it by, though it
    was not offered: "the tortilla chips, three bags" at "which chips: potato chips or french fries?"."""
    named = [m for m in u.items if m.sku and not m.refused]
    head = [stem(w) for w in words(asked) if w not in STOP][-1:]
    product = ctx.catalog.product(named[0].sku or "") if len(named) == 1 else None
    if product is None or not head:
        return None
    names = {stem(w) for n in (product.name, *product.aliases) for w in words(n)}
    return Choice(value=product.sku, name=product.name) if head[0] in names else None


def described(u: Understanding, choices: Sequence[Choice], ctx: Context) -> Choice | None:
    """The one product choice whose words hold every word of the one item ``u`` heard without a count,
    or with no item heard, every word said but "one" ("the chicken ones" at "which noodles?")."""
    if len(u.items) > 1 or (u.items and u.items[0].quantity_said):
        return None
    said = u.items[0].text if u.items else " ".join(w for w in words(u.text) if w not in REFER_ONE)
    sku = known_by(said, [c.value for c in choices], ctx.catalog, description=True)
    return next((c for c in choices if c.value == sku), None)


def variant(u: Understanding, sku: str | None, ctx: Context) -> str | None:
    """The product a turn naming no item turns ``sku`` into ("wait no, the iced one" at "what size
    mocha?": the iced mocha): the one other product known by every word of ``sku``'s name and by a
    word said that ``sku`` is not known by."""
    product = ctx.catalog.product(sku) if sku else None
    if product is None or u.items:
        return None
    own = known_words(product, description=False)
    name = {stem(w) for w in words(product.name)} - STOP
    said = {stem(w) for w in words(u.text)} - own - STOP
    fits = [
        p.sku
        for p in ctx.catalog.products
        if p.sku != sku and name <= (known := known_words(p, description=False)) and not said.isdisjoint(known)
    ]
    return fits[0] if len(fits) == 1 else None


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The one choice the words name, or None when none (or several equally) fit."""
    said = words(text)
    if not said:
        return None
    joined = " ".join(said)
    scored: list[tuple[float, Choice]] = []
    for choice in choices:
        best = 0.0
        for phrase in (choice.name, *choice.aliases):
            pw = words(phrase)
            if not pw:
                continue
            # a choice named word for word beats any near spelling; the longer phrase is more specific;
            # the words said may also be part of one choice's name only ("triple a" of "triple a batteries")
            if _contains(said, pw):
                fit = 100.0 + len(pw)
            elif len(pw) > len(said) and _contains(pw, said):
                fit = float(ACCEPT + len(said))
            else:
                fit = fuzz.ratio(joined, " ".join(pw))
            best = max(best, fit)
        scored.append((best, choice))
    scored.sort(key=lambda sc: -sc[0])
    if not scored or scored[0][0] < ACCEPT:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def _contains(said: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(list(said[i : i + n]) == list(phrase) for i in range(len(said) - n + 1))


def described_anew(u: Understanding, ctx: Context) -> ItemMention | None:
    """The one product the words of "the ... one" describe, by its names or its description ("the
    purple one": the taro milk tea), with the choices said that it takes, where nothing is in the cart
    for them to point at."""
    said = words(u.text)
    start = next((k for k, w in enumerate(said) if w in REFER_OPEN), None)
    end = next((k for k, w in enumerate(said) if w in REFER_ONE and start is not None and k > start + 1), None)
    if start is None or end is None:
        return None
    skus = [p.sku for p in ctx.catalog.products if p.stock != 0]
    sku = known_by(" ".join(said[start + 1 : end]), skus, ctx.catalog, description=True)
    product = ctx.catalog.product(sku) if sku else None
    if product is None:
        return None
    return ItemMention(sku=product.sku, quantity=1, options=_taken(product, u), text=u.text, score=u.confidence)


def by_choices(u: Understanding, ctx: Context) -> ItemMention | None:
    """What choices said alone ask for where nothing is in the cart for them: the product named after
    the group of one it must choose ("a large cod in gluten free batter" at a fish and chip shop,
    whose product "fish" must be told which fish), else the products that take every one of them,
    to choose from ("i want noodles": which of the dishes with egg noodles); None when none does, or
    too many to ask about."""
    said = [r for k, r in enumerate(said_readings(u)) if not (k < len(u.refusals) and u.refusals[k])]
    if not said:
        return None
    count = u.slot("quantity")
    quantity = count if isinstance(count, int) and 0 < count <= MAX_QUANTITY else 1
    stocked = [p for p in ctx.catalog.products if p.stock != 0]
    named = {
        p
        for heard in said
        for group in (ctx.catalog.group(r.partition(":")[0]) for r in heard)
        if group is not None and group.required
        for p in stocked
        if group.name in p.options and stems(p.name) == stems(group.name)
    }
    taking = [p for p in stocked if all(alongside.reading_for(p, heard) for heard in said)]
    fits = list(named) if len(named) == 1 else taking
    # of the products that take them, only a short list to ask from, or one when the turn was clear
    if not fits or (fits is taking and (len(fits) > FEW or (len(fits) == 1 and u.confidence < SURE))):
        return None
    options = _taken(fits[0], u)
    if len(fits) == 1:
        return ItemMention(sku=fits[0].sku, quantity=quantity, options=options, text=u.text, score=u.confidence)
    what = ctx.replies("described_one", options=say_list([speakable(o.choice) for o in options]))
    candidates = tuple(Candidate(value=p.sku, name=p.name, score=u.confidence) for p in fits)
    score = u.confidence
    return ItemMention(sku=None, quantity=quantity, options=options, text=what, score=score, candidates=candidates)


def _taken(product: Product, u: Understanding) -> tuple[OptionMention, ...]:
    """The choices said in ``u`` that ``product`` takes, with their amounts."""
    options = []
    for k, heard in enumerate(said_readings(u)):
        taken = alongside.reading_for(product, heard)
        if taken is not None:
            group, _, choice = taken.partition(":")
            amount = u.amounts[k] if k < len(u.amounts) else None
            options.append(OptionMention(group=group, choice=choice, amount=amount, text=choice))
    return tuple(options)
