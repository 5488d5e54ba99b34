"""When the voice loop hears a command without the wake word: the windows it leaves open.

A wake word (or phrase, or a press) opens a short window for the command. After a reply, and longer
after one that asks a question, the shopper goes on without waking the device for a few seconds; a
goodbye closes the conversation, and so do two turns in a row that were not understood (a TV that
woke the device by mistake is not listened to for as long as it talks). Windows are measured on the
audio's own timeline, so a recording drives the loop exactly as a microphone would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from voiceshop.audio.endpoint import CHUNK_S, Endpointer
from voiceshop.dialog.state import Reply
from voiceshop.runtime.listen import ListenSettings

CLOSED = float("-inf")
"""The listening window's end when none is open: sound from the very start of a stream is not in it."""
MISSES_BEFORE_WAKE = 2
"""Turns in a row not understood (or with nothing recognised) since the device was last called, after
which it listens for the wake word again rather than go on without it: a TV or a conversation that
woke it by mistake is not listened to for as long as it goes on. A shopper it did not understand twice
calls it again and is heard as before."""


class Windows:
    """The window a command is heard in without the wake word, and the turns missed since the last call."""

    def __init__(self, settings: ListenSettings, earcon: Callable[[str], None], log: Callable[[str], None]) -> None:
        self.settings = settings
        self._earcon = earcon
        self.log = log
        self.until = CLOSED
        """The open window's end, on the audio's timeline (``CLOSED``: none is open)."""
        self.missed = 0
        """Turns not understood since the device was last called (wake word, wake phrase, a press)."""
        self.ended = False
        """A goodbye closed the conversation."""

    def open(self, now: float, seconds: float) -> None:
        self.until = max(self.until, now + seconds)

    def close(self) -> None:
        self.until = CLOSED

    def called(self, now: float) -> None:
        """The device was called (wake word, wake phrase, a press): a command is heard for a while."""
        self.missed = 0
        self.open(now, self.settings.command_window)
        self._earcon("listening")

    def hearing(self, start: float) -> bool:
        """Whether speech starting at ``start`` goes to the recogniser (with a wake word model, only
        speech inside an open window does: the recogniser never hears the room otherwise)."""
        return self.settings.activation != "wake" or start <= self.until

    def awake(self, start: float) -> bool:
        """Whether a command starting at ``start`` is for the device without a wake phrase."""
        return self.settings.activation == "always" or start <= self.until

    def ran_out(self, endpointer: Endpointer) -> None:
        """Close a window that ran out with nothing said, with the "done listening" earcon: from the
        moment no speech that starts later could still have begun inside it (its pre-roll)."""
        ends = self.until + self.settings.endpoint.pre_roll + CHUNK_S
        if self.until > CLOSED and ends < endpointer.now and not endpointer.in_speech:
            self.until = CLOSED
            self._earcon("done_listening")

    def given_up(self) -> bool:
        """Whether the turns since the last call went unheard or not understood too often to go on
        listening without the wake word (``MISSES_BEFORE_WAKE``); if so, no window stays open."""
        if self.missed < MISSES_BEFORE_WAKE or self.settings.activation == "always":
            return False
        self.until = CLOSED
        self.log(f"(not understood {self.missed} times in a row: listening for the wake word again)")
        self._earcon("done_listening")
        return True

    def after(self, replies: Sequence[Reply], now: float) -> None:
        """The windows a finished answer leaves open (none after a goodbye, nor after turns in a row
        that were not understood)."""
        if any(r.end for r in replies):
            self.until = CLOSED
            self.ended = True
        elif self.given_up():
            return
        else:
            # the shopper is mid-conversation: a question's answer, or "that's all" after an item
            asked = any(r.expects_answer for r in replies)
            self.open(now, self.settings.answer_window if asked else self.settings.follow_up_window)
