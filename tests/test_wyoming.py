"""``voiceshop wyoming``: the Wyoming conversation service, on a free loopback port, spoken to with the
``wyoming`` package's own client, as Home Assistant does (one connection per turn)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from wyoming.asr import Transcript
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.ping import Ping, Pong

from tests.conftest import EXAMPLES, ROOT, bundle
from voiceshop.server.run import ServeError
from voiceshop.server.wyoming import ShopConversations, check_uri, device_for, start
from voiceshop.storage import Database
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.sessions import SessionRepository
from voiceshop.storage.shops import ShopRepository


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Talk = Callable[[Event], Awaitable[Event]]


def scenario(store: str, body: Callable[[Talk], Awaitable[None]]) -> None:
    """Serve the coffee bar from ``store`` on a free loopback port while ``body`` talks to it."""
    with Database(store) as db:
        ShopRepository(db).load(bundle("coffee-bar"))
    port = free_port()
    conversations = ShopConversations(store, "coffee-bar")

    async def talk(event: Event) -> Event:
        async with AsyncTcpClient("127.0.0.1", port, connect_timeout=10, read_timeout=60) as client:
            await client.write_event(event)
            answer = await client.read_event()
        assert answer is not None, "the service closed the connection without answering"
        return answer

    async def main() -> None:
        server = await start(f"tcp://127.0.0.1:{port}", conversations)
        try:
            await body(talk)
        finally:
            await server.stop()

    try:
        asyncio.run(main())
    finally:
        conversations.close()


def say(text: str, conversation: str | None) -> Event:
    context = {"conversation_id": conversation, "device_id": "kitchen-satellite"} if conversation else None
    return Transcript(text=text, context=context, language="en").event()


def reply(event: Event) -> tuple[bool, str]:
    if Handled.is_type(event.type):
        return True, Handled.from_event(event).text or ""
    assert NotHandled.is_type(event.type), event.type
    return False, NotHandled.from_event(event).text or ""


def test_describe_advertises_a_handle_program_in_the_shops_language(tmp_path: Path) -> None:
    async def body(talk: Talk) -> None:
        answer = await talk(Describe().event())
        assert Info.is_type(answer.type)
        described = Info.from_event(answer)
        [program] = described.handle
        assert program.installed and program.name == "voiceshop" and "The Daily Grind" in (program.description or "")
        [model] = program.models
        assert model.name == "coffee-bar" and model.installed and "en" in model.languages
        assert not described.asr and not described.tts  # a conversation service only
        pong = await talk(Ping(text="alive?").event())
        assert Pong.is_type(pong.type) and Pong.from_event(pong).text == "alive?"

    scenario(str(tmp_path / "store.db"), body)


def test_a_full_order_over_several_transcripts_ends_as_a_stored_order(store_url: str) -> None:
    """One Home Assistant conversation id, a new connection per turn: the cart, the checkout and the
    order are that conversation's; a second conversation id has a cart of its own."""
    said: list[str] = []

    async def body(talk: Talk) -> None:
        async def turn(text: str, conversation: str | None = "01JCONV0000000000000000001") -> str:
            handled, answer = reply(await talk(say(text, conversation)))
            assert handled, (text, answer)
            said.append(answer)
            return answer

        assert "two large lattes with soy milk" in await turn("um can i get two large lattes with soy milk")
        assert "croissant" in await turn("and a croissant")
        other = await turn("what's in my cart", "01JCONV0000000000000000002")
        assert "latte" not in other.lower()  # another conversation: another cart
        await turn("that's all")
        assert "fourteen dollars ninety five" in await turn("pick up please")
        assert "order is placed" in await turn("yes")

    scenario(store_url, body)
    with Database(store_url) as db:
        [order] = OrderRepository(db).list(ShopRepository(db).resolve("coffee-bar"))
    assert sorted((ln.sku, ln.quantity) for ln in order.lines) == [("BAK-CROISSANT", 1), ("DRK-LATTE", 2)]
    digits = "zero one two three four five six seven eight nine".split()
    assert " ".join(digits[int(d)] for d in order.number) in said[-1].lower()  # the number, read digit by digit
    with Database(store_url) as db:
        stored = ShopRepository(db).resolve("coffee-bar")
        assert SessionRepository(db).load(stored, "ha-01JCONV0000000000000000001") is not None
        assert SessionRepository(db).load(stored, "ha-01JCONV0000000000000000002") is not None


