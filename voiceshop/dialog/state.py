"""What the dialog remembers between turns, and what it asks the store to do.

``DialogState`` is everything a conversation needs to continue after a restart: the cart being built,
the question waiting for an answer, the list being read out, the misunderstanding count. It is plain
data (saved as JSON by the runtime); the policy never mutates it, it returns a new one.

Actions are what the policy wants done in the store. The runtime applies them, all of one turn in one
transaction together with the new state, and reports back with an ``ActionDone`` or ``ActionFailed``
event when the policy needs the outcome (an order number, a refused checkout).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from voiceshop.commerce.cart import Cart, ChosenOption
from voiceshop.commerce.customer import Customer
from voiceshop.commerce.order import Order
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.nlu.result import Understanding

UNDO_DEPTH = 10
TRANSCRIPT_TURNS = 30
PIN_SAID = "(PIN said; not kept)"
"""What is kept of a turn said at the PIN question: never its words, which may be the PIN."""
DIGITS_SAID = "(digits said; not kept)"
"""What is kept of a string of digits said elsewhere ("my pin is four three two one" said early)."""
DIGITS_INTENT = "SayDigits"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Model):
    """One answer a question accepts: a SKU, an option choice, a delivery kind, "yes"..."""

    value: str
    name: str
    """As spoken, and as matched against what the shopper says."""
    aliases: tuple[str, ...] = ()
    """Other words that pick this choice ("collect" for pick up)."""


class PendingItem(_Model):
    """An item being added that still needs something: which product, an option, a stock decision."""

    sku: str | None = None
    quantity: int = 1
    options: tuple[ChosenOption, ...] = ()
    text: str = ""
    """The words the shopper used, to say back ("which toothpaste?")."""
    candidates: tuple[Choice, ...] = ()
    instead: bool = False
    """Said as a kind the shop does not have ("an iced latte"): the candidates are offered instead."""
    doubted: bool = False
    """Two recognisers heard different products: ``candidates`` are their readings."""
    doubts: tuple[ChosenOption, ...] = ()
    """Option choices two recognisers heard apart (every reading of each group): asked before adding."""
    passed: int = 0
    """Turns the shopper went on to name other items while asked which one this is ("five drinks")."""


QuestionKind = Literal[
    "which",  # which product did you mean (choices: SKUs)
    "option",  # a required option (group; choices: option choices)
    "stock",  # only N left, shall I add N?
    "offer",  # shall I add this (a recommendation, the usual)?
    "option_offer",  # with soy milk, as usual? (an add-on the customer usually has)
    "delivery",  # pickup or delivery?
    "confirm",  # shall I place the order?
    "pin",  # say your PIN (for the order, or to switch customer)
    "cancel_order",  # shall I cancel order N?
    "clear_cart",  # shall I empty the cart?
    "handoff",  # shall I ask someone to call you back?
    "anything_else",  # anything else? (no / done: check out; an item: add it)
]


class Question(_Model):
    kind: QuestionKind
    text: str
    """The question as asked, for "repeat" and for re-asking after an invalid answer."""
    choices: tuple[Choice, ...] = ()
    group: str | None = None
    """For option questions: the option group asked about."""
    item: PendingItem | None = None
    """For which / option / stock / offer questions: the item the answer completes."""
    lines: tuple[PendingItem, ...] = ()
    """For offers of several items (reorder): all of them."""
    order: str | None = None
    """For cancel_order: the order number."""
    purpose: Literal["order", "switch"] = "order"
    """For pin questions: placing the order, or switching to the customer in ``switch_to``."""
    switch_to: str | None = None
    unsure: bool = False
    """For offers: items heard without a clear order ("did you want...?"), asked before checking out."""
    tries: int = 0
    """Invalid answers so far; after two, the choices are read out."""
    held: bool = False
    """For which / option questions: the shopper asked to check out while it waited and was asked it
    first; asking again leaves the item out."""


class Listing(_Model):
    """A long list being read three at a time ("say more for the next")."""

    intro: str
    entries: tuple[str, ...]
    offset: int = 0
    """How many entries have been read."""


class Turn(_Model):
    who: Literal["shopper", "assistant"]
    text: str


class DialogState(_Model):
    customer: str | None = None
    """Who is shopping; None for an anonymous shopper at the device."""
    cart: Cart = Cart()
    undo: tuple[Cart, ...] = ()
    """Earlier carts, newest last, for "undo"."""
    focus: int | None = None
    """Index of the cart line last added or changed: what "make it large" and "remove it" mean."""
    removing: bool = False
    """The shopper's last turn took a line out: "and the gel too" takes out the next one."""
    question: Question | None = None
    queue: tuple[PendingItem, ...] = ()
    """Items said in the same breath, waiting until the current question is answered."""
    listing: Listing | None = None
    misses: int = 0
    """Misunderstandings in a row."""
    last_reply: str = ""
    delivery: DeliveryKind | None = None
    coupon: str | None = None
    checkout_token: str | None = None
    """Made when the order is read back; placing retries with it, so an order is never stored twice."""
    pin_ok: bool = False
    """The PIN was said correctly in this session for the current customer."""
    orders: tuple[str, ...] = ()
    """Numbers of orders placed in this session's device, newest first (anonymous shoppers' history)."""
    pace: int = 0
    volume: int = 0
    detail: Literal["short", "full"] = "short"
    last_active: datetime | None = None
    """When the shopper last spoke (set by the runtime); an idle session expires."""
    transcript: tuple[Turn, ...] = ()
    """The last turns, handed to a person on a callback request."""
    started: bool = False
    ended: bool = False
    """The shopper said goodbye; the next input starts afresh (the cart is kept)."""

    def kept_words(self, said: Understanding) -> str:
        """The words of a shopper's turn said in this state as they may be kept (the transcript, the
        store's record of turns): at the PIN question, or when they were only digits (which may be a
        PIN said too early), never the words themselves."""
        if self.question is not None and self.question.kind == "pin":
            return PIN_SAID
        return DIGITS_SAID if said.intent == DIGITS_INTENT else said.text

    def with_cart(self, cart: Cart, focus: int | None) -> DialogState:
        """A cart change that "undo" can take back; the order being read back is no longer valid."""
        undo = (*self.undo, self.cart)[-UNDO_DEPTH:]
        return self.model_copy(update={"cart": cart, "undo": undo, "focus": focus, "checkout_token": None})


