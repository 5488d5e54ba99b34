"""Reading a stretch of tagged words as order items: "two large lattes with soy milk and a croissant".

An item is a head (a product, or a brand or category that still has to be narrowed down) with the
quantity, unit and options said around it. Options before a head belong to it; options after a head
belong to it until "and" or a new quantity starts the next item; options and a quantity left at the
end ("... and sugar", "milk, two gallons") belong to the last item; "two lattes, one with soy, one
with almond" is two items. After a correction ("no", "sorry", "i mean") the later value replaces the
earlier one (a product, a quantity, an option of the same group, an amount); after a negation ("no",
"without") an option is refused. Options are then checked against the product's option groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from voiceshop.commerce.catalog import Catalog, OptionKind, Product
from voiceshop.language import load
from voiceshop.nlu.align import HEADS, STOP, Tag
from voiceshop.nlu.heads import as_choice, comes_in, group_of, names_variety, takes
from voiceshop.nlu.kinds import named_choices, unsold_kind
from voiceshop.nlu.onething import one_thing
from voiceshop.nlu.packs import fits, holds, in_amounts, in_names, in_packs, prefer_pack, sizes, with_packs
from voiceshop.nlu.readings import amount_after, pick, product_candidates
from voiceshop.nlu.result import Candidate, ItemMention, OptionMention
from voiceshop.nlu.text import stem

ITEM_KINDS = frozenset(("quantity", "unit", "option", "amount", *HEADS))
_LANGUAGE = load()
CONNECTORS = _LANGUAGE.function_words("connectors")
SEPARATORS = _LANGUAGE.function_words("separators")
PURPOSE = _LANGUAGE.function_words("purpose")
EVERY = _LANGUAGE.function_words("every")
OPTION_WITH = _LANGUAGE.function_words("option_with")
OPTION_LINKS = _LANGUAGE.function_words("option_links")
ONE = _LANGUAGE.function_words("refer_one")
INSTEAD = next(iter(_LANGUAGE.function_words("instead")))


@dataclass(frozen=True)
class Marks:
    """Where the shopper takes back what was said ("no", "i mean") or refuses an option ("without")."""

    corrections: frozenset[int] = frozenset()
    """Token positions where a correction phrase starts."""
    negations: frozenset[int] = frozenset()
    """Token positions where a negation phrase starts."""
    covered: frozenset[int] = frozenset()
    """Every token position inside either kind of phrase."""
    strange: frozenset[int] = frozenset()
    """Token positions of words that, as said, name nothing of the shop or the grammar ("oat", only
    near "at")."""


@dataclass
class _Draft:
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


def is_item_tag(tag: Tag) -> bool:
    return tag.kind in ITEM_KINDS


def build_items(
    run: Sequence[Tag],
    tokens: Sequence[str],
    catalog: Catalog,
    units: Mapping[tuple[str, ...], str],
    marks: Marks | None = None,
) -> list[ItemMention]:
    marks = marks or Marks()
    drafts: list[_Draft] = []
    cur = _Draft()
    pending = _Draft()  # said after a head, before the next head: belongs to whichever it turns out to be
    amount: Tag | None = None
    separated = False
    corrected = negated = refusing = False
    breaks = [t.start for t in run if t.kind == "word" and t.value in SEPARATORS]
    sized, named = sizes(run), in_names(run, tokens)
    covered = {k for t in run for k in range(t.start, t.end)}
    articles = {  # "with an egg": the option's article
        i
        for i in range(1, len(run) - 1)
        if run[i].kind == "quantity"
        and run[i].weak
        and run[i + 1].kind in ("option", "amount")
        and run[i - 1].kind == "word"
        and run[i - 1].value in OPTION_WITH
    }
    if run and run[0].start - 1 in marks.covered:
        # The words just before the run may refuse its first item: "not the bagel, the croissant".
        # The last mark among them decides: "no, three lattes" corrects, "no wait, not the bagel" refuses.
        just_before = range(max(0, run[0].start - 3), run[0].start)
        marked = [
            k in marks.negations and k not in marks.corrections
            for k in just_before
            if k in marks.negations or k in marks.corrections
        ]
        negated = bool(marked) and marked[-1]

    def split_off() -> None:
        """ "two lattes, one with soy, one with almond": a quantity with options and no head of its own
        is a part of the item before, with that item's options and its own."""
        nonlocal pending
        whole = cur.number
        part = pending.number
        if cur.head is None or whole is None or part is None or part > whole or not pending.options or pending.corrects:
            return  # "a dozen wings, actually just one serve, honey soy": a new count, not a share
        if part == whole:  # the last share ("... one with almond"): the rest of the item has its options
            cur.options += pending.options
            cur.tags += pending.tags
            pending = _Draft()
            return
        options, said = [*cur.options, *pending.options], [*cur.tags, *pending.tags]
        drafts.append(_Draft(cur.head, pending.quantity, None, cur.unit, options, said))
        cur.count = whole - part
        pending = _Draft()

    def counts_back(nxt: Tag | None) -> bool:
        """Whether the quantity waiting counts the item before ("toilet paper, two packs, and trash
        bags", "ground beef, two pounds, tortillas"): said before "and", or in the unit the item
        before comes in and the next one does not."""
        if cur.head is None or pending.quantity is None or pending.options:
            return False
        if cur.quantity is not None and not cur.quantity.weak:
            return False
        if nxt is None:
            return True
        unit = pending.unit
        return unit is not None and comes_in(cur.head, unit, catalog) and not comes_in(nxt, unit, catalog)

    def take_back() -> None:
        nonlocal pending
        assert pending.quantity is not None
        cur.quantity, cur.count = pending.quantity, None
        cur.unit = pending.unit or cur.unit
        cur.tags += pending.tags
        pending = _Draft()

    for index, tag in enumerate(run):
        if index in articles:
            continue
        if names_variety(tag, tokens, marks.strange, catalog):
            tag = replace(tag, start=tag.start - 1, variety=True)  # "oat milk": a milk the shop does not have
        if tag.kind == "product" and cur.head is not None and pending.quantity is None:
            linked = tag.start > 0 and tokens[tag.start - 1] in OPTION_LINKS
            also = bool(cur.options) and cur.options[-1][0].end == tag.start - 1 and tokens[tag.start - 1] in SEPARATORS
            instead = tokens[tag.end : tag.end + 1] == [INSTEAD]  # "bbq sauce instead of tomato"
            tag = as_choice(tag, cur.head, tokens[tag.start : tag.end], catalog) if linked or also or instead else tag
        if tag.kind == "word":
            if tag.value in SEPARATORS and counts_back(None):
                take_back()
            separated = separated or tag.value in SEPARATORS
            corrected = corrected or tag.start in marks.corrections
            negated = negated or tag.start in marks.negations
            if tag.start in marks.negations or tag.start in marks.corrections:  # "no, not cheerios": refused
                refusing = tag.start not in marks.corrections
            continue
        if tag.kind in HEADS and cur.head is not None and not separated and _purpose(tag, run, tokens, covered):
            continue  # "d batteries for the big flashlight": what they are for
        if tag.kind in HEADS:
            before = cur.head
            if before is not None:
                if (corrected or pending.corrects) and not separated:  # "cheerios, sorry, corn flakes"
                    cur = _Draft(quantity=cur.quantity, count=cur.count, unit=cur.unit)
                elif tag.value == before.value and not separated and not _conflict(cur.options, pending.options):
                    cur.head = None  # "a latte, i guess, yeah, a latte": said again, not a second one
                else:
                    if counts_back(tag):
                        take_back()
                    # "a large latte with skim milk and a double shot plus a muffin": options the
                    # next head does not take and this one does are this one's
                    mine = [(t, a) for t, a in pending.options if takes(before, t, catalog) > takes(tag, t, catalog)]
                    article = pending.quantity is None or pending.quantity.weak
                    if mine and len(mine) == len(pending.options) and article:
                        cur.options += mine
                        cur.tags += [t for t in pending.tags if t is not pending.quantity]
                        pending = _Draft()
                    # "two lattes, one with soy, and a muffin" splits; in "four large lattes, three
                    # medium americanos" the quantity and size lead straight into their own head.
                    if pending.tags and any(max(t.end for t in pending.tags) <= b < tag.start for b in breaks):
                        split_off()
                    if cur.count != 0:
                        drafts.append(cur)
                    cur = _Draft()
            cur.head = tag
            cur.refused = negated and (not corrected or refusing)  # "not the bagel"; "no, three lattes" corrects
            if pending.quantity is not None:
                cur.quantity, cur.count = pending.quantity, None
            cur.unit = pending.unit or cur.unit
            cur.options += pending.options
            cur.tags += [*pending.tags, tag]
            pending = _Draft()
            separated = corrected = negated = False
        elif tag.kind == "amount":
            said = pending if pending.options else cur
            if index and amount_after(run, index - 1) and said.options and said.options[-1] == (run[index - 1], None):
                said.options[-1] = (run[index - 1], tag)  # "with milk, a little": the amount said after it
                continue
            if amount is None or amount.end != tag.start:  # "a bit of extra cheese": a bit of
                amount = tag
            continue
        elif tag.kind == "option":
            group = group_of(tag)
            same = [(t, a) for t, a in cur.options if group_of(t) == group]
            several = (g := catalog.group(group)) is not None and g.max_choices > 1
            if corrected and same and not (several and negated):
                # "oat milk, no, soy milk": the later value wins; "sweetener, no, not sweetener" refuses;
                # of a group that takes several, "extra granola, no banana" refuses the banana
                cur.options = [(t, a) for t, a in cur.options if group_of(t) != group]
                negated = negated and refusing
            if negated:
                # "no sugar": refused, and taken out if it was said before ("with sugar, no, no sugar")
                cur.options = [(t, a) for t, a in cur.options if t.value != tag.value]
                corrected = negated = False
                amount = None
                continue
            # After a head, an option starts the next item after "and", a new quantity, or when the
            # head already has a choice of that group ("large latte small mocha").
            after_break = separated or pending.quantity is not None or (bool(same) and not corrected)
            target = pending if cur.head is not None and after_break else cur
            target.options.append((tag, amount))
            target.tags.append(tag)
            corrected = False
        elif tag.kind == "quantity" and (tag in sized or tag in named):
            # "a two liter of coke": the pack's size; "a 9 volt battery" heard as "a nine vault
            # battery": a word of the name
            target = cur if cur.head is None else pending
            target.tags.append(tag)
            if tag in sized:
                target.size = tag
        elif tag.kind == "quantity":
            if cur.head is None:
                cur.quantity = tag
                cur.tags.append(tag)
            elif _another(pending, tag, tokens):
                # "a feijoa kombucha and a ginger lemon one": another of the same, with its own choices
                drafts.append(cur)
                cur = _Draft(cur.head, pending.quantity, None, cur.unit, pending.options, [*pending.tags, tag])
                pending = _Draft()
                separated = False
            else:
                if pending.quantity is not None and not pending.options and (cur.quantity is None or cur.quantity.weak):
                    # "milk, two gallons, a dozen eggs", "bananas, six of them, and apples": a
                    # quantity after a head and before the next quantity counts that head
                    cur.quantity, cur.count = pending.quantity, None
                    cur.unit = pending.unit or cur.unit
                    cur.tags.append(pending.quantity)
                    pending = _Draft()
                elif pending.quantity is not None:
                    split_off()
                elif pending.options:
                    # "a coffee with milk and sugar and a bagel": what came before the next item's
                    # quantity still belongs to the item before
                    cur.options += pending.options
                    cur.tags += [t for t, _ in pending.options]
                    pending.options = []
                pending.quantity = tag
                pending.corrects = pending.corrects or corrected
                pending.tags.append(tag)
            if not tag.weak:  # "actually just a splash": an article keeps the correction going
                corrected = negated = False
        elif tag.kind == "unit":
            target = cur if cur.head is None else pending
            target.unit = tag
            target.tags.append(tag)
        amount = None
    if amount is not None and corrected and cur.options:
        # "with a lot of cream, actually just a splash": the amount said again
        last, _ = cur.options[-1]
        cur.options[-1] = (last, amount)
    if cur.head is not None:
        split_off()
        # "a latte with two sugars", "a double shot": a number said right before an option (in the plural,
        # or an article) is the option's ("a dozen wings, actually just one, honey soy" is one)
        q, first = pending.quantity, (pending.options[0][0] if pending.options else None)
        with_option = q is not None and first is not None and first.start == q.end
        plural = first is not None and stem(tokens[first.end - 1]) != tokens[first.end - 1]
        counts_head = not (with_option and (plural or (q is not None and q.weak)))
        if (
            pending.quantity is not None
            and counts_head
            and (cur.quantity is None or cur.quantity.weak or pending.corrects)
        ):
            # "milk, two gallons", "latte, two of them", "five bananas, no, six"
            cur.quantity, cur.count = pending.quantity, None
            cur.unit = pending.unit or cur.unit
            cur.tags.append(pending.quantity)
        cur.options += pending.options  # "... and sugar": trailing options belong to the last item
        cur.tags += [t for t, _ in pending.options]
        _share(cur, drafts, tokens)
        if cur.count != 0:
            drafts.append(cur)
    items = [_resolve(d, tokens, catalog, units, covered) for d in drafts]
    spans = [(min(t.start for t in d.tags), max(t.end for t in d.tags)) for d in drafts]
    counted = [d.quantity is not None and d.head is not None and d.quantity.start < d.head.start for d in drafts]
    return one_thing(items, spans, counted, breaks, catalog)


