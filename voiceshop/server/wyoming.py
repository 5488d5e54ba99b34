"""Home Assistant's way in: the Wyoming protocol, served as a conversation ("handle") service.

Home Assistant's voice satellites do their own wake word, speech recognition and voice; with a
Wyoming integration pointing here, Home Assistant sends each transcript as a ``Transcript`` event
and speaks the ``Handled`` (or ``NotHandled``) text that comes back. ``Describe`` is answered with an
``Info`` advertising one handle program whose model is the shop, in the shop's language.

Each Home Assistant conversation (the transcript's ``context.conversation_id``; without one, the
connection) is a voiceshop session of its own, device ``ha-<conversation id>``, on the same
``Assistant`` as ``voiceshop chat``, ``run`` and ``serve``: a cart, a checkout and a stored order per
conversation. A line the assistant does not understand is ``NotHandled`` with its helpful reply
(what it can do), so Home Assistant can say so or try another agent.

The only module that imports ``wyoming``. The store is synchronous, so turns run on one worker
thread that owns the store's connection (a SQLite connection belongs to its thread); turns of all
conversations take their turn there, which also keeps one conversation's turns in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import signal
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wyoming.asr import Transcript
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Attribution, Describe, HandleModel, HandleProgram, Info
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler, AsyncServer

from voiceshop import __version__
from voiceshop.errors import StoreError, VoiceshopError
from voiceshop.runtime import Assistant
from voiceshop.server.run import ServeError, is_loopback
from voiceshop.storage import Database
from voiceshop.storage.shops import ShopRepository

DEVICE_PREFIX = "ha-"
"""Home Assistant's conversations are devices ``ha-<id>``, apart from the counter's and the web's."""
LONGEST_TEXT = 2000
"""Characters of a transcript heard; a satellite never sends more, a stray client is cut."""
ATTRIBUTION = Attribution(name="voiceshop", url="")  # an offline project: no home page to point to
log = logging.getLogger("voiceshop.wyoming")
_SAFE = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass(frozen=True)
class Answer:
    text: str
    handled: bool
    """False when the assistant did not understand the line (or could not serve it)."""


def device_for(conversation: str) -> str:
    """The voiceshop device of a Home Assistant conversation id (a ULID), kept short and printable."""
    safe = _SAFE.sub("", conversation)
    if safe != conversation or len(safe) > 64:
        safe = hashlib.sha256(conversation.encode("utf-8", "backslashreplace")).hexdigest()[:32]
    return DEVICE_PREFIX + safe


