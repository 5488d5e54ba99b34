"""One language's words: the one normaliser, the one plural table (both ways) and the one unit table."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from voiceshop.commerce.catalog import PackSize
from voiceshop.dialog.speak import plural, speakable
from voiceshop.errors import LanguageError
from voiceshop.language import Language, known, load
from voiceshop.language import folder as language_folder
from voiceshop.nlu.grammar import Grammar, grammar_dir
from voiceshop.shopfiles import load_shop_folder

EN = load("en")


def test_english_is_bundled() -> None:
    assert "en" in known()
    assert load() is EN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'd like 2 Coca-Colas!", "i would like 2 coca colas"),
        ("What\u2019s in my cart?", "what is in my cart"),
        ("Salt & Vinegar, 2% milk", "salt and vinegar 2 percent milk"),
        ("u.s.b. cable, 1.5 m", "u s b cable 1.5 m"),
        ("  Soy   Milk ", "soy milk"),
    ],
)
def test_one_normaliser(text: str, expected: str) -> None:
    assert EN.phrase(text) == expected
    assert EN.words(text) == expected.split()


@pytest.mark.parametrize(
    ("one", "many"),
    [("latte", "lattes"), ("battery", "batteries"), ("box", "boxes"), ("brush", "brushes"), ("egg", "eggs")],
)
def test_plural_table_both_ways(one: str, many: str) -> None:
    assert EN.plural(one) == many
    assert EN.singular(many) == one
    assert EN.singular(one) == one
    assert plural(2, one) == f"two {many}"


def test_plural_of_a_name_changes_its_head() -> None:
    assert EN.plural("pack of batteries") == "packs of batteries"
    assert EN.plural("large oat latte") == "large oat lattes"
    assert EN.plural("batteries") == "batteries"


def test_search_key_folds_plurals_of_every_word() -> None:
    assert EN.key("Tooth Brushes") == "tooth brush"


def _names() -> list[str]:
    root = Path(__file__).resolve().parent.parent / "examples"
    shops = [load_shop_folder(root / shop) for shop in ("coffee-bar", "corner-store")]
    return sorted({p.name for shop in shops for p in shop.catalog.products})


def test_every_product_name_folds_back_from_its_plural() -> None:
    """What the dialog says for two of a product is heard back as that product."""
    wrong = [n for n in _names() if EN.key(EN.plural(n)) != EN.key(n)]
    assert wrong == []


@pytest.mark.parametrize(
    ("said", "unit"),
    [("oz", "ounce"), ("ounces", "ounce"), ("lbs", "pound"), ("kilos", "kilogram"), ("fl oz", "fluid ounce")],
)
def test_one_unit_table(said: str, unit: str) -> None:
    assert EN.unit(said) == unit
    assert EN.unit("parsec") is None


def test_shop_files_speech_and_grammar_share_the_unit_table() -> None:
    assert PackSize.parse("6 x 330 ml").unit == "millilitre"
    assert PackSize.parse("2 lbs").unit == "pound"
    assert speakable("coffee 12 oz, rice 2 lbs") == "coffee twelve ounce, rice two pounds"
    heard = {v.words: v.out for v in Grammar.from_dir(grammar_dir()).lists["unit"].values}
    assert heard[("gallons",)] == "gallon"
    assert heard[("lbs",)] == "pound"
    assert heard[("six", "pack")] == "6 pack"
    assert ("sheets",) not in heard  # a unit pack sizes use, not one shoppers order in


def test_function_words() -> None:
    assert "the" in EN.function_words("articles")
    with pytest.raises(LanguageError, match="no function word set"):
        EN.function_words("nonsense")


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(LanguageError, match="no words for language 'xx'; known: en"):
        load("xx")


def test_malformed_tables_are_a_clear_error() -> None:
    with pytest.raises(LanguageError, match="malformed"):
        Language("xx", {"text": {"symbols": {}, "contractions": {}}, "plurals": {"singular": [["(", "x"]]}})


def test_every_language_file_ships_in_the_package() -> None:
    """A language is one folder (words, replies, grammar); a wheel install must carry all of it."""
    root = Path(__file__).resolve().parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["voiceshop"]
    package = root / "voiceshop"
    for code in known():
        folder = language_folder(code)
        assert (folder / "words.yaml").is_file() and (folder / "replies.yaml").is_file(), code
        assert list((folder / "grammar").glob("*.yaml")), code
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
                name = path.relative_to(package).as_posix()
                assert any(fnmatch(name, p) for p in patterns), f"{name} is not package data in pyproject.toml"
