"""The shop's insights: a staff page at ``/board/insights`` and the same figures as JSON at
``/api/v1/insights`` for the shop's systems.

What shoppers asked for and ordered most, what was not understood (their own phrases, counted, and
the newest, so the shop can add aliases), abandoned carts and conversions per day, over a period of
the shop's days (the last seven unless another is chosen). The figures and their definitions are
``storage.insights``'.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from voiceshop.commerce.money import format_money
from voiceshop.errors import VoiceshopError
from voiceshop.server.api import API, staff
from voiceshop.server.catalog import shop_picker
from voiceshop.server.console import staff_or_sign_in
from voiceshop.server.pages import BASE, Page, Svc, local_time, render
from voiceshop.server.services import Services
from voiceshop.storage.insights import ABANDONED_AFTER, CONVERSATION_GAP, MAX_DAYS, Insights, compute, period
from voiceshop.storage.shops import ShopRepository

router = APIRouter(prefix=f"{BASE}/insights", include_in_schema=False)
api_router = APIRouter(prefix=API, dependencies=[Depends(staff)], tags=["insights"])
ShopSlug = Annotated[str | None, Query(max_length=64, description="Shop slug; the current shop when omitted.")]
Start = Annotated[date | None, Query(description="First day of the period (the shop's days); see `days`.")]
End = Annotated[date | None, Query(description="Last day of the period, included; today when omitted.")]
Days = Annotated[
    int | None,
    Query(ge=1, le=MAX_DAYS, description="Without `start`: this many days up to `end`. Default 7."),
]


def insights_for(svc: Services, shop: str | None, start: date | None, end: date | None, days: int | None) -> Insights:
    with svc.store() as db:
        shops = ShopRepository(db)
        stored = shops.resolve(shop)
        today = datetime.now(UTC).astimezone(ZoneInfo(stored.shop.timezone)).date()
        first, last = period(today, start, end, days)
        return compute(db, stored, shops.catalog(stored), first, last)


@api_router.get(
    "/insights",
    response_model=Insights,
    summary="What shoppers asked for, what was not understood, abandoned carts and conversions per day",
)
def insights_json(svc: Svc, shop: ShopSlug = None, start: Start = None, end: End = None, days: Days = None) -> Insights:
    return insights_for(svc, shop, start, end, days)


# -- the page ------------------------------------------------------------------------------------


NUM = ' class="num"'


def _table(caption: str, heads: list[tuple[str, bool]], rows: list[list[str]], empty: str) -> str:
    """A table with a caption and column headings; ``heads`` says which columns are numbers."""
    if not rows:
        return f"<p>{escape(empty)}</p>" if empty else ""
    head = "".join(f'<th scope="col"{NUM if num else ""}>{escape(h)}</th>' for h, num in heads)
    lines = []
    for row in rows:
        cells = [f'<th scope="row">{row[0]}</th>']
        cells += [f"<td{NUM if heads[i][1] else ''}>{cell}</td>" for i, cell in enumerate(row) if i > 0]
        lines.append(f"<tr>{''.join(cells)}</tr>")
    body = "\n".join(lines)
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


def _content(ins: Insights, shop_name: str, picker: str) -> str:
    zone = ins.timezone

    def money(minor: int) -> str:
        return escape(format_money(minor, ins.currency))

    span = f"{ins.start:%Y-%m-%d} to {ins.end:%Y-%m-%d}"
    orders = sum(d.converted for d in ins.conversions)
    talks = sum(d.conversations for d in ins.conversions)
    rate = f"{orders / talks:.0%}" if talks else "—"
    figures = (
        '<ul class="figures">'
        f"<li><strong>{ins.turns}</strong> shopper turns</li>"
        f"<li><strong>{ins.not_understood_turns}</strong> not understood</li>"
        f"<li><strong>{talks}</strong> conversations</li>"
        f"<li><strong>{rate}</strong> of them ordered</li>"
        f"<li><strong>{ins.abandoned_count}</strong> abandoned carts ({money(ins.abandoned_value)})</li>"
        "</ul>"
    )
    form = (
        f'<form class="filters" method="get" action="{BASE}/insights">'
        f'<input type="hidden" name="shop" value="{escape(ins.shop)}">'
        f'<label for="start">From <input id="start" name="start" type="date" value="{ins.start:%Y-%m-%d}"></label>'
        f'<label for="end">To <input id="end" name="end" type="date" value="{ins.end:%Y-%m-%d}"></label>'
        '<button type="submit">Show</button></form>'
    )
    counted = [("Product", False), ("SKU", False), ("Turns", True)]
    ordered = [[escape(p.name), escape(p.sku), str(p.count)] for p in ins.ordered]
    asked = [[escape(p.name), escape(p.sku), str(p.count)] for p in ins.asked_for]
    phrases = [[escape(p.phrase), str(p.count), local_time(p.last_at, zone)] for p in ins.not_understood]
    recent = [
        [escape(e.heard), escape(e.channel), escape(e.session), local_time(e.at, zone)]
        for e in ins.not_understood_recent
    ]
    carts = [[escape(c.key), str(c.items), money(c.value), local_time(c.updated_at, zone)] for c in ins.abandoned_carts]
    days = [
        [f"{d.day:%Y-%m-%d}", str(d.conversations), str(d.converted), f"{d.rate:.0%}" if d.conversations else "—"]
        for d in reversed(ins.conversions)
    ]
    return (
        f"<h1>Insights — {escape(shop_name)}</h1>"
        + picker
        + form
        + f"<p>From {span} (the shop's days, {escape(zone)}).</p>"
        + figures
        + "<h2>Asked for most</h2>"
        + _table(
            "Ordered (units, cancelled orders left out)",
            [("Product", False), ("SKU", False), ("Units", True)],
            ordered,
            "No orders in this period.",
        )
        + _table("Named by shoppers (turns naming each)", counted, asked, "No product was named in this period.")
        + "<h2>Not understood</h2>"
        + '<p class="hint">What shoppers said that the assistant could not act on. A name for a product that '
        "shoppers use is worth adding to its aliases in the catalog. The words are kept only for the shop's "
        "transcript retention period (<code>voiceshop customers retention</code>).</p>"
        + _table(
            "Phrases, most often said first",
            [("Phrase", False), ("Times", True), ("Last said", False)],
            phrases,
            "Everything said in this period was understood.",
        )
        + _table("The newest", [("Said", False), ("Channel", False), ("Session", False), ("When", False)], recent, "")
        + "<h2>Abandoned carts</h2>"
        + f'<p class="hint">Carts with items that nobody has touched for {_minutes(ABANDONED_AFTER)} or more, and no'
        " order from them.</p>"
        + _table(
            "Newest first",
            [("Cart of", False), ("Items", True), ("Value", True), ("Last touched", False)],
            carts,
            "No abandoned carts in this period.",
        )
        + "<h2>Conversions per day</h2>"
        + f'<p class="hint">Conversations (one session\'s turns without a pause of {_minutes(CONVERSATION_GAP)}, ended'
        " by a goodbye or an order) that placed an order.</p>"
        + _table(
            "Newest day first",
            [("Day", False), ("Conversations", True), ("With an order", True), ("Rate", True)],
            days,
            "",
        )
    )


@router.get("")
async def insights_page(
    request: Request,
    svc: Svc,
    shop: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[str, Query(max_length=20)] = "",
    end: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    who = staff_or_sign_in(request, svc)
    if isinstance(who, Response):
        return who

    def day(text: str, what: str) -> date | None:
        if not text.strip():
            return None
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise VoiceshopError(
                f"the {what} day {text.strip()[:20]!r} is not a date; write it as YYYY-MM-DD", code="invalid_request"
            ) from None

    first, last = day(start, "first"), day(end, "last")

    def build() -> str:
        ins = insights_for(svc, shop, first, last, None)
        with svc.store() as db:
            stored = ShopRepository(db).resolve(ins.shop)
        return _content(ins, stored.shop.name, shop_picker(svc, stored, f"{BASE}/insights", {}))

    content = await run_in_threadpool(build)
    return render(request, svc, who, Page("Insights", "insights", content))
