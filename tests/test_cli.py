"""Every sub-command through typer's CliRunner: output, --json, bad input and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, runner
from voiceshop.cli.app import app


def load_both(vs) -> None:  # type: ignore[no-untyped-def]
    vs("shop", "load", str(EXAMPLES / "corner-store"))
    vs("shop", "load", str(EXAMPLES / "coffee-bar"))


def test_validate(vs) -> None:  # type: ignore[no-untyped-def]
    assert "ok: Corner Store (corner-store): 189 products" in vs("shop", "validate", str(EXAMPLES / "corner-store"))
    data = json.loads(vs("shop", "validate", str(EXAMPLES / "coffee-bar"), "--json"))
    assert data["ok"] and data["products"] == 13 and data["option_groups"] == 5


def test_load_then_search_tooth_paste(vs) -> None:  # type: ignore[no-untyped-def]
    out = vs("shop", "load", str(EXAMPLES / "corner-store"))
    assert "189 added" in out
    out = vs("catalog", "search", "tooth paste")
    assert all(name in out for name in ("colgate total toothpaste", "sensodyne toothpaste", "crest cavity"))
    assert "toothbrush" not in out
    assert "added" not in vs("shop", "load", str(EXAMPLES / "corner-store")).split(",")[0].replace("0 added", "")


def test_malformed_shop_exits_1_and_leaves_the_database_alone(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    vs("shop", "load", str(EXAMPLES / "coffee-bar"))
    before = vs("catalog", "list", "--json")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "shop.yaml").write_text((EXAMPLES / "coffee-bar" / "shop.yaml").read_text())
    (broken / "catalog.yaml").write_text(
        (EXAMPLES / "coffee-bar" / "catalog.yaml").read_text().replace("price: 4.25", "price: -4.25")
    )
    out = vs("shop", "load", str(broken), code=1)
    assert "catalog.yaml:" in out and "greater than or equal to 0" in out and out.startswith("error: 1 problem")
    assert vs("catalog", "list", "--json") == before
    vs("shop", "validate", str(broken), code=1)
    assert "is not a folder" in vs("shop", "load", str(tmp_path / "nowhere"), code=1)


def test_shop_list_and_show(vs) -> None:  # type: ignore[no-untyped-def]
    assert "no shops loaded" in vs("shop", "list")
    load_both(vs)
    rows = json.loads(vs("shop", "list", "--json"))
    assert [(r["shop"], r["current"]) for r in rows] == [("coffee-bar", True), ("corner-store", False)]
    out = vs("shop", "show", "--shop", "corner-store")
    assert "express delivery (express): $7.99" in out and "SAVE10: 10% off over $30.00" in out
    assert json.loads(vs("shop", "show", "--json"))["slug"] == "coffee-bar"
    assert "no shop 'bakery'" in vs("shop", "show", "--shop", "bakery", code=1)


def test_catalog_list_search_show(vs) -> None:  # type: ignore[no-untyped-def]
    assert "no shop is loaded yet" in vs("catalog", "list", code=1)
    load_both(vs)
    out = vs("catalog", "list", "--shop", "corner-store", "--category", "batteries")
    assert out.count("\n") == 8 + 2 and "double a batteries" in out
    assert "categories are:" in vs("catalog", "list", "--category", "shoes", code=1)
    assert len(json.loads(vs("catalog", "list", "--json"))) == 13
    hits = json.loads(vs("catalog", "search", "ice coffee", "--json"))
    assert hits[0]["sku"] == "DRK-ICED"
    assert "nothing matches" in vs("catalog", "search", "xyzzy", code=1)
    out = vs("catalog", "show", "DRK-LATTE")
    assert "latte (DRK-LATTE): $4.25" in out and "size (required): small" in out and "amounts: a little bit of" in out
    assert json.loads(vs("catalog", "show", "drk-latte", "--json"))["option_groups"][0]["name"] == "size"
    assert "no product with SKU" in vs("catalog", "show", "NOPE", code=1)


def test_orders_place_list_show_advance_cancel(vs) -> None:  # type: ignore[no-untyped-def]
    load_both(vs)
    out = vs("orders", "place", "2 x latte, size=large, milk=soy milk (a bit of)", "croissant", "--coupon", "treat2")
    assert "2 x latte (large, medium roast, single shot, a bit of soy milk)  $11.70" in out
    assert "total $12.95" in out
    placed = json.loads(vs("orders", "place", "DRK-ESPRESSO, size=small", "--token", "tok-1", "--json"))
    again = json.loads(vs("orders", "place", "DRK-ESPRESSO, size=small", "--token", "tok-1", "--json"))
    assert placed["created"] and not again["created"]
    number = placed["order"]["number"]
    assert again["order"]["number"] == number
    assert len(json.loads(vs("orders", "list", "--json"))) == 2
    assert number in vs("orders", "list", "--status", "placed")
    assert "is now confirmed" in vs("orders", "advance", number)
    assert "is now preparing" in vs("orders", "advance", number, "--to", "preparing")
    assert "can no longer be cancelled" in vs("orders", "cancel", number, code=1)
    shown = vs("orders", "show", number)
    assert "placed: order placed" in shown and "preparing" in shown
    first = json.loads(vs("orders", "list", "--json"))[1]["number"]
    assert "is cancelled" in vs("orders", "cancel", first)
    assert json.loads(vs("orders", "show", first, "--json"))["status"] == "cancelled"


@pytest.mark.parametrize(
    ("item", "options", "message"),
    [
        ("latte", [], "latte needs a size"),
        ("2 x unicorn", [], "no product 'unicorn'"),
        ("latte, size", [], "cannot read option"),
        ("latte, size=huge", [], "'huge' is not a size"),
        ("latte, size=small", ["--delivery", "drone"], "does not offer drone delivery"),
        ("latte, size=small", ["--coupon", "SUMMER25"], "expired"),
        ("latte, size=small", ["--customer", "Zed"], "no customer called 'Zed'"),
        ("100 x mocha, size=large", [], "over this shop's limit of $150.00"),
    ],
)
def test_orders_place_bad_input(vs, item: str, options: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    load_both(vs)
    assert message in vs("orders", "place", item, *options, code=1)
    assert vs("orders", "list") == "no orders\n"


def test_out_of_stock_via_cli(vs) -> None:  # type: ignore[no-untyped-def]
    load_both(vs)
    assert "5 wanted, only 4 left" in vs("orders", "place", "5 x PC-TB-ELEC", "--shop", "corner-store", code=1)


def test_orders_errors(vs) -> None:  # type: ignore[no-untyped-def]
    load_both(vs)
    assert "no order number 123456" in vs("orders", "show", "123456", code=1)
    assert "no order number" in vs("orders", "advance", "123456", code=1)
    vs("orders", "list", "--status", "lost", code=2)


def test_customers(vs) -> None:  # type: ignore[no-untyped-def]
    assert "no customers yet" in vs("customers", "list")
    assert "with a purchase PIN" in vs("customers", "add", "Anna", "--pin", "4321", "--prefer", "milk=oat milk")
    vs("customers", "add", "Ben", "--delivery", "express")
    rows = json.loads(vs("customers", "list", "--json"))
    assert rows == [
        {"name": "Anna", "has_pin": True, "default_delivery": None, "preferences": {"milk": "oat milk"}},
        {"name": "Ben", "has_pin": False, "default_delivery": "express", "preferences": {}},
    ]
    assert "4321" not in vs("customers", "list")
    assert "already a customer" in vs("customers", "add", "anna", code=1)
    assert "4 to 8 digits" in vs("customers", "add", "Cy", "--pin", "12", code=1)
    assert "should look like milk=oat milk" in vs("customers", "add", "Cy", "--prefer", "oat", code=1)


def test_db_info(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load_both(vs)
    info = json.loads(vs("db", "info", "--json"))
    assert info["journal_mode"] == "wal" and info["products_count"] == 202 and info["current_shop"] == "coffee-bar"
    assert f"schema version: {info['schema_latest']}" in vs("db", "info")


def test_unusable_database_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("not a database at all" * 50)
    result = runner.invoke(app, ["--db", str(bad), "db", "info"])
    assert result.exit_code == 1
    assert "not a voiceshop database" in result.output + result.stderr


def test_usage_errors_exit_2(vs) -> None:  # type: ignore[no-untyped-def]
    vs("orders", "bogus", code=2)
    vs("catalog", "search", code=2)


def test_python_dash_m_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "voiceshop", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("voiceshop ")
