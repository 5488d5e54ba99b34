"""Endpointing: where a spoken command starts and ends, so the shopper never has to press anything.

Voice activity is decided per 30 ms chunk by loudness against the room's noise floor. The floor is
the quietest stretch heard in the last few seconds (minimum statistics), so it follows the room: a
fridge, a coffee grinder, a radio turned up. A command starts after a few loud chunks (a click or a
cup set down is ignored) and ends after a stretch of trailing silence or at a maximum length; a little
sound from just before the start is kept, so a soft first consonant is not cut off.

Loudness cannot tell speech from music or a fan turned up; a voice activity model (``audio.vad``)
can. With one, a chunk counts as speech only when it is both loud enough and, to the model, speech.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.source import CHUNK
from voiceshop.audio.vad import VoiceActivity

CHUNK_S = CHUNK / RATE
KEEP_QUIET = 5
"""Chunks of the trailing quiet kept at the end of a command: recognisers like to hear the last word end."""
SPEECH_BAND = (250.0, 3500.0)
"""Hz: where speech is told apart from room noise."""


@cache
def _band(n: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Which FFT bins of an ``n``-sample chunk are in the speech band, and the window to use."""
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    return (freqs >= SPEECH_BAND[0]) & (freqs <= SPEECH_BAND[1]), np.hanning(n)


def band_level_db(chunk: Samples) -> float:
    """Loudness of the speech band in dB full scale (a full-scale sine in the band is about 0)."""
    bins, window = _band(len(chunk))
    spectrum = np.abs(np.fft.rfft(chunk.astype(np.float64) * window)) ** 2
    power = float(spectrum[bins].sum()) * 2 / (float((window**2).sum()) * len(chunk))
    return max(-100.0, 10 * float(np.log10(power / 32768.0**2))) if power > 0 else -100.0


@dataclass(frozen=True)
class EndpointSettings:
    trailing_silence: float = 0.7
    """Seconds of quiet that end a command. Shorter answers faster; longer lets people pause."""
    max_length: float = 12.0
    """Seconds after which a command is cut off even if the room never goes quiet."""
    min_speech: float = 0.12
    """Seconds of sound needed before it counts as speech (shorter sounds are noises)."""
    pre_roll: float = 0.3
    """Seconds kept from before the start of speech."""
    above_floor_db: float = 6.0
    """How much louder than the noise floor speech must be."""
    min_level_db: float = -55.0
    """Anything quieter than this (dB full scale) is silence, however quiet the room."""
    floor_window: float = 3.0
    """Seconds over which the noise floor is the quietest chunk heard."""
    vad_threshold: float = 0.5
    """With a voice activity model: the probability of speech a chunk needs to count as speech."""


@dataclass(frozen=True)
class Utterance:
    """One command's audio, and where it sat on the source's timeline (seconds)."""

    samples: Samples
    start: float
    end: float
    truncated: bool = False

    @property
    def duration(self) -> float:
        return len(self.samples) / RATE


class Endpointer:
    """Feed chunks in order; get an ``Utterance`` back whenever one ends."""

    def __init__(self, settings: EndpointSettings | None = None, vad: VoiceActivity | None = None) -> None:
        self.settings = settings or EndpointSettings()
        self.vad = vad
        s = self.settings
        self._levels: deque[float] = deque(maxlen=max(1, round(s.floor_window / CHUNK_S)))
        self._recent: deque[tuple[Samples, bool]] = deque(maxlen=max(1, round(s.pre_roll / CHUNK_S)))
        self._needed = max(1, round(s.min_speech / CHUNK_S))
        self._quiet_end = max(1, round(s.trailing_silence / CHUNK_S))
        self._max_chunks = max(1, round(s.max_length / CHUNK_S))
        self._speech: list[Samples] = []
        self._quiet = 0
        self._start = 0.0
        self.chunks_seen = 0

    @property
    def now(self) -> float:
        """Seconds of audio fed so far: the timeline utterances are placed on."""
        return self.chunks_seen * CHUNK_S

    @property
    def in_speech(self) -> bool:
        return bool(self._speech)

    @property
    def quiet(self) -> int:
        """Chunks of quiet since the last speech in the command under way."""
        return self._quiet

    @property
    def speech_start(self) -> float:
        """Where the speech under way started on the timeline (pre-roll included)."""
        return self._start

    def skip(self, chunks: int = 1) -> None:
        """Let time pass without hearing it (sound that is no command: voiceshop's own reply)."""
        self.chunks_seen += chunks

    @property
    def speech_so_far(self) -> list[Samples]:
        """The chunks of the command under way (pre-roll included), for engines that stream."""
        return self._speech

    @property
    def floor_db(self) -> float:
        return min(self._levels) if self._levels else self.settings.min_level_db

    def voiced(self, chunk: Samples, *, near: bool = True) -> bool:
        """Whether ``chunk`` holds speech; ``near=False`` says an echo canceller took what is loud in
        it for the reply's own echo (the chunk still counts towards the noise floor)."""
        # Loudness in the speech band only: fans, fridges and mains hum live below it, hiss above it.
        level = band_level_db(chunk)
        voiced = level > max(self.floor_db + self.settings.above_floor_db, self.settings.min_level_db)
        self._levels.append(level)
        if self.vad is not None:
            # the model hears every chunk (it keeps state), but only a loud one can be a command
            speech = self.vad.probability(chunk) >= self.settings.vad_threshold
            voiced = voiced and speech
        return voiced and near

    def feed(self, chunk: Samples, *, near: bool = True) -> Utterance | None:
        """The next chunk; ``near`` as for ``voiced``."""
        voiced = self.voiced(chunk, near=near)
        self.chunks_seen += 1
        if not self._speech:
            self._recent.append((chunk, voiced))
            run = 0
            for _, v in reversed(self._recent):
                if not v:
                    break
                run += 1
            if run >= self._needed:
                self._speech = [c for c, _ in self._recent]
                self._start = self.now - len(self._speech) * CHUNK_S
                self._recent.clear()
                self._quiet = 0
            return None
        self._speech.append(chunk)
        self._quiet = 0 if voiced else self._quiet + 1
        if self._quiet >= self._quiet_end:
            keep = len(self._speech) - self._quiet + min(self._quiet, KEEP_QUIET)
            return self._finish(keep, truncated=False)
        if len(self._speech) >= self._max_chunks:
            return self._finish(len(self._speech), truncated=True)
        return None

    def flush(self) -> Utterance | None:
        """The source ended: whatever speech was under way is a command."""
        if not self._speech:
            return None
        return self._finish(len(self._speech) - max(0, self._quiet - KEEP_QUIET), truncated=False)

    def reset(self) -> None:
        """Forget speech under way (after voiceshop spoke, the room is heard afresh); the floor is kept."""
        self._speech = []
        self._recent.clear()
        self._quiet = 0

    def _finish(self, keep: int, *, truncated: bool) -> Utterance:
        samples = np.concatenate(self._speech[:keep])
        utterance = Utterance(samples=samples, start=self._start, end=self._start + len(samples) / RATE,
                              truncated=truncated)  # fmt: skip
        self._speech = []
        self._quiet = 0
        return utterance