# Events the policy reacts to ------------------------------------------------------------------------


class SessionStart(_Model):
    """A new session (or one that expired): greet."""

    kind: Literal["start"] = "start"


class Heard(_Model):
    kind: Literal["heard"] = "heard"
    understanding: Understanding


class ActionDone(_Model):
    kind: Literal["done"] = "done"
    action: Action
    order: Order | None = None
    """The order placed or cancelled."""
    created: bool = True
    """For a placed order: False when the checkout token had been used (the order existed already)."""


class ActionFailed(_Model):
    kind: Literal["failed"] = "failed"
    action: Action
    code: str
    """What went wrong (``VoiceshopError.code``): out_of_stock, price_changed, spending_cap..."""
    fields: dict[str, str | int] = {}
    """What the reply may say about it (``VoiceshopError.fields``)."""
    message: str
    """The operator's message, for the log; never said to the shopper."""
    sku: str | None = None
    available: int | None = None
    """For OutOfStock: how many are left."""


# Actions the runtime applies -------------------------------------------------------------------------


class PlaceOrder(_Model):
    kind: Literal["place_order"] = "place_order"
    cart: Cart
    token: str
    delivery: DeliveryKind
    coupon: str | None = None
    customer: str | None = None


class CancelOrder(_Model):
    kind: Literal["cancel_order"] = "cancel_order"
    number: str


class SaveCustomer(_Model):
    """Store a changed customer record (preferences, voice settings, PIN failures)."""

    kind: Literal["save_customer"] = "save_customer"
    customer: Customer


class RequestCallback(_Model):
    kind: Literal["callback"] = "callback"
    customer: str | None
    reason: str
    transcript: tuple[Turn, ...]


class SaveCart(_Model):
    """Keep a customer's cart under their name, for when they come back on any device."""

    kind: Literal["save_cart"] = "save_cart"
    key: str
    cart: Cart


Action = PlaceOrder | CancelOrder | SaveCustomer | RequestCallback | SaveCart
Event = SessionStart | Heard | ActionDone | ActionFailed


class Reply(_Model):
    text: str
    """Speakable words: no symbols, digits or abbreviations."""
    expects_answer: bool = False
    """A question is waiting: the voice loop listens again without the wake phrase."""
    end: bool = False
    """The shopper said goodbye."""
    pin_wrong: bool = False
    """A PIN was said and was wrong (counted against the customer). A channel that knows more about
    the caller, such as an HTTP client's address, counts it against the caller too."""
    pace: int = 0
    volume: int = 0
    detail: Literal["short", "full"] = "short"


class Decision(_Model):
    state: DialogState
    actions: tuple[Action, ...] = ()
    reply: Reply | None = None
    """None when the reply waits for an action's outcome (placing an order)."""


ActionDone.model_rebuild()
ActionFailed.model_rebuild()
