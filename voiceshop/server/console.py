"""The staff console in the browser: signing in and out, and the live order board at ``/board``.

Server-rendered HTML (it works without JavaScript: every button is a form), a little plain
JavaScript, and server-sent events: the open orders are sent again whenever they change, checked
twice a second, so a new order appears within a second without a reload. The other staff pages
(catalog, callbacks, insights) live beside it under ``/board/...``; ``pages`` has what they share.

A browser cannot put a bearer token on an EventSource, so signing in keeps the staff token in an
HttpOnly, SameSite=Strict cookie scoped to ``/board``; the token is checked on every request, so a
revoked token stops working at once. Wrong tokens (typed or in a cookie) count against the client's
address (``limits.Attempts``): after too many, sign-in answers 429 with a page saying when to try
again. Every form carries a CSRF token and posts from another origin are refused (see ``pages``).
Moving an order uses the same ETag check as the API (the card carries the ETag it was drawn with).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from html import escape
from string import Template
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from voiceshop.commerce.money import format_money
from voiceshop.commerce.order import FINAL, Order, OrderStatus, next_status
from voiceshop.server.api import Number, check_if_match, etag
from voiceshop.server.limits import TooManyAttempts
from voiceshop.server.pages import (
    BASE,
    COOKIE,
    CSRF_COOKIE,
    Page,
    Staff,
    Svc,
    asset,
    checked_form,
    csrf_token,
    form_token,
    new_nonce,
    render,
    set_nonce,
    set_staff_cookie,
    signed_in,
)
from voiceshop.server.problems import HttpProblem
from voiceshop.server.services import Services, client_address
from voiceshop.storage.orders import OrderRepository

__all__ = ["COOKIE", "asset", "router"]
POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
OPEN_LIMIT = 200
"""Open orders shown at most (a board is for the orders being worked on, not history)."""

router = APIRouter(prefix=BASE, include_in_schema=False)


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


def _card_html(card: dict[str, Any], csrf: str) -> str:
    number = escape(card["number"])

    def form(verb: str, label: str, css: str) -> str:
        return (
            f'<form method="post" action="{BASE}/orders/{number}/{verb}">'
            f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
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


# -- signing in and out ------------------------------------------------------------------------


def _next_page(wanted: str) -> str:
    """Where to go after signing in: a staff page of this server, never anywhere else."""
    path = wanted.split("?", 1)[0]
    ok = (path == BASE or path.startswith(BASE + "/")) and path not in (f"{BASE}/login", f"{BASE}/logout")
    ok = ok and "//" not in wanted and "\\" not in wanted and wanted.isprintable()
    return wanted if ok else BASE


def login_page(
    request: Request,
    svc: Services,
    message: str = "",
    status: int = 200,
    renew: bool = False,
    next_page: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in form, returning to ``next_page`` (by default the page asked for); it makes the
    browser's CSRF nonce if it has none (or ``renew``)."""
    nonce = request.cookies.get(CSRF_COOKIE) or ""
    fresh = renew or not nonce
    if fresh:
        nonce = new_nonce()
    wanted = next_page or request.url.path + (f"?{request.url.query}" if request.url.query else "")
    page = Template(asset("templates/login.html")).substitute(
        message=escape(message), csrf=csrf_token(svc, nonce), next=escape(_next_page(wanted))
    )
    response = HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})
    if fresh:
        set_nonce(response, request, nonce)
    return response


def locked_page(request: Request, svc: Services, exc: TooManyAttempts) -> Response:
    text = str(exc)
    return login_page(request, svc, text[:1].upper() + text[1:] + ".", status=429, headers=exc.headers)


def staff_or_sign_in(request: Request, svc: Services) -> str | Response:
    """The signed-in staff member, or the page to show instead: the sign-in form (saying so when a
    revoked token's cookie came, which is then dropped, so reloading does not count again), or the
    page saying when to try again after too many wrong tokens."""
    try:
        who = signed_in(request, svc)
    except TooManyAttempts as exc:
        return locked_page(request, svc, exc)
    if who is not None:
        return who
    if COOKIE not in request.cookies:
        return login_page(request, svc)
    ended = login_page(request, svc, "Your sign-in has ended (the token was revoked). Sign in again.")
    ended.delete_cookie(COOKIE, path=BASE)
    return ended


@router.get("", response_class=HTMLResponse)
def board(request: Request, svc: Svc) -> Response:
    who = staff_or_sign_in(request, svc)
    if isinstance(who, Response):
        return who
    cards = open_orders(svc)
    csrf = form_token(request, svc)
    content = Template(asset("templates/board.html")).substitute(
        live="Connecting…",
        orders="\n".join(_card_html(c, csrf) for c in cards),
        empty_hidden=" hidden" if cards else "",
    )
    head = f'<script src="{BASE}/board.js" defer></script>\n'
    return render(request, svc, who, Page("Orders", "orders", content, head=head, kind="board"))


@router.post("/login")
async def login(request: Request, svc: Svc) -> Response:
    try:
        form = await checked_form(request, svc)
    except HttpProblem as refused:
        message = str(refused)
        return login_page(request, svc, message[:1].upper() + message[1:], status=403, renew=True, next_page=BASE)
    token = form.get("token", "").strip()
    try:
        who = svc.staff(token, client_address(request)) if token else None
    except TooManyAttempts as exc:
        return locked_page(request, svc, exc)
    if who is None:
        wanted = form.get("next", BASE)
        return login_page(request, svc, "That token is not known. Ask for a new one.", status=401, next_page=wanted)
    response = RedirectResponse(_next_page(form.get("next", BASE)), status_code=303)
    set_staff_cookie(response, request, COOKIE, token)
    set_nonce(response, request, new_nonce())  # a new session, a new CSRF token
    return response


@router.post("/logout")
async def logout(request: Request, svc: Svc) -> Response:
    await checked_form(request, svc)
    response = RedirectResponse(BASE, status_code=303)
    response.delete_cookie(COOKIE, path=BASE)
    set_nonce(response, request, new_nonce())
    return response


@router.get("/board.js")
def script() -> Response:
    return Response(asset("static/board.js"), media_type="text/javascript")


@router.get("/board.css")
def style() -> Response:
    return Response(asset("static/board.css"), media_type="text/css")


# -- live updates ------------------------------------------------------------------------------


@router.get("/events")
async def events(request: Request, svc: Svc, who: Staff) -> StreamingResponse:
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
    form = await checked_form(request, svc)
    tag = form.get("etag") or None

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
    return RedirectResponse(BASE, status_code=303)


@router.post("/orders/{number}/advance")
async def advance(request: Request, number: Number, svc: Svc, who: Staff) -> Response:
    return await _move(request, svc, who, number, cancel=False)


@router.post("/orders/{number}/cancel")
async def cancel(request: Request, number: Number, svc: Svc, who: Staff) -> Response:
    return await _move(request, svc, who, number, cancel=True)
