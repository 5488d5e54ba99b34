"""An idle session ends on the shopper's next turn, whoever looks at it first.

The voice loop asks for the next answer's hints before each turn; looking must not end the session
silently, or "welcome back, your cart still has..." is never said by voice (it is in chat).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conversations import Clock
from voiceshop.runtime import Assistant
from voiceshop.runtime.shops import open_shop
from voiceshop.storage import Database

ROOT = Path(__file__).resolve().parent.parent


def test_reading_hints_before_a_turn_does_not_end_the_session_silently(tmp_path: Path) -> None:
    with Database(tmp_path / "store.db") as db:
        slug = open_shop(db, str(ROOT / "examples" / "coffee-bar"))
        clock = Clock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
        assistant = Assistant(db, slug, device="kiosk", clock=clock, idle_timeout=timedelta(minutes=5))
        assistant.start()
        assert [r.text for r in assistant.hear("a bagel")] == ["Added one bagel. Anything else?"]
        assert assistant.hints() == []  # "Anything else?" has no choices to bias a recognizer with
        clock.now += timedelta(minutes=10)
        assert assistant.hints() == []  # the question is gone with the session...
        assert assistant.state().question is None
        replies = [r.text for r in assistant.hear("what's in my cart")]
        # ...and the turn that follows says so before answering
        assert replies[0] == "Hi, welcome to The Daily Grind. What can I get you? Your cart still has one bagel."
        assert replies[1] == "You have one bagel. That comes to two dollars seventy five."
