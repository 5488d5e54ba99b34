"""`voiceshop customers add|list`."""

from __future__ import annotations

import typer

from voiceshop.cli.context import JSON_OPTION, state
from voiceshop.cli.output import emit_json, table
from voiceshop.commerce.customer import Customer, hash_pin
from voiceshop.commerce.shop import DeliveryKind
from voiceshop.errors import CustomerError
from voiceshop.storage.privacy import forget_customer, prune_transcripts, retention_days, set_retention_days

app = typer.Typer(help="Customers: names, purchase PINs and preferences.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="How the customer is addressed, e.g. Anna."),
    pin: str | None = typer.Option(None, "--pin", help="A 4 to 8 digit purchase PIN (stored only as a hash)."),
    delivery: DeliveryKind | None = typer.Option(None, "--delivery", help="Default delivery."),
    prefer: list[str] = typer.Option([], "--prefer", help="A preference like milk=oat milk; repeatable."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a customer."""
    prefs = {}
    for item in prefer:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise CustomerError(f"preference {item!r} should look like milk=oat milk")
        prefs[key] = value
    customer = Customer(
        name=name, pin_hash=hash_pin(pin) if pin else None, default_delivery=delivery, preferences=prefs
    )
    state(ctx).customers.add(customer)
    if as_json:
        emit_json(_public(customer))
        return
    typer.echo(f"added {customer.name}" + (" with a purchase PIN" if pin else ""))


def _public(c: Customer) -> dict[str, object]:
    return {"name": c.name, "has_pin": c.has_pin, "default_delivery": c.default_delivery, "preferences": c.preferences}


@app.command("list")
def list_customers(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List customers (PINs are never shown)."""
    customers = state(ctx).customers.list()
    if as_json:
        emit_json([_public(c) for c in customers])
        return
    if not customers:
        typer.echo("no customers yet; add one with `voiceshop customers add NAME`")
        return
    table(
        ["name", "pin", "delivery", "preferences"],
        [
            [
                c.name,
                "yes" if c.has_pin else "",
                c.default_delivery or "",
                ", ".join(f"{k}={v}" for k, v in c.preferences.items()),
            ]
            for c in customers
        ],
    )


@app.command()
def forget(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The customer to forget."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask; forget at once."),
) -> None:
    """Erase a customer's personal data (record, PIN hash, preferences, saved cart, their name on
    callbacks and sessions, their words in the record of turns); their orders stay for the books, with
    no name attached."""
    if not yes and not typer.confirm(f"Forget {name} and everything voiceshop keeps about them?"):
        raise typer.Exit(1)
    done = forget_customer(state(ctx).db, name)
    kept = done.pop("orders_anonymised")
    erased = ", ".join(f"{n} {what}" for what, n in done.items() if n) or "nothing else"
    typer.echo(f"forgot {name}: erased their record, {erased}; {kept} order(s) kept without their name")


@app.command()
def retention(
    ctx: typer.Context,
    days: int | None = typer.Argument(
        None, help="Keep conversation transcripts this many days (0: not after the session)."
    ),
) -> None:
    """Show or set how long conversation transcripts are kept; older ones are emptied now and at every start."""
    db = state(ctx).db
    if days is not None:
        set_retention_days(db, days)
    emptied = prune_transcripts(db)
    typer.echo(f"transcripts are kept {retention_days(db)} day(s); {emptied} older one(s) emptied now")
