"""Intent grammars: the YAML files in ``voiceshop/language/<lang>/grammar/``, parsed with hassil and
expanded to word sequences.

The file format is Home Assistant's (hassil): per intent, blocks of sentence templates with
alternatives ``(a|b)``, optional words ``[a]``, order-free groups ``(a; b)``, expansion rules ``<want>``
and list references ``{product}``; plus ``lists``, ``expansion_rules`` and ``skip_words`` (fillers).
hassil parses the templates; we expand each one into the word sequences it allows, with list
references left as slots, because our matcher aligns whole sequences by edit distance instead of
matching text exactly (see ``matcher``).

Lists named in ``SHOP_LISTS`` are not declared in grammar files: they are filled from the loaded shop.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml
from hassil.expression import (
    Alternative,
    Expression,
    Group,
    ListReference,
    Permutation,
    RuleReference,
    TextChunk,
)
from hassil.parse_expression import parse_sentence
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voiceshop.errors import GrammarError, Problem
from voiceshop.language import Unit
from voiceshop.language import folder as language_folder
from voiceshop.language import known as known_languages
from voiceshop.language import load as load_language
from voiceshop.nlu.sound import SoundKey
from voiceshop.nlu.text import drop_phrases, words

SHOP_LISTS = {
    "items": "one or more items with quantities and options: 'two large lattes and a croissant'",
    "product": "a product name, alias or brand-and-name",
    "brand": "a brand in the catalog",
    "category": "a catalog category",
    "option": "an option or add-on choice ('large', 'soy milk')",
    "quantity": "a number 0-999 in words or digits, 'a couple of', 'a dozen'",
    "ordinal": "'first', 'second', '3rd', 'last'",
    "digits": "three or more digits said one by one (order numbers, PINs)",
    "coupon": "a coupon code of the shop, spoken or spelled",
}
MAX_EXPANSIONS = 20_000
"""Word sequences one template may expand to; more means it should use a list or be split."""
MAX_RULE_DEPTH = 8
GRAMMARS_ENV = "VOICESHOP_GRAMMARS"


def grammar_dir(language: str = "en", root: Path | None = None) -> Path:
    """Where the grammar files of ``language`` are: ``root/<language>``, ``$VOICESHOP_GRAMMARS/<language>``,
    or the language's bundled ``voiceshop/language/<language>/grammar/``."""
    base = root or os.environ.get(GRAMMARS_ENV)
    folder = Path(base) / language if base else language_folder(language) / "grammar"
    if not folder.is_dir():
        raise GrammarError(
            [
                Problem(
                    str(folder),
                    None,
                    "",
                    f"no grammar for language {language!r}; pass --grammars DIR or set {GRAMMARS_ENV}",
                )
            ]
        )
    return folder


@dataclass(frozen=True)
class Slot:
    """A list reference inside an expanded template: ``{name}`` or ``{list:name}``."""

    name: str
    list_name: str

    def __str__(self) -> str:
        return "{" + self.name + "}"


Token = str | Slot


@dataclass(frozen=True)
class Template:
    """One expanded word sequence of one sentence template."""

    intent: str
    tokens: tuple[Token, ...]
    fixed_slots: tuple[tuple[str, str], ...] = ()
    """Slots the data block sets whenever it matches (``slots:`` in the file)."""
    source: str = ""

    @property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(t for t in self.tokens if isinstance(t, Slot))


@dataclass(frozen=True)
class ListValue:
    words: tuple[str, ...]
    out: str


@dataclass(frozen=True)
class GrammarList:
    """A list declared in the grammar: fixed values, or a wildcard that captures any words."""

    name: str
    values: tuple[ListValue, ...] = ()
    wildcard: bool = False
    rest: bool = False
    """A wildcard at the end of a sentence that takes every word after its place ("something to
    wash my clothes with"), when the words before it are the sentence's own."""


