"""The second look at a wake word (``asr.wakecheck``): the real phrase passes, talk that opens like it
does not, and the voice loop records a fire it did not confirm without waking."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests.broadcast import speak
from tests.speech import around_wake_peak, needs_espeak
from voiceshop.asr.base import PhraseScorer, Recognizer
from voiceshop.asr.wakecheck import AFTER, BEFORE, LikelihoodWakeCheck, spellings
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.sink import Silent
from voiceshop.audio.source import CHUNK, SamplesSource, split
from voiceshop.audio.wakeword import MicroWakeWordDetector, phones_of, sounds_like, wake_word_names, written_as
from voiceshop.runtime import Assistant
from voiceshop.runtime.engines import open_recognizer
from voiceshop.runtime.listen import ListenSettings
from voiceshop.runtime.shops import open_shop
from voiceshop.runtime.voice import VoiceLoop
from voiceshop.storage import Database
from voiceshop.tts.voice import Pyttsx3Voice

pytestmark = needs_espeak
REAL = ("okay nabu, two lattes please", "en-us", 150, 50)
NEAR = ("okay now, listen, our manager keeps saying they are building flats", "en-us", 128, 45)
"""Talk the model fires on (0.85 and over) in ``tests/broadcast.py``'s stream, as it does on the phrase."""


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return open_recognizer("whisper", "en")


def spoken(line: tuple[str, str, int, int]) -> Samples:
    text, voice, rate, pitch = line
    audio = np.concatenate([np.zeros(RATE), speak(text, voice, rate, pitch) * 0.5, np.zeros(RATE)])
    return np.clip(audio, -32768, 32767).astype(np.int16)


def test_the_phrase_is_written_the_ways_a_recogniser_writes_it() -> None:
    assert spellings("okay nabu") == ["okay nabu", "okay naboo", "OK Nabu", "Okay nabu", "Okay Nabu", "Okay, Nabu"]
    assert spellings("Alexa") == ["alexa", "Alexa"]


def test_the_packaged_phrases_and_their_spellings_are_data_beside_the_models() -> None:
    """``audio/wake_words.toml`` names each packaged model and how a recogniser may write its phrase."""
    assert wake_word_names() == ["okay nabu", "hey jarvis", "hey mycroft", "alexa"]
    assert written_as("Okay, Nabu") == ["okay naboo", "OK Nabu"]
    assert written_as("alexa") == [] and written_as("hey shop") == []
    # the words a pronouncing dictionary or a recogniser's lexicon lacks, and what to say or write instead
    assert phones_of("okay nabu") == {"nabu": "N AA B UW"} and phones_of("hey jarvis") == {}
    assert sounds_like("hey mycroft") == {"mycroft": ["my croft", "microsoft"]} and sounds_like("hey shop") == {}
    assert all(MicroWakeWordDetector(name).name == name for name in wake_word_names())  # each model loads
    root = Path(__file__).resolve().parent.parent
    packaged = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "audio/wake_words.toml" in packaged["voiceshop"]  # installed with the package, not only in a checkout


def test_the_check_confirms_the_phrase_and_rejects_talk_that_opens_like_it(whisper: Recognizer) -> None:
    assert isinstance(whisper, PhraseScorer)
    check = LikelihoodWakeCheck(whisper, "okay nabu")
    real = check.check(around_wake_peak(spoken(REAL), BEFORE, AFTER))
    near = check.check(around_wake_peak(spoken(NEAR), BEFORE, AFTER))
    assert real.accepted, real
    assert not near.accepted and "nabu" not in near.heard.lower(), near
    assert near.score < real.score - check.margin


def test_the_loop_does_not_wake_on_a_fire_it_did_not_confirm(whisper: Recognizer, db: Database) -> None:
    slug = open_shop(db, str(Path(__file__).resolve().parent.parent / "examples" / "coffee-bar"))
    detector = MicroWakeWordDetector("okay nabu")
    assert len([c for c in split(spoken(NEAR)) if detector.feed(c)]) == 1  # the model fires on it
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), whisper, Pyttsx3Voice(), Silent())
    assert loop.wake_check is not None
    loop.run(SamplesSource(spoken(NEAR)))
    assert [t.outcome for t in loop.turns if t.outcome != "ignored"] == ["rejected"]
    assert loop.turns[0].transcript.extra["wake_check"] == "rejected"
    unchecked = ListenSettings(wake_check=False)
    off = VoiceLoop(Assistant(db, slug, device="k2"), whisper, Pyttsx3Voice(), Silent(), unchecked)
    assert off.wake_check is None


def test_the_command_said_in_the_same_breath_loses_nothing_to_the_check(whisper: Recognizer, db: Database) -> None:
    """The check takes the sound after the fire from the microphone and gives it back: the command
    that follows the phrase without a pause reaches the recogniser whole, sample for sample."""
    slug = open_shop(db, str(Path(__file__).resolve().parent.parent / "examples" / "coffee-bar"))
    audio = np.concatenate([spoken(REAL), silence(1.0)])
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), whisper, Pyttsx3Voice(), Silent())
    loop.run(SamplesSource(audio))
    assert [t.outcome for t in loop.turns] == ["woke", "answered"]
    assert loop.turns[0].transcript.extra["wake_check"] == "accepted"
    command = loop.turns[1].utterance
    at = round(command.start * RATE)
    assert at <= round(loop.turns[0].utterance.start * RATE) + CHUNK  # it starts where the fire was
    assert np.array_equal(command.samples, audio[at : at + len(command.samples)])
    assert "latte" in loop.turns[1].said
