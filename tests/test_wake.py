"""Activation by a packaged wake word model: it fires on "okay nabu", stays silent on other speech and
on room noise, and the speech recogniser never hears the room until it has fired.

The model is the real one from pymicro-wakeword; the speech is espeak-ng's. Of the packaged models,
"okay nabu", "alexa" and "hey mycroft" fire on espeak-ng's en-us voice; "hey jarvis" does not (its
score on espeak speech stays far below its cutoff), so it is not tested with synthesised speech.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.broadcast import Programme
from tests.speech import conversation, fan_noise, kitchen_noise, needs_espeak, say
from tests.test_voice import ORDER, check_order_placed
from voiceshop.asr.base import Recognizer, RecognizerStream, Transcript
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.sink import Silent, WavFolder
from voiceshop.audio.source import SamplesSource, split
from voiceshop.audio.wakeword import MicroWakeWordDetector
from voiceshop.errors import AudioError
from voiceshop.runtime import Assistant
from voiceshop.runtime.engines import open_recognizer
from voiceshop.runtime.shops import open_shop
from voiceshop.runtime.voice import VoiceLoop
from voiceshop.runtime.windows import MISSES_BEFORE_WAKE
from voiceshop.storage import Database
from voiceshop.storage.orders import OrderRepository
from voiceshop.tts.piper_voice import piper_installed
from voiceshop.tts.voice import Pyttsx3Voice

pytestmark = needs_espeak


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return open_recognizer("whisper", "en")


@pytest.fixture
def coffee_db(db: Database) -> tuple[Database, str]:
    return db, open_shop(db, str(Path(__file__).resolve().parent.parent / "examples" / "coffee-bar"))


def fires_at(phrase: str, audio: Samples) -> list[float]:
    """Seconds into ``audio`` at which a fresh detector for ``phrase`` fires."""
    detector = MicroWakeWordDetector(phrase)
    return [i * len(c) / RATE for i, c in enumerate(split(audio)) if detector.feed(c)]


@pytest.mark.parametrize(
    ("phrase", "voice"),
    [("okay nabu", "en-us"), ("okay nabu", "en-us+m3"), ("alexa", "en-us"), ("hey mycroft", "en-gb")],
)
def test_the_packaged_model_fires_once_on_its_wake_word(phrase: str, voice: str) -> None:
    spoken = say(phrase, voice)
    audio = np.concatenate([silence(1.0), spoken, silence(1.0)])
    fired = fires_at(phrase, audio)
    assert len(fired) == 1
    assert 1.0 < fired[0] < 1.0 + len(spoken) / RATE + 0.5  # as the phrase ends, not long after


def test_other_speech_and_noise_do_not_fire_it() -> None:
    lines = ["two large soy lattes and a blueberry muffin", "hey shop", "okay", "what's in my cart",
             "cancel my order", "are you open now", "no thanks", "okay that's all", "i'll pick it up"]  # fmt: skip
    assert fires_at("okay nabu", conversation(lines, gap=0.5)) == []
    assert fires_at("okay nabu", np.concatenate([fan_noise(), kitchen_noise()])) == []


def test_an_unknown_wake_word_says_what_there_is() -> None:
    with pytest.raises(AudioError, match="okay nabu"):
        MicroWakeWordDetector("hey shop")


class _Noted:
    def __init__(self, stream: RecognizerStream, heard: list[Samples]) -> None:
        self.stream, self.heard = stream, heard

    def accept(self, samples: Samples) -> str | None:
        self.heard.append(samples)
        return self.stream.accept(samples)

    def finish(self) -> Transcript:
        return self.stream.finish()


class CountingRecognizer:
    """The real engine, keeping every piece of sound handed to it."""

    def __init__(self, engine: Recognizer) -> None:
        self.engine = engine
        self.name, self.language, self.model_path = engine.name, engine.language, engine.model_path
        self.heard: list[Samples] = []

    def set_vocabulary(self, words: Sequence[str], phrases: Sequence[str]) -> None:
        self.engine.set_vocabulary(words, phrases)

    def stream(self, hints: Sequence[str] = ()) -> RecognizerStream:
        return _Noted(self.engine.stream(hints), self.heard)


def test_the_recogniser_runs_only_after_the_wake_word(
    coffee_db: tuple[Database, str], whisper: Recognizer, tmp_path: Path
) -> None:
    db, slug = coffee_db
    counting = CountingRecognizer(whisper)
    audio = conversation(["two lattes please", "a blueberry muffin", "okay nabu", "two large soy lattes"])
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), counting, Pyttsx3Voice(), WavFolder(tmp_path))
    loop.run(SamplesSource(audio))
    assert [t.outcome for t in loop.turns] == ["ignored", "ignored", "woke", "answered"]
    # the two commands before the wake word never reached the engine: all it heard was the last one
    # (once as it was said, with the quiet that ended it, and once more for the early decode)
    last = loop.turns[-1].utterance.duration
    assert 0 < sum(len(p) for p in counting.heard) / RATE <= 2 * last + loop.settings.endpoint.trailing_silence
    assert all(t.transcript.text == "" for t in loop.turns[:2])
    # what was understood, not the recognizer's spelling ("lattes", "lattices" both name the lattes)
    assert Assistant(db, slug, device="kiosk").understand(loop.turns[-1].said).items[0].sku == "DRK-LATTE"


def test_speech_from_the_very_start_of_the_stream_needs_the_wake_word(
    coffee_db: tuple[Database, str], whisper: Recognizer, tmp_path: Path
) -> None:
    db, slug = coffee_db
    counting = CountingRecognizer(whisper)
    audio = np.concatenate([say("two large lattes please", "en-us"), silence(2.0)])  # talk from sample 0
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), counting, Pyttsx3Voice(), WavFolder(tmp_path))
    loop.run(SamplesSource(audio))
    assert [t.outcome for t in loop.turns] == ["ignored"]
    assert counting.heard == []


def test_wake_word_and_command_in_one_breath(
    coffee_db: tuple[Database, str], whisper: Recognizer, tmp_path: Path
) -> None:
    db, slug = coffee_db
    audio = conversation(["okay nabu, two large soy lattes and a blueberry muffin", *ORDER[2:]])
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), whisper, Pyttsx3Voice(), WavFolder(tmp_path))
    loop.run(SamplesSource(audio))
    assert [t.outcome for t in loop.turns][:2] == ["woke", "answered"]
    assert "lattes" in loop.turns[1].said and "nabu" not in loop.turns[1].said
    check_order_placed(db, loop, tmp_path)
    assert len(OrderRepository(db).list()) == 1


def test_talk_it_cannot_understand_is_not_listened_to_for_long(
    coffee_db: tuple[Database, str], whisper: Recognizer
) -> None:
    """Woken by mistake (here: on purpose), the device hears what follows; after two turns it could
    not understand it listens for the wake word again, and a shopper who calls it is heard as ever."""
    db, slug = coffee_db
    talk = ["the bridge will be closed until the end of the month", "the train was forty minutes late again",
            "we should paint the kitchen a lighter colour"]  # fmt: skip
    audio = conversation(["okay nabu", *talk, "okay nabu", ORDER[1]], gap=0.9)
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), whisper, Pyttsx3Voice(), Silent())
    loop.run(SamplesSource(audio))
    assert MISSES_BEFORE_WAKE == 2
    assert [t.outcome for t in loop.turns] == ["woke", "answered", "answered", "ignored", "woke", "answered"]
    assert "DRK-LATTE" in {i.sku for i in Assistant(db, slug, device="kiosk").understand(loop.turns[-1].said).items}


def test_a_stream_of_other_sound_wakes_it_only_where_it_was_called(
    coffee_db: tuple[Database, str], whisper: Recognizer
) -> None:
    """A minute of the kind of stream ``benchmarks/voice.py activations`` plays for hours: a song with
    a sung line, a real "okay nabu, <order>" over the room, then people talking; through the loop."""
    db, slug = coffee_db
    programme = Programme(40, seed=22, wake_every=40.0, kinds={"talk": 1, "music": 1, "tv": 1, "noise": 1})
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), whisper, Pyttsx3Voice(), Silent())
    loop.run(programme)
    assert [p.kind for p in programme.pieces] == ["music", "wake", "talk"]
    heard = [(t.outcome, programme.piece_at(t.utterance.start).kind) for t in loop.turns if t.outcome != "ignored"]
    assert heard == [("woke", "wake"), ("answered", "wake")]
    assert any(t.outcome == "ignored" for t in loop.turns)  # the song and the talk reached the endpointer
    assert OrderRepository(db).list() == []
    # the same seed, the same sound
    first, again = (np.concatenate(list(Programme(6, seed=22).chunks())) for _ in range(2))
    assert np.array_equal(first, again) and not np.array_equal(first, np.concatenate(list(Programme(6).chunks())))


@pytest.mark.skipif(not piper_installed(), reason="the piper extra is not installed (.[dev] has it)")
def test_a_stream_can_have_the_piper_voice_call_the_device() -> None:
    """``Programme(piper=True)`` (``benchmarks/wake_fires.py --piper``): the real phrase is said by the
    packaged Piper voice, which another engine (pocketsphinx) hears better than espeak-ng's voices;
    by default an "okay nabu" stream has espeak-ng's voices say it."""
    said = {}
    for piper in (True, None):
        # the first piece (noise, 15 s or more) ends after the first call is due (at 15 s)
        programme = Programme(61, seed=3, wake_every=30.0, kinds={"noise": 1}, piper=piper)
        sound = np.concatenate(list(programme.chunks()))
        said[piper] = [p.text for p in programme.pieces if p.kind == "wake"]
        assert said[piper] and len(sound) >= 61 * RATE
    assert all("(piper, over" in text for text in said[True])
    assert not any("piper" in text for text in said[None])
