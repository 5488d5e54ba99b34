"""The HTTP API against a real uvicorn server: staff routes, idempotency, ETags, problems, chat."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import bundle
from tests.serving import running
from voiceshop.commerce.customer import Customer, hash_pin
from voiceshop.server.app import create_app
from voiceshop.server.auth import StaffTokens
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.shops import ShopRepository

API = "/api/v1"
PROBLEM = "application/problem+json"


@dataclass
class Site:
    url: str
    token: str
    tokens: Path

    def client(self, token: str | None = None, *, staff: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.token}"} if staff else {}
        return httpx.Client(base_url=self.url + API, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("server")
    db_path = root / "store.db"
    with Database(db_path) as db:
        shops = ShopRepository(db)
        shops.load(bundle("coffee-bar"))
        shops.load(bundle("corner-store"))
        customers = CustomerRepository(db)
        customers.add(Customer(name="Anna", pin_hash=hash_pin("2468")))
        customers.add(Customer(name="Pat"))
    token_file = root / "staff.json"
    token = StaffTokens(token_file).add("Sam")
    with running(create_app(db_path, token_file, max_body=16 * 1024)) as url:
        yield Site(url, token, token_file)


@pytest.fixture(scope="module")
def staff(site: Site) -> Iterator[httpx.Client]:
    with site.client() as client:
        yield client


def is_problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = resp.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith(code) and body["title"] and body["detail"]
    assert "Traceback" not in resp.text
    return body


def place(client: httpx.Client, key: str | None = None, **body: Any) -> httpx.Response:
    body.setdefault("shop", "coffee-bar")
    body.setdefault("items", [{"sku": "BAK-CROISSANT"}])
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return client.post("/orders", json=body, headers=headers)


def stock(client: httpx.Client, sku: str) -> int:
    resp = client.get(f"/shops/corner-store/products/{sku}")
    assert resp.status_code == 200, resp.text
    return int(resp.json()["stock"])


# -- auth ----------------------------------------------------------------------------------------


def test_staff_routes_need_a_token(site: Site, staff: httpx.Client) -> None:
    with site.client(staff=False) as anonymous:
        for path in ("/orders", "/customers", "/shops", "/orders/123456"):
            resp = anonymous.get(path)
            body = is_problem(resp, 401, "unauthorized")
            assert "voiceshop staff add" in body["detail"]
            assert resp.headers["www-authenticate"].startswith("Bearer")
    with site.client("vs_not-a-real-token") as forged:
        assert is_problem(forged.get("/orders"), 401, "unauthorized")
    with httpx.Client(base_url=site.url + API, headers={"Authorization": "Basic c2FtOnNhbQ=="}) as basic:
        is_problem(basic.get("/orders"), 401, "unauthorized")
    assert staff.get("/orders").status_code == 200


def test_tokens_added_and_revoked_while_running(site: Site) -> None:
    tokens = StaffTokens(site.tokens)
    lee = tokens.add("Lee")
    assert "Lee" in site.tokens.read_text() and lee not in site.tokens.read_text()  # only the hash is kept
    with site.client(lee) as client:
        assert client.get("/shops").status_code == 200
        tokens.remove("Lee")
        is_problem(client.get("/shops"), 401, "unauthorized")


# -- shops and catalog ---------------------------------------------------------------------------


def test_shops_and_catalog(staff: httpx.Client) -> None:
    shops = staff.get("/shops").json()
    assert {s["slug"] for s in shops} == {"coffee-bar", "corner-store"}
    shop = staff.get("/shops/coffee-bar").json()
    assert shop["currency"] == "USD" and shop["delivery"]
    catalog = staff.get("/shops/corner-store/catalog", params={"category": "batteries"}).json()
    assert catalog["products"] and {p["category"] for p in catalog["products"]} == {"batteries"}
    page = staff.get("/shops/corner-store/catalog", params={"offset": 10, "limit": 5}).json()
    assert len(page["products"]) == 5 and page["total"] == 189 and page["offset"] == 10
    found = staff.get("/shops/corner-store/catalog", params={"q": "bat-cr2032"}).json()
    assert found["products"][0]["sku"] == "BAT-CR2032"  # an exact SKU first, in any case
    searched = staff.get("/shops/corner-store/catalog", params={"q": "aa batteries"}).json()
    assert searched["products"][0]["sku"] == "BAT-AA-4"  # an alias said exactly
    is_problem(staff.get("/shops/corner-store/catalog", params={"limit": 0}), 422, "invalid_request")
    assert staff.get("/shops/corner-store/products/BAT-CR2032").json()["name"] == "coin battery"
    assert "no shop" in is_problem(staff.get("/shops/no-such-shop"), 404, "shop_not_found")["detail"].lower()
    is_problem(staff.get("/shops/corner-store/products/NOPE-1"), 404, "not_found")


# -- orders --------------------------------------------------------------------------------------


def test_same_idempotency_key_gives_the_same_order_once(staff: httpx.Client) -> None:
    before = stock(staff, "BAT-CR2032")
    key = uuid.uuid4().hex
    body: dict[str, Any] = {"shop": "corner-store", "items": [{"sku": "BAT-CR2032", "quantity": 2}]}
    first = place(staff, key, **body)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"{API}/orders/{first.json()['number']}"
    again = place(staff, key, **body)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert stock(staff, "BAT-CR2032") == before - 2
    other = place(staff, key, shop="corner-store", items=[{"sku": "BAT-CR2032", "quantity": 3}])
    assert is_problem(other, 422, "idempotency_key_reused")["number"] == first.json()["number"]
    missing = staff.post("/orders", json=body)
    assert "Idempotency-Key" in is_problem(missing, 400, "idempotency_key_missing")["detail"]
    assert stock(staff, "BAT-CR2032") == before - 2


def test_create_with_options_names_and_customer(staff: httpx.Client) -> None:
    item = {"sku": "latte", "quantity": 2, "options": [{"group": "size", "choice": "large"}]}
    resp = place(staff, items=[item], customer="Pat", delivery="pickup")
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert order["customer"] == "Pat" and order["status"] == "placed"
    assert order["lines"][0]["sku"] == "DRK-LATTE" and order["lines"][0]["quantity"] == 2
    assert resp.headers["etag"].startswith('"')


def test_list_pages_and_filters(staff: httpx.Client) -> None:
    made = [place(staff, customer="Pat").json()["number"] for _ in range(5)]
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = staff.get("/orders", params={"customer": "Pat", "limit": 2, "offset": offset}).json()
        assert len(page["items"]) <= 2
        seen += [o["number"] for o in page["items"]]
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) and set(made) <= set(seen)
    assert seen.index(made[-1]) < seen.index(made[0])  # newest first
    order = staff.get(f"/orders/{made[0]}")
    staff.post(f"/orders/{made[0]}/advance", headers={"If-Match": order.headers["etag"]}).raise_for_status()
    confirmed = staff.get("/orders", params={"status": "confirmed", "customer": "Pat"}).json()["items"]
    assert [o["number"] for o in confirmed] == [made[0]]
    only_corner = staff.get("/orders", params={"shop": "corner-store", "limit": 100}).json()["items"]
    assert only_corner and {o["shop"] for o in only_corner} == {"corner-store"}
    is_problem(staff.get("/orders", params={"status": "lost"}), 422, "invalid_request")
    is_problem(staff.get("/orders", params={"limit": 0}), 422, "invalid_request")


def test_two_screens_cannot_both_move_an_order(staff: httpx.Client, site: Site) -> None:
    number = place(staff).json()["number"]
    tag = staff.get(f"/orders/{number}").headers["etag"]
    with site.client() as other_screen:
        first = staff.post(f"/orders/{number}/advance", headers={"If-Match": tag})
        assert first.status_code == 200 and first.json()["status"] == "confirmed"
        assert first.headers["etag"] != tag
        late = other_screen.post(f"/orders/{number}/cancel", headers={"If-Match": tag})
        body = is_problem(late, 412, "precondition_failed")
        assert body["current_status"] == "confirmed" and late.headers["etag"] == first.headers["etag"]
    assert staff.get(f"/orders/{number}").json()["status"] == "confirmed"
    is_problem(staff.post(f"/orders/{number}/advance"), 428, "precondition_required")
    fresh = staff.get(f"/orders/{number}").headers["etag"]
    cancelled = staff.post(f"/orders/{number}/cancel", json={"note": "shopper left"}, headers={"If-Match": fresh})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["history"][-1]["note"] == "shopper left"
    done = staff.post(f"/orders/{number}/advance", headers={"If-Match": "*"})
    assert "no next step" in is_problem(done, 409, "order_transition")["detail"]


def test_advance_to_a_named_status(staff: httpx.Client) -> None:
    number = place(staff).json()["number"]
    tag = staff.get(f"/orders/{number}").headers["etag"]
    wrong = staff.post(f"/orders/{number}/advance", json={"to": "ready"}, headers={"If-Match": tag})
    assert "cannot become ready" in is_problem(wrong, 409, "order_transition")["detail"]
    right = staff.post(f"/orders/{number}/advance", json={"to": "confirmed"}, headers={"If-Match": tag})
    assert right.json()["status"] == "confirmed" and right.json()["history"][-1]["note"] == "by Sam"


# -- problems ------------------------------------------------------------------------------------


def test_bad_bodies_are_problems_not_failures(staff: httpx.Client) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
    broken = staff.post("/orders", content=b"{items", headers=key)
    assert "not valid JSON" in is_problem(broken, 422, "invalid_request")["detail"]
    cases: list[Any] = [
        [],
        "latte",
        {"items": []},
        {"items": [{"sku": "BAK-CROISSANT", "quantity": "lots"}]},
        {"items": [{"sku": "BAK-CROISSANT", "quantity": -1}]},
        {"items": [{"sku": "BAK-CROISSANT"}], "delivery": "teleport"},
        {"items": [{"sku": "BAK-CROISSANT"}], "customer": "Anna", "pin": "2468"},  # a PIN is never taken
        {"items": [{"sku": "x" * 5000}]},
    ]
    for case in cases:
        body = is_problem(staff.post("/orders", json=case, headers=key), 422, "invalid_request")
        assert body["errors"] and all("field" in e and "message" in e for e in body["errors"])
        assert "2468" not in str(body)
    pin = staff.post("/orders", json=cases[6], headers=key).json()
    assert any(e["field"] == "pin" for e in pin["errors"])
    as_text = staff.post("/orders", content=b"items=1", headers=key | {"Content-Type": "text/plain"})
    is_problem(as_text, 422, "invalid_request")


def test_store_refusals_keep_the_cli_messages(staff: httpx.Client) -> None:
    unknown = is_problem(staff.get("/orders/999999"), 404, "order_not_found")
    assert unknown["detail"].startswith("there is no order number 999999")
    no_product = place(staff, items=[{"sku": "unicorn frappe"}])
    assert "unicorn frappe" in is_problem(no_product, 422, "product_not_found")["detail"]
    too_many = place(staff, shop="corner-store", items=[{"sku": "BAT-CR2032", "quantity": 40}])
    body = is_problem(too_many, 409, "out_of_stock")
    assert "not enough stock of coin battery" in body["detail"] and body["available"] >= 0
    is_problem(place(staff, customer="Nobody"), 422, "customer")
    is_problem(place(staff, coupon="FREEBIE"), 422, "coupon_unknown")
    is_problem(place(staff, shop="nowhere"), 404, "shop_not_found")
    is_problem(staff.get("/nothing-here"), 404, "not_found")
    is_problem(staff.delete("/orders"), 405, "method_not_allowed")


def test_large_bodies_are_refused(staff: httpx.Client) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    big = {"items": [{"sku": "BAK-CROISSANT"}], "coupon": "x" * 40_000}
    is_problem(staff.post("/orders", json=big, headers=key), 413, "too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"items": [{"sku": "BAK-CROISSANT"}], "coupon": "'
        for _ in range(40):
            yield b"x" * 1000
        yield b'"}'

    is_problem(
        staff.post("/orders", content=chunks(), headers=key | {"Content-Type": "application/json"}), 413, "too_large"
    )


def test_customers_never_show_pins(staff: httpx.Client) -> None:
    resp = staff.get("/customers")
    people = {c["name"]: c for c in resp.json()}
    assert people["Anna"]["has_pin"] is True and people["Pat"]["has_pin"] is False
    assert "pin_hash" not in resp.text and "scrypt" not in resp.text


# -- the shopper's conversation ------------------------------------------------------------------


def test_conversation_places_an_order(site: Site, staff: httpx.Client) -> None:
    before = stock(staff, "BAT-CR2032")
    with site.client(staff=False) as kiosk:
        greeting = kiosk.post("/conversations/kiosk-1/start", params={"shop": "corner-store"}).json()
        assert greeting["replies"] and greeting["shop"] == "corner-store"
        said = {}
        for line in ("two coin batteries", "checkout", "pick up", "yes"):
            resp = kiosk.post("/conversations/kiosk-1/turns", params={"shop": "corner-store"}, json={"text": line})
            assert resp.status_code == 200, resp.text
            said[line] = " ".join(r["text"] for r in resp.json()["replies"])
        assert said["two coin batteries"].startswith("Added two coin batteries")
        assert "Your order is placed" in said["yes"]
        # the shopper's side has no way to the orders themselves
        is_problem(kiosk.get("/orders"), 401, "unauthorized")
        is_problem(kiosk.post("/conversations/kiosk 1/turns", json={"text": "hi"}), 422, "invalid_request")
        is_problem(kiosk.post("/conversations/kiosk-1/turns", json={"text": ""}), 422, "invalid_request")
    assert stock(staff, "BAT-CR2032") == before - 2
    newest = staff.get("/orders", params={"shop": "corner-store", "limit": 1}).json()["items"][0]
    assert newest["lines"][0]["sku"] == "BAT-CR2032" and newest["lines"][0]["quantity"] == 2


def test_openapi_lists_the_endpoints(site: Site) -> None:
    with site.client(staff=False) as client:
        doc = client.get("/openapi.json").json()
        assert client.get("/health").json()["status"] == "ok"
    paths = doc["paths"]
    for path in (
        "/api/v1/shops",
        "/api/v1/shops/{slug}/catalog",
        "/api/v1/orders",
        "/api/v1/orders/{number}",
        "/api/v1/orders/{number}/advance",
        "/api/v1/orders/{number}/cancel",
        "/api/v1/customers",
        "/api/v1/conversations/{session}/turns",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/orders"]) == {"get", "post"}
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    assert "security" not in paths["/api/v1/conversations/{session}/turns"]["post"]
