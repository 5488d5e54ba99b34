"""Echo suppression: the reply's own sound taken back out of the microphone while it plays.

The device knows what it is playing, so the played samples are the reference: the microphone hears
them again a little later (the sound card's buffers, the air), quieter and coloured by the room.
``NlmsEchoCanceller`` finds that delay by cross-correlating the microphone with the reference (GCC-PHAT,
sharp even through a coloured room), then a normalised LMS filter over the delayed reference learns
the room's response and subtracts its estimate of the echo: what is left (the residual) is the
shopper, the room's noise, and a little echo the filter did not catch.

A real device's speaker is often late and not steady: USB and Bluetooth speakers buffer 100 to 500 ms,
and the buffering changes while they play. The delay is looked for up to ``MAX_DELAY`` and found
again every ``TRACK_EVERY`` over the last ``TRACK_WINDOW`` of sound (more often while the residual is
louder than it should be). A new peak of the correlation is tried on the latest sound: it replaces
the delay in use when the filter, moved there, leaves clearly less (the room's response moved as a
whole, so the filter learnt stays valid at the new delay).

A microphone whose gain is set too high clips: where the echo is louder than its full scale it
hears a flattened echo, which no linear filter explains. The canceller notices the level the
microphone saturates at (many samples piled up at one peak), predicts the echo clipped at that level,
and learns only from samples below it, so a few clipped peaks do not spoil the room's response.

What the filter leaves of the echo (more where the microphone clips, or while the filter is still
learning) goes through a residual echo suppressor (``ResidualSuppressor``): band by band, the share
of the filter's echo estimate that it leaves is learnt while nobody speaks, and bands that this
explains are turned down. The residual comes ``LATENCY`` (15 ms) late for it.

It also tells double talk from echo: a chunk is ``near_end`` (someone is speaking over the reply)
when the residual is clearly louder than the echo the filter expected to leave behind (the echo
estimate over the echo return loss enhancement it has been reaching), or, band by band, than what
the suppressor expects to be left. The filter adapts only on chunks that are not near end, so the
shopper's voice never teaches it to cancel the shopper.

A canceller is the small ``EchoCanceller`` protocol; the voice loop needs nothing else of it. Pure
numpy: about 2 ms per 30 ms chunk on this machine.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voiceshop.audio.pcm import RATE, Samples

Floats = npt.NDArray[np.float64]

MAX_DELAY = 0.6
"""Seconds: the longest speaker-to-microphone delay looked for (a Bluetooth speaker's buffers plus the room)."""
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
SHARP = 8.0
"""A correlation peak this many times the mean is an echo (a few is noise)."""
TRACK_EVERY = 0.5
"""Seconds between two new estimates of the delay while a sound plays."""
TRACK_WINDOW = 1.0
"""Seconds of the microphone each new estimate looks at."""
DOUBT_EVERY = 0.09
"""... and while the residual is louder than the echo should leave (a moved delay, or someone speaking)."""
MOVED = 8
"""Samples: a new estimate this far from the delay in use is a move (closer is the same delay)."""
VERIFY = 0.2
"""Seconds of the latest sound a new delay is tried on: it is taken when the filter leaves less than
``HALF`` of what it leaves at the delay in use (the shopper's voice is in both: no move)."""
HALF = 0.5
PILED = 4
"""Samples of a chunk at its own peak (within ``FLAT``) that make that peak the microphone's full scale."""
FLAT = 0.002
"""How close to its peak a sample counts as piled up there (a clipped microphone gives one value)."""
NEAR_FULL = 0.98
"""Samples heard or expected above this share of the full scale are not learnt from (clipping)."""
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
"""Echo return loss enhancement the filter must reach before it can tell double talk from echo."""
HOLD = 4
"""Chunks over which the echo's loudest estimate is held when judging double talk (120 ms)."""
FLOOR_WINDOW = 2.0
"""Seconds over which the room's noise is the quietest residual heard (minimum statistics)."""
NOISE_OVER_FLOOR = 2.0
"""The room's noise in a chunk, against the quietest chunk: the minimum sits below the mean."""
FRAME = 480
"""Samples per frame of the residual echo suppressor (one chunk; frames overlap by half)."""
LATENCY = FRAME // 2
"""Samples the suppressor holds back: the residual comes this late (15 ms)."""
OVER = 2.0
"""The echo left in a frequency band is taken out this many times over (3 dB: the estimate wavers)."""
FLOOR_GAIN = 0.1
"""A band is turned down by at most this (20 dB): deeper leaves a warbling that words are heard in."""
LEAK_RATE = 0.1
"""How fast the share of the echo estimate that the filter leaves in each band is learnt."""
TAIL = 0.6
"""Per frame, how much of the echo left in a band lingers into the next (the room's reverberation)."""


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


def correlate(mic: Floats, reference: Floats, max_lag: int) -> Floats:
    """How well ``reference`` explains ``mic`` at each lag (samples, 0 to ``max_lag``), as the
    height over the mean height: a few is noise, tens is a clear echo.

    ``reference`` ends where ``mic`` ends; when it is longer, it holds what was played before the
    microphone's window began (then every lag up to that lead is measured over the whole window)."""
    lead = len(reference) - len(mic)
    n = 1 << int(np.ceil(np.log2(len(mic) + len(reference))))
    cross = np.fft.rfft(mic, n) * np.conj(np.fft.rfft(reference, n))
    cross /= np.abs(cross) + 1e-9  # PHAT: whiten, so the room's colour does not smear the peak
    full = np.abs(np.fft.irfft(cross, n))
    correlation = full[(np.arange(max_lag + 1) - lead) % n]  # lag L pairs mic[i] with reference[i + lead - L]
    result: Floats = correlation / (np.mean(correlation) + 1e-12)
    return result


def estimate_delay(mic: Floats, reference: Floats, max_lag: int) -> tuple[int, float]:
    """The lag at which ``reference`` best explains ``mic`` (see ``correlate``) and how sharp it is."""
    correlation = correlate(mic, reference, max_lag)
    lag = int(np.argmax(correlation))
    return lag, float(correlation[lag])


class ResidualSuppressor:
    """What the linear filter leaves of the echo, taken out band by band (spectral subtraction).

    The filter's own estimate of the echo says where in time and frequency the echo is; each band
    learns (while nobody speaks) what share of that estimate the filter leaves behind, the part a
    filter cannot follow (a clipped peak, a room that changed, a filter still learning). Bands where
    that leftover explains what is heard are turned down; a voice over the reply is louder than the
    leftover in its own bands and comes through. Frames of ``FRAME`` samples overlapping by half, so
    the output comes ``LATENCY`` samples late."""

    def __init__(self) -> None:
        self._window = np.sqrt(np.hanning(FRAME + 1)[:FRAME])  # periodic: halves overlap-add to one
        bins = FRAME // 2 + 1
        self.leak: Floats = np.ones(bins)
        """Per band: the echo left after the filter, as a share of the filter's echo estimate (energy)."""
        self._left: Floats = np.zeros(bins)
        self._residual: Floats = np.zeros(LATENCY)
        self._echo: Floats = np.zeros(LATENCY)
        self._out: Floats = np.zeros(LATENCY)

    def start(self) -> None:
        """A new sound: nothing held back from the one before (what each band leaves is kept)."""
        self._residual, self._echo, self._out = np.zeros(LATENCY), np.zeros(LATENCY), np.zeros(LATENCY)
        self._left = np.zeros_like(self.leak)

    def process(self, residual: Floats, echo: Floats, learn: bool) -> tuple[Floats, float, float]:
        """A chunk of the filter's residual and of its echo estimate: the residual without the echo
        left (``LATENCY`` late), and per sample, the energy of the echo left and the energy it does
        not explain."""
        residual = np.concatenate([self._residual, residual])
        echo = np.concatenate([self._echo, echo])
        out = np.concatenate([self._out, np.zeros(len(residual) - LATENCY)])
        unexplained = left = 0.0
        frames = 0
        for at in range(0, len(residual) - LATENCY, LATENCY):
            e = np.fft.rfft(self._window * residual[at : at + FRAME])
            y = np.abs(np.fft.rfft(self._window * echo[at : at + FRAME])) ** 2
            heard = np.abs(e) ** 2
            if learn and float(np.sum(y)) > 1.0:
                share = np.minimum(heard / (y + 1e-3 * float(np.mean(y)) + 1e-9), 1.0)
                self.leak += LEAK_RATE * (share - self.leak)
            self._left = np.maximum(self.leak * y, TAIL * self._left)
            gain = np.clip(1.0 - OVER * self._left / (heard + 1e-9), FLOOR_GAIN, 1.0)
            unexplained += float(np.sum(np.maximum(heard - OVER * self._left, 0.0)))
            left += float(np.sum(self._left))
            frames += 1
            out[at : at + FRAME] += self._window * np.fft.irfft(gain * e, FRAME)
        self._residual, self._echo = residual[-LATENCY:], echo[-LATENCY:]
        self._out = out[-LATENCY:]
        # Parseval, for a half spectrum of a frame under a window whose square averages 1/2
        per_sample = 4.0 / FRAME**2 / max(frames, 1)
        return out[: len(residual) - LATENCY], unexplained * per_sample, left * per_sample


class NlmsEchoCanceller:
    """Delay by cross-correlation (followed while it plays), then a block NLMS filter over the delayed
    reference, its estimate clipped where the microphone clips."""

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
        self.moves = 0
        """How often the delay was found to have moved while a sound played."""
        self.full_scale = 32767.0
        """Where the microphone clips: int16's limit, or lower once its sound is seen piling up there."""
        self._pile: tuple[float, int] = (0.0, 0)
        self.erle_db = 0.0
        """Echo return loss enhancement reached lately: how much quieter the residual is than the echo."""
        self._near = self._doubt = False
        self.suppressor = ResidualSuppressor()
        self._reference: Floats = np.zeros(0)
        self._origin = self._at = 0
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
        # what was played just before may still be on its way (a speaker 400 ms late): it stays the
        # reference before this sound starts (silence at the very first)
        before = self._reference[: self._origin + self._at][-pad:]
        self._reference = np.concatenate([np.zeros(pad - len(before)), before])
        self._origin = pad
        self._heard: Floats = np.zeros(0)  # the microphone lately, for the delay
        self._at = 0  # microphone samples seen since the start
        self._tracked = 0  # ... when the delay was last estimated
        self._near = self._doubt = False
        self.suppressor.start()

    def play(self, samples: Samples) -> None:
        self._reference = np.concatenate([self._reference, samples.astype(np.float64)])

    def cancel(self, chunk: Samples) -> Samples:
        mic = chunk.astype(np.float64)
        begin = self._at
        self._at += len(mic)
        self._listen(mic)
        if self.delay is None:  # nothing to cancel yet; the suppressor only holds it back
            self._near = False
            self._trim()
            passed, _, _ = self.suppressor.process(mic, np.zeros(len(mic)), learn=False)
            return np.clip(np.round(passed), -32768, 32767).astype(np.int16)
        # window k (for microphone sample n) ends at reference sample n - delay + LEAD
        first = self._origin + begin - self.delay + LEAD - self.taps + 1
        need = first + len(mic) + self.taps - 1
        if need > len(self._reference):  # the microphone ran ahead of what was played: silence
            self._reference = np.concatenate([self._reference, np.zeros(need - len(self._reference))])
        reference = self._reference[first:need]
        windows = np.lib.stride_tricks.sliding_window_view(reference, self.taps)[:, ::-1]
        estimate = self._heard_as(windows @ self.weights)
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
        self._doubt = doubt = self.converged and residual_energy > FREEZE * expected
        loud = float(np.mean(reference**2)) > 1.0
        cleaned, unexplained, left_over = self.suppressor.process(residual, estimate, learn=loud and not doubt)
        # double talk: louder than the echo should leave, or, band by band, than what the echo left explains
        floor = NOISE_OVER_FLOOR * min(self._levels) + 1.0
        self.explained = (unexplained, left_over, floor)
        self._near = self.converged and (
            residual_energy > DOUBLE_TALK * expected or unexplained > DOUBLE_TALK * (left_over + floor)
        )
        if loud and not doubt:  # the speaker alone: something to learn from
            if echo_energy > 1.0 and mic_energy > 1.0:
                erle = 10 * np.log10(mic_energy / (residual_energy + 1.0))
                self.erle_db += 0.05 * (float(np.clip(erle, 0.0, 40.0)) - self.erle_db)
            self._learn(windows, mic, estimate, float(np.sum(residual**2)))
        self._trim()
        return np.clip(np.round(cleaned), -32768, 32767).astype(np.int16)

    def _heard_as(self, echo: Floats) -> Floats:
        """The echo as the microphone would give it: flattened at its full scale."""
        return np.clip(echo, -self.full_scale, self.full_scale)

    def _learn(self, windows: Floats, mic: Floats, estimate: Floats, kept: float) -> None:
        """The background filter learns from the chunk; it becomes the one in use when it cancels more
        than the one in use did (``kept``: that one's residual energy). Double talk makes the background
        worse, not better, so the shopper's voice never reaches the filter in use; a background lost
        in double talk starts again from the one in use. Samples at or near the microphone's full scale
        teach nothing (what the room did there was flattened away)."""
        left = 0.0
        high = NEAR_FULL * self.full_scale
        # far from the full scale (most chunks), nothing is clipped and nothing needs leaving out
        loud = float(np.max(np.abs(mic))) > 0.5 * high or float(np.max(np.abs(estimate))) > 0.5 * high
        for at in range(0, len(mic), BLOCK):
            x = windows[at : at + BLOCK]
            y = x @ self._background
            e = mic[at : at + BLOCK] - (self._heard_as(y) if loud else y)
            left += float(np.sum(e**2))
            if loud:
                e = np.where((np.abs(mic[at : at + BLOCK]) < high) & (np.abs(y) < high), e, 0.0)
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

    def _listen(self, mic: Floats) -> None:
        """What the microphone says about itself and the delay: its full scale, when it clips, and
        the delay, found at first and then again every ``TRACK_EVERY`` (see the module's docstring)."""
        peak = float(np.max(np.abs(mic)))
        if peak > 1000.0 and int(np.sum(np.abs(mic) >= peak * (1 - FLAT))) >= PILED:
            level, seen = self._pile
            self._pile = (level, seen + 1) if abs(level - peak) <= FLAT * peak else (peak, 1)
            if self._pile[1] >= 3:  # the same flat top in three chunks: the microphone's limit
                self.full_scale = min(32767.0, peak)
        keep = round((4.0 if self.delay is None else TRACK_WINDOW) * RATE)
        self._heard = np.concatenate([self._heard, mic])[-keep:]
        every = TRACK_EVERY if not self._doubt else DOUBT_EVERY
        if self.delay is not None and self._at - self._tracked < every * RATE:
            return
        heard = self._heard
        played = self._reference[self._origin + self._at - len(heard) - self.max_lag : self._origin + self._at]
        if len(heard) < DELAY_AFTER * RATE or float(np.sum(np.abs(played) > 300)) < DELAY_AFTER * RATE * 0.5:
            return
        self._tracked = self._at
        correlation = correlate(heard, played, self.max_lag)
        lag = int(np.argmax(correlation))
        if correlation[lag] < SHARP:
            if self.delay is None and len(heard) >= keep:  # never a clear echo: nothing to cancel
                self._heard = np.zeros(0)
            return
        if self.delay is None:
            self.delay = lag
            return
        # A move shows first as a peak beside the one at the delay in use (which fades as the window
        # slides on): the best peaks away from it, and away from the span the filter covers (the
        # room's own reflections are there), are tried too.
        candidates = [lag]
        span = self.delay - LEAD, self.delay - LEAD + self.taps
        for lo, hi in [(self.delay - MOVED, self.delay + MOVED + 1), span]:
            correlation[max(0, lo) : max(0, hi)] = 0.0
            if correlation[other := int(np.argmax(correlation))] >= SHARP:
                candidates.append(other)
        recent = round(VERIFY * RATE)
        for candidate in dict.fromkeys(candidates):
            if abs(candidate - self.delay) > MOVED and self._misfit(candidate, recent) < HALF * self._misfit(
                self.delay, recent
            ):
                # the room's response moved as a whole: the filter learnt is right at the new delay
                self.delay = candidate
                self.moves += 1
                return

    def _misfit(self, delay: int, count: int) -> float:
        """What the filter in use leaves of the last ``count`` microphone samples at ``delay``."""
        mic = self._heard[-count:]
        first = self._origin + self._at - len(mic) - delay + LEAD - self.taps + 1
        reference = self._reference[first : first + len(mic) + self.taps - 1]
        reference = np.concatenate([reference, np.zeros(len(mic) + self.taps - 1 - len(reference))])
        windows = np.lib.stride_tricks.sliding_window_view(reference, self.taps)[:, ::-1]
        return float(np.sum((mic - self._heard_as(windows @ self.weights)) ** 2))

    def _trim(self) -> None:
        """Forget reference the filter and the delay's estimate can no longer reach (a long reply must
        not grow without end)."""
        reach = max((self.delay or 0) - LEAD + self.taps, len(self._heard) + self.max_lag)
        keep_from = self._origin + self._at - reach - RATE
        if keep_from > RATE:
            self._reference = self._reference[keep_from:]
            self._origin -= keep_from
