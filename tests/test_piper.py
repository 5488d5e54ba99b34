"""Piper, the natural voice (the optional ``piper`` extra): real synthesis with the packaged English
voice, heard back by the bundled Whisper engine; pace and volume as with espeak-ng; espeak-ng where
Piper or a voice for the language is missing."""

from __future__ import annotations

import sys
from functools import cache

import numpy as np
import pytest

from tests.conftest import bundle
from voiceshop.asr.base import transcribe
from voiceshop.audio.pcm import RATE, level_db, silence
from voiceshop.audio.source import split
from voiceshop.audio.wakeword import MicroWakeWordDetector, wake_word_names
from voiceshop.errors import SpeechOutputError
from voiceshop.runtime.engines import open_recognizer, open_voice
from voiceshop.tts.base import Synthesizer
from voiceshop.tts.piper_voice import PiperVoice, packaged_voice, piper_installed

needs_piper = pytest.mark.skipif(
    not (piper_installed() and packaged_voice("en")),
    reason="the piper extra is not installed (pip install '.[piper]'; .[dev] includes it)",
)


@cache
def piper() -> Synthesizer:
    return open_voice("piper", "en")


@needs_piper
def test_piper_speaks_what_whisper_hears() -> None:
    said = piper().synthesize("Two large soy lattes and a blueberry muffin.")
    assert 1.5 < len(said) / RATE < 6 and np.abs(said).max() > 3000
    whisper = open_recognizer("whisper", "en")
    # as voiceshop hears a shopper: with the shop's product names as Whisper's vocabulary
    names = [p.name for p in bundle("coffee-bar").catalog.products]
    whisper.set_vocabulary(sorted({w for n in names for w in n.split()}), names)
    heard = transcribe(whisper, said).text.lower()
    assert "latte" in heard and "muffin" in heard


@needs_piper
def test_piper_follows_pace_and_volume_and_speaks_sentence_by_sentence() -> None:
    voice = piper()
    slow, normal = (len(voice.synthesize("Anything else?", pace=p)) for p in (-2, 0))
    assert slow > normal * 1.2
    loud, soft = (level_db(voice.synthesize("Anything else?", volume=v)) for v in (2, 0))
    assert loud > soft + 3
    pieces = list(voice.sentences("Added one croissant. Anything else?"))
    assert len(pieces) == 2 and all(len(p) > RATE // 4 for p in pieces)


@needs_piper
def test_auto_takes_piper_for_english_and_espeak_elsewhere() -> None:
    assert open_voice("auto", "en").name == "piper"
    assert open_voice("auto", "ko").name == "espeak"  # no packaged Piper voice for Korean


def test_without_the_extra_piper_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # as if piper-tts were not installed
    with pytest.raises(SpeechOutputError, match=r"pip install 'voiceshop\[piper\]'"):
        PiperVoice()
    assert open_voice("auto", "en").name == "espeak"
    with pytest.raises(SpeechOutputError, match=r"Piper is not installed; run: pip install 'voiceshop\[piper\]'"):
        open_voice("piper", "sv")


@needs_piper
@pytest.mark.parametrize("phrase", wake_word_names())
def test_each_packaged_wake_word_fires_on_the_piper_voice(phrase: str) -> None:
    """So every ``--wake-word`` choice is known to work: the packaged model fires on the phrase said by
    the packaged Piper voice (espeak-ng's voices never reach "hey jarvis"'s cutoff). Piper says it a
    little differently each time; of three renderings (at three paces) at least two must wake it, each
    as the phrase ends, not later."""
    woke = 0
    for pace in (-1, 0, 1):
        said = piper().synthesize(phrase, pace=pace)
        detector = MicroWakeWordDetector(phrase)
        audio = np.concatenate([silence(1.0), said, silence(1.0)])
        fired = [i * len(c) / RATE for i, c in enumerate(split(audio)) if detector.feed(c)]
        if fired:
            woke += 1
            assert 1.0 < fired[0] < 1.0 + len(said) / RATE + 0.5
    assert woke >= 2
