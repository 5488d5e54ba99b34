"""Confirming a wake word: the voice loop's side of ``audio.wakeword.WakeCheck``.

The loop keeps the last couple of seconds it heard; when the wake word model fires, ``Confirmer``
takes the few chunks the check wants after the fire from the microphone, runs the check, and hands
those chunks back (``Replay``) so the loop hears them next, in order: the shopper who goes straight
on from the wake phrase to the command loses nothing while the check runs. A live microphone keeps
capturing meanwhile; its sound waits in the source's queue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np

from voiceshop.asr.agreeing import AgreeingRecognizer
from voiceshop.asr.base import Hypothesis, KeyphraseSpotter, PhraseScorer, Transcript
from voiceshop.asr.keyphrase import KeyphraseWakeCheck
from voiceshop.asr.wakecheck import LikelihoodWakeCheck
from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.source import CHUNK
from voiceshop.audio.wakeword import WakeCheck, WakeVerdict
from voiceshop.errors import RecognizerError


class Replay:
    """An iterator of chunks that can be handed chunks back: they come out first, in order."""

    def __init__(self, chunks: Iterable[Samples]) -> None:
        self._chunks = iter(chunks)
        self._back: deque[Samples] = deque()

    def __iter__(self) -> Iterator[Samples]:
        return self

    def __next__(self) -> Samples:
        if self._back:
            return self._back.popleft()
        return next(self._chunks)

    def give_back(self, chunks: Iterable[Samples]) -> None:
        self._back.extendleft(reversed(list(chunks)))


class Confirmer:
    """Keeps the sound a ``WakeCheck`` needs and runs it when the wake word model fires."""

    def __init__(self, check: WakeCheck) -> None:
        self.check = check
        self._recent: deque[Samples] = deque(maxlen=max(1, round(check.before * RATE / CHUNK)))
        self._after = round(check.after * RATE / CHUNK)

    def hear(self, chunk: Samples) -> None:
        """Every chunk the wake word model hears, in order (up to and including a fire's)."""
        self._recent.append(chunk)

    @property
    def recent(self) -> list[Samples]:
        """The chunks heard up to now, as many as the check hears before a fire."""
        return list(self._recent)

    @property
    def after(self) -> int:
        """Chunks after a fire the check hears."""
        return self._after

    def confirm(self, mic: Replay) -> WakeVerdict:
        """The wake word model has just fired: check the sound around it. The chunks taken after the
        fire go back to ``mic``, unheard by the loop so far."""
        after: list[Samples] = []
        for chunk in mic:
            after.append(chunk)
            if len(after) >= self._after:
                break
        verdict = self.check.check(np.concatenate([*self._recent, *after]))
        mic.give_back(after)  # the loop hears them next (and this keeps them, in order, as it does)
        return verdict


def transcript(verdict: WakeVerdict, engine: str) -> Transcript:
    """A verdict as the transcript of the turn it records (what the check heard, its score)."""
    heard = (Hypothesis(verdict.heard, 1.0),) if verdict.heard else ()
    extra = {"wake_check": "accepted" if verdict.accepted else "rejected", "score": f"{verdict.score:.2f}"}
    return Transcript(alternatives=heard, engine=engine, compute_seconds=verdict.seconds, extra=extra)


def default_check(recognizer: object, phrase: str) -> WakeCheck | None:
    """The check the loop runs for a wake word, by the recogniser's own means: Whisper scores the phrase
    against its own reading (``LikelihoodWakeCheck``), Vosk and pocketsphinx spot it
    (``KeyphraseWakeCheck``); two engines agreeing check with the leading one. None when the engine can
    do neither (or cannot say a word of the phrase; ``voiceshop doctor`` says why)."""
    if isinstance(recognizer, AgreeingRecognizer):
        return default_check(recognizer.first, phrase) or default_check(recognizer.second, phrase)
    if isinstance(recognizer, PhraseScorer):
        return LikelihoodWakeCheck(recognizer, phrase)
    if isinstance(recognizer, KeyphraseSpotter):
        try:
            return KeyphraseWakeCheck(recognizer, phrase)
        except RecognizerError:
            return None
    return None
