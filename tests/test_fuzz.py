"""Fuzzing as tests: damaged shop files, WAV files, chat lines and item strings each get a clean
refusal (a VoiceshopError) or a correct result, and a refused shop file leaves the store as it was.

The suite runs a bounded number of examples; ``scripts/fuzz.sh`` runs the same properties for as
long as a nightly job allows (VOICESHOP_FUZZ=nightly, VOICESHOP_FUZZ_EXAMPLES per property).
"""

from __future__ import annotations

import io
import os
import shutil
import wave
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES
from voiceshop.audio.pcm import read_wav
from voiceshop.cli.orders_cmds import parse_item
from voiceshop.errors import VoiceshopError
from voiceshop.runtime import Assistant
from voiceshop.shopfiles import load_shop_folder
from voiceshop.storage.db import Database
from voiceshop.storage.shops import ShopRepository

settings.register_profile("suite", max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
NIGHTLY = int(os.environ.get("VOICESHOP_FUZZ_EXAMPLES", "20000"))
settings.register_profile("nightly", max_examples=NIGHTLY, deadline=None, suppress_health_check=list(HealthCheck))
PROFILE = "nightly" if os.environ.get("VOICESHOP_FUZZ") == "nightly" else "suite"

COFFEE = load_shop_folder(EXAMPLES / "coffee-bar")


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with a few bytes flipped, inserted, deleted or the tail cut off."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "splice"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            tricky = st.sampled_from([b"&a ", b"*a", b"\x00", b"[", b'"'])
            data[at:at] = draw(st.binary(min_size=1, max_size=8) | tricky)
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "cut":
            del data[at:]
        elif kind == "splice":
            lines = [b"price: 1e400\n", b"price: -0.001\n", b"stock: 99999999999999999999\n", b"- {sku: X}\n"]
            data[at:at] = draw(st.sampled_from([*lines, b"options: [nope]\n", b",,,,,,,,\n", b"9" * 40]))
    return bytes(data)


def _shop_with(tmp: Path, shop: str, name: str, data: bytes) -> Path:
    folder = tmp / "shop"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(EXAMPLES / shop, folder)
    (folder / name).write_bytes(data)
    return folder


def _loads_or_refuses(folder: Path) -> None:
    try:
        bundle = load_shop_folder(folder)
    except VoiceshopError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    assert bundle.catalog.products is not None


@settings.get_profile(PROFILE)
@given(data=st.data())
def test_damaged_yaml_catalog(tmp_path_factory, data) -> None:  # type: ignore[no-untyped-def]
    original = (EXAMPLES / "coffee-bar" / "catalog.yaml").read_bytes()
    folder = _shop_with(tmp_path_factory.mktemp("y"), "coffee-bar", "catalog.yaml", data.draw(damaged(original)))
    _loads_or_refuses(folder)


@settings.get_profile(PROFILE)
@given(data=st.data())
def test_damaged_csv_catalog(tmp_path_factory, data) -> None:  # type: ignore[no-untyped-def]
    original = (EXAMPLES / "corner-store" / "catalog.csv").read_bytes()[:6000]
    folder = _shop_with(tmp_path_factory.mktemp("c"), "corner-store", "catalog.csv", data.draw(damaged(original)))
    _loads_or_refuses(folder)


@settings.get_profile(PROFILE)
@given(data=st.data())
def test_damaged_json_catalog(tmp_path_factory, data) -> None:  # type: ignore[no-untyped-def]
    import json

    import yaml

    as_json = json.dumps(yaml.safe_load((EXAMPLES / "coffee-bar" / "catalog.yaml").read_text()), indent=1).encode()
    tmp = tmp_path_factory.mktemp("j")
    folder = _shop_with(tmp, "coffee-bar", "catalog.json", data.draw(damaged(as_json)))
    (folder / "catalog.yaml").unlink()
    _loads_or_refuses(folder)


@settings.get_profile(PROFILE)
@given(data=st.data())
def test_damaged_shop_yaml_leaves_the_store_alone(tmp_path_factory, data) -> None:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("s")
    original = (EXAMPLES / "coffee-bar" / "shop.yaml").read_bytes()
    folder = _shop_with(tmp, "coffee-bar", "shop.yaml", data.draw(damaged(original)))
    db = Database(tmp / "store.db")
    try:
        shops = ShopRepository(db)
        shops.load(COFFEE)
        before = shops.resolve("coffee-bar")
        try:
            shops.load(load_shop_folder(folder))
        except VoiceshopError:
            assert shops.resolve("coffee-bar") == before
    finally:
        db.close()


def _wav(seconds: float = 0.2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.sin(np.arange(int(16000 * seconds)) / 5) * 8000).astype("<i2").tobytes())
    return out.getvalue()


@settings.get_profile(PROFILE)
@given(data=st.data())
def test_damaged_wav(data) -> None:  # type: ignore[no-untyped-def]
    damaged_wav = data.draw(damaged(_wav()[:200]) | st.binary(max_size=300))
    try:
        samples, info = read_wav(io.BytesIO(damaged_wav))
    except VoiceshopError as exc:
        assert str(exc)
        return
    assert info.rate > 0 and samples.dtype == np.int16


@settings.get_profile(PROFILE)
@given(spec=st.text(max_size=80) | st.sampled_from(["2 x DRK-LATTE, size=", "x, =", "999999999999 x latte", "latte,,"]))
def test_item_strings(spec: str) -> None:
    try:
        sku, quantity, _ = parse_item(spec, COFFEE.catalog)
    except VoiceshopError as exc:
        assert len(str(exc)) < 400
        return
    assert COFFEE.catalog.product(sku) is not None and quantity >= 1


CHAT_DB: dict[str, Assistant] = {}


@settings.get_profile(PROFILE)
@given(line=st.text(max_size=120) | st.sampled_from(["\x00", "\udce9", "two " * 300, "latte " * 50, "9" * 60]))
def test_chat_lines(tmp_path_factory, line: str) -> None:  # type: ignore[no-untyped-def]
    if "a" not in CHAT_DB:
        db = Database(tmp_path_factory.mktemp("chat") / "store.db")
        ShopRepository(db).load(COFFEE)
        CHAT_DB["a"] = Assistant(db, "coffee-bar", device="fuzz")
    assistant = CHAT_DB["a"]
    replies = assistant.hear(line)
    assert replies and all(r.text for r in replies)
    assert all(line.quantity >= 1 for line in assistant.state().cart.lines)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
ORDER_LIKE = st.fixed_dictionaries(
    {"shop": st.sampled_from(["coffee-bar", "nope", ""]) | st.text(max_size=5)},
    optional={
        "items": st.lists(
            st.fixed_dictionaries(
                {"sku": st.sampled_from(["BAK-BAGEL", "DRK-LATTE", "X"]) | st.text(max_size=5)},
                optional={"quantity": st.integers(-5, 5000) | JSON, "options": JSON},
            ),
            max_size=3,
        )
        | JSON,
        "delivery": st.sampled_from(["pickup", "express", "teleport"]) | JSON,
        "coupon": JSON,
        "customer": JSON,
        "pin": JSON,
    },
)
API_SITE: dict[str, object] = {}


def _api(tmp_path_factory) -> tuple[str, str, Path]:  # type: ignore[no-untyped-def]
    if "url" not in API_SITE:
        from tests.serving import running
        from voiceshop.server.app import create_app
        from voiceshop.server.auth import StaffTokens

        root = tmp_path_factory.mktemp("api")
        with Database(root / "store.db") as db:
            ShopRepository(db).load(COFFEE)
        token = StaffTokens(root / "staff.json").add("Fuzz")
        context = running(create_app(root / "store.db", root / "staff.json"))
        API_SITE.update(url=context.__enter__() + "/api/v1", token=token, store=root / "store.db", context=context)
    return str(API_SITE["url"]), str(API_SITE["token"]), Path(str(API_SITE["store"]))


@settings.get_profile(PROFILE)
@given(body=ORDER_LIKE | JSON, raw=st.booleans(), key=st.from_regex(r"[!-~]{1,40}", fullmatch=True))
def test_api_bodies(tmp_path_factory, body: object, raw: bool, key: str) -> None:  # type: ignore[no-untyped-def]
    import json

    import httpx

    url, token, store = _api(tmp_path_factory)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode()
    if raw:
        data = data[: len(data) // 2] + b"\xff"  # not JSON, not UTF-8
    with Database(store) as db:
        before = db.counts()["orders"]
    with httpx.Client(timeout=30) as client:
        key_header = {"Idempotency-Key": key}
        placed = client.post(f"{url}/orders", content=data, headers=headers | key_header)
        turn = client.post(f"{url}/conversations/fuzz/turns?shop=coffee-bar", content=data, headers=headers)
        moved = client.post(f"{url}/orders/123456/advance", content=data, headers=headers | {"If-Match": '"x"'})
    for response in (placed, turn, moved):
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "Traceback" not in response.text
    with Database(store) as db:
        after = db.counts()["orders"]
    assert after == before + (placed.status_code == 201)
