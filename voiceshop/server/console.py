"""The staff console in the browser: a live order board at ``/board``.

Server-rendered HTML (it works without JavaScript: every button is a form), a little plain
JavaScript, and server-sent events: the open orders are sent again whenever they change, checked
twice a second, so a new order appears within a second without a reload.

A browser cannot put a bearer token on an EventSource, so signing in keeps the staff token in an
HttpOnly, SameSite=Strict cookie scoped to ``/board``; the token is checked on every request, so a
revoked token stops working at once. Wrong tokens (typed or in a cookie) count against the client's
address (``limits.Attempts``): after too many, sign-in answers 429 with a page saying when to try
again. Posts from another origin are refused. Moving an order uses
the same ETag check as the API (the card carries the ETag it was drawn with).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from html import escape
from importlib import resources
from string import Template
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from voiceshop.commerce.money import format_money
from voiceshop.commerce.order import FINAL, Order, OrderStatus, next_status
from voiceshop.server.api import Number, check_if_match, etag
from voiceshop.server.limits import TooManyAttempts
from voiceshop.server.problems import HttpProblem
from voiceshop.server.services import Services, client_address, services
from voiceshop.storage.orders import OrderRepository

COOKIE = "voiceshop_staff"
POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
OPEN_LIMIT = 200
"""Open orders shown at most (a board is for the orders being worked on, not history)."""

router = APIRouter(prefix="/board", include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


def asset(name: str) -> str:
    return resources.files("voiceshop.server").joinpath(name).read_text(encoding="utf-8")


def _signed_in(request: Request, svc: Services) -> str | None:
    """The staff member whose cookie came with the request; raises ``TooManyAttempts``."""
    token = request.cookies.get(COOKIE)
    return svc.staff(token, client_address(request)) if token else None


def _staff(request: Request, svc: Svc) -> str:
    who = _signed_in(request, svc)
    if who is None:
        raise HttpProblem("sign in at /board first", problem="unauthorized")
    return who


def _same_origin(request: Request) -> None:
    """A post must come from this server's own pages (the cookie is SameSite=Strict as well)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HttpProblem("the board only takes posts from its own pages", problem="forbidden")


# -- what the board shows ----------------------------------------------------------------------


def card_data(order: Order) -> dict[str, Any]:
    nxt = next_status(order.status, order.delivery)
    return {
        "number": order.number,
        "status": order.status.value,
        "delivery": order.delivery.value,
        "customer": order.customer,
        "total": format_money(order.total, order.currency),
        "items": [f"{ln.quantity} x {ln.describe()}" for ln in order.lines],
        "next": nxt.value if nxt is not None else None,
        "cancellable": order.cancellable,
        "etag": etag(order),
    }


def open_orders(svc: Services) -> list[dict[str, Any]]:
    """The orders still being worked on, oldest first (the next one to make is at the top)."""
    with svc.store() as db:
        repo = OrderRepository(db)
        waiting = [status for status in OrderStatus if status not in FINAL]
        active = [o for status in waiting for o in repo.list(status=status, limit=OPEN_LIMIT)]
    active.sort(key=lambda o: o.created_at)
    return [card_data(o) for o in active[:OPEN_LIMIT]]


def _card_html(card: dict[str, Any]) -> str:
    number = escape(card["number"])

    def form(verb: str, label: str, css: str) -> str:
        return (
            f'<form method="post" action="/board/orders/{number}/{verb}">'
            f'<input type="hidden" name="etag" value="{escape(card["etag"])}">'
            f'<button type="submit" class="{css}" aria-label="{escape(label)}: order {number}">'
            f"{escape(label)}</button></form>"
        )

    actions = ""
    if card["next"]:
        actions += form("advance", f"Mark {card['next']}", "advance")
    if card["cancellable"]:
        actions += form("cancel", "Cancel", "cancel")
    who = f" · {escape(card['customer'])}" if card["customer"] else ""
    items = "".join(f"<li>{escape(item)}</li>" for item in card["items"])
    return (
        f'    <li class="order {escape(card["status"])}" id="order-{number}" data-number="{number}">'
        f"<h2>{number}</h2>"
        f'<p><span class="status">{escape(card["status"])}</span> · {escape(card["delivery"])} · '
        f"{escape(card['total'])}{who}</p><ul>{items}</ul>"
        f'<div class="actions">{actions}</div></li>'
    )


