"""Real browser tests: Debian's Chromium, headless, against a real `voiceshop serve` on 127.0.0.1.

A member of staff signs in at /board; a shopper types an order into the web chat in a second page; the
order appears on the board without a reload and is moved along with a click and with the keyboard.
Every page must log no console error, no script error and no failed or refused request.

Playwright drives the system's browser (never `playwright install`: no download at run time); one
browser per module keeps these tests to a few seconds each.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, expect, sync_playwright

from tests.chromium import CHROMIUM, launch
from tests.conftest import ROOT, bundle
from voiceshop.server.auth import StaffTokens
from voiceshop.storage import Database
from voiceshop.storage.shops import ShopRepository

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium binary on PATH (Debian: apt-get install chromium; scripts/setup.sh does)"
)
SLOW = 30_000
"""Milliseconds for what waits on the server's first understanding of the shop (a loaded machine)."""
LIVE = 5_000
"""Milliseconds an order may take to reach the board (it polls twice a second; generous under load)."""
ORDER = [
    "two large lattes with almond milk and a blueberry muffin",
    "that's all",
    "i'll pick it up",
    "yes",
]


@dataclass
class Server:
    url: str
    token: str
    tokens: Path
    """The staff token file the server reads."""


@dataclass
class Watched:
    """What went wrong on a page: console errors, script errors, failed requests, error statuses."""

    problems: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        def console(msg: ConsoleMessage) -> None:
            if msg.type == "error":
                self.problems.append(f"console: {msg.text} ({msg.location.get('url')})")

        def failed(request: Request) -> None:
            self.problems.append(f"failed: {request.method} {request.url} ({request.failure})")

        def answered(response: Response) -> None:
            if response.status >= 400:
                self.problems.append(f"status {response.status}: {response.request.method} {response.url}")

        page.on("console", console)
        page.on("pageerror", lambda exc: self.problems.append(f"script error: {exc}"))
        page.on("requestfailed", failed)
        page.on("response", answered)
        return page


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`voiceshop serve` on a free port, with a fresh store holding the coffee bar and one staff token."""
    root = tmp_path_factory.mktemp("browser")
    with Database(root / "store.db") as db:
        ShopRepository(db).load(bundle("coffee-bar"))
    token = StaffTokens(root / "staff.json").add("Kim")
    env = {**os.environ, "VOICESHOP_DB": str(root / "store.db"), "VOICESHOP_TOKEN_FILE": str(root / "staff.json")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "voiceshop", "serve", "--port", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    logged: list[str] = []
    # drained all along, so a full pipe never stalls the server
    drain = threading.Thread(target=logged.extend, args=(proc.stderr,), daemon=True)
    drain.start()
    try:
        line = proc.stdout.readline()
        match = re.search(r"on http://127\.0\.0\.1:(\d+)/api/v1", line)
        assert match, line
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield Server(f"http://127.0.0.1:{match.group(1)}", token, root / "staff.json")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        drain.join(10)
        assert "Traceback" not in "".join(logged), "".join(logged)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def sign_in(page: Page, server: Server, token: str | None = None) -> None:
    page.goto(f"{server.url}/board")
    expect(page.get_by_label("Staff token")).to_be_focused()  # autofocus: type straight away
    page.get_by_label("Staff token").fill(token or server.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/board")
    expect(page.locator("#live")).to_have_text(re.compile(r"^Live"), timeout=SLOW)  # the event stream is on


def chat(page: Page, text: str) -> str:
    """Type one turn the way a shopper does (key by key, then Enter); the assistant's newest reply."""
    replies = page.locator("#transcript li.assistant")
    before = replies.count()
    page.locator("#text").press_sequentially(text)
    page.locator("#text").press("Enter")
    expect(replies).to_have_count(before + 1, timeout=SLOW)
    return replies.last.inner_text()


