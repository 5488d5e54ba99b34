from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tests.conftest import EXAMPLES
from voiceshop.commerce.cart import ChosenOption as Opt
from voiceshop.commerce.cart import price_item
from voiceshop.commerce.catalog import Catalog, OptionGroup, PackSize, Product
from voiceshop.commerce.search import CatalogIndex, by_need
from voiceshop.errors import CartError, OptionError, ProductNotFound
from voiceshop.shopfiles import ShopBundle
from voiceshop.shopfiles.loader import load_shop_folder


@pytest.mark.parametrize(
    ("text", "count", "amount", "unit"),
    [
        ("500 g", 1, "500", "gram"),
        ("6 x 330 ml", 6, "330", "millilitre"),
        ("4 pack", 4, None, None),
        ("12", 12, None, None),
        ("1 gallon", 1, "1", "gallon"),
        ("75 sq ft", 1, "75", "square foot"),
        ("2 kg", 1, "2", "kilogram"),
    ],
)
def test_pack_size(text: str, count: int, amount: str | None, unit: str | None) -> None:
    p = PackSize.parse(text)
    assert (p.count, p.amount, p.unit) == (count, Decimal(amount) if amount else None, unit)


@pytest.mark.parametrize("text", ["", "lots", "5 parsecs", "x 4"])
def test_pack_size_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        PackSize.parse(text)


def test_option_group_rules() -> None:
    with pytest.raises(ValidationError, match="not one of the choices"):
        OptionGroup(name="size", default="huge", choices=[{"name": "small"}])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="only add_on groups can have amounts"):
        OptionGroup(name="size", choices=[{"name": "small"}], amounts=[{"name": "some"}])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="listed twice"):
        OptionGroup(name="size", choices=[{"name": "small"}, {"name": "Small"}])  # type: ignore[list-item]


def test_price_latte_with_everything(coffee: ShopBundle) -> None:
    line = price_item(
        coffee.catalog,
        "DRK-LATTE",
        [
            Opt(group="size", choice="large"),
            Opt(group="shots", choice="double"),
            Opt(group="milk", choice="soya milk", amount="a splash of"),
            Opt(group="sweetener", choice="brown sugar"),
        ],
        quantity=2,
    )
    # 4.25 latte + 1.00 large + 0.75 double shot + 0.60 soy milk
    assert line.unit_price == 660
    assert line.line_total == 1320
    # aliases become canonical names; defaults are filled in; options come in the product's group order
    assert [o.describe() for o in line.options] == [
        "large",
        "medium roast",
        "double shot",
        "a little bit of soy milk",
        "brown sugar",
    ]


def test_required_option_missing_names_the_choices(coffee: ShopBundle) -> None:
    with pytest.raises(OptionError, match="latte needs a size: small, medium, large"):
        price_item(coffee.catalog, "DRK-LATTE")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([Opt(group="size", choice="huge")], "'huge' is not a size"),
        ([Opt(group="size", choice="large"), Opt(group="size", choice="small")], "only one size"),
        ([Opt(group="size", choice="large"), Opt(group="flavour", choice="vanilla")], "no 'flavour' option"),
        (
            [
                Opt(group="size", choice="large"),
                Opt(group="milk", choice="soy milk"),
                Opt(group="milk", choice="cream"),
            ],
            "at most 1 milk",
        ),
        (
            [Opt(group="size", choice="large"), Opt(group="milk", choice="soy milk", amount="a bucket of")],
            "not an amount",
        ),
        (
            [Opt(group="size", choice="large"), Opt(group="milk", choice="soy"), Opt(group="milk", choice="soy milk")],
            "chosen twice",
        ),
    ],
)
def test_bad_options(coffee: ShopBundle, options: list[Opt], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        price_item(coffee.catalog, "DRK-LATTE", options)


def test_food_has_no_options(coffee: ShopBundle) -> None:
    assert price_item(coffee.catalog, "BAK-CROISSANT").unit_price == 325
    with pytest.raises(OptionError):
        price_item(coffee.catalog, "BAK-CROISSANT", [Opt(group="size", choice="large")])


def test_unknown_sku_and_bad_quantity(coffee: ShopBundle) -> None:
    with pytest.raises(ProductNotFound):
        price_item(coffee.catalog, "NOPE")
    with pytest.raises(CartError):
        price_item(coffee.catalog, "BAK-BAGEL", quantity=0)


def test_catalog_integrity_problems() -> None:
    p = {"name": "x", "category": "c", "price": 1}
    cat = Catalog(products=[Product(sku="A", **p, options=["size"], related=["Z"]), Product(sku="A", **p)])  # type: ignore[arg-type]
    messages = [m for _, m in cat.integrity_problems()]
    assert any("unknown option group 'size'" in m for m in messages)
    assert any("related SKU 'Z'" in m for m in messages)
    assert any("duplicate SKU 'A'" in m for m in messages)


@pytest.mark.parametrize(
    ("query", "expected_first", "must_include", "must_exclude"),
    [
        ("tooth paste", None, {"PC-TP-COLG", "PC-TP-SENS", "PC-TP-CREST"}, {"PC-TB-MED"}),
        ("toothpaste", None, {"PC-TP-COLG", "PC-TP-SENS", "PC-TP-CREST"}, {"PC-TB-MED"}),
        ("AA batteries", "BAT-AA-4", {"BAT-AA-8"}, set()),
        ("double a battery", "BAT-AA-4", set(), set()),
        ("kleenex", "HH-TISSUE", set(), set()),
        ("ice tea", "DRK-ICEDTEA", set(), set()),
        ("loo roll", "HH-TP-12", set(), set()),
        ("paracetamol", "PH-ACET", set(), set()),
    ],
)
def test_search(
    corner: ShopBundle, query: str, expected_first: str | None, must_include: set[str], must_exclude: set[str]
) -> None:
    hits = CatalogIndex(corner.catalog).search(query)
    skus = [h.product.sku for h in hits]
    if expected_first:
        assert skus[0] == expected_first
    assert must_include <= set(skus)
    assert not must_exclude & set(skus)


@pytest.mark.parametrize("query", ["xyzzy", "", "   ", "quantum flux capacitor"])
def test_search_finds_nothing_for_nonsense(corner: ShopBundle, query: str) -> None:
    assert CatalogIndex(corner.catalog).search(query) == []


def test_a_need_finds_products_by_tags_aliases_and_category() -> None:
    """ "something for heartburn" finds the antacid; "my cold" the cold medicines, not the cold brew."""
    catalog = load_shop_folder(EXAMPLES / "corner-store").catalog
    assert [p.sku for p in by_need(catalog, "heartburn")] == ["PH-ANTACID"]
    assert {p.sku for p in by_need(catalog, "cold")} == {"PH-COLD-DAY", "PH-COLD-NIGHT"}
    assert by_need(catalog, "flux capacitors") == []


def test_a_tag_finds_everything_tagged_so_however_common() -> None:
    """ "anything vegetarian": every product tagged vegetarian, though many are."""
    catalog = load_shop_folder(EXAMPLES / "curry-house").catalog
    tagged = {p.sku for p in catalog.products if "vegetarian" in p.tags}
    assert len(tagged) > 3
    assert {p.sku for p in by_need(catalog, "vegetarian", limit=100)} == tagged
