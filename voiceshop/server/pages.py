"""What every staff page shares: who is signed in, CSRF tokens, the layout with its navigation,
the forms' bodies, and error pages.

All staff pages live under ``/board`` so the two cookies, both HttpOnly and SameSite=Strict and
scoped to ``/board``, reach every one of them and nothing else:

    voiceshop_staff   the staff token (checked on every request: a revoked token stops at once)
    voiceshop_csrf    a random nonce for this browser, made when the sign-in page is shown and made
                      anew at sign-in and sign-out

Every form carries ``csrf`` = HMAC-SHA256(server secret, nonce). A post is refused (403) when it
comes from another origin, or when its token is missing or is not the one for the browser's nonce:
a page of another site can neither read the nonce nor compute the token, and a nonce planted by a
neighbouring site cannot be turned into a token without the server's secret. The secret is made when
the server starts, so a form left open across a restart asks to be reloaded.

Errors on staff pages are pages too for a browser that navigates (a form posted without JavaScript);
the board's script asks for JSON and gets problem details, like every other client.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from importlib import resources
from string import Template
from typing import Annotated
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse

from voiceshop.server.problems import TITLES, HttpProblem
from voiceshop.server.services import Services, client_address, services
from voiceshop.storage.sessions import SessionRepository

BASE = "/board"
COOKIE = "voiceshop_staff"
CSRF_COOKIE = "voiceshop_csrf"
CSRF_FIELD = "csrf"
COOKIE_HOURS = 12
NAV = (
    ("orders", BASE, "Orders"),
    ("catalog", f"{BASE}/catalog", "Catalog"),
    ("callbacks", f"{BASE}/callbacks", "Callbacks"),
    ("insights", f"{BASE}/insights", "Insights"),
)
"""The staff pages, in the order the navigation lists them."""

Svc = Annotated[Services, Depends(services)]


def asset(name: str) -> str:
    return resources.files("voiceshop.server").joinpath(name).read_text(encoding="utf-8")


# -- who is signed in ----------------------------------------------------------------------------


def signed_in(request: Request, svc: Services) -> str | None:
    """The staff member whose cookie came with the request; a wrong token counts against the client's
    address, and too many raise ``TooManyAttempts`` (429)."""
    token = request.cookies.get(COOKIE)
    return svc.staff(token, client_address(request)) if token else None


def staff(request: Request, svc: Svc) -> str:
    """The signed-in staff member; 401 otherwise."""
    who = signed_in(request, svc)
    if who is None:
        raise HttpProblem(f"sign in at {BASE} first", problem="unauthorized")
    return who


Staff = Annotated[str, Depends(staff)]


# -- CSRF ----------------------------------------------------------------------------------------


def csrf_token(svc: Services, nonce: str) -> str:
    return hmac.new(svc.page_secret, nonce.encode("utf-8"), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def set_nonce(response: Response, request: Request, nonce: str) -> None:
    set_staff_cookie(response, request, CSRF_COOKIE, nonce)


def set_staff_cookie(response: Response, request: Request, name: str, value: str) -> None:
    """A cookie of the staff pages: HttpOnly, SameSite=Strict, only under ``BASE``, Secure over HTTPS."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        path=BASE,
        secure=request.url.scheme == "https",
        max_age=COOKIE_HOURS * 3600,
    )


def same_origin(request: Request) -> None:
    """A post must come from this server's own pages (the cookies are SameSite=Strict as well)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HttpProblem("the staff pages only take posts from their own pages", problem="forbidden")


async def checked_form(request: Request, svc: Services) -> dict[str, str]:
    """The posted form's fields (the first value of each), once the post is known to come from this
    browser's own staff page: same origin, and the CSRF token of its nonce."""
    same_origin(request)
    body = (await request.body()).decode("utf-8", "replace")
    form = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
    nonce = request.cookies.get(CSRF_COOKIE)
    sent = form.get(CSRF_FIELD, "")
    if not nonce or not sent or not hmac.compare_digest(sent, csrf_token(svc, nonce)):
        raise HttpProblem(
            "this form is out of date or did not come from this site's staff pages (its security token is "
            "missing or wrong); reload the page and try again",
            problem="forbidden",
        )
    return form


# -- pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A staff page to draw in the layout."""

    title: str
    current: str
    """Which entry of ``NAV`` this page is."""
    content: str
    """The page's HTML inside <main>, from its <h1> on."""
    head: str = ""
    kind: str = "page"
    """The body's class: ``board`` (large type, read across a counter) or ``page``."""


def form_token(request: Request, svc: Services) -> str:
    """The CSRF token for this browser's forms. A browser without a nonce gets one made here, which
    ``render`` then sets as its cookie."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce:
        nonce = getattr(request.state, "new_nonce", None) or new_nonce()
        request.state.new_nonce = nonce
    return csrf_token(svc, nonce)


def csrf_input(request: Request, svc: Services) -> str:
    """The hidden CSRF field every form of a staff page carries."""
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{form_token(request, svc)}">'


def render(request: Request, svc: Services, who: str, page: Page, status: int = 200) -> HTMLResponse:
    """The page in the staff layout, with the navigation and the sign-out form."""
    with svc.store() as db:
        waiting = SessionRepository(db).waiting_callbacks()
    labels = {key: label for key, _, label in NAV}
    if waiting:
        labels["callbacks"] += f' <span class="count">({waiting} waiting)</span>'
    current = ' aria-current="page"'
    nav = "\n".join(
        f'      <li><a href="{href}"{current if key == page.current else ""}>{labels[key]}</a></li>'
        for key, href, _ in NAV
    )
    html = Template(asset("templates/staff.html")).substitute(
        title=escape(page.title),
        head=page.head,
        kind=page.kind,
        nav=nav,
        who=escape(who),
        csrf=form_token(request, svc),
        content=page.content,
    )
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    made = getattr(request.state, "new_nonce", None)
    if made:
        set_nonce(response, request, made)
    return response


def wants_page(request: Request) -> bool:
    """A browser navigating (a link, a form posted without JavaScript) rather than a script or program."""
    accept = request.headers.get("accept", "")
    return request.url.path.startswith(BASE) and "text/html" in accept and "application/json" not in accept


def error_page(request: Request, status: int, code: str, detail: str) -> Response | None:
    """An error on a staff page, as a page for a browser that navigates; None for everyone else."""
    if not wants_page(request):
        return None
    back = request.headers.get("referer") or BASE
    if urlsplit(back).netloc not in ("", request.headers.get("host", "")):
        back = BASE
    signin = f' or <a href="{BASE}">sign in</a>' if status == 401 else ""
    title = TITLES.get(status, "Error")
    html = Template(asset("templates/problem.html")).substitute(
        title=escape(title),
        detail=escape(detail[:1].upper() + detail[1:]),
        back=escape(back),
        signin=signin,
        code=escape(code),
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


# -- small things the pages share ------------------------------------------------------------------


def attrs(values: Mapping[str, str]) -> str:
    return "".join(f' {key}="{escape(value)}"' for key, value in values.items())


def local_time(at: datetime, timezone: str) -> str:
    """A moment as the shop's staff read it: their own time zone, to the minute."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
