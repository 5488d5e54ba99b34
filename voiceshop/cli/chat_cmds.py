"""``voiceshop chat``: talk to the shop assistant in text, interactively or from a script.

The same assistant, rules and store as the voice loop; a line typed is a transcript heard. A script
is one shopper line per line (``#`` starts a comment); the transcript is printed as it goes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from voiceshop.cli.context import state
from voiceshop.dialog.state import Reply
from voiceshop.errors import StoreError, VoiceshopError
from voiceshop.runtime import Assistant
from voiceshop.runtime.shops import open_shop

QUIT = {"quit", "exit", ":q"}


def chat(
    ctx: typer.Context,
    shop: str | None = typer.Option(
        None, "--shop", "-s", help="Shop folder (loaded if new or changed), or the slug of a loaded shop."
    ),
    customer: str | None = typer.Option(
        None, "--customer", "-c", help="Shop as this customer; remembered as the device's default customer."
    ),
    script: Path | None = typer.Option(None, "--script", help="Read the shopper's lines from this file."),
    device: str = typer.Option("chat", "--device", help="Which device's session to use (each keeps its own)."),
) -> None:
    """Talk to the assistant: order, check out, ask about the shop. Ctrl-D (or "quit") leaves."""
    db = state(ctx).db
    slug = open_shop(db, shop)
    assistant = Assistant(db, slug, device=device, customer=customer)
    if script is not None:
        try:
            lines = script.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {script}: {exc.strerror}", param_hint="--script") from None
        _say(assistant.start())
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            typer.echo(f"you: {line}")
            _turn(assistant, line)
        return
    interactive = sys.stdin.isatty()
    _say(assistant.start())
    while True:
        try:
            line = input("you: " if interactive else "").strip()
        except EOFError:
            break
        if not line:
            continue
        if line.lower() in QUIT:
            break
        if not interactive:
            typer.echo(f"you: {line}")
        if _turn(assistant, line):
            break


def _turn(assistant: Assistant, line: str) -> bool:
    """One shopper line; True when the shopper said goodbye."""
    try:
        replies = assistant.hear(line)
    except StoreError:
        raise
    except VoiceshopError as exc:
        typer.echo(f"assistant: Sorry, something went wrong: {exc}")
        return False
    _say(replies)
    return any(r.end for r in replies)


def _say(replies: list[Reply]) -> None:
    for reply in replies:
        typer.echo(f"assistant: {reply.text}")
