"""Residual echo suppression: what the echo canceller's linear filter leaves of the echo, taken out
band by band.

The filter's own estimate of the echo says where in time and frequency the echo is; each band learns
(while nobody speaks) what share of that estimate the filter leaves behind, the part a linear filter
cannot follow (a clipped peak, a room that changed, a filter still learning). Bands that this
explains are turned down; a voice over the reply is louder than the leftover in its own bands and
comes through. The residual comes ``LATENCY`` (15 ms) late for it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

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


class ResidualSuppressor:
    """What the linear filter leaves of the echo, taken out band by band (spectral subtraction), in
    frames of ``FRAME`` samples overlapping by half: the output comes ``LATENCY`` samples late."""

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
