"""The grammar as data: malformed files are reported precisely, and every sentence the grammar can
produce is understood as the intent and slots that produced it (a hypothesis property)."""

from __future__ import annotations

import io
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_sentences import understander
from voiceshop.errors import GrammarError
from voiceshop.nlu import Grammar, Understander, grammar_dir
from voiceshop.nlu.grammar import SHOP_LISTS, Slot, Template
from voiceshop.nlu.lexicon import NUMBER_WORDS, coupon_phrases
from voiceshop.nlu.numbers import number_words, ordinal_words
from voiceshop.nlu.packs import in_packs


def grammar_of(text: str) -> Grammar:
    return Grammar.from_yaml(io.StringIO(text), "test.yaml")


def test_bundled_grammar_loads() -> None:
    g = Grammar.from_dir(grammar_dir("en"))
    assert len(g.intents) >= 30
    assert g.fillers and ("um",) in g.fillers
    assert "latte" in g.homophones["lady"]


def test_no_sentence_belongs_to_two_intents() -> None:
    """Two intents with the same sentence would make one of them unreachable."""
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for t in Grammar.from_dir(grammar_dir("en")).templates:
        owners[tuple(str(x) for x in t.tokens)].add(t.intent)
    assert {" ".join(k): v for k, v in owners.items() if len(v) > 1} == {}


