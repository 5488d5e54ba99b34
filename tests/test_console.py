"""The staff console beyond the order board: catalog and stock, callbacks, insights (page and API),
navigation, and CSRF on every staff form. The framework's test client, on both store back ends."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bundle
from voiceshop.commerce.customer import Customer, hash_pin
from voiceshop.dialog.state import DIGITS_SAID, PIN_SAID
from voiceshop.runtime import Assistant
from voiceshop.server.app import create_app
from voiceshop.server.auth import StaffTokens
from voiceshop.server.retention import prune_in_background
from voiceshop.server.services import Services
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.insights import compute
from voiceshop.storage.sessions import SessionRepository
from voiceshop.storage.shops import ShopRepository
from voiceshop.storage.turns import Turn, TurnRepository

HTML = {"Accept": "text/html,application/xhtml+xml"}
PAGES = {
    "/board": "Orders",
    "/board/catalog": "Catalog",
    "/board/callbacks": "Callbacks",
    "/board/insights": "Insights",
}


@dataclass
class Console:
    browser: TestClient
    store: str
    token: str

    def csrf(self, path: str = "/board") -> str:
        return csrf_of(self.browser.get(path).text)

    def api(self, path: str, **params: Any) -> Any:
        resp = self.browser.get(f"/api/v1{path}", params=params, headers={"Authorization": f"Bearer {self.token}"})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def say(self, session: str, text: str) -> list[str]:
        resp = self.browser.post(f"/api/v1/conversations/{session}/turns?shop=coffee-bar", json={"text": text})
        assert resp.status_code == 200, resp.text
        return [r["text"] for r in resp.json()["replies"]]


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert found is not None, page[:400]
    return found.group(1)


def sign_in(browser: TestClient, token: str, next_page: str = "/board") -> None:
    page = browser.get(next_page)
    assert page.status_code == 200 and '<label for="token">Staff token</label>' in page.text
    resp = browser.post("/board/login", data={"token": token, "csrf": csrf_of(page.text), "next": next_page})
    assert resp.status_code == 303 and resp.headers["location"] == next_page
    cookies = resp.headers.get_list("set-cookie")
    assert all(
        "path=/board" in c.lower() and "httponly" in c.lower() and "samesite=strict" in c.lower() for c in cookies
    )
    assert {c.split("=")[0] for c in cookies} == {"voiceshop_staff", "voiceshop_csrf"}


@pytest.fixture
def console(store_url: str, tmp_path: Path) -> Iterator[Console]:
    with Database(store_url) as db:
        shops = ShopRepository(db)
        shops.load(bundle("corner-store"))
        shops.load(bundle("coffee-bar"))  # the current shop
        CustomerRepository(db).add(Customer(name="Ann", preferences={"phone": "555 0101"}))
    token = StaffTokens(tmp_path / "staff.json").add("Kim")
    with TestClient(create_app(store_url, tmp_path / "staff.json"), follow_redirects=False) as browser:
        sign_in(browser, token, "/board/catalog")
        yield Console(browser, store_url, token)


def test_every_page_renders_with_navigation_and_labelled_fields(console: Console) -> None:
    for path, name in PAGES.items():
        page = console.browser.get(path)
        assert page.status_code == 200, (path, page.text)
        html = page.text
        assert f'<a href="{path}" aria-current="page">{name}</a>' in html
        assert all(f'<a href="{other}"' in html for other in PAGES)  # every page links every other
        assert html.count("<h1>") == 1 and '<a class="skip" href="#main">' in html
        for field in re.findall(r'<(?:input|select) id="([^"]+)"', html):
            assert f'<label for="{field}"' in html or f'<label class="visually-hidden" for="{field}"' in html, field
        assert 'action="/board/logout"' in html
        assert html.count('name="csrf"') == len(re.findall(r'<form[^>]* method="post"', html))  # every post
    assert 'class="board"' in console.browser.get("/board").text  # the board keeps its large type


def test_catalog_finds_by_alias_and_sku_and_changes_stock_for_every_device(console: Console) -> None:
    page = console.browser.get("/board/catalog", params={"shop": "corner-store", "q": "sensitive toothpaste"})
    assert page.status_code == 200 and "sensodyne toothpaste" in page.text  # an alias of it
    assert "PC-TP-SENS" in console.browser.get("/board/catalog?shop=corner-store&q=pc-tp-sens").text
    assert "Nothing matches" in console.browser.get("/board/catalog?shop=corner-store&q=zzqx").text
    form = {"csrf": csrf_of(page.text), "shop": "corner-store", "sku": "PC-TP-SENS", "q": "sensitive toothpaste"}
    done = console.browser.post("/board/catalog/stock", data={**form, "stock": "7"})
    assert done.status_code == 303
    shown = console.browser.get(done.headers["location"]).text
    assert "The stock of sensodyne toothpaste is now 7." in shown
    with Database(console.store) as other_device:
        shops = ShopRepository(other_device)
        assert shops.catalog(shops.resolve("corner-store")).product("PC-TP-SENS").stock == 7  # type: ignore[union-attr]
    for bad in ("-3", "lots", "", "1e3", "99999999999"):
        refused = console.browser.post("/board/catalog/stock", data={**form, "stock": bad}, headers=HTML)
        assert (
            refused.status_code == 422
            and "whole number of units" in refused.text
            and "nothing was changed" in refused.text
        )
        assert f'value="{bad}" required aria-invalid="true"' in refused.text  # what was typed is kept, marked
    assert console.api("/shops/corner-store/products/PC-TP-SENS")["stock"] == 7
    unknown = console.browser.post("/board/catalog/stock", data={**form, "sku": "NOPE", "stock": "1"}, headers=HTML)
    assert unknown.status_code == 422 and "sells no product with SKU" in unknown.text and "<h1>" in unknown.text


def test_a_callback_shows_its_conversation_and_is_marked_returned(console: Console) -> None:
    console.say("kiosk", "a croissant")
    assert "asked the shop team" in " ".join(console.say("kiosk", "can i talk to a person"))
    page = console.browser.get("/board/callbacks").text
    assert '<span class="count">(1 waiting)</span>' in console.browser.get("/board").text  # seen from every page
    assert "Shopper: a croissant" in page and "Shopper: can i talk to a person" in page and "web-kiosk" in page
    with Database(console.store) as db:
        stored = ShopRepository(db).resolve("coffee-bar")
        older = SessionRepository(db).request_callback(stored, "counter", "Ann", "asked for a person", [])
    page = console.browser.get("/board/callbacks").text
    assert page.index(f'id="callback-{older}"') < page.index('id="callback-1"')  # newest first
    assert "555 0101" in page  # how to reach a known customer
    marked = console.browser.post(
        f"/board/callbacks/{older}/returned", data={"csrf": csrf_of(page), "shop": "coffee-bar"}
    )
    assert marked.status_code == 303
    assert f"Callback #{older} is marked returned." in console.browser.get(marked.headers["location"]).text
    assert f'id="callback-{older}"' not in console.browser.get("/board/callbacks").text
    assert "(1 waiting)" in console.browser.get("/board/insights").text
    assert "returned by Kim" in console.browser.get("/board/callbacks?show=all").text
    with Database(console.store) as db:
        callback = next(c for c in SessionRepository(db).callbacks() if c.id == older)
        assert callback.status == "done" and callback.returned_by == "Kim" and callback.returned_at is not None
        assert "callback.returned" in [r[0] for r in db.execute("SELECT topic FROM outbox").fetchall()]
    gone = console.browser.post("/board/callbacks/999/returned", data={"csrf": csrf_of(page)}, headers=HTML)
    assert gone.status_code == 404 and "no callback 999" in gone.text


def test_the_api_lists_callbacks_and_marks_them_returned(console: Console) -> None:
    console.say("kiosk", "can i talk to a person")
    bearer = {"Authorization": f"Bearer {console.token}"}
    assert console.browser.get("/api/v1/callbacks").status_code == 401
    [waiting] = console.api("/callbacks", status="open")
    assert waiting["device"] == "web-kiosk" and waiting["status"] == "open" and waiting["returned_by"] is None
    assert {"who": "shopper", "text": "can i talk to a person"} in waiting["transcript"]
    done = console.browser.post(f"/api/v1/callbacks/{waiting['id']}/returned", headers=bearer)
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["returned_by"] == "Kim"
    assert console.api("/callbacks", status="open") == [] and len(console.api("/callbacks")) == 1
    unknown = console.browser.post("/api/v1/callbacks/999/returned", headers=bearer)
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/problem+json")
    assert console.browser.get("/api/v1/callbacks", params={"status": "maybe"}, headers=bearer).status_code == 422


def test_insights_count_the_turns_driven_through_the_assistant(console: Console) -> None:
    for text in ("a large latte please", "flibber the jabberwock", "that's all", "pick up", "yes"):
        console.say("s1", text)
    console.say("s2", "two croissants")  # never ordered
    console.say("s2", "flibber the jabberwock")
    page = console.browser.get("/chat").text  # the web chat, without JavaScript
    session = re.search(r'name="session" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    console.browser.post("/chat", data={"session": session, "text": "glorp zim"})
    with Database(console.store) as db:
        channels = sorted(r[0] for r in db.execute("SELECT DISTINCT channel FROM turns").fetchall())
        assert channels == ["api", "web"]
        two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="microseconds")
        db.execute("UPDATE carts SET updated_at = ? WHERE customer_key = 'device:web-s2'", (two_hours_ago,))
    ins = console.api("/insights", shop="coffee-bar", days=2)
    assert ins["turns"] == 8 and ins["not_understood_turns"] == 3
    assert ins["not_understood"][0] == {
        "phrase": "flibber the jabberwock",
        "count": 2,
        "last_at": ins["not_understood"][0]["last_at"],
    }
    assert [e["heard"] for e in ins["not_understood_recent"]] == [
        "glorp zim",
        "flibber the jabberwock",
        "flibber the jabberwock",
    ]
    assert {p["sku"]: p["count"] for p in ins["asked_for"]} == {"DRK-LATTE": 1, "BAK-CROISSANT": 1}
    assert ins["ordered"] == [{"sku": "DRK-LATTE", "name": "latte", "count": 1}]
    assert ins["abandoned_count"] == 1 and ins["abandoned_carts"][0]["key"] == "device:web-s2"
    assert ins["abandoned_carts"][0]["items"] == 2 and ins["abandoned_value"] == 650
    assert sum(d["conversations"] for d in ins["conversions"]) == 3  # s1, s2 and the web chat
    assert sum(d["converted"] for d in ins["conversions"]) == 1
    page = console.browser.get("/board/insights").text
    assert "flibber the jabberwock" in page and "device:web-s2" in page and "$6.50" in page


def test_insights_api_is_documented_and_checks_its_period(console: Console) -> None:
    spec = console.browser.get("/api/v1/openapi.json").json()
    assert "get" in spec["paths"]["/api/v1/insights"] and "Insights" in spec["components"]["schemas"]
    assert console.browser.get("/api/v1/insights").status_code == 401
    auth = {"Authorization": f"Bearer {console.token}"}
    wrong = console.browser.get("/api/v1/insights?start=2026-02-10&end=2026-02-01", headers=auth)
    assert wrong.status_code == 422 and "starts (2026-02-10) after it ends" in wrong.json()["detail"]
    week = console.api("/insights")
    assert len(week["conversions"]) == 7 and week["shop"] == "coffee-bar"
    bad = console.browser.get("/board/insights?start=2026-13-01", headers=HTML)
    assert bad.status_code == 422 and "write it as YYYY-MM-DD" in bad.text


def test_staff_forms_need_their_csrf_token(console: Console, tmp_path: Path) -> None:
    browser = console.browser
    csrf = console.csrf()
    form = {"shop": "corner-store", "sku": "PC-TP-SENS", "stock": "1"}
    for sent in ({}, {"csrf": ""}, {"csrf": "0" * 64}):
        refused = browser.post("/board/catalog/stock", data={**form, **sent}, headers=HTML)
        assert refused.status_code == 403 and "security token is missing or wrong" in refused.text
        assert refused.headers["content-type"].startswith("text/html")
    problem = browser.post("/board/catalog/stock", data=form, headers={"Accept": "application/json"})
    assert problem.status_code == 403 and problem.json()["code"] == "forbidden"  # the board's script
    assert browser.post("/board/logout", data={}).status_code == 403
    # another browser's token does not work with this browser's cookie
    with TestClient(browser.app, follow_redirects=False) as other:
        other_csrf = csrf_of(other.get("/board").text)
        assert other_csrf != csrf
        assert browser.post("/board/catalog/stock", data={**form, "csrf": other_csrf}).status_code == 403
        stale = other.post("/board/login", data={"token": console.token, "csrf": csrf}, headers=HTML)
        assert stale.status_code == 403 and "reload the page" in stale.text.lower()
        assert "voiceshop_staff" not in str(stale.headers)
    assert browser.post("/board/catalog/stock", data={**form, "csrf": csrf}).status_code == 303
    out = browser.post("/board/logout", data={"csrf": csrf})
    assert out.status_code == 303 and 'voiceshop_staff=""' in str(out.headers.get_list("set-cookie"))


def test_a_pin_said_is_never_recorded(db: Database) -> None:
    shops = ShopRepository(db)
    shops.load(bundle("coffee-bar"))
    CustomerRepository(db).add(Customer(name="Anna", pin_hash=hash_pin("4321")))
    assistant = Assistant(db, "coffee-bar", device="counter", customer="Anna")
    said = ("my pin is four three two one", "a small latte", "checkout", "pick up", "yes")
    for text in (*said, "one two three four", "four three two one"):
        assistant.hear(text)
    turns = [(r[0], r[1], r[2]) for r in db.execute("SELECT heard, channel, order_number FROM turns ORDER BY id")]
    assert [t[0] for t in turns[-2:]] == [PIN_SAID, PIN_SAID] and turns[-1][2] is not None
    assert turns[0][0] == DIGITS_SAID  # a PIN said before it was asked for
    assert {t[1] for t in turns} == {"chat"}
    words = " ".join(str(t[0]) for t in turns) + db.execute("SELECT state_json FROM sessions").fetchone()[0]
    # neither in the turns nor in the transcript a callback would hand to a person
    assert "one two three four" not in words and "four three two one" not in words and "4321" not in words


def test_conversations_split_by_pause_goodbye_and_order(db: Database) -> None:
    shops = ShopRepository(db)
    shops.load(bundle("coffee-bar"))
    stored = shops.resolve("coffee-bar")  # New York: a UTC day starts at 19:00 or 20:00 the day before
    repo = TurnRepository(db)
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

    def said(minutes: float, session: str = "a", order: str | None = None, ended: bool = False) -> None:
        turn = Turn(
            session=session, channel="voice", heard="x", intent="AddItems", understood=True, order=order, ended=ended
        )
        repo.record(stored, turn, at=(at + timedelta(minutes=minutes)).isoformat(timespec="microseconds"))

    said(0), said(1, order="111111"), said(2, ended=True)  # ordered, then goodbye: one conversation
    said(3), said(4)  # the next shopper at the same device
    said(20)  # after a pause: another
    said(21, session="b"), said(22, session="b", ended=True), said(23, session="b")  # goodbye ends one
    said(60 * 10, order="222222")  # 01:00 UTC on the 3rd is still the 2nd in New York
    days = compute(db, stored, shops.catalog(stored), at.date(), at.date() + timedelta(days=1)).conversions
    assert [(d.day.isoformat(), d.conversations, d.converted) for d in days] == [
        ("2026-03-02", 6, 2),
        ("2026-03-03", 0, 0),
    ]


def test_a_running_server_keeps_pruning_old_words(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with Database(path) as db:
        ShopRepository(db).load(bundle("coffee-bar"))
        stored = ShopRepository(db).resolve("coffee-bar")
        old = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="microseconds")
        turn = Turn(session="k", channel="voice", heard="my name is ann", intent=None, understood=False)
        TurnRepository(db).record(stored, turn, at=old)
    stop = threading.Event()
    thread = prune_in_background(Services(db_path=path, tokens=StaffTokens(tmp_path / "staff.json")), stop, every=0.05)
    try:
        deadline = time.monotonic() + 10
        with Database(path) as db:
            while db.execute("SELECT heard FROM turns").fetchone()[0] is not None:
                assert time.monotonic() < deadline, "the old words were not pruned"
                time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
