"""The golden sentence suite: tests/sentences/<lang>/<Intent>.yaml, one test per sentence.

Each sentence must give exactly the intent, slots and items its block lists; a slot or item that is
missing, extra or different fails. ``intent: null`` files hold speech that must not be understood.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES
from voiceshop.nlu import Grammar, Understander, Understanding, grammar_dir
from voiceshop.shopfiles.loader import load_shop_folder

SENTENCES = Path(__file__).parent / "sentences"


@cache
def understander(shop: str, language: str = "en") -> Understander:
    bundle = load_shop_folder(EXAMPLES / shop)
    return Understander(bundle.shop, bundle.catalog, Grammar.from_dir(grammar_dir(language)))


def cases() -> list[Any]:
    out = []
    for path in sorted(SENTENCES.glob("*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for n, block in enumerate(data["tests"]):
            for sentence in block["sentences"]:
                case = (path.parent.name, data["intent"], block, sentence)
                out.append(pytest.param(*case, id=f"{path.stem}-{n}-{sentence}"))
    return out


CASES = cases()


def test_suite_size() -> None:
    """The issue's floor: 500 sentences over the example shops, 100 of them garbled as a recognizer would."""
    assert len(CASES) >= 500
    garbled = [c for c in CASES if c.values[2].get("garbled")]
    assert len(garbled) >= 100
    assert {c.values[2]["shop"] for c in CASES} >= {"coffee-bar", "corner-store", "noodle-bar", "nonnas-pizza"}


def expected_item(item: dict[str, Any]) -> dict[str, Any]:
    options = {}
    for group, choice in (item.get("options") or {}).items():
        options[group] = (choice["choice"], choice["amount"]) if isinstance(choice, dict) else (choice, None)
    return {
        "sku": item.get("sku"),
        "candidates": sorted(item.get("candidates", [])),
        "quantity": item.get("quantity", 1),
        "unit": item.get("unit"),
        "options": options,
        "unfit": sorted(item.get("unfit", [])),
    }


def actual_item(item: Any) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "candidates": sorted(c.value for c in item.candidates) if item.sku is None else [],
        "quantity": item.quantity,
        "unit": item.unit,
        "options": {o.group: (o.choice, o.amount) for o in item.options},
        "unfit": sorted(o.choice for o in item.unfit_options),
    }


def describe(u: Understanding) -> str:
    others = [(a.intent, a.confidence) for a in u.alternatives]
    return f"{u.intent} {u.confidence} via {u.template!r}; alternatives {others}"


def outcome(u: Understanding, intent: str | None) -> dict[str, Any]:
    """What a sentence came out as, in the terms of the golden files (only the intent when none is wanted)."""
    if intent is None or u.intent != intent:
        return {"intent": u.intent}
    return {
        "intent": u.intent,
        "slots": {name: slot.value for name, slot in u.slots.items()},
        "items": [actual_item(i) for i in u.items],
    }


def wanted(intent: str | None, block: dict[str, Any]) -> dict[str, Any]:
    if intent is None:
        return {"intent": None}
    return {
        "intent": intent,
        "slots": block.get("slots") or {},
        "items": [expected_item(i) for i in block.get("items") or []],
    }


@pytest.mark.parametrize(("language", "intent", "block", "sentence"), CASES)
def test_sentence(language: str, intent: str | None, block: dict[str, Any], sentence: str) -> None:
    u = understander(block["shop"], language).understand(sentence)
    assert outcome(u, intent) == wanted(intent, block), describe(u)
