"""Two engines hearing the same command: the first leads, the second's transcript rides along.

``--engine whisper+pocketsphinx``: Whisper (any words, biased by the shop's phrases) and pocketsphinx
(held to the grammar's sentences) are fed the same audio. The transcript is the first engine's, with
the second's in ``Transcript.second``; understanding compares what each heard (``nlu.agree``) and the
dialog asks about a slot they heard apart. pocketsphinx decodes while the audio arrives, so the second
opinion costs little after the shopper stops.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from voiceshop.asr.base import GrammarRecognizer, Recognizer, RecognizerStream, Transcript
from voiceshop.audio.pcm import Samples


class AgreeingRecognizer:
    def __init__(self, first: Recognizer, second: Recognizer) -> None:
        self.first = first
        self.second = second
        self.name = f"{first.name}+{second.name}"
        self.language = first.language
        self.model_path = first.model_path

    def set_vocabulary(self, words: Sequence[str], phrases: Sequence[str]) -> None:
        self.first.set_vocabulary(words, phrases)
        self.second.set_vocabulary(words, phrases)

    def set_grammar(self, rules: Mapping[str, Sequence[Sequence[str]]], top: str) -> None:
        for engine in (self.first, self.second):
            if isinstance(engine, GrammarRecognizer):
                engine.set_grammar(rules, top)

    def stream(self, hints: Sequence[str] = ()) -> _BothStream:
        return _BothStream(self.first.stream(hints), self.second.stream(hints))

    def spot(self, samples: Samples, phrases: Sequence[str]) -> Transcript:
        """A few phrases in a short sound: the leading engine's judgement alone (no slots to compare)."""
        return self.first.spot(samples, phrases)


class _BothStream:
    def __init__(self, first: RecognizerStream, second: RecognizerStream) -> None:
        self._first = first
        self._second = second

    def accept(self, samples: Samples) -> str | None:
        first = self._first.accept(samples)
        second = self._second.accept(samples)
        return first if first is not None else second

    def finish(self) -> Transcript:
        started = time.perf_counter()
        second = self._second.finish()
        first = self._first.finish()
        return replace(first, second=second, compute_seconds=time.perf_counter() - started)
