"""Limited attempts at secrets: wrong staff tokens and purchase PINs per client address (429, Retry-After)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import bundle
from voiceshop.commerce.customer import Customer, hash_pin
from voiceshop.server.app import create_app
from voiceshop.server.auth import StaffTokens
from voiceshop.server.limits import Attempts, say_wait
from voiceshop.server.services import Services
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.shops import ShopRepository

PROBLEM = "application/problem+json"
HERE = ("198.51.100.7", 40000)
ELSEWHERE = ("203.0.113.9", 40000)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    app: FastAPI
    token: str
    store: Path
    clock: Clock

    @property
    def services(self) -> Services:
        svc = self.app.state.services
        assert isinstance(svc, Services)
        return svc

    def client(self, address: tuple[str, int] = HERE) -> TestClient:
        return TestClient(self.app, client=address, follow_redirects=False)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with Database(tmp_path / "store.db") as db:
        ShopRepository(db).load(bundle("coffee-bar"))
        customers = CustomerRepository(db)
        customers.add(Customer(name="Anna", pin_hash=hash_pin("2468")))
        customers.add(Customer(name="Ben", pin_hash=hash_pin("1357")))
    token = StaffTokens(tmp_path / "staff.json").add("Kim")
    app = create_app(tmp_path / "store.db", tmp_path / "staff.json")
    clock = Clock()
    app.state.services.logins = Attempts(3, 300, clock=clock)
    app.state.services.pins = Attempts(3, 900, clock=clock)
    yield Site(app, token, tmp_path / "store.db", clock)


# -- the counting -------------------------------------------------------------------------------


def test_a_sliding_window_of_failures() -> None:
    clock = Clock()
    tries = Attempts(3, 60, clock=clock, max_clients=2)
    assert tries.fail("a") == 0 and tries.wait("a") == 0
    clock.now += 10
    assert tries.fail("a") == 0
    clock.now += 10
    assert tries.fail("a") == pytest.approx(40)  # the third in 60 s: locked until the first is 60 s old
    assert tries.wait("b") == 0  # another client is not affected
    clock.now += 40
    assert tries.wait("a") == 0  # the first failure left the window; two remain
    assert tries.fail("a") == pytest.approx(10)  # three again in the window: until the second is 60 s old
    clock.now += 100
    assert tries.wait("a") == 0
    tries.fail("b")
    tries.fail("c")
    tries.fail("c")
    tries.fail("c")
    assert tries.wait("c") > 0 and tries.wait("b") == 0 and tries.wait("a") == 0  # "a", the quietest, forgotten
    with pytest.raises(ValueError):
        Attempts(0, 60)


def test_when_to_try_again_is_said_rounded_up() -> None:
    assert say_wait(0.2) == "in 1 second"
    assert say_wait(40.1) == "in 41 seconds"
    assert say_wait(60) == "in 60 seconds"
    assert say_wait(61) == "in 2 minutes"
    assert say_wait(900) == "in 15 minutes"


# -- staff tokens -------------------------------------------------------------------------------


def test_wrong_bearer_tokens_lock_the_address_out(site: Site) -> None:
    with site.client() as here, site.client(ELSEWHERE) as there:
        for _ in range(3):
            wrong = here.get("/api/v1/orders", headers={"Authorization": "Bearer vs_guess"})
            assert wrong.status_code == 401 and "Retry-After" not in wrong.headers
        locked = here.get("/api/v1/orders", headers={"Authorization": "Bearer vs_guess"})
        assert locked.status_code == 429 and locked.headers["content-type"] == PROBLEM
        problem = locked.json()
        assert problem["code"] == "too_many_attempts" and problem["status"] == 429
        assert problem["detail"] == "too many wrong staff tokens came from your address; try again in 5 minutes"
        assert locked.headers["Retry-After"] == "300" and problem["retry_after"] == 300
        # a locked address learns nothing: even the right token is not checked
        right = {"Authorization": f"Bearer {site.token}"}
        assert here.get("/api/v1/orders", headers=right).status_code == 429
        assert there.get("/api/v1/orders", headers=right).status_code == 200
        site.clock.now += 120
        assert int(here.get("/api/v1/orders", headers=right).headers["Retry-After"]) == 180
        site.clock.now += 180
        assert here.get("/api/v1/orders", headers=right).status_code == 200


def test_the_board_sign_in_says_when_to_try_again(site: Site) -> None:
    with site.client() as here, site.client(ELSEWHERE) as there:
        for _ in range(3):
            page = here.post("/board/login", data={"token": "vs_guess"})
            assert page.status_code == 401 and "not known" in page.text
        page = here.post("/board/login", data={"token": site.token})
        assert page.status_code == 429 and page.headers["Retry-After"] == "300"
        assert "Too many wrong staff tokens came from your address; try again in 5 minutes." in page.text
        assert "set-cookie" not in page.headers and 'role="alert"' in page.text
        assert here.get("/board").status_code == 200  # nothing tried: the form is shown
        # the other address signs in, and the board works for it
        signed = there.post("/board/login", data={"token": site.token})
        assert signed.status_code == 303
        assert 'id="orders"' in there.get("/board").text


def test_a_board_cookie_is_a_counted_attempt(site: Site) -> None:
    with site.client() as here:
        here.cookies.set("voiceshop_staff", "vs_guess", path="/board")
        ended = here.get("/board")
        assert ended.status_code == 200 and "Your sign-in has ended" in ended.text
        assert 'voiceshop_staff=""' in ended.headers["set-cookie"]  # dropped: a reload does not count again
        here.cookies.set("voiceshop_staff", "vs_guess", path="/board")
        assert here.get("/board/events").status_code == 401
        assert here.post("/board/orders/123456/advance", data={"etag": "*"}).status_code == 401
        locked = here.get("/board/events")
        assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"
        page = here.get("/board")
        assert page.status_code == 429 and "try again in 5 minutes" in page.text


# -- purchase PINs ------------------------------------------------------------------------------


def say(client: TestClient, session: str, text: str) -> list[str]:
    resp = client.post(f"/api/v1/conversations/{session}/turns", json={"text": text})
    assert resp.status_code == 200, resp.text
    return [r["text"] for r in resp.json()["replies"]]


def test_wrong_pins_count_per_address_over_sessions_and_customers(site: Site) -> None:
    with site.client() as here, site.client(ELSEWHERE) as there:
        assert say(here, "s1", "this is anna") == ["Hi Anna. Please say your PIN."]
        assert say(here, "s1", "one one one one") == ["That PIN isn't right. You have two more tries."]
        assert say(here, "s1", "two two two two") == ["That PIN isn't right. You have one more try."]
        # a new session and another customer: the customer's own count starts afresh, the address's does not
        assert say(here, "s2", "this is ben") == ["Hi Ben. Please say your PIN."]
        assert say(here, "s2", "nine nine nine nine") == ["That PIN isn't right. You have two more tries."]
        refused = here.post("/api/v1/conversations/s2/turns", json={"text": "one three five seven"})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
        detail = refused.json()["detail"]
        assert detail == "Too many wrong PINs were said from your network. Please try again in 15 minutes."
        # the refused answer was never checked: Ben's own count is unchanged, and he is not signed in
        with Database(site.store) as db:
            assert CustomerRepository(db).get("Ben").pin_failures == 1
        # the same words without a PIN question waiting are an ordinary turn
        assert say(here, "s3", "a small drip coffee") == ["Added one small drip coffee. Anything else?"]
        # the web chat without JavaScript says the same, on a page with status 429
        page = here.post("/chat?shop=coffee-bar", data={"session": "s2", "text": "one three five seven"})
        assert page.status_code == 429 and page.headers["Retry-After"] == "900"
        assert "Assistant: Too many wrong PINs were said from your network." in page.text
        # another address is not locked out
        assert say(there, "t1", "this is ben") == ["Hi Ben. Please say your PIN."]
        assert say(there, "t1", "one three five seven") == ["Hi Ben. What would you like?"]
        site.clock.now += 900
        assert say(here, "s2", "one three five seven") == ["Hi Ben. What would you like?"]


def test_the_customers_own_lock_still_holds_for_every_address(site: Site) -> None:
    with site.client() as here, site.client(ELSEWHERE) as there:
        say(here, "s1", "this is anna")
        say(here, "s1", "one one one one")
        say(here, "s1", "one one one two")
        assert say(here, "s1", "one one one three") == [
            "That PIN isn't right again, so purchases are locked for fifteen minutes."
        ]
        say(there, "t1", "this is anna")
        replies = say(there, "t1", "two four six eight")
        assert replies == ["Purchases are locked after too many wrong PINs. Please try again in fifteen minutes."]
