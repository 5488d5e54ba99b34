"""The grammar as a recogniser can be held to it: the sentences it allows, written as rules.

A recogniser that only hears what the grammar allows (pocketsphinx with a language model made from
these rules) needs the grammar as words, not as understanding needs it: every template of the
language with its list references pointing to rules of the shop's phrases, and one rule for an order's
items ("two large lattes with a bit of soy milk and a croissant"). Templates with a wildcard list
(``{query}``: any words) are left out: a recogniser held to the rules cannot hear words it does not
know, and understanding reads those sentences from the open-vocabulary engine.

The rules are plain data (name -> alternatives, each a sequence of words and ``<rule>`` references;
an empty sequence makes a rule optional), so the speech side stays free of shopping. A reference to a
list the shop has nothing in (no coupons) names no rule; the recogniser leaves such sentences out.
"""

from __future__ import annotations

from collections.abc import Iterable

from voiceshop.language import load as load_language
from voiceshop.nlu.grammar import Grammar, Slot
from voiceshop.nlu.lexicon import Lexicon
from voiceshop.nlu.numbers import ORDINALS, UNITS, number_words

Rules = dict[str, tuple[tuple[str, ...], ...]]
TOP = "command"
QUANTITIES = 20
"""Quantities said in words up to this many; larger orders are rare at a counter."""
COUNT_WORDS = (("a",), ("an",), ("one",), ("a", "couple", "of"), ("a", "dozen"))
DIGITS = tuple((w,) for w in UNITS[:10])


def ref(name: str) -> str:
    return f"<{name}>"


def speech_rules(grammar: Grammar, lexicon: Lexicon) -> Rules:
    """The grammar and the shop's phrases as rules for a recogniser (``TOP`` is the sentence)."""
    wild = {name for name, glist in grammar.lists.items() if glist.wildcard}
    rules: Rules = {}
    kinds: dict[str, list[tuple[str, ...]]] = {}
    for entity in lexicon.entities:
        kinds.setdefault(entity.kind, []).append(tuple(entity.text.split()))
    for kind, phrases in kinds.items():
        rules[kind] = _unique(phrases)
    quantities = [tuple(number_words(n).split()) for n in range(1, QUANTITIES + 1)]
    rules["quantity"] = _unique([*COUNT_WORDS, *quantities])
    rules["ordinal"] = _unique([(w,) for w in ORDINALS[:10]] + [("the", w) for w in ORDINALS[:10]] + [("last",)])
    rules["digit"] = DIGITS
    rules["digits"] = ((ref("digit"), ref("digit"), ref("digit")), (ref("digit"), ref("digits")))
    option, amount = ref("option"), ref("amount")
    rules["modifiers"] = ((), (option,), (option, option), (option, option, option))
    rules["addon"] = ((option,), (amount, option)) if "amount" in rules else ((option,),)
    rules["extras"] = ((), ("with", ref("addon")), ("with", ref("addon"), "and", ref("addon")), (option,))
    rules["item"] = (
        (ref("modifiers"), ref("product"), ref("extras")),
        (ref("quantity"), ref("modifiers"), ref("product"), ref("extras")),
    )
    rules["items"] = ((ref("item"),), (ref("item"), "and", ref("items")))
    # the templates lost their fillers ("can you", "please") when they were compiled: said before or
    # after any sentence
    rules["filler"] = ((), *grammar.fillers)
    contracted = {words: word for word, words in load_language(grammar.language).contractions.items()}
    sentences: list[tuple[str, ...]] = []
    for template in grammar.templates:
        slots = template.slots
        if any(s.list_name in wild for s in slots):
            continue
        said = tuple(ref(t.list_name) if isinstance(t, Slot) else t for t in template.tokens)
        for form in dict.fromkeys((said, _contract(said, contracted))):
            sentences.append((ref("filler"), *form, ref("filler")))
    rules[TOP] = _unique(sentences)
    # a reference to a list this shop has nothing in (no coupons) is left for the recogniser to drop
    return rules


def _contract(said: tuple[str, ...], contracted: dict[tuple[str, ...], str]) -> tuple[str, ...]:
    """``said`` as people say it: "i would like" -> "i'd like" (understanding reads both the same)."""
    out: list[str] = []
    i = 0
    while i < len(said):
        two = tuple(said[i : i + 2])
        if len(two) == 2 and two in contracted:
            out.append(contracted[two])
            i += 2
        else:
            out.append(said[i])
            i += 1
    return tuple(out)


def _unique(seqs: Iterable[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys(s for s in seqs))
