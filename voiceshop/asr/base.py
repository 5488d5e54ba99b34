"""What every speech recognition engine offers: stream audio in, get transcripts out.

An engine is told the shop's words (``set_vocabulary``) and, per command, a few phrases the answer is
likely to contain (the choices of the question just asked). It returns the best transcript with its
alternatives (n-best, with confidences between 0 and 1) and the words of the best one with their own
confidences and times, so understanding can weigh what it heard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from voiceshop.audio.pcm import Samples
from voiceshop.audio.source import split

Floats = np.ndarray[tuple[int, int], np.dtype[np.float32]]
"""A matrix of 32-bit floats (an encoder's output: steps by features)."""


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Hypothesis:
    text: str
    confidence: float


@dataclass(frozen=True)
class Transcript:
    alternatives: tuple[Hypothesis, ...]
    """Best first; empty when nothing was recognised."""
    words: tuple[Word, ...] = ()
    engine: str = ""
    compute_seconds: float = 0.0
    """Time the engine spent after the last audio arrived (what the shopper waits for)."""
    extra: dict[str, str] = field(default_factory=dict)
    second: Transcript | None = None
    """What a second engine heard of the same sound (``--engine whisper+pocketsphinx``), to compare."""

    @property
    def text(self) -> str:
        return self.alternatives[0].text if self.alternatives else ""

    @property
    def confidence(self) -> float:
        return self.alternatives[0].confidence if self.alternatives else 0.0

    def nbest(self) -> list[tuple[str, float]]:
        return [(h.text, h.confidence) for h in self.alternatives if h.text]


@dataclass(frozen=True)
class PhraseOdds:
    """How likely a recogniser finds that a stretch of sound opens with a phrase, against its own
    best reading of it (``PhraseScorer``)."""

    log_ratio: float
    """Natural log of P(the phrase, then the engine's best continuation) / P(the engine's best
    reading): 0 when the best reading opens with the phrase, below 0 the less likely it is."""
    heard: str
    """The engine's own best reading."""
    phrase: str
    """The spelling of the phrase that scored best."""
    seconds: float = 0.0
    """Computing time."""


@runtime_checkable
class PhraseScorer(Protocol):
    """An engine that can score a given phrase against the sound (teacher-forced decoding)."""

    def phrase_odds(self, samples: Samples, spellings: Sequence[str]) -> PhraseOdds:
        """``spellings``: ways of writing one phrase ("okay nabu", "OK, Nabu"); the best one counts."""
        ...


@runtime_checkable
class SoundEncoder(Protocol):
    """An engine whose acoustic encoder can be read directly (Whisper's), for a trained wake verifier."""

    encoder_name: str
    """Which encoder (the model folder's name): features of one encoder mean nothing to another."""

    def encode_sound(self, samples: Samples, frames: int) -> Floats:
        """The encoder's output on ``samples`` padded with silence (or cut) to ``frames`` 10 ms frames:
        one row per encoder step, one column per feature."""
        ...


@dataclass(frozen=True)
class PhraseSpot:
    """Whether an engine found a phrase in a stretch of sound (``KeyphraseSpotter``), and how surely."""

    found: bool
    score: float
    """The engine's own measure (found at or above its cutoff; see the engine's ``keyphrase_method``)."""
    heard: str
    """What the engine heard, for logs."""
    seconds: float = 0.0
    """Computing time."""


@runtime_checkable
class KeyphraseSpotter(Protocol):
    """An engine that spots one phrase in a short sound by its own means (pocketsphinx: keyphrase
    search against a phone loop; Vosk: a grammar of the phrase and "anything else", word confidences)."""

    def keyphrase_method(self, phrase: str) -> str:
        """How it spots ``phrase``, for logs and ``voiceshop doctor``; raises ``RecognizerError`` when
        it cannot (a word of the phrase its model cannot say)."""
        ...

    def spot_keyphrase(self, samples: Samples, phrase: str) -> PhraseSpot: ...


class RecognizerStream(Protocol):
    def accept(self, samples: Samples) -> str | None:
        """Take the next piece of audio; return the partial transcript so far if the engine has one."""
        ...

    def finish(self) -> Transcript: ...


class Recognizer(Protocol):
    name: str
    """Engine name as ``--engine`` takes it."""
    language: str
    """The language of its model (``en``, ``ko``)."""
    model_path: str

    def set_vocabulary(self, words: Sequence[str], phrases: Sequence[str]) -> None:
        """The shop's words (to constrain) and phrases (to bias); called again when the shop changes."""
        ...

    def stream(self, hints: Sequence[str] = ()) -> RecognizerStream:
        """A new command; ``hints`` are phrases likely in it (the choices just offered)."""
        ...

    def spot(self, samples: Samples, phrases: Sequence[str]) -> Transcript:
        """A short stretch of sound (a second or two) checked for a few ``phrases``, as fast as the
        engine can: no alternatives, no word times. The transcript may hold other words than the
        phrases (or none): the caller decides what counts."""
        ...


@runtime_checkable
class GrammarRecognizer(Recognizer, Protocol):
    """An engine that can be held to the sentences of a grammar, not only to its words."""

    def set_grammar(self, rules: Mapping[str, Sequence[Sequence[str]]], top: str) -> None:
        """``rules``: name -> alternatives, each a sequence of words and ``<name>`` references (an empty
        one makes the rule optional); ``top`` is the rule of a whole sentence. Called after
        ``set_vocabulary``, again when the shop changes."""
        ...


def transcribe(recognizer: Recognizer, samples: Samples, hints: Sequence[str] = ()) -> Transcript:
    """A whole recording at once, fed in real chunk sizes."""
    stream = recognizer.stream(hints)
    for chunk in split(samples):
        stream.accept(chunk)
    return stream.finish()


def normalise_words(words: Sequence[str]) -> list[str]:
    """Lower-case, unique, sorted: the form every engine's vocabulary takes."""
    return sorted({w.strip().lower() for w in words if w.strip()})