def _another(pending: _Draft, one: Tag, tokens: Sequence[str]) -> bool:
    """Whether "and a ginger lemon one" is said: after "and", a count or an article, choices, then
    "one" (not "the big one", which is the item said again)."""
    q = pending.quantity
    if q is None or not pending.options or pending.options[-1][0].end != one.start or tokens[one.start] not in ONE:
        return False
    return q.start > 0 and tokens[q.start - 1] in SEPARATORS


def _share(last: _Draft, drafts: list[_Draft], tokens: Sequence[str]) -> None:
    """Options said after the last item with "both" or "all" before them are every item's: "a mocha
    and a cappuccino, both medium" (an item that already has a choice of that group keeps it)."""
    assert last.head is not None
    # from the head's second word: a sound-alike head may have taken the word ("cappuccino both")
    after = last.head.start + 1
    shared = [(t, a) for t, a in last.options if t.start > after and not EVERY.isdisjoint(tokens[after : t.start])]
    for d in drafts:
        have = {group_of(t) for t, _ in d.options}
        d.options += [(t, a) for t, a in shared if group_of(t) not in have]


def _purpose(head: Tag, run: Sequence[Tag], tokens: Sequence[str], tagged: set[int]) -> bool:
    """Whether ``head`` follows a purpose word ("for"), with at most two small or unknown words
    between (``tagged``: the positions the run's tags cover)."""
    k = head.start - 1
    for _ in range(3):
        if k < 0:
            return False
        if tokens[k] in PURPOSE:
            return k not in tagged or any(t.kind == "word" and t.start == k for t in run)
        small = (t for t in run if t.start <= k < t.end and (t.kind == "word" or t.weak))  # "for a salad"
        if k in tagged and not any(tokens[k] in STOP for _ in small):
            return False
        k -= 1
    return False


def _conflict(said: list[tuple[Tag, Tag | None]], more: list[tuple[Tag, Tag | None]]) -> bool:
    """Whether ``more`` chooses differently in a one-value group than ``said`` ("large" vs "small")."""
    chosen = {group_of(t): t.value for t, _ in said}
    return any(chosen.get(group_of(t), t.value) != t.value for t, _ in more)


def _resolve(
    d: _Draft, tokens: Sequence[str], catalog: Catalog, units: Mapping[tuple[str, ...], str], covered: set[int]
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


def _counts_amount(d: _Draft) -> bool:
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