@dataclass
class Grammar:
    """All intents of one language, expanded and ready to compile against a shop."""

    language: str
    templates: list[Template] = field(default_factory=list)
    lists: dict[str, GrammarList] = field(default_factory=dict)
    fillers: tuple[tuple[str, ...], ...] = ()
    homophones: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Words a recognizer writes for other words ("sum" for "some"); each is read both ways."""
    light_words: frozenset[str] = frozenset()
    """Words that say little about what is wanted ("hi", "dear", "today"): a sentence may carry them
    without matching a template's words, at a small cost."""
    deciding_words: frozenset[str] = frozenset()
    """Words that decide for an intent other than ordering ("remove", "where", "cancel"): an order
    read from the items around them must not outweigh them."""
    corrections: tuple[tuple[str, ...], ...] = ()
    """Phrases that take back what was just said ("no", "sorry", "i mean"): the later value wins."""
    negations: tuple[tuple[str, ...], ...] = ()
    """Phrases that refuse the option after them ("no", "without", "hold the")."""
    agreements: tuple[tuple[str, ...], ...] = ()
    declines: tuple[tuple[str, ...], ...] = ()
    """Phrases that turn down what was offered ("leave that", "not that one")."""
    """Phrases that take what was just offered ("yes", "one of those", "that one"), found anywhere:
    "great, one of those and a wall charger" takes the offer and adds the charger."""
    choice_words: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    """Other words for an option choice a shop names plainly: ("large",) -> ("big", "biggest")."""
    needs: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    """What a need is also looked up as: "headache" -> "pain" (a free search says both)."""
    hesitations: tuple[tuple[str, ...], ...] = ()
    """Phrases that only buy time ("um", "let me think", "hold on"): a turn of nothing else is not a
    misunderstanding."""
    sound: SoundKey = field(default_factory=SoundKey)
    """How the language's spelling sounds, roughly, for matching misheard words by sound."""

    @property
    def intents(self) -> list[str]:
        return sorted({t.intent for t in self.templates})

    @property
    def words(self) -> frozenset[str]:
        """Every literal word of every template and of the word lists: the command vocabulary."""
        listed = {w for phrase in (*self.corrections, *self.negations) for w in phrase}
        listed |= self.light_words | self.deciding_words
        return frozenset(t for tpl in self.templates for t in tpl.tokens if isinstance(t, str)) | listed

    @classmethod
    def from_dicts(cls, files: Iterable[tuple[str, Mapping[str, Any]]]) -> Grammar:
        """Compile already-loaded grammar files, given as (file name, content) pairs."""
        problems: list[Problem] = []
        parsed: list[tuple[str, GrammarFile]] = []
        for name, content in files:
            for key in content.get("intents") or {}:
                if not isinstance(key, str):  # YAML 1.1 reads bare Yes / No / On / Off as booleans
                    problems.append(
                        Problem(name, None, f"intents.{key}", 'an intent name must be text; quote it, as in "No":')
                    )
            try:
                parsed.append((name, GrammarFile.model_validate(content)))
            except ValidationError as err:
                for e in err.errors():
                    problems.append(Problem(name, None, ".".join(str(p) for p in e["loc"]), e["msg"]))
        languages = {f.language for _, f in parsed}
        if len(languages) > 1:
            problems.append(Problem(parsed[0][0], None, "language", f"files mix languages {sorted(languages)}"))
        builder = _Builder(problems)
        for name, f in parsed:
            builder.add_rules(name, f.expansion_rules)
        for name, f in parsed:
            builder.add_lists(name, f.lists)
            builder.fillers.update(tuple(words(w)) for w in f.skip_words)
            builder.light_words.update(w for text in f.light_words for w in words(text))
            if f.sound_rules or f.sound_silent:
                builder.sound = SoundKey(tuple(f.sound_rules), f.sound_silent)
            builder.deciding_words.update(w for text in f.deciding_words for w in words(text))
            builder.corrections.update(tuple(words(w)) for w in f.corrections)
            builder.negations.update(tuple(words(w)) for w in f.negations)
            builder.hesitations.update(tuple(words(w)) for w in f.hesitations)
            builder.agreements.update(tuple(words(w)) for w in f.agreements)
            builder.declines.update(tuple(words(w)) for w in f.declines)
            for need, looked_up in f.needs.items():
                builder.needs[tuple(words(need))] = tuple(words(looked_up))
            for choice, others in f.choice_words.items():
                builder.choice_words[tuple(words(choice))] = tuple(others)
            for heard, meant in f.homophones.items():
                more = [meant] if isinstance(meant, str) else meant
                builder.homophones[heard] = tuple(dict.fromkeys([*builder.homophones.get(heard, ()), *more]))
        code = next(iter(languages), "en")
        if code in known_languages():
            builder.add_units(load_language(code).units)
        for name, f in parsed:
            builder.add_intents(name, f.intents)
        if problems:
            raise GrammarError(problems)
        fillers = _longest_first(builder.fillers)
        grammar = cls(
            language=languages.pop() if languages else "en",
            lists=builder.lists,
            fillers=fillers,
            homophones=builder.homophones,
            light_words=frozenset(builder.light_words),
            sound=builder.sound,
            deciding_words=frozenset(builder.deciding_words),
            corrections=_longest_first(builder.corrections),
            negations=_longest_first(builder.negations),
            hesitations=_longest_first(builder.hesitations),
            needs=builder.needs,
            choice_words=builder.choice_words,
            agreements=_longest_first(builder.agreements),
            declines=_longest_first(builder.declines),
        )
        seen: set[tuple[str, tuple[Token, ...], tuple[tuple[str, str], ...]]] = set()
        for tpl in builder.templates:
            tokens = _drop_fillers(tpl.tokens, fillers)
            key = (tpl.intent, tokens, tpl.fixed_slots)
            if tokens and key not in seen:
                seen.add(key)
                grammar.templates.append(Template(tpl.intent, tokens, tpl.fixed_slots, tpl.source))
        return grammar

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = "<grammar>") -> Grammar:
        return cls.from_dicts([(name, _load_yaml(stream.read(), name))])

    @classmethod
    def from_dir(cls, folder: Path) -> Grammar:
        """Every ``*.yaml`` file in ``folder`` (``voiceshop/language/en/grammar``), merged."""
        paths = sorted(folder.glob("*.yaml"))
        if not paths:
            raise GrammarError([Problem(str(folder), None, "", "no grammar files (*.yaml) in this folder")])
        return cls.from_dicts((p.name, _load_yaml(p.read_text(encoding="utf-8"), p.name)) for p in paths)


