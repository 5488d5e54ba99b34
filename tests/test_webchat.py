"""The shopper's web chat page: served by the real server, accessible, and usable without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import bundle
from tests.serving import running
from voiceshop.server.app import create_app
from voiceshop.storage import Database
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.shops import ShopRepository


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("webchat")
    with Database(root / "store.db") as db:
        ShopRepository(db).load(bundle("coffee-bar"))
    with running(create_app(root / "store.db", root / "staff.json")) as url:
        yield url, root / "store.db"


def test_the_page_is_labelled_and_announces_replies(site: tuple[str, Path]) -> None:
    url, _ = site
    page = httpx.get(f"{url}/chat?shop=coffee-bar", timeout=30)
    assert page.status_code == 200 and "The Daily Grind" in page.text
    assert '<label for="text">' in page.text and 'aria-live="polite"' in page.text
    assert re.search(r'name="session" value="c[0-9a-f]{16}"', page.text)
    script = httpx.get(f"{url}/chat/chat.js", timeout=30)
    assert script.status_code == 200 and "/api/v1/conversations/" in script.text
    assert httpx.get(f"{url}/chat/chat.css", timeout=30).status_code == 200
    assert httpx.get(f"{url}/chat?shop=nowhere", timeout=30).status_code == 404


def test_an_order_without_javascript(site: tuple[str, Path]) -> None:
    url, store = site
    said = [
        "two large lattes with oat milk and a blueberry muffin",
        "that's all",
        "i'll pick it up",
        "yes",
    ]
    with httpx.Client(base_url=url, timeout=30) as client:
        for text in said:
            page = client.post("/chat?shop=coffee-bar", data={"session": "nojs1", "text": text})
            assert page.status_code == 200
            assert f"You: {text}".replace("'", "&#x27;") in page.text
    assert "Your order is placed" in page.text
    with Database(store) as db:
        assert len(OrderRepository(db).list()) == 1
    bad = httpx.post(f"{url}/chat?shop=coffee-bar", data={"session": "../../x", "text": "hello"}, timeout=30)
    assert bad.status_code == 200 and "<script>" not in bad.text.split("<body>")[1].split("<script src")[0]
