"""A wake word said over a reply: the reply is turned down at once, then cut or turned up again.

The wake word model fires as readily on talk that opens like the phrase as on the phrase, and over a
reply it also hears what the echo canceller leaves of the reply. A fire there must not cut what the
shopper is hearing unless the check confirms it (``confirm.Confirmer``), and the check needs the
sound just after the fire and some computing time. So at the fire the reply is ducked (``DUCK``, over
one 30 ms piece, no click): the shopper who called the device hears at once that it heard them, and
talks over a quieter reply. When the check accepts, the reply is cut and the sound heard since the
fire (without the reply's echo) goes back to the loop, so a command said in the same breath ("okay
nabu, two lattes") is heard whole; when it rejects, the reply comes back to full volume and plays
on: a false fire costs a dip of about a second, not the reply.

From a live microphone the check runs on a thread of its own while the reply plays on (ducked); from
sound that is not live (a recording, a test's room) it runs as soon as its sound is there, so the
cut lands at the same place on the audio's timeline whatever the machine's load.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from voiceshop.audio.pcm import Samples
from voiceshop.audio.wakeword import WakeVerdict, WakeWordDetector
from voiceshop.runtime.confirm import Confirmer

DUCK = 0.25
"""The reply's gain while a wake word said over it is checked (-12 dB): still understood, clearly quieter."""


def ramp(piece: Samples, start: float, end: float) -> Samples:
    """``piece`` with its gain going from ``start`` to ``end`` across it (a step would click)."""
    if start == end == 1.0:
        return piece
    gains = np.linspace(start, end, num=len(piece), endpoint=False) if start != end else np.float64(end)
    return np.clip(np.round(piece.astype(np.float64) * gains), -32768, 32767).astype(np.int16)


@dataclass
class Heard:
    """What one chunk heard over a reply does, for the wake word."""

    cut: bool = False
    """Cut the reply now (a fire confirmed, or a fire with no check to wait for)."""
    passed: int = 1
    """Chunks of the timeline that went by as the reply's time (none while the check holds them)."""
    verdict: WakeVerdict | None = None
    """A check that has just decided."""
    held: list[Samples] = field(default_factory=list)
    """With an accepted verdict: the chunks since the fire, to be heard again as the command's start."""


class ReplyWake:
    """The wake word over replies: fires, their checks and the reply's gain meanwhile."""

    def __init__(self, wake: WakeWordDetector, confirmer: Confirmer | None) -> None:
        self.wake = wake
        self.confirmer = confirmer
        self.gain = self.gain_to = 1.0
        """The reply's gain at the end of the last piece, and for the next one."""
        self.live = False
        self._before: list[Samples] = []
        self._held: list[Samples] = []
        self._future: Future[WakeVerdict] | None = None
        self._verdict: WakeVerdict | None = None
        self._checking = False
        self._executor: ThreadPoolExecutor | None = None

    @property
    def checking(self) -> bool:
        """A fire is being checked."""
        return self._checking

    def start(self, *, live: bool) -> None:
        """Replies start playing (at full volume), heard from a ``live`` source or not (a check left
        over from replies a lost microphone broke off is dropped)."""
        self.gain = self.gain_to = 1.0
        self.live = live
        self.drop()

    def turn(self, piece: Samples) -> Samples:
        """The next piece to play, at the reply's gain."""
        piece = ramp(piece, self.gain, self.gain_to)
        self.gain = self.gain_to
        return piece

    def hear(self, chunk: Samples) -> Heard:
        """The next chunk heard over a reply (without the reply's echo)."""
        fired = self.wake.feed(chunk)
        if self._checking:
            self._held.append(chunk)
            return self._decided()
        if self.confirmer is None or not getattr(self.confirmer.check, "over_replies", True):
            return Heard(cut=fired)
        self.confirmer.hear(chunk)
        if fired:
            self._checking, self._before, self._held = True, self.confirmer.recent, []
            self._future, self._verdict = None, None
            self.gain_to = DUCK
        return Heard()

    def finish(self) -> Heard:
        """The replies have ended while a fire was checked: its verdict (waited for, or taken on what
        there is of the sound after the fire)."""
        if self._verdict is None and self._future is not None:
            self._verdict = self._future.result()
        if self._verdict is None:
            assert self.confirmer is not None
            self._verdict = self.confirmer.check.check(np.concatenate([*self._before, *self._held]))
        return self._decided()

    def drop(self) -> int:
        """Something else cut the reply: the chunks a fire being checked held (none if none was)."""
        held, self._checking, self._held = len(self._held), False, []
        return held

    def _decided(self) -> Heard:
        assert self.confirmer is not None
        if self._future is None and self._verdict is None and len(self._held) >= self.confirmer.after:
            samples = np.concatenate([*self._before, *self._held])
            if not self.live:
                self._verdict = self.confirmer.check.check(samples)
            else:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voiceshop-wakecheck")
                self._future = self._executor.submit(self.confirmer.check.check, samples)
        if self._verdict is None and self._future is not None and self._future.done():
            self._verdict = self._future.result()
        verdict = self._verdict
        if verdict is None:
            return Heard(passed=0)
        held, self._checking, self._held = self._held, False, []
        if verdict.accepted:
            return Heard(cut=True, passed=0, verdict=verdict, held=held)
        for chunk in held:
            self.confirmer.hear(chunk)
        self.gain_to = 1.0
        return Heard(passed=len(held), verdict=verdict)
