"""Earcons: short tones that say what the device is doing without words (useful to blind shoppers).

listening      two rising notes: speak now
got_it         one soft note: heard, working on it
not_heard      two falling notes: nothing usable was heard
"""

from __future__ import annotations

from voiceshop.audio.pcm import Samples, tone

EARCONS = {
    "listening": ([660.0, 880.0], 0.08),
    "got_it": ([880.0], 0.07),
    "not_heard": ([523.0, 392.0], 0.1),
}


def earcon(name: str, volume: float = 0.25) -> Samples:
    freqs, each = EARCONS[name]
    return tone(freqs, each, volume)
