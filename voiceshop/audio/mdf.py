"""The echo canceller's adaptive filter: a partitioned-block frequency-domain filter (MDF).

The room's response (``PARTITIONS`` x ``BLOCK`` taps after the delay) is kept as the spectra of its
partitions; the echo of a block of ``BLOCK`` microphone samples is the sum of each partition's
spectrum times the spectrum of the reference that partition sees (overlap-save: FFTs of
``2 * BLOCK``), the "multidelay block frequency-domain adaptive filter" of Soo and Pang (1990), as
Speex's echo canceller and WebRTC's AEC use it.

It learns faster than a time-domain NLMS filter because each frequency bin gets its own normalised
step: speech puts most of its energy in a few low bands, and a single step normalised by the whole
signal's power crawls in all the others (the reference's spectrum is far from flat). Here every bin
moves at the pace its own power allows. The step is also scaled per bin by how much of the error
is echo the filter should still remove (Valin, "On adjusting the learning rate in frequency domain
echo cancellation with double-talk", 2007): the echo expected to remain over the error heard. When
someone speaks over the reply, the error grows in their bands and the step there shrinks, so their
voice does not teach the filter (a divergence the canceller's double-talk check would only catch a
chunk later). Once the filter has learnt, the same ratio makes the step small, and the filter
settles deeper.

Two filters run side by side (Speex's "two-path"): the background one learns; the foreground one,
whose estimate is subtracted, is replaced by the background when that one has left clearly less
over the last chunks. A background that double talk led astray starts again from the foreground.

A microphone that clips is modelled: the estimate is flattened at the microphone's full scale, and
samples near it teach nothing (what the room did there was flattened away).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Spectra = npt.NDArray[np.complex128]

BLOCK = 160
"""Samples per block (10 ms): the filter is updated a hundred times a second."""
PARTITIONS = 3
"""Blocks of the room's response the filter covers (``PARTITIONS * BLOCK`` taps: 30 ms)."""
STEP = 0.5
"""The step of a bin whose error is all echo still to remove (1 would jump straight to it)."""
SLOWEST = 0.05
"""Share of ``STEP`` a bin keeps however much of its error is not echo (it still follows a room
that changes under double talk)."""
SMOOTH = 0.3
"""How fast each bin's reference power (the step's normaliser) follows the latest block."""
NEAR_FULL = 0.98
"""Samples heard or expected above this share of the full scale are not learnt from (clipping)."""
BETTER = 0.7
"""The background filter replaces the foreground when its residual is this share of the other's
(summed over the last ``HOLD`` chunks learnt from)."""
LOST = 4.0
"""... and starts again from the foreground when its residual is this many times the other's."""
HOLD = 4
"""Chunks the two filters are compared over."""


