"""Echo suppression: the reply's own sound taken back out of the microphone while it plays.

The device knows what it is playing, so the played samples are the reference: the microphone hears
them again a little later (the sound card's buffers, the air), quieter and coloured by the room.
``NlmsEchoCanceller`` finds that delay by cross-correlating the microphone with the reference (GCC-PHAT,
sharp even through a coloured room), then a normalised LMS filter over the delayed reference learns
the room's response and subtracts its estimate of the echo: what is left (the residual) is the
shopper, the room's noise, and a little echo the filter did not catch.

It also tells double talk from echo: a chunk is ``near_end`` (someone is speaking over the reply)
when the residual is clearly louder than the echo the filter expected to leave behind (the echo
estimate over the echo return loss enhancement it has been reaching). The filter adapts only on
chunks that are not near end, so the shopper's voice never teaches it to cancel the shopper.

A canceller is the small ``EchoCanceller`` protocol; the voice loop needs nothing else of it. Pure
numpy: a few tenths of a millisecond per 30 ms chunk.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voiceshop.audio.pcm import RATE, Samples

Floats = npt.NDArray[np.float64]

MAX_DELAY = 0.25
"""Seconds: the longest speaker-to-microphone delay looked for (buffers plus the room)."""
TAPS = 384
"""Filter length in samples (24 ms of the room's response after the direct sound)."""
LEAD = 32
"""Taps placed before the estimated delay, so an estimate a little late still covers the direct sound."""
STEP = 0.8
"""NLMS step size: larger learns faster, smaller leaves less echo once learnt."""
BLOCK = 16
"""Samples per filter update (the weights change every millisecond, not every sample)."""
DELAY_AFTER = 0.5
"""Seconds of loud reference needed before the delay is estimated."""
DOUBLE_TALK = 8.0
"""A residual this many times (in energy) the echo expected to remain is someone speaking (9 dB)."""
FREEZE = 2.0
"""A residual this many times the expected one is left out of the echo return loss estimate (3 dB)."""
BETTER = 0.7
"""The background filter replaces the one in use when its residual is this share of the other's
(summed over the last ``HOLD`` chunks learnt from)."""
LOST = 4.0
"""... and starts again from the one in use when its residual is this many times the other's."""
CONVERGED_DB = 8.0
HOLD = 4
"""Chunks over which the echo's loudest estimate is held when judging double talk (120 ms)."""
FLOOR_WINDOW = 2.0
"""Seconds over which the room's noise is the quietest residual heard (minimum statistics)."""
NOISE_OVER_FLOOR = 2.0
"""The room's noise in a chunk, against the quietest chunk: the minimum sits below the mean."""
"""Echo return loss enhancement the filter must reach before it can tell double talk from echo."""


class EchoCanceller(Protocol):
    def play(self, samples: Samples) -> None:
        """What the speaker has just been given, in order (the reference)."""
        ...

    def cancel(self, chunk: Samples) -> Samples:
        """The next microphone chunk, with the echo of what was played taken out."""
        ...

    @property
    def near_end(self) -> bool:
        """Whether the last chunk held sound the echo does not explain (someone speaking over the reply)."""
        ...

    def start(self) -> None:
        """A new sound starts: the reference and the microphone are counted from here again."""
        ...


def estimate_delay(mic: Floats, reference: Floats, max_lag: int) -> tuple[int, float]:
    """The lag (samples) at which ``reference`` best explains ``mic``, and how sharp the peak is
    (its height over the mean height: a few is noise, tens is a clear echo)."""
    n = 1 << int(np.ceil(np.log2(len(mic) + len(reference))))
    cross = np.fft.rfft(mic, n) * np.conj(np.fft.rfft(reference, n))
    cross /= np.abs(cross) + 1e-9  # PHAT: whiten, so the room's colour does not smear the peak
    correlation = np.abs(np.fft.irfft(cross, n)[: max_lag + 1])
    lag = int(np.argmax(correlation))
    return lag, float(correlation[lag] / (np.mean(correlation) + 1e-12))


class NlmsEchoCanceller:
    """Delay by cross-correlation, then a block NLMS filter over the delayed reference."""

    def __init__(self, *, taps: int = TAPS, step: float = STEP, max_delay: float = MAX_DELAY) -> None:
        self.taps, self.step = taps, step
        self.max_lag = round(max_delay * RATE)
        self.weights: Floats = np.zeros(taps)
        """The filter in use (the room's response as learnt)."""
        self._background: Floats = np.zeros(taps)
        self._scores: deque[tuple[float, float]] = deque(maxlen=HOLD)
        """Residual energies of the background filter and of the one in use, over the last chunks learnt from."""
        self.delay: int | None = None
        """Samples from the speaker to the microphone, once estimated (kept from one sound to the next)."""
        self.erle_db = 0.0
        """Echo return loss enhancement reached lately: how much quieter the residual is than the echo."""
        self._near = False
        self._echoes: deque[float] = deque(maxlen=HOLD)
        self._levels: deque[float] = deque(maxlen=round(FLOOR_WINDOW * RATE / 480))
        self.start()

    @property
    def near_end(self) -> bool:
        return self._near

    @property
    def converged(self) -> bool:
        return self.delay is not None and self.erle_db >= CONVERGED_DB

    def start(self) -> None:
        pad = self.max_lag + self.taps + LEAD
        self._reference: Floats = np.zeros(pad)  # silence before the sound started
        self._origin = pad
        self._heard: list[Floats] = []  # the microphone, kept until the delay is known
        self._at = 0  # microphone samples seen since the start
        self._near = False

    def play(self, samples: Samples) -> None:
        self._reference = np.concatenate([self._reference, samples.astype(np.float64)])

    def cancel(self, chunk: Samples) -> Samples:
        mic = chunk.astype(np.float64)
        begin = self._at
        self._at += len(mic)
        if self.delay is None:
            self._heard.append(mic)
            self._find_delay()
            if self.delay is None:
                self._near = False
                return chunk
        assert self.delay is not None
        # window k (for microphone sample n) ends at reference sample n - delay + LEAD
        first = self._origin + begin - self.delay + LEAD - self.taps + 1
        need = first + len(mic) + self.taps - 1
        if need > len(self._reference):  # the microphone ran ahead of what was played: silence
            self._reference = np.concatenate([self._reference, np.zeros(need - len(self._reference))])
        reference = self._reference[first:need]
        windows = np.lib.stride_tricks.sliding_window_view(reference, self.taps)[:, ::-1]
        estimate = windows @ self.weights
        residual = mic - estimate
        echo_energy = float(np.mean(estimate**2))
        residual_energy = float(np.mean(residual**2))
        mic_energy = float(np.mean(mic**2))
        self._levels.append(residual_energy)
        self._echoes.append(echo_energy)
        # What the residual would hold without anyone speaking: the echo the filter leaves, and the room.
        # The echo lately, not just now: a quiet ending after a loud sound keeps the loud one's error.
        left = max(self._echoes) / 10 ** (self.erle_db / 10)
        expected = left + NOISE_OVER_FLOOR * min(self._levels) + 1.0
        self.ratio = residual_energy / expected
        self._near = self.converged and residual_energy > DOUBLE_TALK * expected
        doubt = self.converged and residual_energy > FREEZE * expected
        if float(np.mean(reference**2)) > 1.0 and not doubt:  # the speaker alone: something to learn from
            if echo_energy > 1.0 and mic_energy > 1.0:
                erle = 10 * np.log10(mic_energy / (residual_energy + 1.0))
                self.erle_db += 0.05 * (float(np.clip(erle, 0.0, 40.0)) - self.erle_db)
            self._learn(windows, mic, float(np.sum(residual**2)))
        self._trim()
        return np.clip(np.round(residual), -32768, 32767).astype(np.int16)

    def _learn(self, windows: Floats, mic: Floats, kept: float) -> None:
        """The background filter learns from the chunk; it becomes the one in use when it cancels more
        than the one in use did (``kept``: that one's residual energy). Double talk makes the background
        worse, not better, so the shopper's voice never reaches the filter in use; a background lost
        in double talk starts again from the one in use."""
        left = 0.0
        for at in range(0, len(mic), BLOCK):
            x = windows[at : at + BLOCK]
            e = mic[at : at + BLOCK] - x @ self._background
            left += float(np.sum(e**2))
            power = float(np.sum(x[0] ** 2)) + self.taps * 100.0
            self._background += (self.step / len(x)) * (x.T @ e) / power
        self._scores.append((left, kept))
        background, foreground = (sum(x) for x in zip(*self._scores, strict=True))
        if background < BETTER * foreground:
            self.weights = self._background.copy()
            self._scores.clear()
        elif background > LOST * foreground and len(self._scores) == self._scores.maxlen:
            self._background = self.weights.copy()
            self._scores.clear()

    def _find_delay(self) -> None:
        heard = np.concatenate(self._heard)
        played = self._reference[self._origin : self._origin + len(heard)]
        if len(played) < len(heard) or float(np.sum(np.abs(played) > 300)) < DELAY_AFTER * RATE * 0.5:
            return
        if len(heard) > 4 * RATE:  # never a clear echo: nothing to cancel, stop collecting
            self._heard = []
            return
        lag, sharpness = estimate_delay(heard, played, self.max_lag)
        if sharpness >= 8.0:
            self.delay = lag
            self._heard = []

    def _trim(self) -> None:
        """Forget reference the filter can no longer reach (a long reply must not grow without end)."""
        if self.delay is None:
            return
        keep_from = self._origin + self._at - self.delay + LEAD - self.taps - RATE
        if keep_from > RATE:
            self._reference = self._reference[keep_from:]
            self._origin -= keep_from
