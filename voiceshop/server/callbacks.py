"""The staff callbacks page at ``/board/callbacks``: shoppers who asked for a person, newest first;
and the same for the shop's systems at ``/api/v1/callbacks`` (JSON, bearer token).

Each request shows who asked (their name when they were known, and any phone or e-mail kept in
their preferences), where they asked from, why, and the conversation so far, with a button to mark
it returned. Returning is stored (who and when) so every screen sees it, and announced in the outbox
as ``callback.returned``.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from voiceshop.commerce.customer import Customer
from voiceshop.errors import CustomerError
from voiceshop.server.api import API, staff
from voiceshop.server.catalog import shop_picker
from voiceshop.server.console import staff_or_sign_in
from voiceshop.server.pages import BASE, Page, Staff, Svc, checked_form, csrf_input, local_time, render
from voiceshop.server.services import Services
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.sessions import Callback, SessionRepository
from voiceshop.storage.shops import ShopRepository, StoredShop

router = APIRouter(prefix=f"{BASE}/callbacks", include_in_schema=False)
api_router = APIRouter(prefix=f"{API}/callbacks", dependencies=[Depends(staff)], tags=["callbacks"])
CallbackId = Annotated[int, Path(ge=1, le=2**62, description="The callback's id (from the list).")]
ShopSlug = Annotated[str | None, Query(max_length=64)]
Show = Literal["open", "all"]
SHOWN = 200
CONTACT_KEYS = ("phone", "telephone", "mobile", "email", "e-mail")
"""Preferences that say how to reach a customer, shown beside their name."""
WHO = {"shopper": "Shopper", "assistant": "Assistant"}


def _contact(name: str | None, known: Customer | None) -> str:
    if name is None:
        return "not known (an anonymous shopper): call back at the place they asked from"
    ways = [f"{k}: {v}" for k, v in (known.preferences.items() if known else ()) if k.lower() in CONTACT_KEYS]
    return escape(name) + (f" — {escape(', '.join(ways))}" if ways else "")


def _transcript(lines: list[dict[str, str]]) -> str:
    if not lines:
        return '<p class="muted">No conversation kept (emptied after the retention period, or forgotten).</p>'
    items = []
    for line in lines:
        if "who" in line and "text" in line:
            who, text = WHO.get(line["who"], line["who"]), line["text"]
        else:  # an older or hand-made entry: show what it holds
            who, text = "", "; ".join(f"{k}: {v}" for k, v in line.items())
        css = "shopper" if line.get("who") == "shopper" else "assistant"
        items.append(f'<li class="{css}">{escape(who)}{": " if who else ""}{escape(text)}</li>')
    return f'<ol class="transcript" aria-label="The conversation">{"".join(items)}</ol>'


def _card(cb: Callback, stored: StoredShop, known: Customer | None, csrf: str, show: str) -> str:
    zone = stored.shop.timezone
    title = f"{escape(cb.customer)}" if cb.customer else "A shopper"
    if cb.status == "done":
        state = f"returned by {escape(cb.returned_by or 'staff')}" + (
            f" at {local_time(cb.returned_at, zone)}" if cb.returned_at else ""
        )
        action = ""
    else:
        state = "waiting for a call back"
        action = (
            f'<form method="post" action="{BASE}/callbacks/{cb.id}/returned">{csrf}'
            f'<input type="hidden" name="shop" value="{escape(stored.shop.slug)}">'
            f'<input type="hidden" name="show" value="{escape(show)}">'
            f'<button type="submit" aria-label="Mark callback {cb.id} ({title}) returned">Mark returned</button></form>'
        )
    return (
        f'<li class="callback {escape(cb.status)}" id="callback-{cb.id}">'
        f'<h2>{title} <span class="muted">#{cb.id}</span></h2>'
        f"<dl><dt>Asked</dt><dd>{local_time(cb.created_at, zone)}</dd>"
        f"<dt>Why</dt><dd>{escape(cb.reason)}</dd>"
        f"<dt>Contact</dt><dd>{_contact(cb.customer, known)}</dd>"
        f"<dt>Asked on</dt><dd>{escape(cb.device)}</dd>"
        f'<dt>State</dt><dd class="state">{state}</dd></dl>'
        f"{_transcript(cb.transcript)}{action}</li>"
    )


def _page(request: Request, svc: Services, who: str, shop: str | None, show: Show, notice: str = "") -> Response:
    with svc.store() as db:
        stored = ShopRepository(db).resolve(shop)
        found = SessionRepository(db).callbacks(stored, status="open" if show == "open" else None, limit=SHOWN)
        customers = CustomerRepository(db)
        known: dict[str, Customer | None] = {}
        for cb in found:
            if cb.customer and cb.customer not in known:
                try:
                    known[cb.customer] = customers.get(cb.customer)
                except CustomerError:
                    known[cb.customer] = None
    csrf = csrf_input(request, svc)
    cards = "\n".join(_card(cb, stored, known.get(cb.customer or ""), csrf, show) for cb in found)
    other, other_label = ("all", "Show returned ones too") if show == "open" else ("open", "Show only those waiting")
    link = f"{BASE}/callbacks?{urlencode({'shop': stored.shop.slug, 'show': other})}"
    empty = "No shopper is waiting for a call back." if show == "open" else "No shopper has asked for a call back."
    content = (
        f"<h1>Callbacks — {escape(stored.shop.name)}</h1>"
        + shop_picker(svc, stored, f"{BASE}/callbacks", {"show": show})
        + (f'<p class="notice" role="status">{escape(notice)}</p>' if notice else "")
        + f'<p><a href="{escape(link)}">{other_label}</a></p>'
        + (
            f'<ol class="callbacks" aria-label="Callback requests, newest first">\n{cards}\n</ol>'
            if found
            else f"<p>{empty}</p>"
        )
    )
    return render(request, svc, who, Page(f"Callbacks — {stored.shop.name}", "callbacks", content))


@router.get("")
def callbacks_page(
    request: Request, svc: Svc, shop: ShopSlug = None, show: Show = "open", done: Annotated[int, Query(ge=0)] = 0
) -> Response:
    who = staff_or_sign_in(request, svc)
    if isinstance(who, Response):
        return who
    notice = f"Callback #{done} is marked returned." if done else ""
    return _page(request, svc, who, shop, show, notice)


@router.post("/{callback_id}/returned")
async def returned(
    request: Request, svc: Svc, who: Staff, callback_id: Annotated[int, Path(ge=1, le=2**62)]
) -> Response:
    form = await checked_form(request, svc)
    shop = form.get("shop") or None
    show = "all" if form.get("show") == "all" else "open"

    def mark() -> str:
        with svc.store() as db:
            stored = ShopRepository(db).resolve(shop)
            SessionRepository(db).mark_returned(callback_id, who, stored)
            return stored.shop.slug

    slug = await run_in_threadpool(mark)
    query = urlencode({"shop": slug, "show": show, "done": callback_id})
    return RedirectResponse(f"{BASE}/callbacks?{query}#callback-{callback_id}", status_code=303)


# -- the API -------------------------------------------------------------------------------------


class CallbackOut(BaseModel):
    """A shopper who asked for a person: who, why, from where, and the conversation so far."""

    id: int
    shop: str
    customer: str | None
    """The customer's name when the shopper had given it; None for an anonymous shopper."""
    device: str
    """Where they asked: a device name, ``web-...`` for the web chat, ``ha-...`` for Home Assistant."""
    reason: str
    transcript: list[dict[str, str]]
    """The conversation so far: ``{"who": "shopper"|"assistant", "text": ...}``; empty once the
    retention period has passed or the customer was forgotten."""
    status: Literal["open", "done"]
    created_at: str
    returned_by: str | None
    returned_at: str | None

    @classmethod
    def of(cls, cb: Callback) -> CallbackOut:
        return cls(
            id=cb.id,
            shop=cb.shop,
            customer=cb.customer,
            device=cb.device,
            reason=cb.reason,
            transcript=cb.transcript,
            status="done" if cb.status == "done" else "open",
            created_at=cb.created_at.isoformat(),
            returned_by=cb.returned_by,
            returned_at=cb.returned_at.isoformat() if cb.returned_at else None,
        )


@api_router.get("", response_model=list[CallbackOut], summary="Callback requests, newest first")
def list_callbacks(
    svc: Svc,
    shop: Annotated[str | None, Query(max_length=64, description="Shop slug; every shop when omitted.")] = None,
    status: Annotated[Literal["open", "done"] | None, Query(description="Only those waiting or returned.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CallbackOut]:
    with svc.store() as db:
        stored = ShopRepository(db).resolve(shop) if shop else None
        return [CallbackOut.of(cb) for cb in SessionRepository(db).callbacks(stored, status=status, limit=limit)]


@api_router.post("/{callback_id}/returned", response_model=CallbackOut, summary="Mark a callback returned")
def mark_returned(callback_id: CallbackId, svc: Svc, who: Annotated[str, Depends(staff)]) -> CallbackOut:
    """Record who returned it (the first time only: marking it again changes nothing)."""
    with svc.store() as db:
        repo = SessionRepository(db)
        repo.mark_returned(callback_id, who)
        return CallbackOut.of(repo.callbacks(callback_id=callback_id)[0])
