"""espeak-ng's replies as they are made: in pieces read from its pipe, every piece whole microphone
chunks (barge-in plays a chunk and hears one), and each "louder" is louder
(its peaks rounded off rather than clipped)."""

from __future__ import annotations

import itertools

import numpy as np

from tests.speech import needs_espeak
from voiceshop.audio.pcm import level_db
from voiceshop.audio.source import CHUNK
from voiceshop.tts.voice import Pyttsx3Voice

pytestmark = needs_espeak
REPLY = "Added two large lattes with soy milk and one blueberry muffin. Anything else? " * 3


def test_a_long_reply_comes_in_whole_chunks_and_is_the_same_sound_as_at_once() -> None:
    voice = Pyttsx3Voice()
    pieces = list(voice.sentences(REPLY))
    assert len(pieces) > 1  # streamed from the pipe, not rendered whole
    assert all(len(p) % CHUNK == 0 for p in pieces[:-1]) and len(pieces[-1]) > 0
    np.testing.assert_array_equal(np.concatenate(pieces), voice.synthesize(REPLY))


def test_every_louder_step_is_louder_and_the_peaks_are_rounded_off_not_clipped() -> None:
    voice = Pyttsx3Voice()
    said = [voice.synthesize("Anything else? Your order is placed.", volume=v) for v in range(-1, 4)]
    levels = [level_db(s) for s in said]
    assert all(b > a + 2 for a, b in itertools.pairwise(levels)), levels
    assert np.mean(np.abs(said[-1].astype(np.int32)) >= 32700) < 0.01  # hardly any sample at full scale
