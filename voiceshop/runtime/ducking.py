"""A wake word said over a reply: the reply is turned down at once, held silent, then cut or resumed.

The wake word model fires as readily on talk that opens like the phrase as on the phrase, and over a
reply it also hears what the echo canceller leaves of the reply. A fire there must not cut what the
shopper is hearing unless the check confirms it (``confirm.Confirmer``), and the check needs the
sound just after the fire and some computing time. So at the fire the reply is ducked (``DUCK``, over
one 30 ms piece, no click): the shopper who called the device hears at once that it heard them.

The check runs in stages (``audio.wakeword.stages``: with Whisper, the trained verifier in a few
tens of milliseconds, then the likelihood check, which decodes, in a few tenths of a second or more
under load). When a stage accepts and a slower one is still to come, the reply is held: it fades out
over one piece and silence plays while the rest of the check runs, the reply kept where it stopped.
The shopper hears the device stop about a third of a second after the phrase, as if the first stage
were trusted alone, while the cut still waits for every stage. When the check accepts, the reply is
cut and the sound heard since the fire (without the reply's echo) goes back to the loop, so a command
said in the same breath ("okay nabu, two lattes") is heard whole; when it rejects, the reply comes
back to full volume and plays on from where it was held: a false fire costs a dip or a pause of about
a second, never a word of the reply.

Each stage of the check hears the sound as the wake word model heard it, after the echo canceller's
residual echo suppressor, or, if it says ``unsuppressed`` (the likelihood check: its docstring has the
figures), as the canceller's linear filter left it (``EchoCanceller.filtered``): the suppressor turns
down, band by band, what it takes for echo the filter left, and under a reply that carves into the
shopper's voice as well, which a speech recogniser then misreads.

From a live microphone the check runs on a thread of its own while the reply plays on (ducked, then
held); from sound that is not live (a recording, a test's room) every stage runs as soon as its sound
is there, so the cut lands at the same place on the audio's timeline whatever the machine's load.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from voiceshop.audio.pcm import Samples
from voiceshop.audio.wakeword import WakeCheck, WakeVerdict, WakeWordDetector, combined, stages
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
        self._before_checked: list[Samples] = []
        self._held: list[Samples] = []
        self._checked: list[Samples] = []
        """The chunks since the fire as the check hears them (``_held``: as the loop hears them)."""
        self._verdicts: queue.SimpleQueue[WakeVerdict | None] | None = None
        """The stages' verdicts as a check under way on its thread gives them (None once it is done)."""
        self._future: Future[None] | None = None
        self._stages: list[WakeVerdict] = []
        self._done = False
        self._checking = False
        self._executor: ThreadPoolExecutor | None = None

    @property
    def checking(self) -> bool:
        """A fire is being checked."""
        return self._checking

    @property
    def holding(self) -> bool:
        """The reply is held silent (a stage of the check accepted, the rest is still running): silence
        plays instead of its next piece, which waits."""
        return self.gain == 0.0 and self.gain_to == 0.0

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

    def hear(self, chunk: Samples, checked: Samples | None = None) -> Heard:
        """The next chunk heard over a reply (without the reply's echo), and the same chunk before the
        echo canceller's residual echo suppressor (``checked``, for the checks that say ``unsuppressed``;
        see the module's docstring; ``chunk`` when there is no other)."""
        fired = self.wake.feed(chunk)
        checked = chunk if checked is None else checked
        if self._checking:
            self._held.append(chunk)
            self._checked.append(checked)
            return self._decided()
        if self.confirmer is None or not getattr(self.confirmer.check, "over_replies", True):
            return Heard(cut=fired)
        self.confirmer.hear(chunk, checked)
        if fired:
            self._checking, self._held, self._checked = True, [], []
            self._before, self._before_checked = self.confirmer.recent, self.confirmer.recent_unsuppressed
            self._verdicts, self._future, self._stages, self._done = None, None, [], False
            self.gain_to = DUCK
        return Heard()

    def finish(self) -> Heard:
        """The replies (or the microphone's sound) have ended while a fire was checked: its verdict
        (waited for, or taken on what there is of the sound after the fire)."""
        if self._verdicts is None and not self._done:
            assert self.confirmer is not None
            self._run(self.confirmer.check, *self._sound(), self._take)
        if self._future is not None:
            self._future.result()  # its verdicts are all in the queue then (or its error is raised here)
        return self._decided()

    def drop(self) -> int:
        """Something else cut the reply: the chunks a fire being checked held (none if none was)."""
        held, self._checking, self._held, self._checked = len(self._held), False, [], []
        self._verdicts, self._future, self._stages, self._done = None, None, [], False
        return held

    def _take(self, verdict: WakeVerdict | None) -> None:
        if verdict is None:
            self._done = True
        else:
            self._stages.append(verdict)

    def _sound(self) -> tuple[Samples, Samples]:
        """The fire's sound as the wake word model heard it, and before residual echo suppression."""
        return np.concatenate([*self._before, *self._held]), np.concatenate([*self._before_checked, *self._checked])

    @staticmethod
    def _run(
        check: WakeCheck, samples: Samples, unsuppressed: Samples, give: Callable[[WakeVerdict | None], None]
    ) -> None:
        for verdict in stages(check, samples, unsuppressed):
            give(verdict)
        give(None)

    def _decided(self) -> Heard:
        assert self.confirmer is not None
        if self._verdicts is None and not self._done and len(self._held) >= self.confirmer.after:
            samples, unsuppressed = self._sound()
            if not self.live:
                self._run(self.confirmer.check, samples, unsuppressed, self._take)
            else:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voiceshop-wakecheck")
                self._verdicts = queue.SimpleQueue()  # this fire's own: a dropped check's thread cannot reach the next
                self._future = self._executor.submit(
                    self._run, self.confirmer.check, samples, unsuppressed, self._verdicts.put
                )
        while self._verdicts is not None and not self._done and not self._verdicts.empty():
            self._take(self._verdicts.get_nowait())
        if not self._done and self._future is not None and self._future.done():
            self._future.result()  # it ended without its last word: its error is the loop's
        if not self._done:
            if self._stages and self._stages[-1].accepted:
                self.gain_to = 0.0  # a stage accepted, a slower one runs: the reply is held silent
            return Heard(passed=0)
        verdict = combined(self._stages)
        held, checked, self._checking, self._held, self._checked = self._held, self._checked, False, [], []
        self._verdicts, self._future, self._stages, self._done = None, None, [], False
        if verdict.accepted:
            return Heard(cut=True, passed=0, verdict=verdict, held=held)
        for chunk, unsuppressed in zip(held, checked, strict=True):
            self.confirmer.hear(chunk, unsuppressed)
        self.gain_to = 1.0
        return Heard(passed=len(held), verdict=verdict)
