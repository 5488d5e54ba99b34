"""Playing a reply while hearing the microphone (barge-in): the voice loop's side of it.

Between the reply's chunks the microphone is heard through the echo canceller (``InterruptSpotter``)
and the wake word (``ReplyWake``); what they hear may cut the reply at once. Each turn the loop hears
is recorded here too (``HeardTurn``), a fire of the wake word that its check rejected among them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from voiceshop.asr.base import Transcript
from voiceshop.audio.endpoint import Endpointer, Utterance
from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.sink import Playback
from voiceshop.audio.source import CHUNK, split
from voiceshop.errors import MicrophoneLost
from voiceshop.runtime.confirm import Replay, transcript
from voiceshop.runtime.ducking import Heard, ReplyWake
from voiceshop.runtime.interrupt import InterruptSpotter, Spotted
from voiceshop.runtime.listen import Cut, HeardTurn, Outcome


class PlaysListening:
    """What ``VoiceLoop`` plays its replies with (a part of it, kept apart to keep each module small)."""

    turns: list[HeardTurn]
    log: Callable[[str], None]
    spotter: InterruptSpotter | None
    _over_reply: ReplyWake | None
    _mic: Replay
    _endpointer: Endpointer

    def _record(self, utterance: Utterance, transcript: Transcript, outcome: Outcome, said: str) -> HeardTurn:
        turn = HeardTurn(utterance=utterance, transcript=transcript, outcome=outcome, said=said)
        self.turns.append(turn)
        return turn

    def _play_listening(self, audio: Samples, playback: Playback) -> tuple[float, Cut | None, Spotted | None]:
        """Play ``audio`` a chunk at a time, hearing the microphone between chunks: the seconds played
        (all of it unless something cut it), what cut it, and the stop or cancel phrase if one did.
        While a wake word's check holds the reply (``ReplyWake.holding``), silence plays instead and
        the reply's next piece waits."""
        over = self._over_reply
        assert over is not None
        pieces = list(split(audio))
        played = n = 0
        while n < len(pieces):
            if over.holding:
                piece = np.zeros(CHUNK, dtype=np.int16)
            else:
                piece = over.turn(pieces[n])
                played += len(piece)
                n += 1
            playback.write(piece)
            if self.spotter is not None:
                self.spotter.play(piece)  # the canceller's reference is what was played, turned down or not
            try:
                heard = next(self._mic, None)
            except MicrophoneLost:
                playback.stop()  # the loop waits for the microphone; the speaker must not hang on
                raise
            if heard is None:
                self._endpointer.skip()
                if over.holding and self._wake_heard(over.finish()):  # the sound ended: the check decides
                    playback.stop()
                    return min(played, len(audio)) / RATE, "wake word", None
                continue
            spotted, checked = None, heard
            if self.spotter is not None:
                heard, spotted = self.spotter.hear(heard)  # the wake word hears it without the reply
                checked = self.spotter.filtered
            if self._wake_heard(over.hear(heard, checked)):
                playback.stop()
                return min(played, len(audio)) / RATE, "wake word", None
            if spotted is not None:
                playback.stop()
                return min(played, len(audio)) / RATE, spotted.kind, spotted
        return min(played, len(audio)) / RATE, None, None

    def _wake_heard(self, heard: Heard) -> bool:
        """What a chunk heard over a reply did for the wake word (``ReplyWake.hear``); whether it cuts the reply."""
        self._endpointer.skip(heard.passed)
        if heard.held:
            self._mic.give_back(heard.held)
        verdict = heard.verdict
        if verdict is not None and not verdict.accepted:
            now = self._endpointer.now
            empty = Utterance(samples=np.zeros(0, dtype=np.int16), start=now, end=now)
            self._record(empty, transcript(verdict, "wake check"), "rejected", "")
            self.log(f"(wake word over the reply not confirmed: heard {verdict.heard!r}, score {verdict.score:.1f})")
        return heard.cut