class ShopConversations:
    """Turns of Home Assistant conversations on one shop, on a worker thread that owns the store."""

    def __init__(self, store: str | Path | None, shop: str) -> None:
        self.store = store
        self._db: Database | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voiceshop-wyoming")
        self.slug, self.name, self.locale = self._pool.submit(self._open, shop).result()

    def _open(self, shop: str) -> tuple[str, str, str]:
        self._db = Database(self.store)
        found = ShopRepository(self._db).resolve(shop).shop
        # compile the shop's understanding now (seconds on a Pi), not on the first shopper's words
        Assistant(self._db, found.slug, device=DEVICE_PREFIX + "start").prepare()
        return found.slug, found.name, found.locale

    @property
    def languages(self) -> list[str]:
        """The shop's language, as Home Assistant may ask for it: "en" and "en-US"."""
        language = self.locale.split("-")[0]
        return [language] if language == self.locale else [language, self.locale]

    async def turn(self, conversation: str, text: str) -> Answer:
        """What the assistant says to ``text`` in ``conversation``."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._turn, conversation, text)

    def _turn(self, conversation: str, text: str) -> Answer:
        assert self._db is not None
        try:
            assistant = Assistant(self._db, self.slug, device=device_for(conversation), channel="wyoming")
            misses = assistant.state().misses
            replies = assistant.hear(text[:LONGEST_TEXT])
            understood = assistant.state().misses <= misses
        except StoreError as exc:
            log.error("the store cannot be used: %s", exc)
            return Answer("Sorry, the shop's system is not available right now. Please try again in a moment.", False)
        except VoiceshopError as exc:  # a shopper never hears an error's text (it is for the operator)
            log.error("a turn failed: %s", exc)
            return Answer("Sorry, something went wrong. Please say that again.", False)
        said = " ".join(r.text.strip() for r in replies if r.text.strip())
        return Answer(said, understood)

    def close(self) -> None:
        def shut() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        self._pool.submit(shut).result()
        self._pool.shutdown()


def info(conversations: ShopConversations) -> Info:
    """What ``Describe`` is answered with: one handle program, the shop as its model."""
    model = HandleModel(
        name=conversations.slug,
        attribution=ATTRIBUTION,
        installed=True,
        description=f"{conversations.name}: order, ask about products, check out",
        version=__version__,
        languages=conversations.languages,
    )
    program = HandleProgram(
        name="voiceshop",
        attribution=ATTRIBUTION,
        installed=True,
        description=f"voiceshop shop assistant for {conversations.name}",
        version=__version__,
        models=[model],
    )
    return Info(handle=[program])


class ConversationHandler(AsyncEventHandler):
    """One client connection (Home Assistant opens one per turn, and one to ask ``Describe``)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conversations: ShopConversations
    ) -> None:
        super().__init__(reader, writer)
        self.conversations = conversations
        self.connection = "conn-" + uuid.uuid4().hex[:16]
        """The conversation of transcripts that name none: this connection's."""

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self.write_event(info(self.conversations).event())
            return True
        if Ping.is_type(event.type):  # a client checking the service is alive
            await self.write_event(Pong(text=Ping.from_event(event).text).event())
            return True
        if Transcript.is_type(event.type):
            text, conversation = _heard(event)
            if text is None:
                await self.write_event(NotHandled(text="Sorry, I did not get any words.").event())
                return True
            answer = await self.conversations.turn(conversation or self.connection, text)
            reply = Handled(text=answer.text) if answer.handled else NotHandled(text=answer.text)
            await self.write_event(reply.event())
            return True
        return True  # audio and other events are not for a handle service: ignored, as Wyoming expects


def _heard(event: Event) -> tuple[str | None, str | None]:
    """(the words, the conversation id) of a transcript event; None for what is not there or not text."""
    data: dict[str, Any] = event.data or {}
    text = data.get("text")
    context = data.get("context")
    conversation = context.get("conversation_id") if isinstance(context, dict) else None
    words = text.strip() if isinstance(text, str) and text.strip() else None
    return words, str(conversation) if isinstance(conversation, str | int) and str(conversation) else None


def check_uri(uri: str, *, public: bool) -> tuple[str, bool]:
    """(the URI, whether other machines can reach it); ServeError for a URI Wyoming cannot serve or a
    host other than loopback without ``public``."""
    parts = urlsplit(uri)
    if parts.scheme == "unix" and parts.path:
        return uri, False
    if parts.scheme != "tcp":
        raise ServeError(f"cannot serve on {uri!r}: write it as tcp://HOST:PORT (or unix:///PATH/TO/SOCKET)")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ServeError(f"{uri!r} needs a host and a port, like tcp://127.0.0.1:10700")
    reachable = not is_loopback(parts.hostname)
    if reachable and not public:
        raise ServeError(
            f"{parts.hostname} can be reached from other machines, and Wyoming has no login: anyone there could "
            "order. Pass --public as well if that is what you want"
        )
    return uri, reachable


async def start(uri: str, conversations: ShopConversations) -> AsyncServer:
    """Start serving ``uri`` without blocking; ``await server.stop()`` ends it."""
    server = AsyncServer.from_uri(uri)
    try:
        await server.start(lambda reader, writer: ConversationHandler(reader, writer, conversations))
    except OSError as exc:
        hint = "pass another port in --uri" if exc.errno == 98 else "check the host in --uri"
        raise ServeError(f"cannot listen on {uri}: {exc.strerror or exc}; {hint}") from None
    return server


def serve(uri: str, conversations: ShopConversations, *, ready: Callable[[], None] = lambda: None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); ``ready`` is called once listening."""

    async def main() -> None:
        server = await start(uri, conversations)
        stopping = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on some platforms' loops
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        ready()
        try:
            await stopping.wait()
        finally:
            await server.stop()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        conversations.close()
