"""Earcons: short tones that say what the device is doing without words (useful to blind shoppers).

listening        two rising notes: speak now
got_it           one soft note: heard, working on it
not_heard        two falling notes: nothing usable was heard
done_listening   the listening notes falling on to a third, softer: no longer listening, say the
                 wake word again (a window ran out with nothing said, or it gave up on talk it
                 could not understand)
starting         a soft sweep rising from a low hum to a hiss (0.35 s): on, and measuring the room
                 (played only on a start where the echo canceller has no room kept; see ``STARTING``)
"""

from __future__ import annotations

from voiceshop.audio.pcm import Samples, sweep, tone

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


STARTING = (100.0, 7500.0, 0.35, 0.8)
"""The start-up sound: from (Hz), to (Hz), seconds, loudness against ``volume`` (a reply's level).
With barge-in and no echo path kept from an earlier start, it plays before anything else: every
frequency a reply has is in it, so the echo canceller measures the room on it (``audio.echo_fit``)
and hears a "stop" from the first reply's first words."""


def starting(volume: float = 0.25) -> Samples:
    low, high, seconds, loudness = STARTING
    return sweep(low, high, seconds, volume * loudness)
