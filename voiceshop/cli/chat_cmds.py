"""``voiceshop chat``: talk to the shop assistant in text, interactively or from a script.

The same assistant, rules and store as the voice loop; a line typed is a transcript heard. A script
is one shopper line per line (``#`` starts a comment); the transcript is printed as it goes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from voiceshop.cli.context import state
from voiceshop.cli.output import error
from voiceshop.dialog.state import Reply
from voiceshop.errors import StoreError, VoiceshopError
from voiceshop.nlu.text import is_text
from voiceshop.runtime import Assistant
from voiceshop.runtime.shops import open_shop
from voiceshop.storage.privacy import prune_transcripts

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
    prune_transcripts(db)  # the shop's retention setting, applied whenever a channel starts
    assistant = Assistant(db, slug, device=device, customer=customer)
    if script is not None:
        lines = _script_lines(script)
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
    for read in _lines(interactive):
        if read is None:
            error("that line is not text (UTF-8); it was skipped")
            continue
        line = read.strip()
        if not line:
            continue
        if line.lower() in QUIT:
            break
        if not interactive:
            typer.echo(f"you: {line}")
        if _turn(assistant, line):
            break


def _lines(interactive: bool) -> Iterator[str | None]:
    """The shopper's lines from the terminal or a pipe; None for a line that is not UTF-8 text."""
    if interactive:
        while True:
            try:
                line = input("you: ")
            except EOFError:
                return
            yield line if is_text(line) else None
        return
    # a pipe is read as bytes, so binary data is refused line by line instead of ending the chat
    for raw in sys.stdin.buffer:
        try:
            line = raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
        except UnicodeDecodeError:
            yield None
            continue
        yield line if is_text(line.rstrip("\r\n")) else None


def _script_lines(script: Path) -> list[str]:
    try:
        data = script.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {script}: {exc.strerror}", param_hint="--script") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise typer.BadParameter(
            f"{script}, line {line}, is not UTF-8 text; save the file as UTF-8", param_hint="--script"
        ) from None
    if not is_text(text):
        line = next(n for n, ln in enumerate(text.splitlines(), start=1) if not is_text(ln))
        raise typer.BadParameter(
            f"{script}, line {line}, holds binary data; a chat script is one shopper line per line",
            param_hint="--script",
        )
    return text.splitlines()


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
