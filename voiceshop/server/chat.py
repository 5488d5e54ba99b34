"""The shopper's conversation over HTTP: the same ``Assistant`` as ``voiceshop chat``.

No staff token: this is what a kiosk, a web chat or a phone bridge calls. It only says the assistant's
replies; it has no route that reads orders, customers or tokens. Sessions are named by the caller
and kept apart from the physical devices' sessions (a web session "kiosk" is device "web-kiosk"), so
an anonymous caller can never continue the counter's conversation.

Wrong purchase PINs said here count against the caller's address as well as the customer (the
dialog's own lock): an address that said too many gets 429 for its next PIN answer, over every
session and customer, so nobody can try a few PINs for each customer in turn.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from voiceshop.runtime import Assistant
from voiceshop.server.limits import TooManyAttempts, say_wait
from voiceshop.server.schemas import ReplyOut, TurnIn, TurnOut
from voiceshop.server.services import Services, client_address, services

router = APIRouter(prefix="/api/v1/conversations", tags=["conversation"])
Svc = Annotated[Services, Depends(services)]
Session = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The caller's name for the conversation.")]
ShopSlug = Annotated[str | None, Query(max_length=64, description="Shop slug; the current shop when omitted.")]
WebChannel = Literal["api", "web"]
ChannelQuery = Annotated[
    WebChannel,
    Query(
        description="Where the turn comes from, for the shop's insights: `api` (a bot, kiosk or POS) or `web` "
        "(the web chat page)."
    ),
]
DEVICE_PREFIX = "web-"


def take_turn(
    svc: Services, session: str, shop: str | None, text: str | None, client: str, channel: WebChannel = "api"
) -> TurnOut:
    """One turn of ``session`` (None: start it) for the caller at address ``client``, recorded as said on
    ``channel``; raises ``TooManyAttempts`` instead of passing on a PIN answer from an address that
    said too many wrong."""
    device = DEVICE_PREFIX + session
    with svc.session_lock(device), svc.store() as db:
        assistant = Assistant(db, shop, device=device, channel=channel)
        if text is not None and assistant.awaiting() == "pin":
            wait = svc.pins.wait(client)
            if wait > 0:
                raise TooManyAttempts(assistant.reply("pin_locked_network", wait=say_wait(wait)), wait)
        replies = assistant.start() if text is None else assistant.hear(text)
        if any(r.pin_wrong for r in replies):
            svc.pins.fail(client)
        out = [ReplyOut(text=r.text, expects_answer=r.expects_answer, end=r.end) for r in replies]
        return TurnOut(session=session, shop=assistant.slug, replies=out, ended=any(r.end for r in out))


@router.post("/{session}/start", response_model=TurnOut, summary="Begin or resume: the greeting on a new session")
def start(session: Session, svc: Svc, request: Request, shop: ShopSlug = None) -> TurnOut:
    return take_turn(svc, session, shop, None, client_address(request))


@router.post(
    "/{session}/turns",
    response_model=TurnOut,
    summary="One thing the shopper said; the assistant's replies",
    responses={429: {"description": "A PIN answer from an address that said too many wrong PINs; see Retry-After"}},
)
def turn(
    session: Session, body: TurnIn, svc: Svc, request: Request, shop: ShopSlug = None, channel: ChannelQuery = "api"
) -> TurnOut:
    return take_turn(svc, session, shop, body.text, client_address(request), channel)
