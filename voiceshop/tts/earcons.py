"""Earcons: short tones that say what the device is doing without words (useful to blind shoppers).

listening        two rising notes: speak now
got_it           one soft note: heard, working on it
not_heard        two falling notes: nothing usable was heard
done_listening   the listening notes falling on to a third, softer: no longer listening, say the
                 wake word again (a window ran out with nothing said, or it gave up on talk it
                 could not understand)
"""

from __future__ import annotations

from voiceshop.audio.pcm import Samples, tone

EARCONS = {
    "listening": ([660.0, 880.0], 0.08, 1.0),
    "got_it": ([880.0], 0.07, 1.0),
    "not_heard": ([523.0, 392.0], 0.1, 1.0),
    "done_listening": ([880.0, 660.0, 440.0], 0.07, 0.6),
}
"""Each earcon's notes (Hz), the length of each (seconds) and its loudness against ``volume``."""


def earcon(name: str, volume: float = 0.25) -> Samples:
    freqs, each, loudness = EARCONS[name]
    return tone(freqs, each, volume * loudness)
