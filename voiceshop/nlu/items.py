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
from dataclasses import dataclass, replace

from voiceshop.commerce.catalog import Catalog
from voiceshop.language import load
from voiceshop.nlu.align import HEADS, STOP, Tag
from voiceshop.nlu.drafts import Draft, resolve
from voiceshop.nlu.heads import as_choice, as_sibling, comes_in, group_of, names_kind, names_variety, takes
from voiceshop.nlu.onething import one_thing
from voiceshop.nlu.packs import in_names, sizes
from voiceshop.nlu.readings import amount_after
from voiceshop.nlu.result import ItemMention
from voiceshop.nlu.text import Phrases, find_phrases, longer_wins, stem

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


def marks_of(tokens: Sequence[str], heard: Sequence[Tag], corrections: Phrases, negations: Phrases) -> Marks:
    """Where ``tokens`` take back what was said and refuse what follows (the longer phrase wins)."""
    taken_back, refused = longer_wins(find_phrases(tokens, corrections), find_phrases(tokens, negations))
    spans = [*taken_back, *refused]
    return Marks(
        corrections=frozenset(start for start, _ in taken_back),
        negations=frozenset(start for start, _ in refused),
        covered=frozenset(k for start, end in spans for k in range(start, end)),
        strange=frozenset(t.start for t in heard if t.unheard),
    )


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
    drafts: list[Draft] = []
    cur = Draft()
    pending = Draft()  # said after a head, before the next head: belongs to whichever it turns out to be
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
        negated = _refuses(run[0].start, marks)

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
            pending = Draft()
            return
        options, said = [*cur.options, *pending.options], [*cur.tags, *pending.tags]
        drafts.append(Draft(cur.head, pending.quantity, None, cur.unit, options, said))
        cur.count = whole - part
        pending = Draft()

    def counts_back(nxt: Tag | None) -> bool:
        """Whether the quantity waiting counts the item before ("toilet paper, two packs, and trash
        bags", "ground beef, two pounds, tortillas"): said before "and", or in the unit the item
        before comes in and the next one does not."""
        if cur.head is None or pending.quantity is None or pending.options:
            return False
        if cur.quantity is not None and not cur.quantity.weak and not pending.corrects:
            return False  # "three croissants, no, two, and a bun" corrects the count
        if nxt is None:
            return True
        unit = pending.unit
        return unit is not None and comes_in(cur.head, unit, catalog) and not comes_in(nxt, unit, catalog)

    def read_mark(at: int) -> None:
        """A correction or negation starting at token ``at``: "no, not cheerios" refuses, "no, three" corrects."""
        nonlocal corrected, negated, refusing
        corrected = corrected or at in marks.corrections
        negated = negated or at in marks.negations
        if at in marks.negations or at in marks.corrections:
            refusing = at not in marks.corrections

    def take_back() -> None:
        nonlocal pending
        assert pending.quantity is not None
        cur.quantity, cur.count = pending.quantity, None
        cur.unit = pending.unit or cur.unit
        cur.tags += pending.tags
        pending = Draft()

    for index, tag in enumerate(run):
        if index in articles:
            continue
        if names_variety(tag, tokens, marks.strange, catalog):
            tag = replace(tag, start=tag.start - 1, variety=True)  # "oat milk": a milk the shop does not have
        if tag.kind == "product" and cur.head is not None and (pending.quantity is None or _its_article(pending, tag)):
            lead = tag.start if pending.quantity is None else pending.quantity.start
            if amount is not None and amount.end == lead:
                lead = amount.start  # "with a pinch of turmeric": the amount said before it
            linked = lead > 0 and tokens[lead - 1] in OPTION_LINKS
            ends = max((t.end for t, _ in [*cur.options, *pending.options]), default=-1)
            also = ends == lead - 1 and tokens[lead - 1] in SEPARATORS
            instead = tokens[tag.end : tag.end + 1] == [INSTEAD]  # "bbq sauce instead of tomato"
            choice = tag
            if linked or also or instead:
                choice = as_choice(tag, cur.head, tokens[tag.start : tag.end], catalog)
            if choice is not tag and pending.quantity is None:
                tag = choice
            elif choice is not tag and not _chosen(cur.options, choice):
                # "a burger combo with fries and a coke": the combo's drink, its article with it
                tag, pending = choice, Draft()
        elif tag.kind == "product" and cur.head is not None and _share_of(cur, pending, tag, tokens):
            # "two kids meals, one sausage and one nuggets": a share of the item, with that choice
            choice = as_choice(tag, cur.head, tokens[tag.start : tag.end], catalog)
            tag = choice if not _chosen(cur.options, choice) else tag
        if tag.kind == "option" and cur.head is not None and pending.quantity is not None and not pending.options:
            tag = as_sibling(tag, cur.head, tokens, catalog)  # "two chocolate croissants and one plain"
        if tag.kind == "word":
            if tag.value in SEPARATORS and counts_back(None):
                take_back()
            separated = separated or tag.value in SEPARATORS
            read_mark(tag.start)
            continue
        if tag.kind in HEADS and cur.head is not None and not separated and _purpose(tag, run, tokens, covered):
            continue  # "d batteries for the big flashlight": what they are for
        if tag.kind in HEADS:
            before = cur.head
            if before is not None:
                if (corrected or pending.corrects) and not separated:  # "cheerios, sorry, corn flakes"
                    cur = Draft(quantity=cur.quantity, count=cur.count, unit=cur.unit)
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
                        pending = Draft()
                    # "two lattes, one with soy, and a muffin" splits; in "four large lattes, three
                    # medium americanos" the quantity and size lead straight into their own head.
                    if pending.tags and any(max(t.end for t in pending.tags) <= b < tag.start for b in breaks):
                        split_off()
                    ahead = _said_ahead(cur, before, tag, catalog)
                    if cur.count != 0:
                        drafts.append(cur)
                    cur = Draft(options=ahead, tags=[t for t, _ in ahead])
            cur.head = tag
            cur.refused = negated and (not corrected or refusing)  # "not the bagel"; "no, three lattes" corrects
            if pending.quantity is not None:
                cur.quantity, cur.count = pending.quantity, None
            cur.unit = pending.unit or cur.unit
            cur.options += pending.options
            cur.tags += [*pending.tags, tag]
            pending = Draft()
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
            if index and tag.start - 1 in marks.covered and tag.start - 1 not in covered:
                # "a latte to go, no sugar": a mark the run left out is read as if in it
                for k in range(max(0, tag.start - 3), tag.start):
                    read_mark(k)
            group = group_of(tag)
            same = [(t, a) for t, a in cur.options if group_of(t) == group]
            several = (g := catalog.group(group)) is not None and g.max_choices > 1
            if corrected and same and not (several and negated):
                # "oat milk, no, soy milk": the later value wins; "sweetener, no, not sweetener" refuses;
                # of a group that takes several, "extra granola, no banana" refuses the banana
                cur.options = [(t, a) for t, a in cur.options if group_of(t) != group]
                negated = negated and refusing
            if negated and _takes_back(tag, tokens, marks, catalog):
                negated = False  # "oat, no, almond milk", "small size, no, normal size"
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
                cur = Draft(cur.head, pending.quantity, None, cur.unit, pending.options, [*pending.tags, tag])
                pending = Draft()
                separated = False
            else:
                if pending.quantity is not None and not pending.options and (cur.quantity is None or cur.quantity.weak):
                    # "milk, two gallons, a dozen eggs", "bananas, six of them, and apples": a
                    # quantity after a head and before the next quantity counts that head
                    cur.quantity, cur.count = pending.quantity, None
                    cur.unit = pending.unit or cur.unit
                    cur.tags.append(pending.quantity)
                    pending = Draft()
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
    items = [resolve(d, tokens, catalog, units, covered) for d in drafts]
    spans = [(min(t.start for t in d.tags), max(t.end for t in d.tags)) for d in drafts]
    counted = [d.quantity is not None and d.head is not None and d.quantity.start < d.head.start for d in drafts]
    return one_thing(items, spans, counted, breaks, catalog)


