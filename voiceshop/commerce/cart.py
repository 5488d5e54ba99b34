"""The cart and its arithmetic: pricing an item with its options, and the totals of a checkout.

``price_item`` is the one place a unit price is computed, so a cart line, a stored order line and a
spoken total can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from voiceshop.commerce.catalog import Catalog, OptionKind, Strict, normalize_phrase
from voiceshop.commerce.money import format_money
from voiceshop.commerce.shop import DeliveryKind, Shop
from voiceshop.errors import CartError, CouponError, OptionError, ProductNotFound

MAX_QUANTITY = 999


class ChosenOption(Strict):
    group: str
    choice: str
    amount: str | None = None
    """For add-ons: how much ("a bit of"), or None for the plain amount."""

    def describe(self) -> str:
        return f"{self.amount} {self.choice}" if self.amount else self.choice


class CartLine(Strict):
    sku: str
    name: str
    options: tuple[ChosenOption, ...] = ()
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unit_price: int = Field(ge=0)

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    def same_item(self, other: CartLine) -> bool:
        return self.sku == other.sku and self.options == other.options

    def describe(self) -> str:
        opts = ", ".join(o.describe() for o in self.options)
        return f"{self.name} ({opts})" if opts else self.name


def price_item(catalog: Catalog, sku: str, chosen: Iterable[ChosenOption] = (), quantity: int = 1) -> CartLine:
    """Validate an item's options against the catalog and compute its unit price.

    Names are canonicalised (an alias becomes the choice's name), defaults of one_of groups are
    filled in, and required groups with no default raise ``OptionError`` naming the choices, which is
    what the dialog asks the shopper.
    """
    product = catalog.product(sku)
    if product is None:
        raise ProductNotFound(f"no product with SKU {sku!r} in this shop")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CartError(
            f"quantity must be between 1 and {MAX_QUANTITY}, not {quantity}", code="quantity_range", most=MAX_QUANTITY
        )
    groups = catalog.groups_for(product)
    by_group: dict[str, list[ChosenOption]] = {g.name: [] for g in groups}
    price = product.price
    for opt in chosen:
        group = next((g for g in groups if g.name == opt.group), None)
        if group is None:
            offered = ", ".join(by_group) or "no options"
            raise OptionError(
                f"{product.name} has no {opt.group!r} option (it offers {offered})",
                code="option_not_offered",
                product=product.name,
                option=opt.group,
            )
        choice = group.choice(opt.choice)
        if choice is None:
            names = ", ".join(c.name for c in group.choices)
            raise OptionError(
                f"{opt.choice!r} is not a {group.name} for {product.name}; choose {names}",
                code="option_not_offered",
                product=product.name,
                option=opt.choice,
            )
        amount_name = None
        if opt.amount is not None:
            amount = group.amount(opt.amount)
            if amount is None:
                raise OptionError(
                    f"{opt.amount!r} is not an amount for {group.name}", code="amount_not_offered", amount=opt.amount
                )
            amount_name = amount.name
            price += amount.price
        if any(normalize_phrase(c.choice) == normalize_phrase(choice.name) for c in by_group[group.name]):
            raise OptionError(f"{choice.name} is chosen twice", code="chosen_twice", option=choice.name)
        by_group[group.name].append(ChosenOption(group=group.name, choice=choice.name, amount=amount_name))
        price += choice.price
    for group in groups:
        picked = by_group[group.name]
        if group.kind is OptionKind.ONE_OF:
            if len(picked) > 1:
                raise OptionError(
                    f"only one {group.name} can be chosen for {product.name}",
                    code="one_choice_only",
                    group=group.name,
                    product=product.name,
                )
            if not picked and group.default is not None:
                default = group.choice(group.default)
                assert default is not None  # guaranteed by OptionGroup validation
                picked.append(ChosenOption(group=group.name, choice=default.name))
                price += default.price
            if not picked and group.required:
                names = ", ".join(c.name for c in group.choices)
                raise OptionError(
                    f"{product.name} needs a {group.name}: {names}",
                    code="option_needed",
                    group=group.name,
                    product=product.name,
                )
        elif len(picked) > group.max_choices:
            raise OptionError(
                f"at most {group.max_choices} {group.name} choice(s) for {product.name}",
                code="too_many_choices",
                most=group.max_choices,
                group=group.name,
                product=product.name,
            )
    if price < 0:
        raise OptionError(f"options make the price of {product.name} negative; check the catalog", code="catalog")
    ordered = tuple(o for g in groups for o in by_group[g.name])
    return CartLine(sku=sku, name=product.name, options=ordered, quantity=quantity, unit_price=price)


class Cart(BaseModel):
    """An immutable cart: every operation returns a new cart, so undo is keeping the old one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lines: tuple[CartLine, ...] = ()

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def add(self, line: CartLine) -> Cart:
        """Add a line, merging it into an identical item already in the cart."""
        for i, existing in enumerate(self.lines):
            if existing.same_item(line):
                merged = existing.quantity + line.quantity
                if merged > MAX_QUANTITY:
                    raise CartError(f"at most {MAX_QUANTITY} of one item", code="quantity_range", most=MAX_QUANTITY)
                return self.replace(i, existing.model_copy(update={"quantity": merged}))
        return Cart(lines=(*self.lines, line))

    def set_quantity(self, index: int, quantity: int) -> Cart:
        self._check(index)
        if quantity == 0:
            return self.remove(index)
        if not 1 <= quantity <= MAX_QUANTITY:
            raise CartError(f"quantity must be between 0 and {MAX_QUANTITY}", code="quantity_range", most=MAX_QUANTITY)
        return self.replace(index, self.lines[index].model_copy(update={"quantity": quantity}))

    def remove(self, index: int) -> Cart:
        self._check(index)
        return Cart(lines=self.lines[:index] + self.lines[index + 1 :])

    def replace(self, index: int, line: CartLine) -> Cart:
        """The same cart with line ``index`` replaced (a changed option), in the same place."""
        self._check(index)
        return Cart(lines=(*self.lines[:index], line, *self.lines[index + 1 :]))

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self.lines):
            raise CartError(f"the cart has no item number {index + 1}", code="no_such_line")


