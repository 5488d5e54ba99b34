"""The staff JSON API under ``/api/v1``: shops and catalog (read), orders, customers (read).

Every route needs a staff bearer token. Updates that could race (advance, cancel) need the order's
ETag in ``If-Match``: the check and the change are one store transaction, so two staff screens
cannot both move the same order from the state they saw. A new order needs an ``Idempotency-Key``:
it becomes the order's checkout token, so a retried POST returns the first order, never a second.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from voiceshop.commerce.cart import Cart, ChosenOption, price_item
from voiceshop.commerce.catalog import Catalog, OptionGroup, Product
from voiceshop.commerce.order import Order, OrderStatus
from voiceshop.commerce.search import lookup
from voiceshop.commerce.shop import Shop
from voiceshop.errors import ProductNotFound, shorten
from voiceshop.server.problems import HttpProblem
from voiceshop.server.schemas import (
    AdvanceIn,
    CancelIn,
    CustomerOut,
    ItemIn,
    OrderIn,
    OrderPage,
    ShopSummary,
)
from voiceshop.server.services import Services, client_address, services
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.shops import ShopRepository

API = "/api/v1"
KEY_PREFIX = "api:"
"""Checkout tokens made from Idempotency-Keys, apart from the tokens the dialog makes."""
_bearer = HTTPBearer(auto_error=False, description="A staff token from `voiceshop staff add NAME`.")


def staff(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    svc: Annotated[Services, Depends(services)],
) -> str:
    """The staff member making the request; 401 without a valid bearer token, 429 after too many
    wrong ones from the same address."""
    if creds is None:
        raise HttpProblem(
            "this needs a staff token: send 'Authorization: Bearer TOKEN' (make one with `voiceshop staff add NAME`)",
            problem="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="voiceshop"'},
        )
    name = svc.staff(creds.credentials, client_address(request))
    if name is None:
        raise HttpProblem(
            "that staff token is not known (revoked, or from another server); ask for a new one",
            problem="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="voiceshop", error="invalid_token"'},
        )
    return name


router = APIRouter(prefix=API, dependencies=[Depends(staff)])
Svc = Annotated[Services, Depends(services)]
Staff = Annotated[str, Depends(staff)]
Number = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9 ]+$", description="The order number.")]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=400, description="The order's ETag, from GET /orders/{number}."),
]


def etag(order: Order) -> str:
    """A strong ETag for an order's state. Orders carry no version, so it is derived from what
    changes on every update: the status, the number of status events and the time of the last one."""
    last = order.history[-1].at.isoformat() if order.history else order.created_at.isoformat()
    raw = f"{order.number}|{order.status.value}|{len(order.history)}|{last}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:24] + '"'


def check_if_match(header: str | None, order: Order) -> None:
    """428 without If-Match, 412 when it names another state of the order (strong comparison)."""
    current = etag(order)
    if header is None or not header.strip():
        raise HttpProblem(
            f"changing order {order.number} needs its ETag in If-Match (GET /api/v1/orders/{order.number} gives it),"
            " so that two screens cannot both change it",
            problem="precondition_required",
        )
    tags = [t.strip() for t in header.split(",")]
    if "*" in tags or current in tags:
        return
    raise HttpProblem(
        f"order {order.number} changed since you read it (it is now {order.status}); reload it and try again",
        problem="precondition_failed",
        headers={"ETag": current},
        current_status=order.status.value,
    )


def _order_response(response: Response, order: Order) -> Order:
    response.headers["ETag"] = etag(order)
    return order


# -- shops and catalog -------------------------------------------------------------------------


class CatalogOut(BaseModel):
    option_groups: list[OptionGroup]
    products: list[Product]
    """This page of the matching products (``offset``, at most ``limit``)."""
    total: int
    """How many products match (a search: its best ``MAX_HITS``)."""
    offset: int = 0


MAX_HITS = 1000


@router.get("/shops", response_model=list[ShopSummary], summary="Loaded shops")
def list_shops(svc: Svc) -> list[ShopSummary]:
    with svc.store() as db:
        repo = ShopRepository(db)
        out = []
        for slug in repo.slugs():
            shop = repo.resolve(slug).shop
            out.append(ShopSummary(slug=shop.slug, name=shop.name, currency=shop.currency, locale=shop.locale))
        return out


@router.get("/shops/{slug}", response_model=Shop, summary="One shop: hours, delivery, policies, coupons")
def show_shop(slug: Annotated[str, Path(max_length=64)], svc: Svc) -> Shop:
    with svc.store() as db:
        return ShopRepository(db).resolve(slug).shop


@router.get("/shops/{slug}/catalog", response_model=CatalogOut, summary="A shop's catalog")
def show_catalog(
    slug: Annotated[str, Path(max_length=64)],
    svc: Svc,
    category: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Search: an exact SKU, name or alias first, then near matches.")
    ] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> CatalogOut:
    """The catalog a page at a time (``total`` says how many products match), searched with ``q``."""
    with svc.store() as db:
        repo = ShopRepository(db)
        catalog = repo.catalog(repo.resolve(slug))
    found = lookup(catalog, q.strip(), limit=MAX_HITS) if q and q.strip() else list(catalog.products)
    products = [p for p in found if category is None or p.category.lower() == category.lower()]
    return CatalogOut(
        option_groups=list(catalog.option_groups),
        products=products[offset : offset + limit],
        total=len(products),
        offset=offset,
    )


@router.get("/shops/{slug}/products/{sku}", response_model=Product, summary="One product, with its stock")
def show_product(
    slug: Annotated[str, Path(max_length=64)], sku: Annotated[str, Path(max_length=80)], svc: Svc
) -> Product:
    with svc.store() as db:
        repo = ShopRepository(db)
        stored = repo.resolve(slug)
        product = repo.catalog(stored).product(sku)
    if product is None:
        raise HttpProblem(f"shop {slug} has no product with SKU {shorten(sku)!r}", problem="not_found", sku=sku)
    return product


# -- orders ------------------------------------------------------------------------------------


@router.get("/orders", response_model=OrderPage, summary="Orders, newest first, a page at a time")
def list_orders(
    svc: Svc,
    shop: Annotated[str | None, Query(max_length=64, description="Only this shop's orders.")] = None,
    status: Annotated[OrderStatus | None, Query(description="Only orders with this status.")] = None,
    customer: Annotated[str | None, Query(max_length=80)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrderPage:
    with svc.store() as db:
        stored = ShopRepository(db).resolve(shop) if shop is not None else None
        found = OrderRepository(db).list(stored, status=status, customer=customer, limit=offset + limit + 1)
    page = found[offset : offset + limit]
    more = len(found) > offset + limit
    return OrderPage(items=page, offset=offset, limit=limit, next_offset=offset + limit if more else None)


@router.get("/orders/{number}", response_model=Order, summary="One order with its history; its ETag in the header")
def show_order(number: Number, svc: Svc, response: Response) -> Order:
    with svc.store() as db:
        return _order_response(response, OrderRepository(db).get(number))


def _lookup(catalog: Catalog, said: str) -> str:
    product = catalog.find(said)
    if product is None:
        raise ProductNotFound(f"no product {shorten(said)!r} in this shop (give a SKU or the exact name)")
    return product.sku


def _cart(catalog: Catalog, items: list[ItemIn]) -> Cart:
    cart = Cart()
    for item in items:
        chosen = [ChosenOption(group=o.group, choice=o.choice, amount=o.amount) for o in item.options]
        cart = cart.add(price_item(catalog, _lookup(catalog, item.sku), chosen, item.quantity))
    return cart


def _same_request(order: Order, shop: str, cart: Cart, body: OrderIn) -> bool:
    def lines(ls: tuple[object, ...]) -> list[str]:
        return sorted(repr(ln) for ln in ls)

    mine = tuple((ln.sku, ln.options, ln.quantity) for ln in cart.lines)
    theirs = tuple((ln.sku, ln.options, ln.quantity) for ln in order.lines)
    return (
        order.shop == shop
        and order.delivery == body.delivery
        and (order.customer or "").lower() == (body.customer or "").lower()
        and lines(mine) == lines(theirs)
    )


@router.post(
    "/orders",
    response_model=Order,
    status_code=201,
    summary="Place an order; retrying with the same Idempotency-Key returns the first order",
    responses={200: {"description": "Already placed with this Idempotency-Key: the first order"}},
)
def create_order(
    body: OrderIn,
    svc: Svc,
    request: Request,
    response: Response,
    key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=200, description="Any unique string per order, e.g. a UUID."),
    ] = None,
) -> Order:
    if key is None or not key.strip() or not key.isprintable():
        raise HttpProblem(
            "placing an order needs an Idempotency-Key header (a new UUID per order), so that a retry "
            "never places it twice",
            problem="idempotency_key_missing",
        )
    with svc.store() as db:
        shops = ShopRepository(db)
        stored = shops.resolve(body.shop)
        cart = _cart(shops.catalog(stored), body.items)
        result = OrderRepository(db).place(
            stored,
            cart,
            token=KEY_PREFIX + key.strip(),
            delivery=body.delivery,
            coupon=body.coupon,
            customer=body.customer,
        )
    order = result.order
    if not result.created:
        if not _same_request(order, stored.shop.slug, cart, body):
            raise HttpProblem(
                f"this Idempotency-Key was already used for order {order.number} with other items;"
                " use a new key for a new order",
                problem="idempotency_key_reused",
                number=order.number,
            )
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = str(request.url_for("show_order", number=order.number).path)
    return _order_response(response, order)


@router.post("/orders/{number}/advance", response_model=Order, summary="Move an order to its next status")
def advance_order(
    number: Number, svc: Svc, who: Staff, response: Response, if_match: IfMatch = None, body: AdvanceIn | None = None
) -> Order:
    body = body or AdvanceIn()
    with svc.store() as db, db.transaction():
        # one transaction: nobody can change the order between the ETag check and the update
        repo = OrderRepository(db)
        check_if_match(if_match, repo.get(number))
        order = repo.advance(number, body.to, body.note or f"by {who}")
    return _order_response(response, order)


@router.post("/orders/{number}/cancel", response_model=Order, summary="Cancel a placed or confirmed order")
def cancel_order(
    number: Number, svc: Svc, who: Staff, response: Response, if_match: IfMatch = None, body: CancelIn | None = None
) -> Order:
    body = body or CancelIn()
    with svc.store() as db, db.transaction():
        repo = OrderRepository(db)
        check_if_match(if_match, repo.get(number))
        order = repo.cancel(number, body.note or f"cancelled by {who}")
    return _order_response(response, order)


# -- customers ---------------------------------------------------------------------------------


@router.get("/customers", response_model=list[CustomerOut], summary="Customers (never their PINs)")
def list_customers(svc: Svc) -> list[CustomerOut]:
    with svc.store() as db:
        return [CustomerOut.of(c) for c in CustomerRepository(db).list()]