def test_templates_expand_alternatives_optionals_and_permutations() -> None:
    g = grammar_of(
        """
language: en
intents:
  Order:
    data:
      - sentences: ["[please] (get|bring) me ({product}; [a] {option})"]
        slots: {source: test}
skip_words: [please]
"""
    )
    sentences = {" ".join(str(t) for t in tpl.tokens) for tpl in g.templates}
    assert "get me {product} a {option}" in sentences
    assert "bring me {option} {product}" in sentences
    assert not any(s.startswith("please") for s in sentences)  # fillers are dropped from templates too
    assert all(t.fixed_slots == (("source", "test"),) for t in g.templates)
    assert all(isinstance(t.tokens[-1], Slot) for t in g.templates)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("language: en\nintents: [\n", "not valid YAML"),
        ("- just a list\n", "must be a mapping"),
        ("language: en\nintents:\n  A:\n    data:\n      - sentences: ['hello {nosuch}']\n", "unknown list {nosuch}"),
        ("language: en\nintents:\n  A:\n    data:\n      - sentences: ['hello <nosuch>']\n", "unknown expansion rule"),
        ("language: en\nintents:\n  A:\n    data:\n      - sentences: ['hello (there']\n", "cannot parse template"),
        ("language: en\nintents:\n  A:\n    data:\n      - sentences: []\n", "intents.A.data.0.sentences"),
        ("language: en\nintents:\n  A:\n    data:\n      - sentence: ['hi']\n", "intents.A.data.0.sentence"),
        ("language: en\nintents:\n  No:\n    data:\n      - sentences: ['no']\n", "quote it"),
        ("language: en\nlists:\n  product:\n    values: [x]\n", "filled from the shop"),
        ("language: en\nlists:\n  colour:\n    values: []\n", "needs 'values' or 'wildcard"),
        (
            "language: en\nexpansion_rules:\n  a: '<a> x'\nintents:\n  A:\n    data:\n      - sentences: ['<a>']\n",
            "too deep",
        ),
        (
            "language: en\nintents:\n  A:\n    data:\n      - sentences: ['"
            + " ".join("(a|b|c|d|e)" for _ in range(8))
            + "']\n",
            "expands to more than",
        ),
    ],
)
def test_malformed_grammar_is_reported_with_its_place(text: str, message: str) -> None:
    with pytest.raises(GrammarError) as err:
        grammar_of(text)
    assert message in str(err.value)
    assert "test.yaml" in str(err.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(GrammarError) as err:
        grammar_of("language: en\nintents:\n  A:\n    data:\n      - sentences: ['{x}', '<y>', '(z']\n")
    assert len(err.value.problems) == 3


def test_missing_grammar_folder(tmp_path: Path) -> None:
    with pytest.raises(GrammarError, match="no grammar for language 'xx'"):
        grammar_dir("xx", tmp_path)
    (tmp_path / "xx").mkdir()
    with pytest.raises(GrammarError, match="no grammar files"):
        Grammar.from_dir(tmp_path / "xx")


# --- sampled sentences parse back ---------------------------------------------------------------------

WILDCARD_WORDS = ("zorblax", "quintessa", "flumbert nadir")


@cache
def unique_phrases(shop: str) -> dict[str, list[tuple[str, str]]]:
    """Per kind, (phrase, value) pairs whose words name exactly one thing of the shop and are not
    command words, so the sentence has exactly one right reading."""
    u = understander(shop)
    by_words: dict[tuple[str, ...], set[tuple[str, str]]] = defaultdict(set)
    for e in u.lexicon.entities:
        by_words[e.words].add((e.kind, e.value))
    command = u.aligner.command_words | NUMBER_WORDS
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for e in u.lexicon.entities:
        if len(by_words[e.words]) == 1 and not any(w in command for w in e.words) and e.exact_name:
            out[e.kind].append((e.text, e.value))
    return {k: sorted(v) for k, v in out.items()}


@st.composite
def sampled_sentence(draw: Any, shop: str) -> tuple[Template, str, dict[str, Any], list[tuple[str, int]]]:
    u: Understander = understander(shop)
    phrases = unique_phrases(shop)
    generated = {"items", "quantity", "ordinal", "digits", "coupon", *u.wildcards}
    fillable = [
        t for t in u.grammar.templates if all(s.list_name in generated or s.list_name in phrases for s in t.slots)
    ]  # a shop without brands has no sentence about a brand to sample, a list of command words none
    template = draw(st.sampled_from(fillable))
    words: list[str] = []
    slots: dict[str, Any] = dict(template.fixed_slots)
    items: list[tuple[str, int]] = []
    for token in template.tokens:
        if isinstance(token, str):
            words.append(token)
            continue
        kind = token.list_name
        if kind == "items":
            for n in range(draw(st.integers(1, 3))):
                quantity = draw(st.integers(2, 30))
                name, sku = draw(st.sampled_from(phrases["product"]))
                words += (["and"] if n else []) + [number_words(quantity), name]
                product = u.catalog.product(sku)
                # "twelve large eggs" where a pack holds twelve: one pack
                packs = product is not None and in_packs(product, quantity)
                items.append((sku, quantity // product.pack.count if packs and product else quantity))
        elif kind == "quantity":
            value = draw(st.integers(2, 99))
            words.append(number_words(value))
            slots[token.name] = value
        elif kind == "ordinal":
            value = draw(st.integers(1, 12))
            words.append(ordinal_words(value))
            slots[token.name] = value
        elif kind == "digits":
            digits = draw(st.text("0123456789", min_size=4, max_size=6))
            words += [number_words(int(d)) for d in digits]
            slots[token.name] = digits
        elif kind == "coupon":
            code = draw(st.sampled_from([c.code for c in u.shop.coupons]))
            words.append(draw(st.sampled_from(coupon_phrases(code))))
            slots[token.name] = code
        elif kind in u.wildcards:
            text = draw(st.sampled_from(WILDCARD_WORDS))
            words.append(text)
            slots[token.name] = text
        else:
            assert kind in phrases or kind not in SHOP_LISTS, f"no unambiguous {kind} in {shop}"
            name, value = draw(st.sampled_from(phrases[kind]))
            words.append(name)
            slots[token.name] = value
    return template, " ".join(words), slots, items


def check_parses_back(shop: str, sample: tuple[Template, str, dict[str, Any], list[tuple[str, int]]]) -> None:
    template, sentence, slots, items = sample
    u = understander(shop).understand(sentence)
    where = f"{sentence!r} from {template.source!r} gave {u.intent} {u.confidence} via {u.template!r}"
    assert u.intent == template.intent, where
    assert {k: v.value for k, v in u.slots.items()} == slots, where
    assert [(i.sku, i.quantity) for i in u.items] == items, where


SAMPLES = settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SAMPLES
@given(sampled_sentence("coffee-bar"))
def test_sampled_sentences_parse_back_coffee_bar(sample: Any) -> None:
    check_parses_back("coffee-bar", sample)


@SAMPLES
@given(sampled_sentence("corner-store"))
def test_sampled_sentences_parse_back_corner_store(sample: Any) -> None:
    check_parses_back("corner-store", sample)


def test_the_language_folder_says_how_its_spelling_sounds() -> None:
    """The sound key comes from voiceshop/language/en/grammar/_common.yaml: spellings of one sound meet."""
    sound = Grammar.from_dir(grammar_dir("en")).sound
    assert sound("mocha") == sound("moka") == sound("mocca")
    assert sound("late") == sound("latte")
    assert sound("latte") != sound("mocha")
    assert Grammar.from_yaml(io.StringIO("language: xx\n")).sound("mocha") == "mocha"  # no rules: the spelling
