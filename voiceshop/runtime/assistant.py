"""The assistant: one device's conversation with a shop, wiring understanding, dialog and store.

Each turn: understand the words against the shop, let the policy decide, then apply the decision's
actions and save the session, all in one transaction. An action's outcome (the order placed, a
checkout refused for stock) goes back to the policy as an event within that same transaction, so a
crash at any moment leaves the store either before the turn or after it, never half-way: no order is
ever stored twice and a half-built cart is never lost.

Text chat, the voice loop and the HTTP channels all drive an ``Assistant``, so this is where every
shopper turn is recorded for the shop's insights (``storage.turns``), in the turn's own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from pydantic import ValidationError

from voiceshop.commerce.cart import Cart
from voiceshop.commerce.catalog import Catalog
from voiceshop.commerce.customer import Customer
from voiceshop.commerce.order import Order
from voiceshop.dialog.context import Context
from voiceshop.dialog.policy import decide
from voiceshop.dialog.replies import replies_for
from voiceshop.dialog.state import (
    Action,
    ActionDone,
    ActionFailed,
    Decision,
    DialogState,
    Event,
    Heard,
    Reply,
    SessionStart,
)
from voiceshop.errors import CustomerError, OrderNotFound, OutOfStock, StoreError, VoiceshopError
from voiceshop.nlu import Grammar, Understander, Understanding, grammar_dir
from voiceshop.nlu.agree import agree
from voiceshop.nlu.sentences import Rules
from voiceshop.nlu.text import clean_heard
from voiceshop.storage import Database
from voiceshop.storage.customers import CustomerRepository
from voiceshop.storage.orders import OrderRepository
from voiceshop.storage.sessions import SessionRepository
from voiceshop.storage.shops import ShopRepository, StoredShop
from voiceshop.storage.turns import Channel, Turn, TurnRepository

IDLE_TIMEOUT = timedelta(minutes=5)
Ready = Callable[[list[Reply]], None]
"""Told a turn's replies before they are committed (``Assistant.hear_nbest``)."""
DEVICE_CUSTOMER = "device.{device}.customer"


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def _grammar(language: str) -> Grammar:
    return Grammar.from_dir(grammar_dir(language))


_UNDERSTANDERS: dict[tuple[str, str], Understander] = {}


def understander_for(stored: StoredShop, catalog: Catalog) -> Understander:
    """One compiled understander per shop content (the bundle fingerprint), rebuilt when it changes."""
    key = (stored.shop.slug, stored.fingerprint)
    if key not in _UNDERSTANDERS:
        for old in [k for k in _UNDERSTANDERS if k[0] == stored.shop.slug]:
            del _UNDERSTANDERS[old]
        language = stored.shop.locale.split("-")[0]
        _UNDERSTANDERS[key] = Understander(stored.shop, catalog, _grammar(language))
    return _UNDERSTANDERS[key]


class StoreRecords:
    """The dialog's read-only view of the store, for one turn (customers are read once per turn)."""

    def __init__(self, db: Database, stored: StoredShop) -> None:
        self.stored = stored
        self.customers = CustomerRepository(db)
        self.order_repo = OrderRepository(db)
        self._customers: dict[str, Customer | None] = {}

    def customer(self, name: str) -> Customer | None:
        key = name.strip().lower()
        if key not in self._customers:
            try:
                self._customers[key] = self.customers.get(name)
            except CustomerError:
                self._customers[key] = None
        return self._customers[key]

    def orders(self, customer: str | None, numbers: Sequence[str]) -> Sequence[Order]:
        if customer is not None:
            return self.order_repo.list(self.stored, customer=customer, limit=50)
        found = []
        for number in numbers:
            try:
                found.append(self.order_repo.get(number))
            except OrderNotFound:
                continue
        return found

    def order(self, number: str) -> Order | None:
        try:
            order = self.order_repo.get(number)
        except OrderNotFound:
            return None
        return order if order.shop == self.stored.shop.slug else None

    def popular(self) -> Sequence[str]:
        return self.order_repo.popular(self.stored)

    def saved_cart(self, key: str) -> Cart:
        return self.customers.load_cart(self.stored, key)


class _Failed(Exception):
    """An action the store refused; carries it back out of the rolled-back transaction."""

    def __init__(self, action: Action, error: VoiceshopError) -> None:
        super().__init__(str(error))
        self.action = action
        self.error = error


