"""The shopper's web chat at ``/chat``: the shop's assistant in a browser, text in, text out.

The page talks to the conversation endpoint (``/api/v1/conversations``) with a little plain
JavaScript, reads replies aloud and takes speech where the browser offers it. Without JavaScript the
form posts here and the page comes back with the reply, so the chat is never a dead end. Like the
conversation endpoint it needs no staff token and reads nothing but the shop's own answers.
"""

from __future__ import annotations

import re
import secrets
from html import escape
from string import Template
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from voiceshop.server.chat import take_turn
from voiceshop.server.console import asset
from voiceshop.server.limits import TooManyAttempts
from voiceshop.server.services import Services, client_address, services
from voiceshop.storage.shops import ShopRepository

router = APIRouter(prefix="/chat", include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
ShopSlug = Annotated[str | None, Query(max_length=64)]
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _page(
    svc: Services, shop: str | None, session: str, lines: list[tuple[str, str]], refused: TooManyAttempts | None = None
) -> HTMLResponse:
    with svc.store() as db:
        stored = ShopRepository(db).resolve(shop)
    items = "\n".join(
        f'    <li class="{who}">{"You" if who == "you" else "Assistant"}: {escape(text)}</li>' for who, text in lines
    )
    html = Template(asset("templates/chat.html")).substitute(
        shop=escape(stored.shop.slug), shop_name=escape(stored.shop.name), session=session, lines=items
    )
    if refused is not None:
        return HTMLResponse(html, status_code=429, headers=refused.headers)
    return HTMLResponse(html)


@router.get("")
def chat_page(svc: Svc, shop: ShopSlug = None) -> Response:
    return _page(svc, shop, "c" + secrets.token_hex(8), [])


@router.post("")
async def chat_form(request: Request, svc: Svc, shop: ShopSlug = None) -> Response:
    """The same chat without JavaScript: one turn per post, the page back with the replies."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    session = (form.get("session") or [""])[0]
    text = (form.get("text") or [""])[0].strip()[:1000]
    if not _SESSION.match(session):
        session = "c" + secrets.token_hex(8)
    lines: list[tuple[str, str]] = []
    refused = None
    if text:
        try:
            turn = await run_in_threadpool(take_turn, svc, session, shop, text, client_address(request))
            lines = [("you", text)] + [("assistant", r.text) for r in turn.replies]
        except TooManyAttempts as exc:
            refused = exc
            lines = [("you", text), ("assistant", str(exc))]
    return await run_in_threadpool(_page, svc, shop, session, lines, refused)


@router.get("/chat.js")
def script() -> Response:
    return Response(asset("static/chat.js"), media_type="text/javascript")


@router.get("/chat.css")
def style() -> Response:
    return Response(asset("static/chat.css"), media_type="text/css")
