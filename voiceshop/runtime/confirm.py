"""Confirming a wake word: the voice loop's side of ``audio.wakeword.WakeCheck``.

The loop keeps the last couple of seconds it heard; when the wake word model fires, ``Confirmer``
takes the few chunks the check wants after the fire from the microphone, runs the check, and hands
those chunks back (``Replay``) so the loop hears them next, in order: the shopper who goes straight
on from the wake phrase to the command loses nothing while the check runs. A live microphone keeps
capturing meanwhile; its sound waits in the source's queue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from voiceshop.asr.agreeing import AgreeingRecognizer
from voiceshop.asr.base import Hypothesis, KeyphraseSpotter, PhraseScorer, SoundEncoder, Transcript
from voiceshop.asr.keyphrase import KeyphraseWakeCheck
from voiceshop.asr.wakecheck import LikelihoodWakeCheck
from voiceshop.asr.wakeverifier import VerifierWakeCheck, load_verifier, verifier_path, with_verifier
from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.source import CHUNK
from voiceshop.audio.wakeword import AllChecks, WakeCheck, WakeVerdict
from voiceshop.errors import ModelError, RecognizerError


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
        self._unsuppressed: deque[Samples] = deque(maxlen=self._recent.maxlen)
        self._after = round(check.after * RATE / CHUNK)

    def hear(self, chunk: Samples, unsuppressed: Samples | None = None) -> None:
        """Every chunk the wake word model hears, in order (up to and including a fire's); over a reply,
        with the same chunk before the echo canceller's residual echo suppressor."""
        self._recent.append(chunk)
        self._unsuppressed.append(chunk if unsuppressed is None else unsuppressed)

    @property
    def recent(self) -> list[Samples]:
        """The chunks heard up to now, as many as the check hears before a fire."""
        return list(self._recent)

    @property
    def recent_unsuppressed(self) -> list[Samples]:
        """The same chunks before residual echo suppression (as ``recent`` where there was none)."""
        return list(self._unsuppressed)

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


def verified(
    check: WakeCheck, encoder: object, phrase: str, log: Callable[[str], None], path: Path | None = None
) -> WakeCheck:
    """``check`` behind the trained verifier of ``phrase`` on ``encoder``'s output, when both exist:
    the verifier first (a few tens of milliseconds; it rejects most false fires), then ``check``.
    ``check`` alone when the phrase has no packaged verifier, or (said through ``log``, with the
    reason) when its file is damaged or was trained on another encoder. ``path``: another file than
    the packaged one."""
    path = path or verifier_path(phrase)
    if not isinstance(encoder, SoundEncoder) or not path.is_file():
        return check
    try:
        verifier = VerifierWakeCheck(encoder, load_verifier(path), phrase)
    except ModelError as exc:
        log(f"(wake check: {exc}; checking with the {check.name} alone)")
        return check
    return AllChecks([verifier, check])


def verifier_state(phrase: str, encoder: str) -> str:
    """What the loop does with the trained verifier of ``phrase`` next to Whisper model ``encoder`` (a
    folder's name), for ``voiceshop doctor``; ``ModelError`` when its file is damaged or does not fit."""
    path = verifier_path(phrase)
    if not path.is_file():
        shipped = ", ".join(with_verifier()) or "none"
        return f"none for {phrase!r} (only the likelihood check; packaged for: {shipped})"
    verifier = load_verifier(path)
    key = " ".join(phrase.lower().replace(",", " ").split())
    if verifier.phrase != key:
        raise ModelError(f"{path} verifies {verifier.phrase!r}, not {key!r}; only the likelihood check runs")
    if verifier.encoder != encoder:
        raise ModelError(
            f"{path} was trained on the encoder of {verifier.encoder}, not {encoder}; only the likelihood check runs"
        )
    return (
        f"runs first, then the likelihood check: {path.name} (the verifier of {verifier.phrase!r}, "
        f"{path.stat().st_size // 1024} KB), "
        f"on {encoder}'s encoder over the {verifier.before:g} s "
        f"before the fire and {verifier.after:g} s after, phrase at probability {verifier.cutoff:g} or more "
        f"(over a reply, the reply is held silent once it accepts); {verifier.facts.get('summary', '')}"
    )


def default_check(recognizer: object, phrase: str, log: Callable[[str], None] = lambda line: None) -> WakeCheck | None:
    """The check the loop runs for a wake word, by the recogniser's own means: Whisper runs the trained
    verifier on its encoder's output, then scores the phrase against its own reading
    (``VerifierWakeCheck`` and ``LikelihoodWakeCheck``), Vosk and pocketsphinx spot it
    (``KeyphraseWakeCheck``); two engines agreeing check with the leading one. None when the engine can
    do neither (or cannot say a word of the phrase; ``voiceshop doctor`` says why)."""
    if isinstance(recognizer, AgreeingRecognizer):
        return default_check(recognizer.first, phrase, log) or default_check(recognizer.second, phrase, log)
    if isinstance(recognizer, PhraseScorer):
        return verified(LikelihoodWakeCheck(recognizer, phrase), recognizer, phrase, log)
    if isinstance(recognizer, KeyphraseSpotter):
        try:
            return KeyphraseWakeCheck(recognizer, phrase)
        except RecognizerError:
            return None
    return None