def test_a_chat_order_appears_on_the_board_live_and_moves(browser: Browser, server: Server) -> None:
    watched = Watched()
    staff = browser.new_context()
    shopper = browser.new_context()
    try:
        board = watched.watch(staff.new_page())
        sign_in(board, server)
        expect(board.locator("#empty")).to_be_visible()
        board.evaluate("window.stillTheSamePage = true")  # a reload would forget it

        page = watched.watch(shopper.new_page())
        page.goto(f"{server.url}/chat?shop=coffee-bar")
        expect(page.locator("#transcript li.assistant")).to_have_count(1, timeout=SLOW)  # the greeting
        assert "The Daily Grind" in page.locator("#transcript li.assistant").first.inner_text()
        replies = [chat(page, text) for text in ORDER]
        assert replies[-1].startswith("Assistant: Your order is placed, number")
        placed_at = time.monotonic()

        card = board.locator("#orders li.order")
        expect(card).to_have_count(1, timeout=LIVE)
        seen_after = time.monotonic() - placed_at
        assert board.evaluate("window.stillTheSamePage") is True, "the board reloaded"
        expect(board.locator("#empty")).to_be_hidden()
        number = card.get_attribute("data-number")
        assert number is not None and re.fullmatch(r"\d{6}", number)
        heard = replies[-1].split("number", 1)[1].split(",")[0]  # "three seven nine seven four seven"
        assert _digits(heard) == number  # the number the shopper heard is the one on the board
        expect(card).to_contain_text("2 x latte (large, medium roast, single shot, almond milk)")
        expect(card).to_contain_text("1 x blueberry muffin")
        expect(card.locator(".status")).to_have_text("placed")

        # one click moves it; the board redraws from the event stream
        card.get_by_role("button", name=f"Mark confirmed: order {number}").click()
        expect(card.locator(".status")).to_have_text("confirmed")
        expect(card.get_by_role("button", name=f"Mark preparing: order {number}")).to_be_visible()

        # the keyboard alone: Tab past the skip link, the navigation and sign-out to the advance button, Enter
        board.locator("body").focus()
        advance = f"Mark preparing: order {number}"
        for _ in range(12):
            board.keyboard.press("Tab")
            if board.evaluate("document.activeElement.getAttribute('aria-label')") == advance:
                break
        else:
            raise AssertionError("Tab never reached the advance button")
        board.keyboard.press("Enter")
        expect(card.locator(".status")).to_have_text("preparing")
        expect(card.get_by_role("button", name=f"Mark ready: order {number}")).to_be_focused()  # focus kept
        assert board.evaluate("window.stillTheSamePage") is True

        stored = httpx.get(
            f"{server.url}/api/v1/orders/{number}", headers={"Authorization": f"Bearer {server.token}"}, timeout=10
        ).json()
        assert stored["status"] == "preparing"
        assert [event["note"] for event in stored["history"][1:]] == ["by Kim on the board"] * 2
        assert watched.problems == [], watched.problems
        print(f"order on the board {seen_after:.2f} s after the shopper's last reply")
    finally:
        staff.close()
        shopper.close()


def test_a_wrong_token_is_said_on_the_page(browser: Browser, server: Server) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{server.url}/board")
        page.get_by_label("Staff token").fill("vs_not-a-token")
        page.keyboard.press("Enter")
        expect(page.get_by_role("alert")).to_have_text("That token is not known. Ask for a new one.")
        assert [c["name"] for c in context.cookies()] == ["voiceshop_csrf"]  # the form's nonce, no sign-in
        expect(page.locator("#orders")).to_have_count(0)
    finally:
        context.close()


def test_a_revoked_token_takes_the_open_board_to_the_sign_in_page(browser: Browser, server: Server) -> None:
    """The live stream ends when the token is revoked; the board must not sit on "Reconnecting..."."""
    staff = StaffTokens(server.tokens)
    token = staff.add("Lee")
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server, token)
        staff.remove("Lee")
        expect(page.get_by_label("Staff token")).to_be_visible(timeout=SLOW)
    finally:
        context.close()


def test_the_chat_works_without_javascript(browser: Browser, server: Server) -> None:
    watched = Watched()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = watched.watch(context.new_page())
        page.goto(f"{server.url}/chat?shop=coffee-bar")
        expect(page.get_by_role("button", name="Speak")).to_be_hidden()
        page.get_by_label("Your order or question").fill("a small drip coffee")
        page.keyboard.press("Enter")
        expect(page.locator("#transcript li.assistant")).to_have_text(
            ["Assistant: Added one small drip coffee. Anything else?"], timeout=SLOW
        )
        page.get_by_label("Your order or question").fill("what's in my cart")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#transcript li.assistant")).to_contain_text(["one small drip coffee"])
        assert watched.problems == [], watched.problems
    finally:
        context.close()


_WORDS = "zero one two three four five six seven eight nine".split()


def _digits(text: str) -> str:
    return "".join(str(_WORDS.index(w)) for w in re.findall(r"[a-z]+", text.lower()) if w in _WORDS)
