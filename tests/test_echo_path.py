"""Barge-in on the first reply after start-up: the echo path kept from one start to the next.

A previous start of the device learnt the room (``tests.room``: 45 ms late, duller, a tail, a fan)
on one reply and kept it in a file; a new canceller starts from that file. Nothing is stubbed: the
canceller, the voice activity model and the Whisper model are the real ones.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.room import Room, at_level, longest_run, rms, spoken, through
from tests.speech import fan_noise, needs_espeak, say
from voiceshop.asr.base import Recognizer
from voiceshop.audio.echo import MAX_DELAY, MdfEchoCanceller
from voiceshop.audio.echo_path import PathFile
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.source import CHUNK, split
from voiceshop.audio.vad import SileroVad
from voiceshop.language import load
from voiceshop.runtime import Assistant
from voiceshop.runtime.engines import open_recognizer
from voiceshop.runtime.interrupt import InterruptSpotter
from voiceshop.runtime.listen import ListenSettings
from voiceshop.runtime.shops import open_shop
from voiceshop.runtime.voice import VoiceLoop
from voiceshop.storage import Database
from voiceshop.tts.earcons import starting
from voiceshop.tts.voice import Pyttsx3Voice

pytestmark = needs_espeak

GREETING = "Hi, welcome to The Daily Grind. What can I get you?"
TRAINING = "A mocha is four dollars and fifty cents. Would you like one?"
LATE = 0.045
"""Seconds from the speaker to the microphone in the room."""


@pytest.fixture(scope="module")
def greeting() -> Samples:
    return Pyttsx3Voice().synthesize(GREETING)


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return open_recognizer("whisper", "en")


def room(shopper: Samples, level: float, delay: float = LATE) -> Room:
    return Room(shopper, echo_db=0.0, noise=fan_noise(), reply_level=level, delay=delay)


def learn_room(file: Path, level: float, delay: float = LATE) -> MdfEchoCanceller:
    """A previous start: one reply played into the room, its canceller keeping what it learnt."""
    training = Pyttsx3Voice().synthesize(TRAINING)
    canceller = MdfEchoCanceller(kept=PathFile(file))
    canceller.start()
    through(room(silence(len(training) / RATE + 0.5), level, delay), training, lambda p, c: _heard(canceller, p, c))
    canceller.finish()
    return canceller


def _heard(canceller: MdfEchoCanceller, piece: Samples, chunk: Samples) -> bool:
    canceller.play(piece)
    canceller.cancel(chunk)
    return False


def with_word(reply: Samples, word: Samples, at: float) -> Samples:
    shopper = silence(len(reply) / RATE + 0.5)
    i = round(at * RATE)
    shopper[i : i + len(word)] = word
    return shopper


def double_talk(canceller: MdfEchoCanceller, place: Room, reply: Samples) -> list[bool]:
    """The reply played into ``place`` through ``canceller``: its double-talk flag per chunk."""
    canceller.start()
    flags: list[bool] = []
    through(place, reply, lambda p, c: _heard(canceller, p, c) or flags.append(canceller.near_end) or False)
    return flags


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory, greeting: Samples, whisper: Recognizer) -> Path:
    """The path a previous start kept: learnt through the voice loop's own spotter, which keeps it
    when its reply has been played out."""
    file = tmp_path_factory.mktemp("device") / "echo-path.json"
    training = Pyttsx3Voice().synthesize(TRAINING)
    spotter = InterruptSpotter(whisper, load("en"), MdfEchoCanceller(kept=PathFile(file)), SileroVad())
    spotter.start()

    def hear(piece: Samples, chunk: Samples) -> bool:
        spotter.play(piece)
        return spotter.hear(chunk)[1] is not None

    assert through(room(silence(len(training) / RATE + 0.5), rms(greeting)), training, hear) is None
    assert not file.exists()  # kept once the reply is over, not chunk by chunk
    spotter.finish()
    assert file.exists()
    return file


def test_stop_said_over_the_first_reply_after_start_up_is_heard_with_the_room_kept(
    kept: Path, greeting: Samples, whisper: Recognizer, tmp_path: Path
) -> None:
    """0.1 s into the greeting, over before a canceller that starts knowing nothing has found the
    delay (it needs half a second of sound): with the room kept from the previous start, "stop" cuts
    the greeting; without it, it is taken for echo (the gap this closes)."""
    stop = at_level(say("stop"), 3000.0)
    at = 0.1
    cuts = {}
    for start, file in (("cold", None), ("warm", kept)):
        canceller = MdfEchoCanceller(kept=PathFile(file) if file is not None else None)
        spotter = InterruptSpotter(whisper, load("en"), canceller, SileroVad())
        spotter.start()
        found = []

        def hear(piece: Samples, chunk: Samples, spotter: InterruptSpotter = spotter, found: list[str] = found) -> bool:
            spotter.play(piece)
            spotted = spotter.hear(chunk)[1]
            if spotted is not None:
                found.append(spotted.kind)
            return spotted is not None

        cuts[start] = (through(room(with_word(greeting, stop, at), rms(greeting)), greeting, hear), found)
    assert cuts["cold"] == (None, [])
    cut, found = cuts["warm"]
    assert found == ["stop"] and cut is not None and at + spoken(stop)[1] < cut < at + spoken(stop)[1] + 0.6


def test_a_path_kept_before_the_speaker_s_delay_moved_is_used_at_the_new_delay(
    greeting: Samples, tmp_path: Path
) -> None:
    """A Bluetooth speaker paired again buffers 200 ms more than when the path was kept: the kept
    filter is tried at the delay found again (half a second in) and a word 1 s in is heard."""
    file = tmp_path / "echo-path.json"
    learn_room(file, rms(greeting), delay=LATE + 0.2)
    word = at_level(say("stop"), 3000.0)
    canceller = MdfEchoCanceller(kept=PathFile(file))
    flags = double_talk(canceller, room(with_word(greeting, word, 1.0), rms(greeting)), greeting)
    assert canceller.delay is not None and abs(canceller.delay - round(LATE * RATE)) <= 2
    assert canceller.cold_because is None and not canceller.on_trial
    begin, end = spoken(word)
    # until the delay is found again, the echo that comes before the kept filter expects it may pass
    # for a voice (the spotter hears the reply's words in it, not "stop"); after it, no more
    assert longest_run(flags[round(0.6 / 0.03) : round(0.95 / 0.03)]) < 3
    assert longest_run(flags[round((1.0 + begin) / 0.03) : round((1.0 + end) / 0.03) + 1]) >= 3


def test_a_path_that_no_longer_fits_is_dropped_and_the_room_learnt_again(greeting: Samples, tmp_path: Path) -> None:
    """The kept filter is the room's response turned upside down (another speaker, wired the other
    way): it adds echo instead of taking it out, is dropped within its trial, the echo is not taken
    for a voice meanwhile, and the room is learnt and kept again."""
    file = tmp_path / "echo-path.json"
    learn_room(file, rms(greeting))
    data = json.loads(file.read_text())
    data["weights"] = [[[-re, -im] for re, im in part] for part in data["weights"]]
    file.write_text(json.dumps(data))
    canceller = MdfEchoCanceller(kept=PathFile(file))
    assert canceller.on_trial
    flags = double_talk(canceller, room(silence(len(greeting) / RATE + 0.5), rms(greeting)), greeting)
    assert canceller.cold_because is not None and "no longer fits" in canceller.cold_because
    assert longest_run(flags) < 3
    assert canceller.converged
    canceller.finish()
    kept = PathFile(file).load()
    assert kept is not None and kept.weights[0][1][0] * data["weights"][0][1][0] < 0  # kept right way up


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda text: b"\x00\xffnot json at all", "damaged"),
        (lambda text: text[: len(text) // 2], "damaged"),
        (lambda text: text.replace(b'"block":160', b'"block":256'), "not 16000 Hz in 160"),
        (lambda text: text.replace(b'"erle_db":', b'"erle_db":NaN,"x":'), "damaged"),
        (lambda text: text.replace(b'"version":1', b'"version":7'), "another voiceshop"),
        (lambda text: text.replace(b'"delay":', b'"delay":-'), "damaged"),
        (None, "cannot read"),  # a folder where the file should be
    ],
)
def test_a_damaged_or_mismatched_file_means_a_cold_start(damage: object, why: str, kept: Path, tmp_path: Path) -> None:
    file = tmp_path / "echo-path.json"
    if callable(damage):
        file.write_bytes(damage(kept.read_bytes()))
    else:
        file.mkdir()
    canceller = MdfEchoCanceller(kept=PathFile(file))
    assert canceller.delay is None and not canceller.on_trial and canceller.erle_db == 0.0
    assert canceller.cold_because is not None and why in canceller.cold_because
    canceller.start()
    assert canceller.cancel(np.full(480, 100, np.int16)).dtype == np.int16  # and it works, cold
    canceller.finish()  # nothing learnt: the damaged file is left for the next good path to replace


def test_a_path_that_cancels_less_deeply_than_it_was_kept_with_is_learnt_again(
    greeting: Samples, tmp_path: Path
) -> None:
    """The kept filter is right but too weak (the speaker was turned up since): it still takes echo
    out, so it passes its trial, but leaves far more than the depth it was kept with, and every chunk
    looks like a voice. Doubt in most of 4 s of sound, far longer than any interruption, is the room:
    the depth expected comes down, the filter learns again, and the reply is no longer taken for a
    voice."""
    file = tmp_path / "echo-path.json"
    learn_room(file, rms(greeting))
    data = json.loads(file.read_text())
    data["weights"] = [[[0.6 * re, 0.6 * im] for re, im in part] for part in data["weights"]]
    file.write_text(json.dumps(data))
    canceller = MdfEchoCanceller(kept=PathFile(file))
    place = room(silence(3 * len(greeting) / RATE + 0.5), rms(greeting))
    first, _, third = (double_talk(canceller, place, greeting) for _ in range(3))
    assert canceller.cold_because is None and longest_run(first) > 20  # passed its trial, then doubted
    assert longest_run(third) < 3


START_STOP = 0.3
"""Seconds into the greeting "stop" is said: a canceller that knows nothing has not found the delay yet."""


@pytest.mark.parametrize("start", ["cold", "cold, no start-up sound", "warm"])
def test_a_start_with_no_room_kept_measures_it_on_the_start_up_sound(
    start: str, kept: Path, greeting: Samples, whisper: Recognizer, db: Database, tmp_path: Path
) -> None:
    """Always-on, "stop" said 0.3 s into the greeting. With no room kept, the loop plays the start-up
    sound first and the canceller measures the room on it: the greeting is cut. Without the sound
    (``startup_sound=False``) it has not even found the delay by then; a room kept needs no sound."""
    file = tmp_path / "echo-path.json"
    if start == "warm":
        shutil.copyfile(kept, file)
    sound = start == "cold"
    lead = len(list(split(np.concatenate([starting(), silence(MAX_DELAY)])))) * CHUNK / RATE if sound else 0.0
    stop = at_level(say("stop"), 3000.0)
    shopper = with_word(np.concatenate([silence(lead), greeting]), stop, lead + START_STOP)
    place = room(np.concatenate([shopper, silence(1.0)]), rms(greeting))
    slug = open_shop(db, str(Path(__file__).resolve().parent.parent / "examples" / "coffee-bar"))
    settings = ListenSettings(activation="always", barge_in=True, startup_sound=start != "cold, no start-up sound")
    canceller = MdfEchoCanceller(kept=PathFile(file))
    VoiceLoop(Assistant(db, slug, device="kiosk"), whisper, Pyttsx3Voice(), place, settings, echo=canceller).run(place)
    assert place.sounds[0][0] == ("starting" if sound else "reply")
    if start == "cold, no start-up sound":
        assert place.cuts == []  # taken for echo
        return
    word_end = lead + START_STOP + spoken(stop)[1]
    assert len(place.cuts) == 1 and 0.0 <= place.cuts[0] - word_end <= 0.6