# -- pages -------------------------------------------------------------------------------------


def _login_page(message: str = "", status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    page = Template(asset("templates/login.html")).substitute(message=escape(message))
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def _locked_page(exc: TooManyAttempts) -> HTMLResponse:
    text = str(exc)
    return _login_page(text[:1].upper() + text[1:] + ".", status=429, headers=exc.headers)


@router.get("", response_class=HTMLResponse)
def board(request: Request, svc: Svc) -> HTMLResponse:
    try:
        who = _signed_in(request, svc)
    except TooManyAttempts as exc:
        return _locked_page(exc)
    if who is None:
        if COOKIE not in request.cookies:
            return _login_page()
        # a revoked token: say so once and drop the cookie, so reloading does not count again
        ended = _login_page("Your sign-in has ended (the token was revoked). Sign in again.")
        ended.delete_cookie(COOKIE, path="/board")
        return ended
    cards = open_orders(svc)
    page = Template(asset("templates/board.html")).substitute(
        live="Connecting…",
        orders="\n".join(_card_html(c) for c in cards),
        empty_hidden=" hidden" if cards else "",
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@router.post("/login")
async def login(request: Request, svc: Svc) -> Response:
    _same_origin(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    try:
        who = svc.staff(token, client_address(request)) if token else None
    except TooManyAttempts as exc:
        return _locked_page(exc)
    if who is None:
        return _login_page("That token is not known. Ask for a new one.", status=401)
    response = RedirectResponse("/board", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/board",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    _same_origin(request)
    response = RedirectResponse("/board", status_code=303)
    response.delete_cookie(COOKIE, path="/board")
    return response


@router.get("/board.js")
def script() -> Response:
    return Response(asset("static/board.js"), media_type="text/javascript")


@router.get("/board.css")
def style() -> Response:
    return Response(asset("static/board.css"), media_type="text/css")


# -- live updates ------------------------------------------------------------------------------


@router.get("/events")
async def events(request: Request, svc: Svc, who: Annotated[str, Depends(_staff)]) -> StreamingResponse:
    async def stream() -> AsyncIterator[str]:
        last, quiet = "", 0.0
        yield "retry: 1000\n\n"
        while not await request.is_disconnected():
            if svc.tokens.who(request.cookies.get(COOKIE, "")) is None:
                return  # revoked while watching
            cards = await run_in_threadpool(open_orders, svc)
            data = json.dumps(cards, ensure_ascii=False, sort_keys=True)
            digest = hashlib.sha256(data.encode()).hexdigest()
            if digest != last:
                last, quiet = digest, 0.0
                yield f"event: orders\ndata: {data}\n\n"
            elif quiet >= HEARTBEAT_SECONDS:
                quiet = 0.0
                yield ": still here\n\n"
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


# -- buttons -----------------------------------------------------------------------------------


async def _move(request: Request, svc: Services, who: str, number: str, cancel: bool) -> Response:
    _same_origin(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    tag = (form.get("etag") or [""])[0] or None

    def change() -> Order:
        with svc.store() as db, db.transaction():
            repo = OrderRepository(db)
            check_if_match(tag, repo.get(number))
            if cancel:
                return repo.cancel(number, f"cancelled by {who} on the board")
            return repo.advance(number, None, f"by {who} on the board")

    order = await run_in_threadpool(change)
    if "application/json" in request.headers.get("accept", ""):
        return Response(json.dumps(card_data(order)), media_type="application/json")
    return RedirectResponse("/board", status_code=303)


@router.post("/orders/{number}/advance")
async def advance(request: Request, number: Number, svc: Svc, who: Annotated[str, Depends(_staff)]) -> Response:
    return await _move(request, svc, who, number, cancel=False)


@router.post("/orders/{number}/cancel")
async def cancel(request: Request, number: Number, svc: Svc, who: Annotated[str, Depends(_staff)]) -> Response:
    return await _move(request, svc, who, number, cancel=True)