def _said_ahead(cur: Draft, before: Tag, head: Tag, catalog: Catalog) -> list[tuple[Tag, Tag | None]]:
    """The choices said right before ``head`` that the item before does not take and ``head`` does,
    taken from that item: "onion bhaji lamb bhuna" (the recogniser ate the "a") is a lamb bhuna."""
    ahead: list[tuple[Tag, Tag | None]] = []
    edge = head.start
    for t, a in reversed(cur.options):
        if t.end != edge or takes(before, t, catalog) or not takes(head, t, catalog):
            break
        ahead.insert(0, (t, a))
        edge = a.start if a is not None else t.start
    cur.options = cur.options[: len(cur.options) - len(ahead)]
    cur.tags = [t for t in cur.tags if all(t is not o for o, _ in ahead)]
    return ahead


def _another(pending: Draft, one: Tag, tokens: Sequence[str]) -> bool:
    """Whether "and a ginger lemon one" is said: after "and", a count or an article, choices, then
    "one" (not "the big one", which is the item said again)."""
    q = pending.quantity
    if q is None or not pending.options or pending.options[-1][0].end != one.start or tokens[one.start] not in ONE:
        return False
    return q.start > 0 and tokens[q.start - 1] in SEPARATORS


def _share(last: Draft, drafts: list[Draft], tokens: Sequence[str]) -> None:
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


