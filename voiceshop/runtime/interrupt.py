"""Interrupting a reply by voice: "stop" or "cancel" said while voiceshop speaks (barge-in).

While a reply plays, the microphone hears the reply too. The echo canceller (``audio.echo``) takes
the reply's own sound back out, using the played samples as its reference, and says which chunks hold
sound the echo does not explain (double talk). Only those chunks can be speech to a short endpointer
(with the voice activity model behind it), so the reply itself, however loud, makes no segment. A
short segment (at most ``MAX_WORDS`` seconds: an interruption, not a sentence) goes to the loop's own
speech recogniser (``Recognizer.spot``: Vosk with a grammar of just those phrases, Whisper greedy over
a 10 s window, prompted with them), and counts only when the transcript is nothing but one of the
language's stop or cancel phrases (``interrupt`` in ``language/<code>/words.yaml``): a word of the
reply that the filter left behind would have to be heard as exactly "stop" to cut anything.

A segment ends after ``SEGMENTS.trailing_silence`` of quiet, of which it keeps the first
``KEEP_QUIET`` chunks: so once the shopper has been quiet that long, the segment's sound is what it
will be if the quiet lasts, and it is decoded then, while the rest of the quiet is waited out (as
``runtime.early`` does for commands). When the segment ends as expected, that decoding is its own;
when the shopper speaks again, it is dropped. The same sound is decoded the same way, a little sooner.

From a live microphone, decoding (about 0.3 s with Whisper on a loaded 2-core machine) runs on a
thread of its own, so the reply plays on smoothly while a segment is checked and stops only when a
phrase is found: the loop asks ``hear`` for each chunk and gets the phrase at the first chunk after
its decoding ended, and ``finish`` when the reply has been played. Sound that is not live (a
recording, a test's room) comes faster than real time: nobody hears the reply pause there, and the
cut must land where the word ended on the audio's timeline whatever the machine's load, so the
spotter decodes at once.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from voiceshop.asr.base import Recognizer, Transcript
from voiceshop.audio.echo import EchoCanceller
from voiceshop.audio.endpoint import CHUNK_S, KEEP_QUIET, Endpointer, EndpointSettings, Utterance
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.vad import VoiceActivity
from voiceshop.language import Interruption, Language

MAX_WORDS = 1.6
"""Seconds: a segment longer than this is the shopper talking, not "stop"; it is not decoded."""
SEGMENTS = EndpointSettings(trailing_silence=0.24, max_length=2.0, min_speech=0.09, pre_roll=0.3)
"""Shorter trailing silence than a command's: an interruption is one short phrase, and every tenth of
a second waited is a tenth more of the reply the shopper did not want."""

WIDEN = 1
"""Chunks before double talk heard in full: a word's soft start is quieter than the echo, so the
canceller does not flag it; wider lets the reply's last syllable in ("hey stop")."""
TRAIL = 6
"""Chunks after double talk heard in full: a word's ending ("-cel") fades under the echo for longer
than its start, and what the suppressor leaves of the reply there is quiet."""
RESIDUAL_GAIN = 0.1
"""What is left of the reply away from double talk is turned down by this (20 dB)."""
PAD = 0.2
"""Seconds of silence either side of what the recogniser hears."""


@dataclass(frozen=True)
class Spotted:
    """A stop or cancel phrase heard over a reply."""

    kind: Interruption
    utterance: Utterance
    """The segment, on the reply's timeline (seconds since the reply started)."""
    transcript: Transcript
    compute_seconds: float
    """Time spent decoding it (the reply played on meanwhile)."""
    decoded_from: float = 0.0
    """Where on the reply's timeline its decoding started (before the segment's end when it was
    decoded while the quiet after it was waited out)."""