class Assistant:
    def __init__(
        self,
        db: Database,
        shop: str | None = None,
        *,
        device: str = "counter",
        customer: str | None = None,
        clock: Callable[[], datetime] = _now,
        idle_timeout: timedelta = IDLE_TIMEOUT,
        channel: Channel = "chat",
    ) -> None:
        """``customer`` becomes the device's default customer (remembered for the next run);
        ``channel`` is where the shopper's turns come from, as the store records them."""
        self.db = db
        self.channel: Channel = channel
        self.shops = ShopRepository(db)
        self.sessions = SessionRepository(db)
        self.slug = self.shops.resolve(shop).shop.slug
        self.device = device
        self.clock = clock
        self.idle_timeout = idle_timeout
        key = DEVICE_CUSTOMER.format(device=device)
        if customer is not None:
            CustomerRepository(db).get(customer)  # unknown names fail here, with a hint
            with db.transaction() as c:
                db.set_setting(c, key, customer)
        self.default_customer = db.get_setting(key)
        self._ahead: tuple[tuple[Understander, tuple[tuple[str, float], ...], object], Understanding] | None = None
        """Readings understood ahead of their turn, and what of them (``understand_ahead``; used once)."""

    # -- turns -----------------------------------------------------------------------------------

    def start(self) -> list[Reply]:
        """Begin or resume: greets on a new (or expired) session, else says nothing."""
        state, fresh, _ = self._load()
        if fresh or not state.started:
            return self._turn(state, SessionStart())
        return []

    def hear(self, text: str) -> list[Reply]:
        """One thing the shopper said (a transcript, or a line typed in chat)."""
        return self.hear_nbest([(text, 1.0)])

    def hear_nbest(
        self,
        hypotheses: Sequence[tuple[str, float]],
        second: Sequence[tuple[str, float]] | None = None,
        *,
        ready: Ready | None = None,
    ) -> list[Reply]:
        """What a recogniser heard (best first); ``second``, what a second engine heard of the same
        sound: a slot the two heard apart is asked about (``nlu.agree``).

        ``ready`` is handed each transaction's replies just before it commits, so a channel can start
        making them into speech while the store waits for the disk; nothing may reach the shopper
        before this returns (the turn, an order it placed among it, is stored only then)."""
        hypotheses = [(clean_heard(text), confidence) for text, confidence in hypotheses]
        state, fresh, expired = self._load()
        replies: list[Reply] = []
        if expired:
            # the shopper may not know the session ended: greet again, which says what the cart holds
            replies = self._turn(state, SessionStart(), ready=ready)
            state = self._load()[0]
        elif fresh or not state.started:
            # the first words of a new session are a request: answer it rather than greet over it
            state = state.model_copy(update={"started": True})
        shop = self._shop()
        understanding = self._understand(understander_for(*shop), hypotheses, second)
        return replies + self._turn(state, Heard(understanding=understanding), shop, ready=ready)

    def understander(self) -> Understander:
        """The shop's compiled understanding as it is now (for ``understand_ahead``)."""
        return understander_for(*self._shop())

    def understand_ahead(
        self,
        understander: Understander,
        hypotheses: Sequence[tuple[str, float]],
        second: Sequence[tuple[str, float]] | None = None,
    ) -> None:
        """Understand readings before their turn, on any thread (nothing is read from the store): the
        next ``hear_nbest`` of the same readings, with the shop unchanged, uses it rather than
        understanding them again. A voice loop understands a command while it waits to be sure the
        shopper has finished."""
        hypotheses = [(clean_heard(text), c) for text, c in hypotheses]
        self._ahead = None
        self._ahead = ((understander, tuple(hypotheses), second), self._understand(understander, hypotheses, second))

    def _understand(
        self,
        understander: Understander,
        hypotheses: Sequence[tuple[str, float]],
        second: Sequence[tuple[str, float]] | None,
    ) -> Understanding:
        """``hypotheses`` (cleaned) understood, agreed with ``second``'s understanding if given."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == (understander, tuple(hypotheses), second):
            return ahead[1]  # understood ahead, of these very readings by this very understander
        understanding = understander.understand_nbest(list(hypotheses))
        if second is not None:
            other = understander.understand_nbest([(clean_heard(text), c) for text, c in second])
            understanding = agree(understanding, other).understanding
        return understanding

    def reply(self, key: str, **fields: object) -> str:
        """A reply text of the shop's language that a channel says itself (a limit it keeps)."""
        return replies_for(self._shop()[0].shop.locale)(key, **fields)

    def prepare(self) -> None:
        """Compile the shop's understanding now (seconds on a Pi), so the first shopper does not wait."""
        understander_for(*self._shop())

    def understand(self, text: str) -> Understanding:
        stored, catalog = self._shop()
        return understander_for(stored, catalog).understand(text)

    def state(self) -> DialogState:
        """The session as the next turn will find it; reading it changes nothing (an idle session
        expires on the next turn, which then greets the shopper back)."""
        return self._load(expire=False)[0]

    def awaiting(self) -> str | None:
        """The kind of question the next turn answers ("pin", "confirm", "which" ...), or None; a
        channel uses it to hold back an answer it must not pass on (a PIN from a locked-out caller)."""
        question = self.state().question
        return question.kind if question is not None else None

    # -- for a speech recogniser -----------------------------------------------------------------

    def fingerprint(self) -> str:
        """Changes whenever the shop's files do (a cheap check before recompiling anything)."""
        return self.shops.resolve(self.slug).fingerprint

    def vocabulary(self) -> tuple[list[str], list[str]]:
        """(every word understanding can use, the shop's phrases) for a recogniser."""
        understander = understander_for(*self._shop())
        return understander.vocabulary(), understander.phrases()

    def speech_rules(self) -> Rules:
        """The grammar's sentences with the shop's phrases, for a recogniser held to them (``TOP`` first)."""
        return understander_for(*self._shop()).speech_rules()

    def hints(self) -> list[str]:
        """Phrases the next answer is likely to contain: the choices of the question just asked."""
        question = self.state().question
        if question is None or question.kind == "anything_else":  # anything on the menu may follow
            return []
        said = [name for c in question.choices for name in (c.name, *c.aliases)]
        return said or ["yes", "no"]

    # -- machinery -------------------------------------------------------------------------------

    def _shop(self) -> tuple[StoredShop, Catalog]:
        stored = self.shops.resolve(self.slug)
        return stored, self.shops.catalog(stored)

    def _fresh(self, stored: StoredShop) -> DialogState:
        name = self.default_customer
        key = name or f"device:{self.device}"
        cart = CustomerRepository(self.db).load_cart(stored, key)
        customer = StoreRecords(self.db, stored).customer(name) if name else None
        if customer is None:
            return DialogState(cart=cart)
        return DialogState(
            customer=customer.name, cart=cart, pace=customer.pace, volume=customer.volume, detail=customer.detail
        )

    def _load(self, *, expire: bool = True) -> tuple[DialogState, bool, bool]:
        """The session's state, whether it is new, and whether it is new because the old one expired.

        ``expire=False`` only looks: an idle session is shown as the fresh one that will replace it,
        and nothing is written."""
        stored = self.shops.resolve(self.slug)
        saved = self.sessions.load(stored, self.device)
        if saved is not None:
            try:
                state = DialogState.model_validate_json(saved[0])
            except ValidationError:
                state = None  # written by another version: start afresh, the cart is kept separately
            if state is not None:
                last = state.last_active
                if last is None or self.clock() - last <= self.idle_timeout:
                    return state, False, False
                if not expire:
                    return self._fresh(stored), True, True
                return self._expire(stored, state), True, True
        return self._fresh(stored), True, False

    def _expire(self, stored: StoredShop, state: DialogState) -> DialogState:
        """An idle session ends: questions are forgotten (a stale "yes" orders nothing); carts are kept.

        Returns the fresh session that replaces it."""
        with self.db.transaction():
            if state.customer:
                CustomerRepository(self.db).save_cart(stored, state.customer, state.cart)
            fresh = self._fresh(stored)
            self.sessions.save(stored, self.device, fresh.model_dump_json())
        return fresh

    def _context(self, stored: StoredShop, catalog: Catalog) -> Context:
        return Context(
            shop=stored.shop,
            catalog=catalog,
            now=self.clock(),
            records=StoreRecords(self.db, stored),
            replies=replies_for(stored.shop.locale),
            new_token=uuid.uuid4().hex,
            device_customer=self.default_customer,
        )

    def _turn(
        self,
        state: DialogState,
        event: Event,
        shop: tuple[StoredShop, Catalog] | None = None,
        *,
        ready: Ready | None = None,
    ) -> list[Reply]:
        """One event through the policy; ``shop`` is the shop and catalog already read for this turn."""
        stored, catalog = shop or self._shop()
        ctx = self._context(stored, catalog)
        state = state.model_copy(update={"last_active": ctx.now})
        decision = decide(state, event, ctx)
        heard = None
        if isinstance(event, Heard):
            # the dialog's own verdict: a turn it could not act on counts a misunderstanding
            heard = _Heard(event.understanding, state, understood=decision.state.misses <= state.misses)
        return self._settle(stored, ctx, decision, heard=heard, ready=ready)

    def _settle(
        self,
        stored: StoredShop,
        ctx: Context,
        decision: Decision,
        depth: int = 0,
        heard: _Heard | None = None,
        ready: Ready | None = None,
    ) -> list[Reply]:
        """Apply a decision and save the session (and record the turn heard) in one transaction;
        report failures to the policy."""
        try:
            with self.db.transaction():
                state, replies = self._apply(stored, ctx, decision)
                self._save(stored, state)
                if heard is not None:
                    self._record(stored, heard, state, replies)
                if ready is not None:
                    ready(replies)
            return replies
        except _Failed as failed:
            if depth > 3:
                raise failed.error from None
            event = _failure(failed.action, failed.error)
            # A fresh context: the failed transaction may have been about stock the catalog still shows.
            stored, catalog = self._shop()
            ctx = self._context(stored, catalog)
            spoken = [decision.reply] if decision.reply is not None else []
            if ready is not None and spoken:
                ready(spoken)  # said first, whatever the retry's transaction adds
            return spoken + self._settle(stored, ctx, decide(decision.state, event, ctx), depth + 1, heard, ready)

    def _apply(self, stored: StoredShop, ctx: Context, decision: Decision) -> tuple[DialogState, list[Reply]]:
        state = decision.state
        replies = [decision.reply] if decision.reply is not None else []
        for action in decision.actions:
            try:
                outcome = self._perform(stored, ctx, state, action)
            except StoreError:
                raise
            except VoiceshopError as exc:
                raise _Failed(action, exc) from None
            if outcome is not None:
                follow = decide(state, outcome, ctx)
                state, more = self._apply(stored, ctx, follow)
                replies += more
        return state, replies

    def _perform(self, stored: StoredShop, ctx: Context, state: DialogState, action: Action) -> Event | None:
        if action.kind == "place_order":
            result = OrderRepository(self.db).place(
                stored,
                action.cart,
                token=action.token,
                delivery=action.delivery,
                coupon=action.coupon,
                customer=action.customer,
                today=ctx.now.date(),
            )
            return ActionDone(action=action, order=result.order, created=result.created)
        if action.kind == "cancel_order":
            return ActionDone(action=action, order=OrderRepository(self.db).cancel(action.number, "cancelled by voice"))
        if action.kind == "save_customer":
            CustomerRepository(self.db).update(action.customer)
            return None
        if action.kind == "save_cart":
            CustomerRepository(self.db).save_cart(stored, action.key, action.cart)
            return None
        if action.kind == "callback":
            transcript = [t.model_dump() for t in action.transcript]
            self.sessions.request_callback(stored, self.device, action.customer, action.reason, transcript)
            return None
        raise AssertionError(f"unknown action {action!r}")

    def _record(self, stored: StoredShop, heard: _Heard, after: DialogState, replies: list[Reply]) -> None:
        u, before = heard.understanding, heard.before
        placed = [n for n in after.orders if n not in before.orders]
        turn = Turn(
            session=self.device,
            channel=self.channel,
            heard=before.kept_words(u),
            intent=u.intent,
            understood=heard.understood,
            customer=after.customer or before.customer,
            skus=_named(u),
            order=placed[0] if placed else None,
            ended=any(r.end for r in replies),
        )
        TurnRepository(self.db).record(stored, turn)

    def _save(self, stored: StoredShop, state: DialogState) -> None:
        self.sessions.save(stored, self.device, state.model_dump_json())
        key = state.customer or f"device:{self.device}"
        CustomerRepository(self.db).save_cart(stored, key, state.cart)


@dataclass(frozen=True)
class _Heard:
    """A shopper's turn on its way to the store: what was understood, the state it was said in, and
    whether the dialog could act on it."""

    understanding: Understanding
    before: DialogState
    understood: bool


def _named(u: Understanding) -> tuple[str, ...]:
    """The products a turn named, as items or anywhere else ("how much is a latte"); not those said
    as not wanted ("not the bagel")."""
    refused = {m.sku for m in u.items if m.refused}
    items = [m.sku for m in u.items if m.sku is not None and not m.refused]
    mentioned = [str(m.value) for m in u.mentions if m.kind == "product" and m.value not in refused]
    return tuple(dict.fromkeys(items + mentioned))


def _failure(action: Action, error: VoiceshopError) -> ActionFailed:
    failed = ActionFailed(action=action, code=error.code, fields=error.fields, message=str(error))
    if isinstance(error, OutOfStock):
        return failed.model_copy(update={"sku": error.sku, "available": error.available})
    return failed
