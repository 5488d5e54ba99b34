"""Speech made by the tests themselves: espeak-ng renders sentences, numpy mixes noise and silences.

Nothing recorded is committed; every WAV a test uses is synthesised here, at run time, offline.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from functools import cache

import numpy as np
import pytest

from voiceshop.audio.pcm import RATE, Samples, mix_at_snr, read_wav_bytes, silence
from voiceshop.audio.source import CHUNK, split
from voiceshop.audio.wakeword import MicroWakeWordDetector

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (scripts/setup.sh installs it)")


@cache
def say(text: str, voice: str = "en-us", rate: int = 150) -> Samples:
    """``text`` spoken by espeak-ng, as voiceshop PCM."""
    assert ESPEAK is not None
    out = subprocess.run([ESPEAK, "-v", voice, "-s", str(rate), "--stdout", text], capture_output=True, check=True)
    return read_wav_bytes(out.stdout, f"espeak: {text}")


def conversation(lines: Sequence[str], gap: float = 1.2, lead: float = 0.8, voice: str = "en-us") -> Samples:
    """The shopper's side of a conversation: each line spoken, with quiet between (as a room has)."""
    parts = [silence(lead)]
    for line in lines:
        parts += [say(line, voice), silence(gap)]
    return np.concatenate(parts)


@cache
def kitchen_noise(seconds: float = 4.0, seed: int = 7) -> Samples:
    """Broadband noise with a low hum and clatter-like bursts: harder than white noise for a VAD."""
    rng = np.random.default_rng(seed)
    n = round(seconds * 16000)
    t = np.arange(n) / 16000
    pink = np.cumsum(rng.standard_normal(n)) * 0.02
    pink -= np.convolve(pink, np.ones(400) / 400, mode="same")  # remove the drift, keep the colour
    white = rng.standard_normal(n) * 0.5
    hum = 0.4 * np.sin(2 * np.pi * 120 * t)
    noise = pink + white + hum
    return (noise / np.abs(noise).max() * 8000).astype(np.int16)


@cache
def fan_noise(seconds: float = 4.0, seed: int = 11) -> Samples:
    """Pink-ish noise, like a ventilation fan or a fridge: steady, strongest in the low frequencies."""
    rng = np.random.default_rng(seed)
    n = round(seconds * 16000)
    brown = np.cumsum(rng.standard_normal(n))
    pink = brown - np.convolve(brown, np.ones(200) / 200, mode="same")
    return (pink / np.abs(pink).max() * 8000).astype(np.int16)


def noisy(samples: Samples, snr_db: float, noise: Samples | None = None) -> Samples:
    """``samples`` with room noise (a fan, unless given) ``snr_db`` below the speech."""
    return mix_at_snr(samples, fan_noise() if noise is None else noise, snr_db)


@cache
def music(seconds: float = 6.0, seed: int = 3) -> Samples:
    """A tune: plucked notes with harmonics and a chord, a beat of noise bursts (a radio in the shop)."""
    rng = np.random.default_rng(seed)
    notes = [220, 247, 262, 294, 330, 349, 392, 440, 494, 523]
    t = np.arange(4000) / 16000  # quarter-second notes
    decay = np.exp(-t * 6)
    bars = []
    for i in range(round(seconds / 0.25)):
        f = notes[rng.integers(len(notes))]
        note = sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 8)) * decay
        note = note + sum(np.sin(2 * np.pi * f * r * t) for r in (1.25, 1.5)) * 0.5 * decay
        if i % 2 == 0:
            note[:800] += rng.standard_normal(800) * np.exp(-np.arange(800) / 150) * 2
        bars.append(note)
    tune = np.concatenate(bars)
    return (tune / np.abs(tune).max() * 12000).astype(np.int16)


def around_wake_peak(audio: Samples, before: float, after: float, phrase: str = "okay nabu") -> Samples:
    """The sound a wake check hears if ``phrase``'s model fired where its probability is highest:
    ``before`` seconds up to that chunk's end and ``after`` seconds past it."""
    detector = MicroWakeWordDetector(phrase)
    probabilities = []
    for chunk in split(audio):
        detector.feed(chunk)
        probabilities.append(detector.probability)
    end = (int(np.argmax(probabilities)) + 1) * CHUNK
    return audio[max(0, end - round(before * RATE)) : end + round(after * RATE)]