class BlockFilter:
    """The room's response as partitioned spectra: a foreground that cancels, a background that learns.

    ``reference`` handed to it is the far end aligned with the microphone: ``len(mic) + taps``
    samples, the last ``len(mic)`` of them played at the same instant the microphone heard the
    chunk's samples (the filter's first tap), the ``taps`` before them the history the room's
    response still reaches."""

    def __init__(self, *, block: int = BLOCK, partitions: int = PARTITIONS) -> None:
        self.block, self.partitions = block, partitions
        self.taps = block * partitions
        bins = block + 1
        self.weights: Spectra = np.zeros((partitions, bins), np.complex128)
        """The foreground filter's partitions (spectra of ``2 * block`` with the second half of each
        partition's response zero)."""
        self._background: Spectra = np.zeros_like(self.weights)
        self._power: Floats = np.zeros(bins)
        self._scores: deque[tuple[float, float]] = deque(maxlen=HOLD)
        # early partitions hold the direct sound and the strongest reflections: they learn faster
        share = np.exp(-1.2 * np.arange(partitions) / partitions)
        self._share: Floats = share / share.sum()

    def reset_background(self) -> None:
        """The learning filter starts again from the one that cancels (a filter set from outside)."""
        self._background = self.weights.copy()
        self._scores.clear()

    def set_response(self, response: Floats) -> None:
        """Both filters set to an impulse response of ``taps`` samples (one solved outside)."""
        parts = np.zeros((self.partitions, 2 * self.block))
        parts[:, : self.block] = response.reshape(self.partitions, self.block)
        self.weights = np.fft.rfft(parts, axis=1)
        self.reset_background()

    def response(self) -> Floats:
        """The foreground filter as an impulse response (``taps`` samples)."""
        parts = np.fft.irfft(self.weights, 2 * self.block, axis=1)[:, : self.block]
        result: Floats = parts.reshape(-1)
        return result

    def _spectra(self, reference: Floats, blocks: int) -> Spectra:
        """The reference windows every block of a chunk and every partition needs: window ``k`` is
        reference[k * block : (k + 2) * block], and block ``b`` sees window ``b + partitions - 1 - m``
        through partition ``m``."""
        n = self.block
        count = blocks + self.partitions - 1
        windows = np.lib.stride_tricks.sliding_window_view(reference[: (count + 1) * n], 2 * n)[::n]
        spectra: Spectra = np.fft.rfft(windows[:count], axis=1)
        return spectra

    def estimate(self, reference: Floats, length: int) -> tuple[Floats, Spectra]:
        """The foreground filter's echo estimate of the next ``length`` microphone samples, and the
        reference's spectra (for ``learn``). A last block that is not whole is estimated whole (the
        reference covers it), and cut."""
        n, m = self.block, self.partitions
        blocks = -(-length // n)
        spectra = self._spectra(reference, blocks)
        # block b, partition j sees window b + m - 1 - j
        index = np.arange(blocks)[:, None] + (m - 1 - np.arange(m))[None, :]
        echo = np.einsum("bjk,jk->bk", spectra[index], self.weights)
        estimate: Floats = np.fft.irfft(echo, 2 * n, axis=1)[:, n:].reshape(-1)[:length]
        return estimate, spectra

    def learn(
        self,
        spectra: Spectra,
        mic: Floats,
        kept: float,
        *,
        full_scale: float,
        residual_echo: float,
    ) -> None:
        """The background filter learns from the chunk, block by block (whole blocks); it becomes the foreground when
        it cancels more than the foreground did (``kept``: that one's residual energy).
        ``residual_echo`` is the share of its echo estimate the filter is expected to leave (the
        inverse of the echo return loss enhancement it has been reaching; infinite until it has
        learnt): with the estimate, it says how much of each bin's error is echo still to remove."""
        n, m = self.block, self.partitions
        high = NEAR_FULL * full_scale
        left = 0.0
        zeros = np.zeros(n)
        for b in range(len(mic) // n):
            x = spectra[b : b + m][::-1]  # partition j sees window b + m - 1 - j
            echo = np.sum(x * self._background, axis=0)
            y = np.fft.irfft(echo, 2 * n)[n:]
            d = mic[b * n : (b + 1) * n]
            e = d - np.clip(y, -full_scale, full_scale)
            left += float(np.sum(e**2))
            e = np.where((np.abs(d) < high) & (np.abs(y) < high), e, 0.0)
            error = np.fft.rfft(np.concatenate([zeros, e]))
            self._power += SMOOTH * (np.abs(x[0]) ** 2 - self._power)
            # of each bin's error, the share that is echo still to remove (all of it until it has learnt)
            rate = (
                np.clip(residual_echo * np.abs(echo) ** 2 / (np.abs(error) ** 2 + 1e-9), SLOWEST, 1.0)
                if np.isfinite(residual_echo)
                else 1.0
            )
            step = STEP * rate / (self._power + 1e-2 * float(np.mean(self._power)) + 2 * n * 100.0)
            gradient = np.fft.irfft(np.conj(x) * (step * error)[None, :], 2 * n, axis=1)
            gradient[:, n:] = 0.0  # a partition's response is ``block`` taps: no circular wrap
            self._background += self._share[:, None] * np.fft.rfft(gradient, axis=1)
        self._scores.append((left, kept))
        background, foreground = (sum(x) for x in zip(*self._scores, strict=True))
        if background < BETTER * foreground:
            self.weights = self._background.copy()
            self._scores.clear()
        elif background > LOST * foreground and len(self._scores) == self._scores.maxlen:
            self._background = self.weights.copy()
            self._scores.clear()
