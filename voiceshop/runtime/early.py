"""Decoding a command while the endpointer still waits to be sure it has ended.

A command ends after ``trailing_silence`` (0.7 s) of quiet. Whisper needs about 0.4 s for a command
on a 2-core machine, and it used to start only once that silence had passed. Here it starts as soon
as the shopper has been quiet for ``EARLY_QUIET`` chunks (0.15 s), in a worker thread, on exactly the
audio the endpointer will hand over if the quiet lasts: the endpointer keeps at most that much
trailing quiet, so the early transcript is the transcript, decoded the same way (no accuracy is
traded). The transcript is understood there too, so only the dialog is left when the endpointer is
sure. If the shopper speaks again, the early result is dropped and the command is decoded again
later. Every decode runs in the one worker thread, so an engine is never used by two threads at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from voiceshop.asr.base import Recognizer, Transcript
from voiceshop.audio.endpoint import KEEP_QUIET, Utterance
from voiceshop.audio.pcm import Samples

EARLY_QUIET = KEEP_QUIET
"""Chunks of quiet after which a command is decoded early (what the endpointer keeps of the quiet)."""

Key = tuple[float, int]


class EarlyDecoder:
    def __init__(self, recognizer: Recognizer) -> None:
        self.recognizer = recognizer
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voiceshop-asr")
        self._key: Key | None = None
        self._future: Future[Transcript] | None = None
        self.used = 0
        """Commands whose early transcript was the one used (for benchmarks and tests)."""

    def start(
        self,
        start: float,
        speech: Sequence[Samples],
        hints: Sequence[str],
        then: Callable[[Transcript], None] | None = None,
    ) -> None:
        """The shopper has just gone quiet: decode what they said so far, then hand the transcript to
        ``then`` in the same worker (the loop understands it there)."""
        samples = np.concatenate(speech)
        key = (round(start, 3), len(samples))
        if key == self._key:
            return
        self._key = key
        self._future = self._worker.submit(self._decode, samples, list(hints), then)

    def finish(self, utterance: Utterance, fallback: Callable[[], Transcript]) -> Transcript:
        """The command's transcript: the early one when it was made of this very audio, else ``fallback``
        (run in the worker thread too)."""
        key = (round(utterance.start, 3), len(utterance.samples))
        future, self._future, early_key, self._key = self._future, None, self._key, None
        if future is not None and early_key == key:
            self.used += 1
            return future.result()
        return self._worker.submit(fallback).result()

    def _decode(self, samples: Samples, hints: list[str], then: Callable[[Transcript], None] | None) -> Transcript:
        stream = self.recognizer.stream(hints)
        stream.accept(samples)
        transcript = stream.finish()
        if then is not None:
            then(transcript)
        return transcript