def _load_yaml(text: str, name: str) -> Mapping[str, Any]:
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise GrammarError([Problem(name, line, "", f"not valid YAML: {getattr(err, 'problem', err)}")]) from None
    if not isinstance(content, dict):
        raise GrammarError([Problem(name, None, "", "a grammar file must be a mapping with 'language' and 'intents'")])
    return content


def _longest_first(phrases: set[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((p for p in phrases if p), key=lambda p: (-len(p), p)))


def _drop_fillers(tokens: tuple[Token, ...], fillers: tuple[tuple[str, ...], ...]) -> tuple[Token, ...]:
    out: list[Token] = []
    run: list[str] = []
    for t in (*tokens, None):
        if isinstance(t, str):
            run.append(t)
            continue
        out += drop_phrases(run, fillers)[0]
        run = []
        if t is not None:
            out.append(t)
    return tuple(out)


# --- the file format ---------------------------------------------------------------------------------


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DataBlock(_FileModel):
    sentences: list[str] = Field(min_length=1)
    slots: dict[str, str | int] = {}
    """Slot values set whenever one of these sentences matches ("topic: returns")."""


class IntentBlock(_FileModel):
    data: list[DataBlock] = Field(min_length=1)


class InOut(_FileModel):
    in_: str = Field(alias="in")
    out: str | int


class ListBlock(_FileModel):
    values: list[str | InOut] = []
    wildcard: bool = False
    rest: bool = False
    """voiceshop's addition: a wildcard that ends a sentence takes all the words after it."""


class GrammarFile(_FileModel):
    language: str = "en"
    intents: dict[str, IntentBlock] = {}
    lists: dict[str, ListBlock] = {}
    expansion_rules: dict[str, str] = {}
    skip_words: list[str] = []
    homophones: dict[str, str | list[str]] = {}
    """voiceshop's addition to the format: what a recognizer writes -> the word(s) it may have heard."""
    light_words: list[str] = []
    """voiceshop's addition: words that carry little evidence of what is wanted (see ``Grammar``)."""
    deciding_words: list[str] = []
    """voiceshop's addition: words that decide for an intent other than ordering (see ``Grammar``)."""
    corrections: list[str] = []
    """voiceshop's addition: phrases that take back what was just said ("sorry", "i mean")."""
    negations: list[str] = []
    """voiceshop's addition: phrases that refuse the option after them ("without", "hold the")."""
    hesitations: list[str] = []
    """voiceshop's addition: phrases that only buy time ("um", "let me think")."""
    agreements: list[str] = []
    """voiceshop's addition: phrases that take what was just offered ("yes", "one of those")."""
    declines: list[str] = []
    """voiceshop's addition: phrases that turn down what was just offered ("leave that")."""
    needs: dict[str, str] = {}
    """voiceshop's addition: a need and the words it is also looked up as ("headache": "pain")."""
    choice_words: dict[str, list[str]] = {}
    """voiceshop's addition: other ways to say an option choice a shop names plainly ("large": "big")."""
    sound_rules: list[tuple[str, str]] = []
    """voiceshop's addition: spellings of one sound, merged for a sound key ("ph" -> "f")."""
    sound_silent: str = ""
    """voiceshop's addition: letters that carry little of a word's sound, dropped after the first."""


# --- expansion -----------------------------------------------------------------------------------------


@dataclass
class _Builder:
    problems: list[Problem]
    rules: dict[str, Expression] = field(default_factory=dict)
    lists: dict[str, GrammarList] = field(default_factory=dict)
    fillers: set[tuple[str, ...]] = field(default_factory=set)
    homophones: dict[str, tuple[str, ...]] = field(default_factory=dict)
    light_words: set[str] = field(default_factory=set)
    sound: SoundKey = field(default_factory=SoundKey)
    deciding_words: set[str] = field(default_factory=set)
    corrections: set[tuple[str, ...]] = field(default_factory=set)
    negations: set[tuple[str, ...]] = field(default_factory=set)
    hesitations: set[tuple[str, ...]] = field(default_factory=set)
    choice_words: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    needs: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    agreements: set[tuple[str, ...]] = field(default_factory=set)
    declines: set[tuple[str, ...]] = field(default_factory=set)
    templates: list[Template] = field(default_factory=list)

    def parse(self, text: str, where: tuple[str, str]) -> Expression | None:
        try:
            return parse_sentence(text).expression
        except Exception as err:  # hassil raises several exception types for a bad template
            self.problems.append(Problem(where[0], None, where[1], f"cannot parse template {text!r}: {err}"))
            return None

    def add_rules(self, name: str, rules: Mapping[str, str]) -> None:
        for rule, text in rules.items():
            exp = self.parse(text, (name, f"expansion_rules.{rule}"))
            if exp is not None:
                self.rules[rule] = exp

    def add_lists(self, name: str, lists: Mapping[str, ListBlock]) -> None:
        for list_name, block in lists.items():
            where = (name, f"lists.{list_name}")
            if list_name in SHOP_LISTS:
                self.problems.append(_problem(where, "this list is filled from the shop; use another name"))
                continue
            values: list[ListValue] = []
            for v in block.values:
                text, out = (v, v) if isinstance(v, str) else (v.in_, str(v.out))
                for seq in self.expand_text(text, where):
                    if any(isinstance(t, Slot) for t in seq):
                        self.problems.append(_problem(where, f"list value {text!r} may not refer to a list"))
                    else:
                        values.append(ListValue(tuple(str(t) for t in seq), out))
            if not values and not block.wildcard:
                self.problems.append(_problem(where, "a list needs 'values' or 'wildcard: true'"))
            self.lists[list_name] = GrammarList(list_name, tuple(values), block.wildcard, block.wildcard and block.rest)

    def add_units(self, units: Iterable[Unit]) -> None:
        """The units shoppers order in, from the language's one unit table, join the ``unit`` list; each
        value is the unit's canonical name, as pack sizes store it."""
        heard = [ListValue(tuple(words(form)), unit.name) for unit in units if unit.order for form in unit.spoken]
        own = self.lists.get("unit")
        self.lists["unit"] = GrammarList("unit", (*(own.values if own else ()), *heard))

    def add_intents(self, name: str, intents: Mapping[str, IntentBlock]) -> None:
        for intent, block in intents.items():
            for b, data in enumerate(block.data):
                fixed = tuple(sorted((k, str(v)) for k, v in data.slots.items()))
                for s, sentence in enumerate(data.sentences):
                    where = (name, f"intents.{intent}.data.{b}.sentences.{s}")
                    for seq in self.expand_text(sentence, where):
                        bad = [t.list_name for t in seq if isinstance(t, Slot) and not self.known_list(t.list_name)]
                        if bad:
                            self.problems.append(_problem(where, f"unknown list {{{bad[0]}}} in {sentence!r}"))
                            break
                        self.templates.append(Template(intent, seq, fixed, f"{name}: {sentence}"))

    def known_list(self, name: str) -> bool:
        return name in SHOP_LISTS or name in self.lists

    def expand_text(self, text: str, where: tuple[str, str]) -> list[tuple[Token, ...]]:
        exp = self.parse(text, where)
        if exp is None:
            return []
        try:
            return self.expand(exp, 0)
        except _TooMany:
            self.problems.append(_problem(where, f"{text!r} expands to more than {MAX_EXPANSIONS:,} sentences"))
        except _BadRule as err:
            self.problems.append(_problem(where, str(err)))
        return []

    def expand(self, exp: Expression, depth: int) -> list[tuple[Token, ...]]:
        if isinstance(exp, TextChunk):
            return [tuple(words(exp.text))]
        if isinstance(exp, ListReference):
            return [(Slot(exp.slot_name, exp.list_name),)]
        if isinstance(exp, RuleReference):
            if exp.rule_name not in self.rules:
                raise _BadRule(f"unknown expansion rule <{exp.rule_name}>")
            if depth >= MAX_RULE_DEPTH:
                raise _BadRule(f"expansion rule <{exp.rule_name}> nests too deep (does it refer to itself?)")
            return self.expand(self.rules[exp.rule_name], depth + 1)
        if isinstance(exp, Alternative):
            out = [seq for item in exp.items for seq in self.expand(item, depth)]
            if exp.is_optional:
                out.append(())
            return _unique(out)
        if isinstance(exp, Permutation):
            parts = [self.expand(item, depth) for item in exp.items]
            out = []
            for order in itertools.permutations(parts):
                out += _product(list(order))
            return _unique(out)
        if isinstance(exp, Group):
            return _product([self.expand(item, depth) for item in exp.items])
        raise _BadRule(f"unsupported template element {type(exp).__name__}")


def _problem(where: tuple[str, str], message: str) -> Problem:
    return Problem(where[0], None, where[1], message)


class _TooMany(Exception):
    pass


class _BadRule(Exception):
    pass


def _unique(seqs: list[tuple[Token, ...]]) -> list[tuple[Token, ...]]:
    if len(seqs) > MAX_EXPANSIONS:
        raise _TooMany
    return list(dict.fromkeys(seqs))


def _product(parts: list[list[tuple[Token, ...]]]) -> list[tuple[Token, ...]]:
    out: list[tuple[Token, ...]] = [()]
    for options in parts:
        out = [a + b for a in out for b in options]
        if len(out) > MAX_EXPANSIONS:
            raise _TooMany
    return _unique(out)
