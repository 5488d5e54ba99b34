"""The shop's side of the grammar: every phrase a shopper may use for a product, brand, category,
option, add-on amount or coupon, plus the fixed lists of the grammar (units, voice settings), indexed
for fast fuzzy lookup.

Phrases are kept as stemmed words ("lattes" and "latte" meet as "latte"). The index maps each word to
the phrases containing it, so finding what a stretch of transcript could mean costs a few set
intersections, not a scan of the catalog.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from voiceshop.commerce.catalog import Catalog, OptionKind
from voiceshop.commerce.shop import Shop
from voiceshop.language import load
from voiceshop.nlu.grammar import Grammar
from voiceshop.nlu.numbers import HOMOPHONES, ORDINALS, TENS, UNITS, number_words
from voiceshop.nlu.text import find_phrases, stem, stems, words

# When one phrase means several kinds of thing ("coffee": a product and a category), the first wins.
KIND_PRIORITY = ("product", "option", "amount", "category", "brand", "coupon")
NUMBER_WORDS = frozenset(
    [*UNITS, *TENS[2:], *ORDINALS, *HOMOPHONES, "hundred", "thousand", "dozen", "couple", "pair", "half", "oh", "last"]
)


@dataclass(frozen=True)
class Entity:
    """One way of naming one thing of the shop."""

    kind: str
    """product, brand, category, option, amount, coupon, or the name of a grammar list (unit, voice,
    delivery)."""
    value: str
    """SKU, brand, category, "group:choice", amount name, coupon code or list value."""
    words: tuple[str, ...]
    """Stemmed words of the phrase."""
    text: str
    """The phrase as it would be said."""
    exact_name: bool = True
    """False for aliases and derived forms; an exact name wins a tie."""
    fuzzy: bool = True
    """Whether the phrase is also read from words heard only nearly like it (not a product's name with
    a choice put in, "haddock and chips": only said as it is)."""

    @property
    def joined(self) -> str:
        return " ".join(self.words)


SPELLED = frozenset({"product", "option"})
"""Kinds of names with a number in digits that are also read with the number in words."""
MAX_SPELLED = 999


@dataclass
class Lexicon:
    entities: list[Entity] = field(default_factory=list)
    exact: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    despaced: dict[str, list[int]] = field(default_factory=dict)
    postings: dict[str, frozenset[int]] = field(default_factory=dict)
    max_words: int = 1

    @classmethod
    def build(cls, shop: Shop, catalog: Catalog, grammar: Grammar) -> Lexicon:
        lex = cls()
        seen: set[tuple[str, str, tuple[str, ...]]] = set()

        def add(kind: str, value: str, text: str, exact_name: bool = True, fuzzy: bool = True) -> None:
            said = words(text)
            key = (kind, value, tuple(stem(w) for w in said))
            if said and key not in seen:
                seen.add(key)
                lex.entities.append(Entity(kind, value, key[2], " ".join(said), exact_name, fuzzy))
            if kind in SPELLED and any(w.isdecimal() and int(w) <= MAX_SPELLED for w in said):
                # "25 percent sugar" is said "twenty five percent sugar"
                spelled = [number_words(int(w)) if w.isdecimal() and int(w) <= MAX_SPELLED else w for w in said]
                add(kind, value, " ".join(spelled), False)

        shortened = _product_short_names(catalog)
        filled = _choice_filled_names(catalog)
        for p in catalog.products:
            names = [p.name, *p.aliases]
            names = [n for n in names if not _unit_of_name(n, names)]
            for i, name in enumerate([*names, *shortened.get(p.sku, ())]):
                add("product", p.sku, name, i == 0)
                if p.brand and not " ".join(words(name)).startswith(" ".join(words(p.brand))):
                    add("product", p.sku, f"{p.brand} {name}", False)
            for name in filled.get(p.sku, ()):
                add("product", p.sku, name, False, fuzzy=False)
            if p.brand:
                add("brand", p.brand, p.brand)
        for category in catalog.categories():
            add("category", category, category)
        # A short name that is a word of its own elsewhere is not one: "no" of "no ice" says no ("no
        # wait, beef pho"), "extra" of "extra hot" is an amount ("an extra egg").
        taken = {" ".join(words(a)) for g in catalog.option_groups for m in g.amounts for a in (m.name, *m.aliases)}
        taken |= {" ".join(phrase) for phrase in (*grammar.negations, *grammar.corrections)}
        for group in catalog.option_groups:
            for choice in group.choices:
                add("option", f"{group.name}:{choice.name}", choice.name)
                short = [
                    s for s in _short_names(group.name, [c.name for c in group.choices], choice.name) if s not in taken
                ]
                others = grammar.choice_words.get(tuple(words(choice.name)), ())
                for alias in [*choice.aliases, *short, *others]:
                    if not _unit_of_name(alias, [choice.name, *choice.aliases]):  # "can of vimto"
                        add("option", f"{group.name}:{choice.name}", alias, False)
            said = {tuple(words(n)) for m in group.amounts for n in (m.name, *m.aliases)}
            for amount in group.amounts:
                # the language's other words for it, where the shop uses them for no other amount
                language = grammar.choice_words.get(tuple(words(amount.name)), ())
                also = [o for o in language if tuple(words(o)) not in said]
                for i, name in enumerate((amount.name, *amount.aliases, *also)):
                    add("amount", amount.name, name, i == 0)
                    said_as = words(name)
                    if len(said_as) > 2 and said_as[-1] in _OF:  # "brown sugar, a bit": said after it
                        add("amount", amount.name, " ".join(said_as[:-1]), False)
        for coupon in shop.coupons:
            for i, text in enumerate(coupon_phrases(coupon.code)):
                add("coupon", coupon.code, text, i == 0)
        for option in shop.delivery:
            add("delivery", option.kind.value, option.name, False)  # the shop's own name for it
        for name, glist in grammar.lists.items():
            named: set[str] = set()
            for value in glist.values:
                # The first way of saying each value is its name; the others ("kilos", "kg") aliases.
                add(name, value.out, " ".join(value.words), value.out not in named)
                named.add(value.out)
        lex._index()
        return lex

    def _index(self) -> None:
        exact: dict[tuple[str, ...], list[int]] = defaultdict(list)
        despaced: dict[str, list[int]] = defaultdict(list)
        postings: dict[str, set[int]] = defaultdict(set)
        for i, e in enumerate(self.entities):
            exact[e.words].append(i)
            despaced["".join(e.words)].append(i)
            for w in e.words:
                postings[w].add(i)
            self.max_words = max(self.max_words, len(e.words))
        self.exact = dict(exact)
        self.despaced = dict(despaced)
        self.postings = {w: frozenset(ids) for w, ids in postings.items()}

    def units(self) -> dict[tuple[str, ...], str]:
        """Unit phrases (stemmed words) -> unit: ("bag",) -> "bag", ("six", "pack") -> "6 pack"."""
        return {e.words: e.value for e in self.entities if e.kind == "unit"}

    def opening(self, phrases: Sequence[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
        """The shop's phrases (stemmed words) that open with one of ``phrases`` and go on: "well done"
        opens with the filler "well"."""
        opens = {tuple(stem(w) for w in p) for p in phrases}
        return tuple(
            sorted(
                {e.words for e in self.entities if any(len(e.words) > len(p) and e.words[: len(p)] == p for p in opens)}
            )
        )

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self.postings)

    def phrases(self) -> list[str]:
        """Every phrase as it would be said, for a recognizer's vocabulary or phrase list, the most
        telling first: the shop's own names (products, options, amounts, categories, brands, one form
        of each coupon), then one name for each value of the grammar's lists (units, voice settings),
        then all aliases. A recognizer that reads only the first ones (Whisper's prompt) gets the menu
        and the commands, not "kilograms" and "morning one zero"."""
        rank = {kind: n for n, kind in enumerate(KIND_PRIORITY)}

        def key(e: Entity) -> tuple[bool, bool, int, str]:
            return (not e.exact_name, e.kind not in rank, rank.get(e.kind, len(rank)), e.text)

        # a name with a choice put in ("haddock and chips") is said with words the others have
        return list(dict.fromkeys(e.text for e in sorted(self.entities, key=key) if e.fuzzy))


def _short_names(group: str, choices: list[str], name: str) -> list[str]:
    """A choice named by what sets it apart: "skim" for "skim milk" when the group also has "whole
    milk" (or is called "milk"); never a number ("eight" of "eight ounce") or a small word ("with" of
    "with basil")."""
    said = words(name)
    if len(said) < 2:
        return []
    last = said[-1]
    shared = last == stem(group) or sum(words(c)[-1:] == [last] for c in choices) > 1
    short = " ".join(said[:-1])
    taken = {" ".join(words(c)) for c in choices}
    if not shared or short in taken or any(w in NUMBER_WORDS or w.isdecimal() for w in said[:-1]):
        return []
    if all(w in _SMALL for w in said[:-1]):  # "with" of "with basil" beside "no basil"
        return []
    return [short]


def _product_short_names(catalog: Catalog) -> dict[str, list[str]]:
    """Products named by what sets them apart from others named alike: "triple a" for "triple a
    batteries" beside "double a batteries", "nine volt" for "nine volt battery": names ending in
    the word of their category ("batteries", "soups"), shared by several; only shorter names of two
    words or more (not "beef" of "beef pho", which other dishes share), and none that is another
    product's whole name."""
    by_last: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for p in catalog.products:
        said, kind = words(p.name), words(p.category)
        if len(said) >= 3 and kind and stem(said[-1]) == stem(kind[-1]):
            by_last[stem(said[-1])].append((p.sku, said[:-1]))
    names = {" ".join(words(n)) for p in catalog.products for n in (p.name, *p.aliases)}
    out: dict[str, list[str]] = {}
    for alike in by_last.values():
        for sku, short in alike if len(alike) > 1 else ():
            if " ".join(short) not in names and not all(w in _SMALL for w in short):
                out.setdefault(sku, []).append(" ".join(short))
    return out


