"""The natural-speech suite: what shoppers really say, written in voices other than the grammar's.

``<lang>/<shop>.yaml`` holds cases (text, kind, intent, items, product); ``<lang>/known-failures.yaml``
names the cases understanding still gets wrong, each with its cause, so that the suite stays green
while it says exactly what fails, and a fixed case is noticed (its test then fails as an unexpected
pass). Every third case (``held_out``; a file may say ``held_out_every: 2``) is kept out of tuning: the
figures on it are the honest ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import EXAMPLES
from voiceshop.nlu import Grammar, Understander, Understanding, grammar_dir
from voiceshop.shopfiles.loader import load_shop_folder

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Case:
    language: str
    shop: str
    index: int
    text: str
    kind: str
    intent: str | None
    items: tuple[dict[str, Any], ...]
    product: str | None
    every: int = 3
    """One case in ``every`` is held out (a file says ``held_out_every`` when it was split otherwise)."""
    labelled_twice: bool = False
    """The same words are another case wanting something else ("do you do sushi": a search in one
    writer's eyes, a question about a product in another's)."""

    @property
    def held_out(self) -> bool:
        return self.index % self.every == self.every - 1

    @property
    def key(self) -> str:
        """How ``known-failures.yaml`` names the case: its words, and what it wants where those differ."""
        return f"{self.text} [{self.intent}]" if self.labelled_twice else self.text


def cases(language: str = "en") -> list[Case]:
    out = []
    for path in sorted((HERE / language).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "cases" not in data:
            continue
        for n, c in enumerate(data["cases"]):
            kind, items = c.get("kind", "other"), tuple(c.get("items") or ())
            every = int(data.get("held_out_every", 3))
            out.append(Case(language, data["shop"], n, c["text"], kind, c["intent"], items, c.get("product"), every))
    wants: dict[str, set[str]] = {}
    for case in out:
        wants.setdefault(case.text, set()).add(repr((case.intent, case.items, case.product)))
    return [replace(case, labelled_twice=len(wants[case.text]) > 1) for case in out]


def known_failures(language: str = "en") -> dict[str, str]:
    """Case text -> why understanding still gets it wrong."""
    path = HERE / language / "known-failures.yaml"
    if not path.exists():
        return {}
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


@cache
def understander(shop: str, language: str = "en") -> Understander:
    bundle = load_shop_folder(EXAMPLES / shop)
    return Understander(bundle.shop, bundle.catalog, Grammar.from_dir(grammar_dir(language)))


def _options(item: dict[str, Any]) -> dict[str, list[tuple[str, str | None]]]:
    """group -> its choices, sorted: one, or a list of several add-ons ("olives and ham")."""
    out = {}
    for group, said in (item.get("options") or {}).items():
        chosen = said if isinstance(said, list) else [said]
        out[group] = sorted((c["choice"], c.get("amount")) if isinstance(c, dict) else (c, None) for c in chosen)
    return out


def problems(case: Case, u: Understanding) -> list[str]:
    """What differs between what was understood and what the case wants; empty when right."""
    if u.intent != case.intent:
        return [f"intent {u.intent} (confidence {u.confidence}), wanted {case.intent}"]
    out = []
    if case.product is not None:
        slot = u.slots.get("product")
        value = slot.value if slot else None
        if value != case.product:
            out.append(f"product {value}, wanted {case.product}")
    if case.intent != "AddItems":
        return out
    got = [i for i in u.items if not i.refused]  # "not tylenol": said, but no item of the order
    if len(got) != len(case.items):
        return [*out, f"{len(got)} items {[(i.sku, i.quantity) for i in got]}, wanted {len(case.items)}"]
    for want, item in zip(case.items, got, strict=True):
        if "candidates" in want:
            found = sorted(c.value for c in item.candidates) if item.sku is None else [item.sku]
            if found != sorted(want["candidates"]):
                out.append(f"candidates {found}, wanted {sorted(want['candidates'])}")
        elif item.sku != want["sku"]:
            out.append(f"product {item.sku} {[c.value for c in item.candidates][:3]}, wanted {want['sku']}")
        if item.quantity != want.get("quantity", 1):
            out.append(f"{item.sku} quantity {item.quantity}, wanted {want.get('quantity', 1)}")
        if "unit" in want and item.unit != want["unit"]:
            out.append(f"{item.sku} unit {item.unit}, wanted {want['unit']}")
        options: dict[str, list[tuple[str, str | None]]] = {}
        for o in item.options:
            options.setdefault(o.group, []).append((o.choice, o.amount))
        options = {group: sorted(chosen) for group, chosen in options.items()}
        if options != _options(want):
            out.append(f"{item.sku} options {options}, wanted {_options(want)}")
    return out


def check(case: Case) -> list[str]:
    return problems(case, understander(case.shop, case.language).understand(case.text))
