"""What understanding returns: an intent with typed slots and cart items, scored, with alternatives.

A result is never a silent guess. ``intent is None`` means nothing matched well enough (a cough, the
TV); ``alternatives`` then names the closest intents. An item or slot that could name several things
keeps ``sku`` / ``value`` empty and lists its ``candidates`` so the dialog can ask "A or B?".
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

HESITATE = "Hesitate"
"""The intent of a turn that only buys time ("um", "let me think"): not a misunderstanding."""
AGREE = "Yes"
"""The intent of a turn that says yes."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


AMBIGUITY_MARGIN = 0.05
"""Two candidates closer than this are a question, not a choice."""


class Candidate(_Model):
    """One thing a mention may refer to."""

    value: str
    """SKU, "group:choice", brand, category or coupon code."""
    name: str
    """How to say it back."""
    score: float


class SlotValue(_Model):
    value: str | int | None
    """The resolved value; None when the words were heard but resolve to nothing, or to several things."""
    text: str
    """The transcript words this slot came from."""
    score: float = 1.0
    candidates: tuple[Candidate, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.value is None and len(self.candidates) > 1


class OptionMention(_Model):
    group: str
    choice: str
    amount: str | None = None
    """For add-ons: "a bit of", "extra"."""
    text: str
    not_sold: bool = False
    """A choice of ``group`` the shop does not have at all ("oat milk"); ``choice`` is what was said."""


class ItemMention(_Model):
    """One item of an order as said: "two large lattes with a bit of soy milk"."""

    sku: str | None
    """The product, or None when the words fit several products (see candidates) or none."""
    name: str | None = None
    quantity: int = 1
    quantity_said: bool = False
    """False when no quantity was said (the dialog may ask, or take one)."""
    unit: str | None = None
    """A unit or pack said with the quantity: "kg" in "two kilos of rice", "6 pack"."""
    options: tuple[OptionMention, ...] = ()
    unfit_options: tuple[OptionMention, ...] = ()
    """Options said that this product does not offer ("a large croissant")."""
    text: str
    score: float
    candidates: tuple[Candidate, ...] = ()
    refused: bool = False
    """Said as not wanted ("not the bagel, the croissant", "without the fries"): what to take away."""
    unsold: str | None = None
    """A kind of product the shop does not have, as said ("iced latte" where there is a latte and
    iced coffee): no product is chosen, and the candidates are the product named and those of that kind."""
    doubted: bool = False
    """Two recognisers heard different products here; ``candidates`` are their readings, to ask which."""
    doubts: tuple[OptionMention, ...] = ()
    """Options two recognisers heard differently: every reading of each group (left out of
    ``options``), so the dialog asks which was said."""

    @property
    def ambiguous(self) -> bool:
        return self.sku is None and len(self.candidates) > 1


class Mention(_Model):
    """A thing of the shop or of the grammar's lists heard anywhere in the words, whatever the intent:
    what lets a question take its answer from a reply that says more ("large, and add a muffin")."""

    kind: str
    """product, option, amount, delivery, coupon, quantity, ordinal, digits, a grammar list's name, or
    agreement ("yes", "one of those": what was offered is taken), decline ("leave that": it is not)."""
    value: str | int
    """SKU, "group:choice", list value, coupon code or number."""
    text: str
    """The words it was heard in."""
    score: float
    refused: bool = False
    """An option said right after a negation ("no sugar", "without cream"): not wanted."""
    variety: bool = False
    """An option's bare name said after a word that makes it a kind the shop does not have ("oat
    milk" where it has soy milk and almond milk): ``text`` has that word too."""


class IntentGuess(_Model):
    intent: str
    confidence: float


class Understanding(_Model):
    text: str
    """The transcript that was understood (with n-best input, the hypothesis chosen)."""
    intent: str | None
    """None when nothing matched well enough."""
    confidence: float
    slots: dict[str, SlotValue] = {}
    items: tuple[ItemMention, ...] = ()
    """The order's items; with ``intent`` None, items heard though it was unclear they were an order."""
    words: tuple[str, ...] = ()
    """The transcript's words the parse accounts for."""
    alternatives: tuple[IntentGuess, ...] = ()
    """The next best intents (when not understood: the closest ones)."""
    template: str = ""
    """The grammar sentence that matched, for debugging ("AddItems.yaml: <want> {items}")."""
    mentions: tuple[Mention, ...] = ()
    """Everything recognised in the words, in order, whether or not the intent's sentence used it."""
    corrects: bool = False
    """The turn opens by taking back what was said before ("no wait, two muffins", "actually ...")."""
    only: bool = False
    """The turn limits what it names ("vegetable oil only", "just the mac and cheese then")."""
    continues: bool = False
    """The turn opens by going on from what was said before ("and a box of plasters", "also ...")."""
    every: bool = False
    """The turn says what it chooses is for every item ("both regular", "all of them thin")."""
    same: bool = False
    """The turn says what it adds is like the line before ("and a taro one, same as that")."""
    finished: bool = False
    """An order that ends by saying it is complete ("two lattes, that's it, pick up"): the checkout
    comes next, with no "anything else?"."""
    options: tuple[tuple[str, ...], ...] = ()
    """The options of an option slot that several options filled together ("with tofu and bean
    sprouts", "large, hot"), each as its "group:choice" readings, best first ("egg": a topping or
    egg noodles); the slot itself holds the last of them."""
    amounts: tuple[str | None, ...] = ()
    """The amount said before each option of the option slot, in order ("extra tomato and a little
    bit of red onion": a lot of, a little bit of), None where none was."""
    refusals: tuple[bool, ...] = ()
    """Whether each option of the option slot, in order, is refused: said right after a negation ("no
    sugar", "without cream", "hold the onions"), so it comes off instead of going on."""

    parts: tuple[Understanding, ...] = ()
    """The turn read as several requests said one after the other ("make the cokes three, and add a
    diet coke": a change of quantity, then an order), each of its own words, when each is surer
    alone than the turn read as one; empty when it is one request. The dialog acts on them in turn
    unless a question waits (an answer may say more: "large, and add a muffin")."""

    @property
    def understood(self) -> bool:
        return self.intent is not None

    def slot(self, name: str) -> str | int | None:
        s = self.slots.get(name)
        return s.value if s is not None else None