def test_a_line_it_does_not_understand_gets_a_helpful_reply(tmp_path: Path) -> None:
    async def body(talk: Talk) -> None:
        handled, answer = reply(await talk(say("the purple elephant sings at midnight", "01JCONV0000000000000000003")))
        assert not handled and answer  # NotHandled, with words to speak
        assert "what do you have" in answer.lower() or "help" in answer.lower(), answer  # says what to say
        handled, answer = reply(await talk(say("a croissant please", "01JCONV0000000000000000003")))
        assert handled and "croissant" in answer
        handled, answer = reply(await talk(say("   ", None)))  # no words at all
        assert not handled and answer

    scenario(str(tmp_path / "store.db"), body)


def test_transcripts_without_a_conversation_id_share_their_connection(tmp_path: Path) -> None:
    port_store = str(tmp_path / "store.db")

    async def body(talk: Talk) -> None:
        assert reply(await talk(say("a croissant please", None)))[0]
        # a new connection without a conversation id is a new conversation: its cart is empty
        _, answer = reply(await talk(say("what's in my cart", None)))
        assert "croissant" not in answer.lower()

    scenario(port_store, body)


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with Database(tmp_path / "store.db") as db:
        ShopRepository(db).load(bundle("coffee-bar"))
    conversations = ShopConversations(str(tmp_path / "store.db"), "coffee-bar")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        uri = f"tcp://127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(ServeError, match=r"cannot listen on .*; pass another port in --uri"):
            asyncio.run(start(uri, conversations))
    conversations.close()


def test_uris_and_devices() -> None:
    assert check_uri("tcp://127.0.0.1:10700", public=False) == ("tcp://127.0.0.1:10700", False)
    assert check_uri("tcp://0.0.0.0:10700", public=True)[1] is True
    with pytest.raises(ServeError, match="--public"):
        check_uri("tcp://0.0.0.0:10700", public=False)
    with pytest.raises(ServeError, match="tcp://HOST:PORT"):
        check_uri("http://127.0.0.1:10700", public=False)
    with pytest.raises(ServeError, match="needs a host and a port"):
        check_uri("tcp://127.0.0.1", public=False)
    assert device_for("01JCONV0000000000000000001") == "ha-01JCONV0000000000000000001"
    odd = device_for("a b/c" * 40)
    assert odd.startswith("ha-") and len(odd) == 35 and odd == device_for("a b/c" * 40)


def test_cli_refuses_a_public_uri_without_the_flag(vs) -> None:  # type: ignore[no-untyped-def]
    out = vs("wyoming", "--shop", str(EXAMPLES / "coffee-bar"), "--uri", "tcp://0.0.0.0:10700", code=2)
    assert "--public" in out
    out = vs("wyoming", "--shop", str(EXAMPLES / "coffee-bar"), "--uri", "http://x", code=2)
    assert "tcp://HOST:PORT" in out


def test_the_command_serves_until_sigterm(tmp_path: Path) -> None:
    """``voiceshop wyoming`` as an operator starts it: it loads the shop folder, says where it listens,
    answers, and stops cleanly on SIGTERM (as systemd stops it)."""
    port = free_port()
    command = [sys.executable, "-m", "voiceshop", "--db", str(tmp_path / "store.db"), "wyoming",
               "--shop", str(EXAMPLES / "coffee-bar"), "--uri", f"tcp://127.0.0.1:{port}"]  # fmt: skip
    env = {**os.environ, "VOICESHOP_LOG_DIR": str(tmp_path)}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"to Home Assistant on tcp://127.0.0.1:{port}" in line, line + (
            proc.stderr.read() if proc.stderr else "?"
        )

        async def ask() -> Event | None:
            async with AsyncTcpClient("127.0.0.1", port, connect_timeout=10, read_timeout=60) as client:
                await client.write_event(say("do you have croissants", "01JCONV0000000000000000009"))
                return await client.read_event()

        answer = asyncio.run(ask())
        assert answer is not None and reply(answer)[0] and "croissant" in reply(answer)[1].lower()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in err
