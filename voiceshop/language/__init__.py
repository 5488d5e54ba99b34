"""One language's words outside the grammar: how text is normalised, plurals folded, units named.

Every stage that compares or says words goes through the same ``Language``, so a shop file's "Lattes",
a template's "what's in my cart" and a recognizer's "what is in my cart" meet in the middle:

- ``words(text)``: lower case, symbols spelled out, contractions expanded, punctuation dropped;
- ``phrase(text)``: those words single-spaced, the form names are compared in;
- ``singular(word)`` / ``key(text)`` and ``plural(name)``: one plural table, both ways;
- ``unit(said)``: the canonical unit of "oz", "ounces" or "ounce"; ``say_short(said)`` how "12 oz" is said;
- ``function_words(name)``: the small word sets the parsers treat specially.

Everything one language has is in its folder ``voiceshop/language/<code>/``: ``words.yaml`` (these
tables), ``replies.yaml`` (what the dialog says) and ``grammar/`` (the intent templates); the rules that
are code stay here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml

from voiceshop.errors import LanguageError

DEFAULT = "en"

_SPLIT = re.compile(r"[^\w'.]+")
_DECIMAL = re.compile(r"\d+\.\d+")
_TIMES = re.compile(r"x(\d+)|(\d+)x")


@dataclass(frozen=True)
class Unit:
    """A unit a pack size is measured or sold in."""

    name: str
    """Canonical name, as stored and said for one: "ounce"."""
    plural: str
    short: tuple[str, ...] = ()
    """Short forms said as ``name``: "oz"."""
    short_plural: tuple[str, ...] = ()
    """Short forms said as ``plural``: "lbs"."""
    words: tuple[str, ...] = ()
    """Other words for it: "liter", "kilos"."""
    order: bool = False
    """Whether shoppers order in it ("two gallons of milk"), so the grammar hears it."""

    @property
    def spoken(self) -> tuple[str, ...]:
        """Everything a shopper may say for it (short forms of more than one letter included)."""
        shorts = (s for s in (*self.short, *self.short_plural) if len(s) > 1)
        return tuple(dict.fromkeys((self.name, self.plural, *self.words, *shorts)))


Interruption = Literal["stop", "cancel"]


@dataclass(frozen=True)
class InterruptWords:
    """What a shopper says over a reply to interrupt it (``interrupt`` in words.yaml)."""

    stop: tuple[str, ...]
    """Phrases that cut the reply and leave voiceshop quiet."""
    cancel: tuple[str, ...]
    """Phrases that cut the reply and are the shopper's turn."""
    polite: frozenset[str]
    """Words allowed around them ("stop please")."""

    @property
    def words(self) -> list[str]:
        """Every word of every phrase (a recogniser's vocabulary must hold them)."""
        return sorted({w for p in (*self.stop, *self.cancel) for w in p.split()})


@dataclass(frozen=True)
class NumberWords:
    """The words of numbers; ``voiceshop.nlu.numbers`` holds the syntax that puts them together."""

    ones: tuple[str, ...]
    """0..19."""
    tens: tuple[str, ...]
    """20, 30 .. 90."""
    also: Mapping[str, int]
    """Other spellings: "oh" 0."""
    homophones: Mapping[str, int]
    """What a recognizer writes for a spoken number: "for" 4."""
    hundred: str
    thousand: str
    hundred_and: frozenset[str]
    one_hundred: frozenset[str]
    """Words that make "a hundred"."""
    dozen: frozenset[str]
    dozen_of: frozenset[str]
    quantities: tuple[tuple[tuple[str, ...], int], ...]
    """Quantity phrases, longest first: ("a", "couple", "of") 2."""
    ordinals: tuple[str, ...]
    """1st..19th."""
    tens_ordinals: Mapping[str, int]
    ordinal_suffixes: tuple[str, ...]
    last: frozenset[str]


