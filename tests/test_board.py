"""The live order board: sign in with a staff token, see orders appear by server-sent events, move them."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import bundle
from tests.serving import running
from voiceshop.server.app import create_app
from voiceshop.server.auth import StaffTokens
from voiceshop.storage import Database
from voiceshop.storage.shops import ShopRepository


@pytest.fixture(scope="module")
def board_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("board")
    with Database(root / "store.db") as db:
        ShopRepository(db).load(bundle("coffee-bar"))
    token = StaffTokens(root / "staff.json").add("Kim")
    with running(create_app(root / "store.db", root / "staff.json")) as url:
        yield url, token


@contextmanager
def signed_in(url: str, token: str) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=url, timeout=30)
    with client:
        yield login(client, token)


def csrf_of(page: str) -> str:
    """The CSRF token a staff page's forms carry."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None, page[:500]
    return found.group(1)


def login(client: httpx.Client, token: str) -> httpx.Client:
    csrf = csrf_of(client.get("/board").text)
    resp = client.post("/board/login", data={"token": token, "csrf": csrf})
    assert resp.status_code == 303 and resp.headers["location"] == "/board"
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/board" in cookie
    return client


def place(url: str, token: str) -> dict[str, Any]:
    resp = httpx.post(
        f"{url}/api/v1/orders",
        json={"items": [{"sku": "BAK-BAGEL", "quantity": 2}]},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    order: dict[str, Any] = resp.json()
    return order


def test_sign_in_needs_a_staff_token(board_site: tuple[str, str]) -> None:
    url, _ = board_site
    with httpx.Client(base_url=url) as browser:
        page = browser.get("/board")
        assert page.status_code == 200 and '<label for="token">Staff token</label>' in page.text
        wrong = browser.post("/board/login", data={"token": "vs_guess", "csrf": csrf_of(page.text)})
        assert wrong.status_code == 401 and "not known" in wrong.text and "voiceshop_staff" not in str(wrong.headers)
    assert httpx.get(f"{url}/board/events").status_code == 401
    assert httpx.post(f"{url}/board/orders/123456/advance", data={"etag": "x"}).status_code == 401


def test_board_shows_open_orders_and_moves_them(board_site: tuple[str, str]) -> None:
    url, token = board_site
    order = place(url, token)
    number = order["number"]
    with signed_in(url, token) as browser:
        page = browser.get("/board").text
        assert f'id="order-{number}"' in page and "2 x bagel" in page
        assert f'aria-label="Mark confirmed: order {number}"' in page and "/board/board.js" in page
        assert "EventSource" in browser.get("/board/board.js").text
        etag = httpx.get(f"{url}/api/v1/orders/{number}", headers={"Authorization": f"Bearer {token}"}).headers["etag"]
        csrf = csrf_of(page)
        moved = browser.post(f"/board/orders/{number}/advance", data={"etag": etag, "csrf": csrf})
        assert moved.status_code == 303
        stale = browser.post(f"/board/orders/{number}/cancel", data={"etag": etag, "csrf": csrf})
        assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
        foreign = browser.post(
            f"/board/orders/{number}/cancel",
            data={"etag": "*", "csrf": csrf},
            headers={"Origin": "http://evil.example"},
        )
        assert foreign.status_code == 403
        forged = browser.post(f"/board/orders/{number}/cancel", data={"etag": "*", "csrf": "0" * 64})
        assert forged.status_code == 403 and forged.json()["code"] == "forbidden"
        ok = browser.post(
            f"/board/orders/{number}/cancel", data={"etag": "*", "csrf": csrf}, headers={"Accept": "application/json"}
        )
        assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
        assert f'id="order-{number}"' not in browser.get("/board").text  # cancelled orders leave the board


def test_a_new_order_appears_within_a_second(board_site: tuple[str, str]) -> None:
    url, token = board_site
    with signed_in(url, token) as browser, browser.stream("GET", "/board/events") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        lines = events.iter_lines()

        def next_snapshot() -> list[dict[str, Any]]:
            for line in lines:
                if line.startswith("data: "):
                    cards: list[dict[str, Any]] = json.loads(line[6:])
                    return cards
            raise AssertionError("the event stream ended")

        next_snapshot()
        started = time.monotonic()
        number = place(url, token)["number"]
        while True:
            cards = next_snapshot()
            if any(c["number"] == number for c in cards):
                break
        # generous on a loaded machine; the board itself polls twice a second
        assert time.monotonic() - started < 5
        card = next(c for c in cards if c["number"] == number)
        assert card["next"] == "confirmed" and card["cancellable"] and card["items"] == ["2 x bagel"]


def test_board_assets_are_package_data() -> None:
    root = Path(__file__).resolve().parent.parent / "voiceshop" / "server"
    names = ("board.html", "login.html", "staff.html", "problem.html")
    for name in (*(f"templates/{n}" for n in names), "static/board.js", "static/board.css"):
        assert (root / name).is_file(), name
