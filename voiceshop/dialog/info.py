"""Answers from the shop's own files: opening hours (against the clock), policies, products, search."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from voiceshop.commerce.cart import ChosenOption, price_item
from voiceshop.commerce.catalog import PackSize
from voiceshop.commerce.search import by_need
from voiceshop.commerce.shop import WEEKDAYS
from voiceshop.dialog.context import Context
from voiceshop.dialog.respond import join, read_list, respond
from voiceshop.dialog.speak import LANGUAGE, say_list, say_number, speakable
from voiceshop.dialog.state import Choice, Decision, DialogState, PendingItem, Question
from voiceshop.errors import VoiceshopError
from voiceshop.nlu.result import SlotValue, Understanding
from voiceshop.nlu.text import words

PRONOUNS = LANGUAGE.function_words("pronouns")
STOP = LANGUAGE.function_words("stop")


def say_time(t: time) -> str:
    """ "six thirty a m", "noon", "six p m"."""
    if t.hour == 12 and t.minute == 0:
        return "noon"
    if t.hour == 0 and t.minute == 0:
        return "midnight"
    hour = t.hour % 12 or 12
    half = "a m" if t.hour < 12 else "p m"
    minutes = "" if t.minute == 0 else (f" oh {say_number(t.minute)}" if t.minute < 10 else f" {say_number(t.minute)}")
    return f"{say_number(hour)}{minutes} {half}"


def opening(ctx: Context) -> str:
    """Whether the shop is open now, until when, or when it opens next."""
    shop = ctx.shop
    local = ctx.now.astimezone(ZoneInfo(shop.timezone))
    today = WEEKDAYS[local.weekday()]
    for span in shop.opening_hours.get(today, ()):
        if span.contains(local.time()):
            return ctx.replies("open_now", closes=say_time(span.closes))
    for days in range(0, 8):
        day = local + timedelta(days=days)
        for span in shop.opening_hours.get(WEEKDAYS[day.weekday()], ()):
            if days == 0 and span.opens <= local.time():
                continue
            when = (
                ctx.replies("today")
                if days == 0
                else ctx.replies("tomorrow")
                if days == 1
                else ctx.replies("on_day", day=WEEKDAYS[day.weekday()])
            )
            return ctx.replies("closed_now", opens=say_time(span.opens), when=when)
    return ctx.replies("no_hours")


def shop_info(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    topic = u.slot("topic")
    shop, policies = ctx.shop, ctx.shop.policies
    if topic == "hours":
        text = opening(ctx)
    elif topic == "delivery":
        offers = [
            ctx.replies(
                "delivery_offer", name=d.name, fee=ctx.replies("free") if d.fee == 0 else ctx.money(d.fee), eta=d.eta
            )
            for d in shop.delivery
        ]
        text = join(ctx.replies("delivery_info", offers=say_list(offers)), policies.shipping)
    elif topic == "returns":
        text = policies.returns or ctx.replies("ask_staff")
    elif topic == "warranty":
        text = policies.warranty or ctx.replies("ask_staff")
    elif topic == "payment":
        text = ctx.replies("payment", methods=say_list(list(policies.payment))) if policies.payment else ""
        text = text or ctx.replies("ask_staff")
    elif topic == "location" and shop.locations:
        loc = shop.locations[0]
        text = ctx.replies("location", name=loc.name, address=speakable(loc.address), directions=loc.directions)
    else:
        text = ctx.replies("ask_staff")
    return respond(state, speakable(text), keep_question=True)


def product_info(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    slot = u.slots.get("product")
    referred = words(slot.text) if slot is not None and not slot.value else []
    unnamed = slot is None or (bool(referred) and set(referred) <= PRONOUNS)
    if unnamed and (sku := _talked_about(state)) is not None:
        # "how much are they" after "shall I add rolled oats?": the thing talked about
        slot = SlotValue(value=sku, text="") if slot is None else slot.model_copy(update={"value": sku})
        u = u.model_copy(update={"slots": {**u.slots, "product": slot}})
    if slot is None or not slot.value:
        if slot is not None and slot.candidates:
            names = [speakable(c.name) for c in slot.candidates]
            return read_list(state, ctx, ctx.replies("we_have", what=speakable(slot.text)), names)
        return respond(state, ctx.replies("not_found", what=slot.text if slot else ctx.replies("that")))
    product = ctx.catalog.product(str(slot.value))
    if product is None:
        return respond(state, ctx.replies("not_found", what=slot.text))
    name = speakable(product.name)
    aspect = u.slot("aspect")
    if aspect == "stock":
        if product.stock is None or product.stock > 5:
            text = ctx.replies("in_stock", product=name)
        elif product.stock == 0:
            text = ctx.replies("sold_out", product=name)
        else:
            text = ctx.replies("few_left", product=name, count=say_number(product.stock))
    elif aspect in ("size", "details"):
        pack = _pack(product.pack)
        description = speakable(product.description).rstrip(".")
        asked = "query" in u.slots  # "does it have nuts in it": not answered by its price
        text = join(
            description[:1].upper() + description[1:] + "." if description else "",
            ctx.replies("pack", product=name, pack=speakable(pack)) if pack != "single" else "",
            ctx.price_of(name, product.price),
        )
        if asked and not description:
            text = ctx.replies("no_details", product=name)
    else:
        text = ctx.price_of(name, product.price)
        if product.options and state.detail == "full":
            groups = [g.name for g in ctx.catalog.groups_for(product)]
            text = join(text, ctx.replies("options_offered", groups=say_list(groups)))
    said = _options_said(u, product.sku, ctx)
    offered = name
    if said:  # "how much is a large mocha": that price, and the offer keeps the size
        try:
            line = price_item(ctx.catalog, product.sku, said)
        except VoiceshopError:
            said = ()
        else:
            offered = ctx.describe(line, count=False)
            if aspect not in ("stock", "size", "details"):
                text = ctx.price_of(offered, line.unit_price)
    if product.stock == 0 or any(line.sku == product.sku for line in state.cart.lines):
        return respond(state, text)  # nothing to offer: sold out, or already in the cart
    item = PendingItem(sku=product.sku, options=said)
    question = Question(
        kind="offer", text=ctx.replies("offer_first", item=ctx.counted(product.sku, offered, 1)), item=item
    )
    return respond(state, text, question=question)


MORE_TAKING = 3
"""Products named that take an option asked about ("almond milk comes with the latte, mocha and
cappuccino"); the others are counted."""


def option_asked(state: DialogState, value: str, ctx: Context) -> Decision:
    """ "Do you have almond milk?": yes, and the line just ordered can have it (asked, and a yes
    puts it on), or the products that take it."""
    group_name, _, choice = value.partition(":")
    name = speakable(choice)
    line = state.cart.lines[state.focus] if state.focus is not None and state.focus < len(state.cart.lines) else None
    product = ctx.catalog.product(line.sku) if line is not None else None
    if line is not None and product is not None and group_name in product.options:
        item = speakable(product.name)
        if any(o.group == group_name and o.choice == choice for o in line.options):
            return respond(state, ctx.replies("option_has", item=item, choice=name))
        text = ctx.replies("option_offer", choice=name, item=item)
        question = Question(
            kind="option_offer", text=text, group=group_name, choices=(Choice(value=choice, name=choice),)
        )
        return respond(state, ctx.replies("option_we_have_yes", choice=name), question=question)
    taking = [speakable(p.name) for p in ctx.catalog.products if group_name in p.options and p.stock != 0]
    if not taking:
        return respond(state, ctx.replies("not_found", what=name))
    more = len(taking) - MORE_TAKING
    products = say_list(taking[:MORE_TAKING]) if more <= 0 else ", ".join(taking[:MORE_TAKING])
    text = ctx.replies("option_we_have", choice=name, products=products)
    if more > 0:
        text = ctx.replies("option_we_have_more", choice=name, products=products, count=say_number(more))
    return respond(state, text)


def _talked_about(state: DialogState) -> str | None:
    """The one product the last reply was about: the one offered, or the line just added or changed."""
    q = state.question
    if q is not None and q.item is not None and q.item.sku:
        return q.item.sku
    if q is not None and len(q.lines) == 1 and q.lines[0].sku:
        return q.lines[0].sku
    if state.focus is not None and state.focus < len(state.cart.lines):
        return state.cart.lines[state.focus].sku
    return None


def _pack(pack: PackSize) -> str:
    """A pack as said: "fifty tablets", "six x three hundred thirty ml", "pack of four"."""
    if pack.amount is not None and pack.unit and pack.amount != 1:
        return pack.model_copy(update={"unit": LANGUAGE.plural(pack.unit)}).describe()
    return pack.describe()


def _options_said(u: Understanding, sku: str, ctx: Context) -> tuple[ChosenOption, ...]:
    """The options of this product named in the question, each group once."""
    product = ctx.catalog.product(sku)
    groups = {g.name for g in ctx.catalog.groups_for(product)} if product else set()
    said: dict[str, ChosenOption] = {}
    for m in u.mentions:
        group, _, choice = str(m.value).partition(":")
        if m.kind == "option" and group in groups:
            said.setdefault(group, ChosenOption(group=group, choice=choice))
    return tuple(said.values())


SAID_BACK = 3
"""Words of a search said back ("For heartburn we have..."); a longer one is not repeated."""


def search(state: DialogState, u: Understanding, ctx: Context) -> Decision:
    unexplained = len(words(u.text)) - len(u.words)  # "what do you have for a sore throat" asks more
    if not any(s.value or s.text for s in u.slots.values()) and unexplained <= 1:
        # "what do you have?": the menu's sections
        sections = say_list([speakable(c) for c in ctx.catalog.categories()])
        return respond(state, ctx.replies("menu_sections", sections=sections))
    products = ctx.catalog.products
    said = ""
    found = []
    for kind in ("brand", "category"):
        slot = u.slots.get(kind)
        if slot is not None and slot.value:
            said = slot.text
            found = [p for p in products if (p.brand if kind == "brand" else p.category) == slot.value]
            break
    if not found:
        product = u.slots.get("product")
        if product is not None:
            said = product.text
            skus = [str(product.value)] if product.value else [c.value for c in product.candidates]
            found = [p for p in products if p.sku in skus]
    named = [m for m in u.mentions if m.kind == "option" and not m.refused]
    options = {str(m.value) for m in named}
    asked = set(words(said)) - STOP
    if not found and len(options) == 1 and asked and asked <= set(words(" ".join(m.text for m in named))):
        return option_asked(state, options.pop(), ctx)  # "do you have almond milk?", not "oat milk?" for milk
    if not found:
        query = u.slots.get("query")
        said = query.text if query is not None else said
        # a name's words, or a need ("something for heartburn") with what it is also looked up as
        looked_up = str(query.value) if query is not None and query.value else said
        found = by_need(ctx.catalog, looked_up)
    if not found:
        return respond(state, ctx.replies("not_found", what=said or ctx.replies("that")))
    selling = [p for p in found if p.stock != 0]
    names = [
        join(speakable(p.name), ctx.money(p.price)) if state.detail == "full" else speakable(p.name) for p in selling
    ]
    if not names:
        return respond(state, ctx.replies("all_sold_out", what=said))
    intro = (
        ctx.replies("we_have", what=speakable(said)) if len(said.split()) <= SAID_BACK else ctx.replies("we_have_these")
    )
    decision = read_list(state, ctx, intro, names)
    if decision.state.listing is not None or decision.reply is None:
        return decision
    # What was just listed is what "one of those", "the second one" or "yes" mean next.
    choices = tuple(Choice(value=p.sku, name=speakable(p.name)) for p in selling)
    first = PendingItem(sku=selling[0].sku, text=speakable(selling[0].name))
    text = ctx.replies("offer_it") if len(selling) == 1 else ""
    question = Question(kind="offer", text=text, item=first if len(selling) == 1 else None, choices=choices)
    return respond(decision.state, decision.reply.text, question=question)