def _its_article(pending: Draft, thing: Tag) -> bool:
    """Whether all that waits is an article right before ``thing`` ("with a coke")."""
    said = pending.quantity
    return said is not None and said.weak and said.end == thing.start and not pending.options and pending.unit is None


def _chosen(said: list[tuple[Tag, Tag | None]], choice: Tag) -> bool:
    """Whether a choice of ``choice``'s group was said already ("a combo with a coke and a sprite")."""
    return any(group_of(t) == group_of(choice) for t, _ in said)


def _refuses(start: int, marks: Marks) -> bool:
    """Whether the words just before ``start``, left out of the run, refuse what starts there. The
    last mark among them decides: "no, three lattes" corrects, "no wait, not the bagel" refuses."""
    marked = [
        k in marks.negations and k not in marks.corrections
        for k in range(max(0, start - 3), start)
        if k in marks.negations or k in marks.corrections
    ]
    return bool(marked) and marked[-1]


def _share_of(cur: Draft, pending: Draft, thing: Tag, tokens: Sequence[str]) -> bool:
    """Whether ``thing`` is said as a share of the item before: a count no more than the item's, not
    after "and", right before it or before "with" ("two kids meals, one sausage", "one with sausage")."""
    said, whole = pending.quantity, cur.number
    if cur.head is None or cur.head.kind != "product":
        return False  # "two large pizzas, one pepperoni": a pizza of that kind, not a topping
    if said is None or said.weak or pending.options or whole is None or whole < 2 or pending.number is None:
        return False
    if tokens[said.start - 1] in SEPARATORS:
        return False  # "two kids meals and one sausage": one more thing
    between = tokens[said.end : thing.start]
    return pending.number <= whole and (not between or (len(between) == 1 and between[0] in OPTION_LINKS))


def _takes_back(option: Tag, tokens: Sequence[str], marks: Marks, catalog: Catalog) -> bool:
    """Whether a "no" just before ``option`` takes back what was said before it rather than refusing
    the option: after a word that names nothing, when the option is one of several of its kind ("with
    oat, no, almond milk": a milk the shop lacks, then one it has), or after the word the option ends
    in, or is said with, other than its first ("small size, no, normal size")."""
    marked = [k for k in range(max(1, option.start - 3), option.start) if k in marks.corrections]
    if not marked:
        return False
    k = marked[-1]
    if k - 1 in marks.strange and names_kind(option, catalog):
        return True
    before = tokens[k - 1]  # "size" of "small size, no, normal size", not the "sugar" of "sugar, no sugar"
    return before in tokens[option.end - 1 : option.end + 1] and before != tokens[option.start]