class Language:
    """The word tables of one language, read from its ``words.yaml``."""

    def __init__(self, code: str, data: Mapping[str, object]) -> None:
        self.code = code
        try:
            text = _mapping(data, "text")
            self._symbols = {str(k): f" {v} " for k, v in _mapping(text, "symbols").items()}
            self._contractions = {str(k): tuple(str(v).split()) for k, v in _mapping(text, "contractions").items()}
            self._letter_plural = str(text.get("letter_plural") or "")
            plurals = _mapping(data, "plurals")
            self._singular = _rules(plurals, "singular")
            self._plural = _rules(plurals, "plural")
            self._head_before = tuple(f" {w} " for w in _list(plurals, "head_before"))
            units = _mapping(data, "units")
            self.units = tuple(_unit(str(name), _mapping(units, str(name))) for name in units)
            self.currencies = {
                str(code): tuple(str(w) for w in _list(_mapping(data, "currencies"), str(code)))
                for code in _mapping(data, "currencies")
            }
            self._sets = {str(k): frozenset(str(v).split()) for k, v in _mapping(data, "function_words").items()}
            self.numbers = _numbers(_mapping(data, "numbers"))
            interrupt = _mapping(data, "interrupt")
            self.interrupt_words = InterruptWords(
                stop=tuple(self.phrase(str(p)) for p in _list(interrupt, "stop")),
                cancel=tuple(self.phrase(str(p)) for p in _list(interrupt, "cancel")),
                polite=frozenset(str(interrupt["polite"]).split()),
            )
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise LanguageError(f"the word tables of language {code!r} are malformed: {exc}", language=code) from exc
        self._unit_of: dict[str, str] = {}
        self._said_as: dict[str, str] = {}
        for unit in self.units:
            for form in (unit.name, unit.plural, *unit.words, *unit.short, *unit.short_plural):
                self._unit_of.setdefault(form, unit.name)
            self._said_as.update({s: unit.name for s in unit.short})
            self._said_as.update({s: unit.plural for s in unit.short_plural})
        self.singular: Callable[[str], str] = lru_cache(maxsize=1 << 16)(self._fold)
        """The singular of one normalised word: "batteries" -> "battery"; a singular stays as it is."""

    # --- text -----------------------------------------------------------------------------------

    def words(self, text: str) -> list[str]:
        """Normalised words: ``words("I'd like 2 Coca-Colas!") == ["i", "would", "like", "2", "coca", "colas"]``."""
        # "\u2019" is the typographic apostrophe some recognizers and keyboards write
        text = text.lower().replace("\u2019", "'")
        for symbol, spelled in self._symbols.items():
            text = text.replace(symbol, spelled)
        out: list[str] = []
        for raw in _SPLIT.split(text):
            token = raw.strip("'.")
            if not token:
                continue
            if "." in token and not _DECIMAL.fullmatch(token):
                out += [t for t in token.split(".") if t]  # "u.s.b" or a sentence end glued to a word
                continue
            expanded = self._contractions.get(token)
            plural = self._letter_plural
            times = _TIMES.fullmatch(token)
            if times:
                out.append(times.group(1) or times.group(2))  # "tissues x2", "2x": a count typed
            elif plural and len(token) == 1 + len(plural) and token.endswith(plural):
                out.append(token[0])  # a letter's plural: "double a's" are double a batteries
            elif expanded:
                out += expanded
            else:
                out.append(token.replace("'", ""))
        return out

    @property
    def contractions(self) -> Mapping[str, tuple[str, ...]]:
        """Contracted words and the words ``words`` expands them to: "i'd" -> ("i", "would")."""
        return self._contractions

    def phrase(self, text: str) -> str:
        """The words of ``text`` single-spaced: the form spoken and written names are compared in."""
        return " ".join(self.words(text))

    def key(self, text: str) -> str:
        """``phrase`` with every word singular: "Tooth Brushes" and "toothbrush" differ only by a space."""
        return " ".join(self.singular(w) for w in self.words(text))

    def interruption(self, text: str) -> Interruption | None:
        """Whether ``text`` is only a stop or cancel phrase (polite words aside, said up to three
        times): "Stop." and "stop stop please" are, "don't stop" and "cancel my order" are not."""
        said = [w for w in self.words(text) if w not in self.interrupt_words.polite]
        for kind, phrases in (("stop", self.interrupt_words.stop), ("cancel", self.interrupt_words.cancel)):
            for phrase in phrases:
                n = len(phrase.split())
                if (
                    said
                    and len(said) % n == 0
                    and len(said) <= 3 * n
                    and " ".join(said) == " ".join([phrase] * (len(said) // n))
                ):
                    return "stop" if kind == "stop" else "cancel"
        return None

    # --- plurals --------------------------------------------------------------------------------

    def _fold(self, word: str) -> str:
        for pattern, replacement in self._singular:
            m = pattern.fullmatch(word)
            if m:
                return m.expand(replacement)
        return word

    def is_plural(self, name: str) -> bool:
        """Whether a name is in the plural: its last word has a singular of its own ("paper towels")."""
        last = name.lower().rpartition(" ")[2]
        return self.singular(last) != last

    def plural(self, name: str) -> str:
        """A name in the plural: "latte" -> "lattes", "pack of batteries" -> "packs of batteries"."""
        head, tail = name, ""
        for sep in self._head_before:
            if sep in name:
                head, _, rest = name.partition(sep)
                tail = sep + rest
                break
        before, _, last = head.rpartition(" ")
        if not last:
            return name
        for pattern, replacement in self._plural:
            m = pattern.fullmatch(last)
            if m:
                last = m.expand(replacement)
                break
        return (f"{before} {last}" if before else last) + tail

    # --- units ----------------------------------------------------------------------------------

    def unit(self, said: str) -> str | None:
        """The canonical unit of a short form or word ("oz", "ounces" -> "ounce"), else None."""
        return self._unit_of.get(said.lower().strip())

    def say_short(self, short: str) -> str | None:
        """How a short form after a number is said ("oz" -> "ounce", "lbs" -> "pounds"), else None."""
        return self._said_as.get(short.lower())

    @property
    def short_forms(self) -> tuple[str, ...]:
        return tuple(self._said_as)

    # --- word sets ------------------------------------------------------------------------------

    def function_words(self, name: str) -> frozenset[str]:
        """One of the word sets under ``function_words`` in words.yaml."""
        try:
            return self._sets[name]
        except KeyError:
            raise LanguageError(
                f"language {self.code!r} has no function word set {name!r}; add it to its words.yaml",
                language=self.code,
            ) from None


def folder(code: str = DEFAULT) -> Path:
    """The bundled folder of language ``code``: ``words.yaml``, ``replies.yaml`` and ``grammar/``."""
    return Path(__file__).resolve().parent / code


def load(code: str = DEFAULT) -> Language:
    """The bundled word tables of ``code`` ("en"), read once."""
    return _load(code)


@cache
def _load(code: str) -> Language:
    folder = resources.files("voiceshop.language").joinpath(code)
    source = folder.joinpath("words.yaml")
    if not re.fullmatch(r"[a-z]{2,3}", code) or not source.is_file():
        raise LanguageError(f"voiceshop has no words for language {code!r}; known: {', '.join(known())}", language=code)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LanguageError(f"the word tables of language {code!r} are not a mapping", language=code)
    return Language(code, data)


def known() -> list[str]:
    """The codes of the bundled languages."""
    root = resources.files("voiceshop.language")
    return sorted(e.name for e in root.iterdir() if e.is_dir() and e.joinpath("words.yaml").is_file())


def _mapping(data: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = data[key]
    if not isinstance(value, dict):
        raise TypeError(f"{key} must be a mapping")
    return value


def _list(data: Mapping[str, object], key: str) -> list[object]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise TypeError(f"{key} must be a list")
    return value


def _rules(data: Mapping[str, object], key: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for rule in _list(data, key):
        if not (isinstance(rule, list) and len(rule) == 2):
            raise ValueError(f"each {key} rule is [pattern, replacement], not {rule!r}")
        out.append((re.compile(str(rule[0])), str(rule[1])))
    return tuple(out)


def _numbers(data: Mapping[str, object]) -> NumberWords:
    def split(key: str) -> tuple[str, ...]:
        return tuple(str(data[key]).split())

    def values(key: str) -> dict[str, int]:
        return {str(k): int(str(v)) for k, v in _mapping(data, key).items()}

    phrases = sorted(((tuple(k.split()), v) for k, v in values("quantities").items()), key=lambda p: -len(p[0]))
    return NumberWords(
        ones=split("ones"),
        tens=split("tens"),
        also=values("also"),
        homophones=values("homophones"),
        hundred=str(data["hundred"]),
        thousand=str(data["thousand"]),
        hundred_and=frozenset(split("hundred_and")),
        one_hundred=frozenset(split("one_hundred")),
        dozen=frozenset(split("dozen")),
        dozen_of=frozenset(split("dozen_of")),
        quantities=tuple(phrases),
        ordinals=split("ordinals"),
        tens_ordinals=values("tens_ordinals"),
        ordinal_suffixes=split("ordinal_suffixes"),
        last=frozenset(split("last")),
    )


def _unit(name: str, data: Mapping[str, object]) -> Unit:
    def forms(key: str) -> tuple[str, ...]:
        return tuple(str(f) for f in _list(data, key))

    return Unit(
        name=name,
        plural=str(data.get("plural", name)),
        short=forms("short"),
        short_plural=forms("short_plural"),
        words=forms("words"),
        order=bool(data.get("order", False)),
    )