def _choice_filled_names(catalog: Catalog) -> dict[str, list[str]]:
    """Products named with one of their choices in place of the word naming its group: "haddock and
    chips" for "fish and chips" whose fish may be haddock, "brown rice bowl" for "rice bowl"; or, when
    a name ends in the word of a group no other product takes, before it: "sweet tea" for "iced tea"
    whose tea may be sweet. Only
    where the name says more than the group's word (not "cod" for "fish": a choice said alone stays
    a choice), and never a phrase another product is called by. The choice is read back from the
    name (``kinds.named_choices``)."""
    taken = {stems(n) for p in catalog.products for n in (p.name, *p.aliases)}
    offered = Counter(g for p in catalog.products for g in p.options)
    alone = {g: n == 1 for g, n in offered.items()}  # a group only one product takes
    out: dict[str, list[str]] = {}
    for p in catalog.products:
        for group in (catalog.group(g) for g in p.options):
            if group is None or group.kind is not OptionKind.ONE_OF:
                continue
            word = stems(group.name)
            for name in (p.name, *p.aliases):
                said = words(name)
                found = find_phrases([stem(w) for w in said], (word,))
                if not found or len(said) == len(word):
                    continue
                at, end = found[0]
                for choice in group.choices:
                    for phrase in (choice.name, *choice.aliases):
                        texts = [" ".join([*said[:at], *words(phrase), *said[end:]])]
                        if at > 0 and end == len(said) and alone[group.name] and stems(phrase)[-len(word) :] != word:
                            texts.append(" ".join([*words(phrase), *said[at:]]))  # "sweet tea": an iced tea
                        out.setdefault(p.sku, []).extend(t for t in texts if stems(t) not in taken)
    return out


