"""Orders and their life cycle.

    placed -> confirmed -> preparing -> ready          (pickup)
    placed -> confirmed -> shipped   -> delivered      (standard and express delivery)
    placed | confirmed -> cancelled                    (not once it is being prepared or shipped)

Order numbers are six digits, spoken digit by digit, unique per store and not guessable in sequence.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from voiceshop.commerce.cart import CartLine
from voiceshop.commerce.catalog import Strict
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.errors import OrderTransitionError


class OrderStatus(StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    PREPARING = "preparing"
    READY = "ready"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


_PICKUP_PATH = (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.PREPARING, OrderStatus.READY)
_DELIVERY_PATH = (OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
CANCELLABLE = frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED})
FINAL = frozenset({OrderStatus.READY, OrderStatus.DELIVERED, OrderStatus.CANCELLED})


def status_path(delivery: DeliveryKind) -> tuple[OrderStatus, ...]:
    return _PICKUP_PATH if delivery is DeliveryKind.PICKUP else _DELIVERY_PATH


def next_status(current: OrderStatus, delivery: DeliveryKind) -> OrderStatus | None:
    path = status_path(delivery)
    if current not in path or current == path[-1]:
        return None
    return path[path.index(current) + 1]


def check_transition(current: OrderStatus, target: OrderStatus, delivery: DeliveryKind) -> None:
    """Raise ``OrderTransitionError`` unless ``current -> target`` is a step of the life cycle."""
    if target is OrderStatus.CANCELLED:
        if current not in CANCELLABLE:
            raise OrderTransitionError(
                f"an order that is {current} can no longer be cancelled (only placed or confirmed orders can)"
            )
        return
    if next_status(current, delivery) != target:
        nxt = next_status(current, delivery)
        hint = f"; next is {nxt}" if nxt else "; it is finished"
        raise OrderTransitionError(f"an order that is {current} cannot become {target}{hint}")


# Order numbers: an affine permutation of the sequence id over six-digit numbers, so numbers are
# unique for the first 900,000 orders, short to say, and do not reveal how many orders a shop takes.
_SPAN = 900_000
_MULT = 7_919  # prime, coprime with the span, so the map is a bijection
_OFFSET = 271_828


def order_number(sequence: int) -> str:
    if sequence < 1:
        raise ValueError("order sequence starts at 1")
    if sequence > _SPAN:
        return str(1_000_000 + sequence)  # seven digits once six are used up: still unique
    return str(100_000 + (sequence * _MULT + _OFFSET) % _SPAN)


class StatusEvent(Strict):
    status: OrderStatus
    at: datetime
    note: str = ""


# An order line is the priced cart line, kept as it was at checkout.
OrderLine = CartLine


class Order(Strict):
    number: str
    shop: str
    """Slug of the shop the order was placed with."""
    customer: str | None = None
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    currency: str
    subtotal: int
    discount: int = 0
    delivery_fee: int = 0
    total: int
    delivery: DeliveryKind
    coupon: str | None = None
    status: OrderStatus
    history: tuple[StatusEvent, ...] = ()
    created_at: datetime

    @property
    def cancellable(self) -> bool:
        return self.status in CANCELLABLE
