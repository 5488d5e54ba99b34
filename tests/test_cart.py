"""Cart arithmetic and checkout totals, as properties over many carts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import bundle
from voiceshop.commerce.cart import MAX_QUANTITY, Cart, CartLine, compute_totals, price_item
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.errors import CartError, CouponError

CORNER = bundle("corner-store")
SKUS = [p.sku for p in CORNER.catalog.products]

lines = st.builds(
    lambda sku, qty: price_item(CORNER.catalog, sku, (), qty),
    st.sampled_from(SKUS),
    st.integers(min_value=1, max_value=20),
)


@given(st.lists(lines, max_size=15))
def test_subtotal_is_sum_of_lines_and_items_merge(items: list[CartLine]) -> None:
    cart = Cart()
    for line in items:
        cart = cart.add(line)
    assert cart.subtotal == sum(line.unit_price * line.quantity for line in items)
    assert cart.item_count == sum(line.quantity for line in items)
    assert len(cart.lines) == len({line.sku for line in items})  # identical items merge into one line


@given(st.lists(lines, min_size=1, max_size=10), st.data())
def test_set_quantity_and_remove(items: list[CartLine], data: st.DataObject) -> None:
    cart = Cart()
    for line in items:
        cart = cart.add(line)
    i = data.draw(st.integers(min_value=0, max_value=len(cart.lines) - 1))
    q = data.draw(st.integers(min_value=0, max_value=MAX_QUANTITY))
    changed = cart.set_quantity(i, q)
    others = sum(ln.line_total for j, ln in enumerate(cart.lines) if j != i)
    assert changed.subtotal == others + cart.lines[i].unit_price * q
    assert len(changed.lines) == len(cart.lines) - (q == 0)
    assert cart.remove(i).subtotal == others
    assert cart.subtotal == sum(ln.line_total for ln in cart.lines)  # the original is untouched (undo)


def test_cart_refuses_bad_indexes_and_quantities() -> None:
    cart = Cart().add(price_item(CORNER.catalog, "GRO-GUM"))
    with pytest.raises(CartError, match="no item number 2"):
        cart.remove(1)
    with pytest.raises(CartError):
        cart.set_quantity(0, MAX_QUANTITY + 1)
    with pytest.raises(CartError):
        cart.add(price_item(CORNER.catalog, "GRO-GUM", quantity=MAX_QUANTITY))


@settings(max_examples=200)
@given(
    subtotal=st.integers(min_value=0, max_value=10**7),
    delivery=st.sampled_from(list(DeliveryKind)),
    coupon=st.sampled_from([None, "WELCOME5", "SAVE10"]),
)
def test_totals_invariants(subtotal: int, delivery: DeliveryKind, coupon: str | None) -> None:
    shop = CORNER.shop
    try:
        t = compute_totals(shop, subtotal, delivery, coupon, date(2026, 11, 22))
    except CouponError:
        c = shop.coupon(coupon or "")
        assert c is not None and subtotal < c.minimum
        return
    assert 0 <= t.discount <= t.subtotal
    assert t.total == t.subtotal - t.discount + t.delivery_fee
    assert t.total >= 0
    option = shop.delivery_option(delivery)
    assert option is not None
    assert t.delivery_fee in (0, option.fee)


def test_totals_examples() -> None:
    shop = CORNER.shop
    day = date(2026, 11, 22)
    t = compute_totals(shop, 4000, "standard", "save10", day)
    assert (t.discount, t.delivery_fee, t.total, t.coupon) == (400, 0, 3600, "SAVE10")  # free over $35
    t = compute_totals(shop, 2000, "express", "welcome5", day)
    assert (t.discount, t.delivery_fee, t.total) == (500, 799, 2299)
    with pytest.raises(CouponError, match="expired"):
        compute_totals(shop, 2000, "pickup", "SPRING15", day)
    with pytest.raises(CouponError, match=r"at least \$30\.00"):
        compute_totals(shop, 2000, "pickup", "SAVE10", day)
    with pytest.raises(CouponError, match="no coupon"):
        compute_totals(shop, 2000, "pickup", "FREEBIE", day)
    with pytest.raises(CartError, match="does not offer"):
        compute_totals(bundle("coffee-bar").shop, 2000, "express", None, day)


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        (datetime(2026, 11, 23, 12, 0, tzinfo=UTC), False),  # Monday 06:00 in Chicago: closed
        (datetime(2026, 11, 23, 14, 0, tzinfo=UTC), True),  # Monday 08:00
        (datetime(2026, 11, 23, 12, 59, tzinfo=UTC), False),  # Monday 06:59
        (datetime(2026, 11, 23, 13, 0, tzinfo=UTC), True),  # Monday 07:00 opens
        (datetime(2026, 11, 24, 4, 0, tzinfo=UTC), False),
    ],  # Monday 22:00 closes
)
def test_opening_hours(when: datetime, is_open: bool) -> None:
    assert CORNER.shop.is_open(when) is is_open