def coupon_phrases(code: str) -> list[str]:
    """How "SAVE10" may be said: "save10", "save 10", "save ten", "save one zero"."""
    parts = re.findall(r"[A-Za-z]+|\d+", code.lower())
    out = {" ".join(parts), "".join(parts)}
    spoken: list[list[str]] = [[]]
    for part in parts:
        if part.isdecimal():
            forms = [part, " ".join(number_words(int(d)) for d in part)]
            if int(part) <= 999:
                forms.append(number_words(int(part)))
        else:
            forms = [part]
        spoken = [[*s, f] for s in spoken for f in forms]
    out.update(" ".join(s) for s in spoken)
    return sorted(out)


_LANGUAGE = load()
_OF = _LANGUAGE.function_words("of")
_SMALL = _LANGUAGE.function_words("stop")


def _unit_of_name(name: str, names: list[str]) -> bool:
    """Whether ``name`` is a unit of another of the product's names ("bag of potatoes" beside
    "potatoes"): read as the unit and that name anyway, and as a phrase of its own it would take
    words from the next ("three bags of potato chips" is not potatoes and chips)."""
    said = words(name)
    for n in range(1, len(said) - 1):
        unit, rest = said[:n], said[n + 1 :]
        if said[n] in _OF and _LANGUAGE.unit(" ".join(unit)) is not None:
            named = tuple(stem(w) for w in rest)
            return any(stems(other) == named for other in names if other != name)
    return False