class Totals(Strict):
    subtotal: int
    discount: int
    delivery_fee: int
    total: int
    coupon: str | None = None
    delivery: DeliveryKind


def compute_totals(
    shop: Shop, subtotal: int, delivery: DeliveryKind | str, coupon_code: str | None, today: date
) -> Totals:
    """Totals for a checkout: the coupon applies to the subtotal, the delivery fee is added after."""
    option = shop.delivery_option(delivery)
    if option is None:
        offered = ", ".join(d.name for d in shop.delivery)
        raise CartError(
            f"this shop does not offer {delivery!s} delivery; it offers {offered}", code="delivery_not_offered"
        )
    discount = 0
    code = None
    if coupon_code:
        coupon = shop.coupon(coupon_code)
        if coupon is None:
            raise CouponError(
                f"there is no coupon {coupon_code!r}; `voiceshop shop show` lists the shop's coupons",
                code="coupon_unknown",
            )
        if not coupon.is_valid_on(today):
            raise CouponError(f"coupon {coupon.code} expired on {coupon.expires}", code="coupon_expired")
        if subtotal < coupon.minimum:
            least = format_money(coupon.minimum, shop.currency)
            raise CouponError(
                f"coupon {coupon.code} needs a subtotal of at least {least}",
                code="coupon_minimum",
                minimum=coupon.minimum,
            )
        discount = coupon.discount_for(subtotal)
        code = coupon.code
    fee = option.fee_for(subtotal - discount)
    return Totals(
        subtotal=subtotal,
        discount=discount,
        delivery_fee=fee,
        total=subtotal - discount + fee,
        coupon=code,
        delivery=option.kind,
    )