class InterruptSpotter:
    """Feed it what is played and what is heard, chunk by chunk; it says when "stop" or "cancel" was said."""

    def __init__(
        self,
        recognizer: Recognizer,
        language: Language,
        canceller: EchoCanceller,
        vad: VoiceActivity | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.language = language
        self.canceller = canceller
        self._endpointer = Endpointer(SEGMENTS, vad)
        words = language.interrupt_words
        self._phrases = [*words.stop, *words.cancel]
        self._heard: deque[tuple[Samples, bool]] = deque(maxlen=round((SEGMENTS.max_length + 1.0) / CHUNK_S))
        self.last: Transcript | None = None
        """What the recogniser made of the latest segment (for logs)."""
        self.decoded = 0
        """Segments sent to the recogniser."""
        self._decoder: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future[tuple[Transcript, float]], Utterance, float]] = deque()
        self._early: tuple[tuple[float, int], Future[tuple[Transcript, float]], float] | None = None
        """The segment under way decoded ahead of its end: its key (start, samples), decoding, and when."""
        self.live = False
        """Whether the microphone is heard as it happens (see the module's docstring)."""

    def start(self, *, live: bool = False) -> None:
        """A reply starts playing, heard from a ``live`` source or not (what is still being decoded
        of the one before is dropped)."""
        self.finish()
        self.canceller.start()
        self._endpointer.reset()
        self._endpointer.chunks_seen = 0
        self._heard.clear()
        self._early = None
        self.live = live

    def finish(self) -> Spotted | None:
        """The reply has been played: the phrase in a segment still being decoded, if any."""
        spotted = None
        while self._pending:
            found = self._result(*self._pending.popleft())
            spotted = spotted or found
        self.canceller.finish()
        return spotted

    def play(self, samples: Samples) -> None:
        """What the speaker has just been given."""
        self.canceller.play(samples)

    def hear(self, chunk: Samples) -> tuple[Samples, Spotted | None]:
        """The next microphone chunk: the chunk without the reply's echo (for the wake word), and a
        stop or cancel phrase if one has just ended."""
        residual = self.canceller.cancel(chunk)
        near = self.canceller.near_end
        self._heard.append((residual, near))
        endpointer = self._endpointer
        segment = endpointer.feed(residual, near=near)
        if segment is None and endpointer.in_speech and endpointer.quiet == KEEP_QUIET:
            # quiet long enough that the segment's sound is what it will be if the quiet lasts
            samples = np.concatenate(endpointer.speech_so_far)
            start = endpointer.speech_start
            ahead = Utterance(samples=samples, start=start, end=start + len(samples) / RATE)
            self._early = (_key(ahead), self._submit(ahead), endpointer.now) if _short(ahead) else None
        if segment is not None and _short(segment):
            early, self._early = self._early, None
            if early is not None and early[0] == _key(segment):
                self._pending.append((early[1], segment, early[2]))
            else:
                self._pending.append((self._submit(segment), segment, endpointer.now))
        while self._pending and (not self.live or self._pending[0][0].done()):
            spotted = self._result(*self._pending.popleft())
            if spotted is not None:
                return residual, spotted
        return residual, None

    @property
    def filtered(self) -> Samples:
        """The last chunk heard as the echo canceller's filter left it, before its residual echo
        suppression (``EchoCanceller.filtered``): what the wake word's check hears over a reply."""
        return self.canceller.filtered

    def _submit(self, segment: Utterance) -> Future[tuple[Transcript, float]]:
        if self._decoder is None:
            self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voiceshop-spot")
        self.decoded += 1
        return self._decoder.submit(self._decode, self._words(segment))

    def _decode(self, samples: Samples) -> tuple[Transcript, float]:
        started = time.perf_counter()
        transcript = self.recognizer.spot(samples, self._phrases)
        return transcript, time.perf_counter() - started

    def _result(self, decoding: Future[tuple[Transcript, float]], segment: Utterance, since: float) -> Spotted | None:
        transcript, seconds = decoding.result()
        self.last = transcript
        kind = self.language.interruption(transcript.text)
        return None if kind is None else Spotted(kind, segment, transcript, seconds, since)

    def _words(self, segment: Utterance) -> Samples:
        """What the recogniser hears of a segment: from just before its first chunk of double talk to
        a little after its last, the chunks far from any double talk turned down (what is left of the
        reply there would otherwise be words: "so cancel"), with a little silence either side."""
        first = round(segment.start / CHUNK_S)
        chunks = list(self._heard)[-(self._endpointer.chunks_seen - first) :][: round(segment.duration / CHUNK_S)]
        near = [i for i, (_, n) in enumerate(chunks) if n] or list(range(len(chunks)))
        lo, hi = max(0, near[0] - WIDEN), min(len(chunks), near[-1] + TRAIL + 1)
        kept = [
            c if any(-WIDEN <= i - j <= TRAIL for j in near) else (c * RESIDUAL_GAIN).astype(np.int16)
            for i, (c, _) in enumerate(chunks[lo:hi], start=lo)
        ]
        return np.concatenate([silence(PAD), *kept, silence(PAD)])


def _short(segment: Utterance) -> bool:
    """Whether a segment is short enough to be an interruption (and not cut off by its length)."""
    return not segment.truncated and segment.duration <= MAX_WORDS + SEGMENTS.pre_roll


def _key(segment: Utterance) -> tuple[float, int]:
    return round(segment.start, 3), len(segment.samples)
