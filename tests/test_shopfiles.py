"""Shop folders: the examples load; malformed files give every problem with file, line and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from voiceshop.errors import Problem, ShopFileError
from voiceshop.shopfiles import load_shop_folder

SHOP = """\
slug: test-shop
name: Test Shop
currency: USD
delivery:
  - {kind: pickup, name: pick up, eta: in ten minutes}
"""

CATALOG = """\
option_groups:
  - name: size
    required: true
    choices:
      - {name: small}
      - {name: large, price: 1.00}
products:
  - sku: TEA
    name: tea
    category: drinks
    price: 2.00
    options: [size]
  - sku: BUN
    name: bun
    category: food
    price: 1.50
"""

CSV = "sku,name,category,price,stock\nA1,apple,fruit,0.50,10\nB1,banana,fruit,0.25,20\n"


def make_shop(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(ShopFileError) as info:
        load_shop_folder(folder)
    return info.value.problems


@pytest.mark.parametrize("name", ["coffee-bar", "corner-store"])
def test_examples_validate(name: str) -> None:
    b = load_shop_folder(EXAMPLES / name)
    assert b.shop.slug == name
    assert len(b.catalog.products) >= (150 if name == "corner-store" else 13)


def test_corner_store_covers_the_required_departments() -> None:
    cats = set(load_shop_folder(EXAMPLES / "corner-store").catalog.categories())
    assert {"groceries", "drinks", "household", "personal care", "pharmacy", "batteries", "small electronics"} <= cats


def test_coffee_bar_matches_the_menu() -> None:
    import yaml

    menu = (
        yaml.safe_load((EXAMPLES.parent.parent / "shared" / "menus" / "coffee-bar.yaml").read_text())
        if (EXAMPLES.parent.parent / "shared" / "menus" / "coffee-bar.yaml").exists()
        else None
    )
    b = load_shop_folder(EXAMPLES / "coffee-bar")
    by_name = {p.name: p for p in b.catalog.products}
    drinks = [
        "coffee",
        "house coffee",
        "drip coffee",
        "iced coffee",
        "americano",
        "espresso",
        "cappuccino",
        "latte",
        "mocha",
        "iced mocha",
    ]
    for d in drinks:
        assert set(by_name[d].options) == {"size", "roast", "shots", "milk", "sweetener"}
    if menu is not None:  # the menu lies beside the repository in the workplace, not in a clone elsewhere
        for d in menu["drinks"]:
            assert by_name[d["name"]].price == d["price"]
        for f in menu["food"]:
            assert by_name[f["name"]].price == f["price"]
        sizes = {c.name: c.price for c in b.catalog.group("size").choices}  # type: ignore[union-attr]
        assert sizes == {s["name"]: s["price"] for s in menu["options"]["size"]}


def test_json_and_csv_catalogs(tmp_path: Path) -> None:
    import yaml

    folder = make_shop(tmp_path, {"shop.yaml": SHOP, "catalog.json": json.dumps(yaml.safe_load(CATALOG))})
    assert load_shop_folder(folder).catalog.product("TEA").price == 200  # type: ignore[union-attr]
    (folder / "catalog.json").unlink()
    (folder / "catalog.csv").write_text(CSV)
    cat = load_shop_folder(folder).catalog
    assert [(p.sku, p.price, p.stock) for p in cat.products] == [("A1", 50, 10), ("B1", 25, 20)]


def test_csv_catalog_with_option_groups_in_shop_yaml(tmp_path: Path) -> None:
    shop = (
        SHOP
        + "option_groups:\n  - name: size\n    default: small\n    choices: [{name: small}, {name: big, price: 0.5}]\n"
    )
    csv = "sku,name,category,price,options\nA1,apple juice,drinks,2.00,size\n"
    cat = load_shop_folder(make_shop(tmp_path, {"shop.yaml": shop, "catalog.csv": csv})).catalog
    assert cat.groups_for(cat.products[0])[0].name == "size"


# Each malformed shop: the files that differ from a valid shop, then (file, line, text in the message).
MALFORMED: dict[str, tuple[dict[str, str | bytes], list[tuple[str, int | None, str]]]] = {
    "bad yaml": (
        {"catalog.yaml": CATALOG.replace("    price: 2.00\n", "    price: [2.00\n")},
        [("catalog.yaml", 12, "not valid YAML")],
    ),
    "duplicate sku": (
        {"catalog.yaml": CATALOG.replace("sku: BUN", "sku: TEA")},
        [("catalog.yaml", 13, "duplicate SKU 'TEA'")],
    ),
    "negative price": (
        {"catalog.yaml": CATALOG.replace("price: 1.50", "price: -1.50")},
        [("catalog.yaml", 16, "greater than or equal to 0")],
    ),
    "unknown option group": (
        {"catalog.yaml": CATALOG.replace("options: [size]", "options: [sise]")},
        [("catalog.yaml", 12, "unknown option group 'sise' (known: size)")],
    ),
    "missing name": (
        {"catalog.yaml": CATALOG.replace("    name: bun\n", "")},
        [("catalog.yaml", 13, "name: is required")],
    ),
    "bad csv row": (
        {"catalog.yaml": None, "catalog.csv": CSV + "C1,cherry,fruit\nD1,date,fruit,1.00,5,extra\n"},  # type: ignore[dict-item]
        [("catalog.csv", 4, "fewer cells"), ("catalog.csv", 5, "more cells")],
    ),
    "bad csv value": (
        {"catalog.yaml": None, "catalog.csv": CSV.replace("0.25,20", "cheap,20")},  # type: ignore[dict-item]
        [("catalog.csv", 3, "amount such as 4.25")],
    ),
    "stray carriage return in the csv header": (
        {"catalog.yaml": None, "catalog.csv": "\r" + CSV},  # type: ignore[dict-item]
        [("catalog.csv", 1, "not valid CSV")],
    ),
    "unknown csv column": (
        {"catalog.yaml": None, "catalog.csv": CSV.replace("stock", "stok")},  # type: ignore[dict-item]
        [("catalog.csv", 1, "unknown column (did you mean 'stock'?)")],
    ),
    "wrong currency": (
        {"shop.yaml": SHOP.replace("currency: USD", "currency: DOLLARS")},
        [("shop.yaml", 3, "unknown currency 'DOLLARS'")],
    ),
    "too many decimals": (
        {"catalog.yaml": CATALOG.replace("price: 2.00", "price: 2.005")},
        [("catalog.yaml", 11, "more than 2 decimal places")],
    ),
    "unknown field": (
        {"catalog.yaml": CATALOG.replace("    category: food\n", "    categroy: food\n")},
        [
            ("catalog.yaml", 13, "category: is required"),
            ("catalog.yaml", 15, "unknown field 'categroy' (did you mean 'category'?)"),
        ],
    ),
    "bad opening hours": (
        {"shop.yaml": SHOP + "opening_hours:\n  monday: ['7am to 5pm']\n"},
        [("shop.yaml", 6, "not like '07:00-18:30'")],
    ),
    "coupon with percent and amount": (
        {"shop.yaml": SHOP + "coupons:\n  - {code: X10, percent: 10, amount: 1}\n"},
        [("shop.yaml", 7, "exactly one of 'percent' or 'amount'")],
    ),
    "missing catalog": ({"catalog.yaml": None}, [("shop", None, "has no catalog file")]),  # type: ignore[dict-item]
    "missing shop.yaml": ({"shop.yaml": None}, [("shop", None, "has no shop file")]),  # type: ignore[dict-item]
    "not utf-8": ({"catalog.yaml": CATALOG.encode("utf-16")}, [("catalog.yaml", 1, "not UTF-8")]),
    "empty catalog": ({"catalog.yaml": "products: []\n"}, [("catalog.yaml", 1, "no products")]),
    "catalog is a list": ({"catalog.yaml": "- a\n- b\n"}, [("catalog.yaml", 1, "must be a mapping")]),
    "duplicate yaml key": (
        {"catalog.yaml": CATALOG.replace("    price: 1.50\n", "    price: 1.50\n    price: 2.50\n")},
        [("catalog.yaml", 17, "key 'price' appears twice")],
    ),
    "related to unknown sku": (
        {"catalog.yaml": CATALOG + "    related: [JAM]\n"},
        [("catalog.yaml", 17, "related SKU 'JAM'")],
    ),
    "invalid product is still a known sku": (
        {"catalog.yaml": CATALOG.replace("price: 2.00", "price: -2") + "    related: [TEA]\n"},
        [("catalog.yaml", 11, "greater than or equal to 0")],
    ),
    "bad json": (
        {"catalog.yaml": None, "catalog.json": '{"products": [\n  {"sku": "A",}\n]}'},  # type: ignore[dict-item]
        [("catalog.json", 2, "not valid JSON")],
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_shop_files(tmp_path: Path, case: str) -> None:
    changes, expected = MALFORMED[case]
    files: dict[str, str | bytes] = {"shop.yaml": SHOP, "catalog.yaml": CATALOG}
    for name, text in changes.items():
        if text is None:
            files.pop(name)
        else:
            files[name] = text
    folder = make_shop(tmp_path, files)
    found = problems_of(folder)
    rendered = [str(p) for p in found]
    for file, line, text in expected:
        match = [p for p in found if Path(p.file).name == file and p.line == line and text in str(p)]
        assert match, f"expected {file}:{line} '{text}' in {rendered}"
    assert len(found) == len(expected), rendered


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = CATALOG.replace("price: 1.50", "price: -1").replace("sku: BUN", "sku: TEA").replace("[size]", "[colour]")
    found = problems_of(make_shop(tmp_path, {"shop.yaml": SHOP.replace("USD", "XXX"), "catalog.yaml": bad}))
    assert len(found) == 4, [str(p) for p in found]
