"""Measuring the echo path at once, from what was played and what the microphone heard.

Two measurements the echo canceller (``audio.echo``) makes in one go rather than learn over time:

- the delay, by cross-correlating the microphone with the reference (GCC-PHAT: whitened, so the
  room's colour does not smear the peak); ``correlate`` and ``estimate_delay``;
- the room's response after the delay, by least squares over the sound heard so far (``fit``): the
  filter an adaptive one would converge to on that sound (the Wiener solution), solved from the
  reference's autocorrelation and its cross-correlation with the microphone. An adaptive filter
  starting from nothing needs about a second of sound to learn a room; solved, the filter is there
  as soon as the delay is known, and so is how deep it cancels (measured on the same sound). A
  broadband sound (the start-up earcon's sweep) measures every frequency; a reply's speech measures
  the bands it has energy in, which are the bands its next words have too.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from voiceshop.audio.pcm import RATE

Floats = npt.NDArray[np.float64]

FIT_AFTER = 0.25
"""Seconds of loud sound played (at the delay found) the microphone must have heard before a filter
is solved on it."""
FIT_WINDOW = 1.0
"""Seconds of the latest sound it is solved on."""
NEAR_FULL = 0.98
"""Samples of the microphone above this share of its full scale are left out of the fit (clipped)."""
CLIPPED = 0.3
"""Share of clipped samples above which no fit is tried (an adaptive filter that models the
clipping learns the room instead)."""
RIDGE = 1e-4
"""Regularisation of the least squares, against the reference's energy: bands the sound did not
reach stay near zero instead of being fitted to the room's noise."""


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


def loud_enough(reference: Floats) -> bool:
    """Whether the reference the microphone has heard holds ``FIT_AFTER`` of loud sound."""
    return int(np.sum(np.abs(reference) > 300)) >= FIT_AFTER * RATE


def fit(reference: Floats, mic: Floats, taps: int, full_scale: float = 32767.0) -> tuple[Floats, float] | None:
    """The response ``h`` (``taps`` long) that best explains ``mic`` from ``reference`` by least
    squares, and how much quieter it leaves ``mic`` (dB); None when the microphone clipped in more
    than ``CLIPPED`` of it.

    ``reference`` is ``taps - 1 + len(mic)`` long, aligned so ``mic[i]`` is explained by
    ``reference[i : i + taps]`` reversed (``reference[taps - 1 + i]`` through the response's first
    tap). Samples at the microphone's ``full_scale`` are left out: what the room did there was
    flattened away."""
    n = len(mic)
    clipped = np.nonzero(np.abs(mic) >= NEAR_FULL * full_scale)[0]
    if len(clipped) > CLIPPED * n:
        return None
    size = 1 << int(np.ceil(np.log2(len(reference) + taps)))
    spectrum = np.fft.rfft(reference, size)
    # the normal equations' right side: sum over i of mic[i] * reference[i + m], m = taps - 1 - k for tap k
    cross = np.fft.irfft(np.conj(np.fft.rfft(mic, size)) * spectrum, size)[:taps][::-1]
    normal = _covariance(reference, n, taps)
    if len(clipped):
        rows = np.lib.stride_tricks.sliding_window_view(reference, taps)[clipped, ::-1]
        normal -= rows.T @ rows
        cross -= rows.T @ mic[clipped]
    normal[np.diag_indices(taps)] += RIDGE * normal[0, 0] + 1.0
    h: Floats = np.asarray(np.linalg.solve(normal, cross), dtype=np.float64)
    echo = np.fft.irfft(spectrum * np.fft.rfft(h, size), size)[taps - 1 : taps - 1 + n]
    kept = np.ones(n, dtype=bool)
    kept[clipped] = False
    heard, left = float(np.sum(mic[kept] ** 2)), float(np.sum((mic - echo)[kept] ** 2))
    return h, float(10 * np.log10((heard + 1.0) / (left + 1.0)))


def _covariance(u: Floats, n: int, taps: int) -> Floats:
    """The sums over the window of the reference against itself at every pair of taps, exactly: entry
    (j, k) is the sum over i < ``n`` of ``u[taps - 1 - j + i] * u[taps - 1 - k + i]``.

    The first row by one correlation; along each diagonal an entry differs from the one before by
    one product entering the window and one leaving it (O(taps^2), not O(n * taps^2))."""
    a = taps - 1
    size = 1 << int(np.ceil(np.log2(len(u) + taps)))
    segment = np.fft.rfft(u[a : a + n], size)
    # first[d] = sum over i of u[a + i] * u[a - d + i]: the circular correlation at lag d - a
    first = np.fft.irfft(segment * np.conj(np.fft.rfft(u, size)), size)[(np.arange(taps) - a) % size]
    m = np.arange(1, taps)[:, None]
    d = np.arange(taps)[None, :]
    inside = a - m - d >= 0
    low = np.where(inside, a - m - d, 0)
    steps = np.where(inside, u[a - m] * u[low] - u[a - m + n] * u[low + n], 0.0)
    # diagonal[j, d] = entry (j, j + d)
    diagonal = np.vstack([first[None, :], first[None, :] + np.cumsum(steps, axis=0)])
    j, k = np.meshgrid(np.arange(taps), np.arange(taps), indexing="ij")
    result: Floats = diagonal[np.minimum(j, k), np.abs(k - j)]
    return result
