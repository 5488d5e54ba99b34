"""The staff API's webhook routes: what the worker delivered and what failed, and replaying a delivery.

    GET  /api/v1/webhooks/deliveries[?state=failed&offset=&limit=]   newest first, a page at a time
    GET  /api/v1/webhooks/deliveries/{id}                            one delivery
    POST /api/v1/webhooks/deliveries/{id}/replay                     back in the queue, due at once

The same repository as ``voiceshop webhooks list|replay``; an unknown id is a 404 problem, a replay
of a delivery still pending a 409.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from voiceshop.server.api import API, staff
from voiceshop.server.problems import HttpProblem
from voiceshop.server.services import Services, services
from voiceshop.storage.deliveries import (
    Delivery,
    DeliveryError,
    DeliveryNotFound,
    DeliveryRepository,
    DeliveryState,
)

router = APIRouter(prefix=f"{API}/webhooks", tags=["webhooks"], dependencies=[Depends(staff)])
Svc = Annotated[Services, Depends(services)]
DeliveryId = Annotated[int, Path(ge=1, le=2**62, description="The delivery's id (from the list).")]


class DeliveryOut(BaseModel):
    """One outbox event on its way to one endpoint URL."""

    id: int
    event_id: int
    """The outbox event (the ``id`` in the posted body and the ``Voiceshop-Event-Id`` header)."""
    topic: str
    """``order.placed``, ``order.status``, ``shop.loaded`` or ``callback.requested``."""
    url: str
    state: DeliveryState
    """``pending`` (tried again at ``next_at``), ``delivered``, or ``failed`` after its attempts."""
    attempts: int
    next_at: str
    """When the next attempt is due (ISO 8601 UTC); meaningful while pending."""
    last_error: str
    """What went wrong the last time ("HTTP 500", "no answer: ..."); empty once delivered."""
    delivered_at: str | None
    created_at: str

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id,
            event_id=d.event_id,
            topic=d.topic,
            url=d.url,
            state=d.state,
            attempts=d.attempts,
            next_at=d.next_at,
            last_error=d.last_error,
            delivered_at=d.delivered_at,
            created_at=d.created_at,
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    offset: int
    limit: int
    next_offset: int | None
    """Pass as ``offset`` for the next page; null on the last page."""
    counts: dict[str, int] = Field(description="Deliveries in each state, over all pages.")


def _problem(exc: DeliveryError, delivery_id: int) -> HttpProblem:
    if isinstance(exc, DeliveryNotFound):
        return HttpProblem(
            f"there is no webhook delivery {delivery_id}; GET {API}/webhooks/deliveries lists them",
            problem="not_found",
            delivery=delivery_id,
        )
    return HttpProblem(str(exc), problem="delivery_pending", delivery=delivery_id)


@router.get("/deliveries", response_model=DeliveryPage, summary="Webhook deliveries, newest first")
def list_deliveries(
    svc: Svc,
    state: Annotated[DeliveryState | None, Query(description="Only deliveries in this state.")] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DeliveryPage:
    with svc.store() as db:
        repo = DeliveryRepository(db)
        found = repo.list(state, offset=offset, limit=limit + 1)
        counts = repo.counts()
    more = len(found) > limit
    return DeliveryPage(
        items=[DeliveryOut.of(d) for d in found[:limit]],
        offset=offset,
        limit=limit,
        next_offset=offset + limit if more else None,
        counts=counts,
    )


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryOut,
    summary="One webhook delivery",
    responses={404: {"description": "No delivery with that id (problem details)"}},
)
def show_delivery(delivery_id: DeliveryId, svc: Svc) -> DeliveryOut:
    try:
        with svc.store() as db:
            return DeliveryOut.of(DeliveryRepository(db).get(delivery_id))
    except DeliveryError as exc:
        raise _problem(exc, delivery_id) from None


@router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=DeliveryOut,
    summary="Send a failed (or delivered) delivery again: back in the queue, due at once, attempts afresh",
    responses={
        404: {"description": "No delivery with that id (problem details)"},
        409: {"description": "The delivery is still pending (problem details)"},
    },
)
def replay_delivery(delivery_id: DeliveryId, svc: Svc) -> DeliveryOut:
    try:
        with svc.store() as db:
            return DeliveryOut.of(DeliveryRepository(db).replay(delivery_id, now=time.time()))
    except DeliveryError as exc:
        raise _problem(exc, delivery_id) from None
