"""Barge-in: the wake word said over a reply cuts it at once; the reply's own sound never does.

A room where the speaker's sound comes back into the microphone (``EchoRoom``): the loop plays each
reply a 30 ms piece at a time, and the microphone's next chunk is the shopper's timeline with the echo
of that piece mixed in (at once and unfiltered; ``tests.room`` has a delayed, coloured one). The
detection is the real wake word model, hearing the microphone through the loop's echo canceller.

Measured with this room before the echo canceller existed (the shopper's "okay nabu" said 0.3, 1.0
or 1.7 s into four replies): with the echo 20 dB below the shopper's voice it fired 12 times of 12,
at 14 dB 10 of 12, at 10 dB 6 of 12; the echo alone, even louder than the shopper, never fired it.
"Stop" and "cancel" are tested in test_interrupt.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.broadcast import speak
from tests.room import Speaker
from tests.speech import needs_espeak, say
from voiceshop.asr.base import Recognizer, SoundEncoder
from voiceshop.asr.wakecheck import AFTER, LikelihoodWakeCheck
from voiceshop.asr.wakeverifier import VerifierWakeCheck, load_verifier, verifier_path
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.source import CHUNK, split
from voiceshop.audio.wakeword import AllChecks
from voiceshop.errors import MicrophoneLost
from voiceshop.runtime import Assistant
from voiceshop.runtime import voice as voice_module
from voiceshop.runtime.ducking import DUCK
from voiceshop.runtime.engines import open_recognizer
from voiceshop.runtime.listen import ListenSettings
from voiceshop.runtime.shops import open_shop
from voiceshop.runtime.voice import VoiceLoop
from voiceshop.storage import Database
from voiceshop.tts.voice import Pyttsx3Voice

pytestmark = needs_espeak

GREETING = "Hi, welcome to The Daily Grind. What can I get you?"
NEAR_MISS = speak("okay now, listen, our manager keeps saying they are building flats", "en-us", 128, 45)
"""Talk the wake word model fires on as surely as on the phrase (test_wakecheck.py's)."""
ADDED = "Added two large lattes with soy milk and one blueberry muffin. Anything else?"


class EchoRoom(Speaker):
    """Both the speaker and the microphone of one room: a sound played piece by piece is heard back
    (at ``echo`` gain) in the microphone's next chunk, mixed with the shopper's own timeline."""

    name = "echo room"

    def __init__(self, shopper: Samples, echo: float) -> None:
        super().__init__()
        self.shopper, self.echo = shopper, echo
        self.echo_next: Samples | None = None
        self.at = 0
        self.cuts = 0

    def speaker(self, samples: Samples) -> None:
        self.echo_next = samples

    def cut(self) -> None:
        self.cuts += 1

    def chunks(self) -> Iterator[Samples]:
        pieces = list(split(self.shopper))
        while self.at < len(pieces):  # a microphone opened again goes on where it was
            if self.live:  # a live microphone's chunks come in time (here four times as fast)
                time.sleep(CHUNK / RATE / 4)
            chunk = pieces[self.at]
            self.at += 1
            if self.echo_next is not None:
                mixed = chunk.astype(np.int32) + (self.echo_next.astype(np.float32) * self.echo).astype(np.int32)
                chunk = np.clip(mixed, -32768, 32767).astype(np.int16)
                self.echo_next = None
            yield chunk


def shopper(echo_wake: bool, over: Samples | None = None) -> Samples:
    """Wake word, then an order after the greeting; during the reply to the order, "okay nabu" again
    (when ``echo_wake``) and then "say that again", or ``over`` (other talk)."""
    voice = Pyttsx3Voice()
    greeting, added = (len(voice.synthesize(t)) / RATE for t in (GREETING, ADDED))
    order = say("two large soy lattes and a blueberry muffin")
    parts = [silence(0.8), say("okay nabu"), silence(greeting + 1.0), order]
    # the reply starts once 0.7 s of quiet ended the order; the shopper calls the device 1 s into it
    parts += [silence(1.7)]
    if echo_wake:
        parts += [say("okay nabu"), silence(0.5), say("say that again"), silence(added + 2.0)]
    elif over is not None:
        parts += [over, silence(added + 2.0)]
    else:
        parts += [silence(added + 2.0)]
    return np.concatenate(parts)


def gains(room: EchoRoom, text: str, n: int) -> Samples:
    """The gain each 30 ms of the ``n``-th reply was played at, against the reply as synthesised (1
    where the reply is quiet)."""
    played = np.concatenate([pieces for label, pieces in room.sounds if label == "reply"][n])
    made = np.concatenate(list(Pyttsx3Voice().sentences(text)))  # as the loop plays it, sentence by sentence
    out = []
    for piece, original in zip(split(played), split(made), strict=False):
        level = float(np.abs(original.astype(np.float64)).sum())
        out.append(float(np.abs(piece).sum()) / level if level > 1000 * len(original) / CHUNK else 1.0)
    return np.asarray(out)


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return open_recognizer("whisper", "en")


def run(db: Database, room: EchoRoom, recognizer: Recognizer) -> VoiceLoop:
    slug = open_shop(db, str(Path(__file__).resolve().parent.parent / "examples" / "coffee-bar"))
    settings = ListenSettings(barge_in=True, startup_sound=False)  # a device that is on already
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), recognizer, Pyttsx3Voice(), room, settings)
    loop.run(room)
    return loop


def test_the_wake_word_over_a_reply_cuts_it_at_once(db: Database, whisper: Recognizer) -> None:
    room = EchoRoom(shopper(echo_wake=True), echo=0.1)
    loop = run(db, room, whisper)
    answered = [t for t in loop.turns if t.outcome == "answered"]
    assert [t.replies[0].text for t in answered][:1] == [ADDED]
    cut = answered[0]
    full = len(Pyttsx3Voice().synthesize(ADDED)) / RATE
    assert cut.cut and 0.5 < cut.heard < full - 1.0
    assert room.cuts == 1 and room.replies()[1] == pytest.approx(cut.heard, abs=CHUNK / RATE)
    # from the fire to the cut (the sound the check waits for) the reply was turned down, not before
    turned = gains(room, ADDED, 1)
    held = round(AFTER * RATE / CHUNK)
    assert np.all(turned[-held + 1 :] == pytest.approx(DUCK, abs=0.02)) and np.all(turned[: -held - 2] > 0.98)
    # the cut opened the window: "say that again" is heard without waking the device again, and the
    # reply the shopper cut short is said again, whole this time
    assert answered[1].replies[0].text == ADDED and not answered[1].cut
    assert room.replies()[2] == pytest.approx(full, abs=CHUNK / RATE)
    assert loop.cut is None  # the latest reply was heard in full


@pytest.mark.parametrize("echo", [0.3, 1.0])
def test_the_reply_heard_back_does_not_cut_itself(db: Database, whisper: Recognizer, echo: float) -> None:
    room = EchoRoom(shopper(echo_wake=False), echo=echo)
    loop = run(db, room, whisper)
    assert room.cuts == 0 and not any(t.cut for t in loop.turns) and loop.cut is None
    assert [t.outcome for t in loop.turns] == ["woke", "answered"]
    full = [len(Pyttsx3Voice().synthesize(t)) / RATE for t in (GREETING, ADDED)]
    assert room.replies() == pytest.approx(full, abs=CHUNK / RATE)


@pytest.mark.parametrize("live", [False, True])
def test_talk_that_wakes_the_model_over_a_reply_turns_it_down_not_off(
    db: Database, whisper: Recognizer, live: bool
) -> None:
    """A fire the check rejects: the reply dips while it is checked, then plays on, whole, at full
    volume. From a live microphone the check runs on a thread while the reply plays on."""
    room = EchoRoom(shopper(echo_wake=False, over=(NEAR_MISS * 0.5).astype(np.int16)), echo=0.1)
    room.live = live
    loop = run(db, room, whisper)
    assert room.cuts == 0 and not any(t.cut for t in loop.turns)
    # (the rest of the talk, after the reply, is heard in its answer window)
    assert [t.outcome for t in loop.turns][:3] == ["woke", "answered", "rejected"]
    assert loop.turns[2].transcript.extra["wake_check"] == "rejected"
    full = [len(Pyttsx3Voice().synthesize(t)) / RATE for t in (GREETING, ADDED)]
    assert room.replies()[:2] == pytest.approx(full, abs=CHUNK / RATE)
    if live:
        return  # the room gives its sound four times as fast as it comes: the reply may end before the verdict
    turned = gains(room, ADDED, 1)
    ducked = np.nonzero(turned < 0.5)[0]
    assert len(ducked) >= round(AFTER * RATE / CHUNK) - 1 and np.all(turned[ducked] == pytest.approx(DUCK, abs=0.02))
    assert np.all(turned[ducked[-1] + 2 :] > 0.98) and ducked[-1] + 2 < len(turned)  # full volume again


def played(room: EchoRoom, n: int) -> list[Samples]:
    """The ``n``-th reply's pieces as the speaker was given them."""
    return [pieces for label, pieces in room.sounds if label == "reply"][n]


def test_a_live_wake_word_over_a_reply_holds_it_silent_once_the_fast_stage_accepts(
    db: Database, whisper: Recognizer
) -> None:
    """From a live microphone: at the fire the reply is turned down; once the verifier (the check's
    first, fast stage) accepts, it fades out and silence plays while the likelihood check runs; then
    it is cut. The reply heard is what was played of it, not the silence."""
    room = EchoRoom(shopper(echo_wake=True), echo=0.1)
    room.live = True
    loop = run(db, room, whisper)
    cut = next(t for t in loop.turns if t.outcome == "answered")
    assert cut.cut and cut.cut_by == "wake word" and room.cuts == 1
    pieces = played(room, 1)
    reply = round(cut.heard * RATE / CHUNK)  # pieces of the reply played (ducked, faded out at the end)
    assert len(pieces) - reply >= 2  # then silence, from the verifier's verdict to the cut
    assert not any(p.any() for p in pieces[reply:])


def test_a_live_fire_a_later_stage_rejects_resumes_the_reply_where_it_was_held(
    db: Database, whisper: Recognizer
) -> None:
    """The first stage accepts the near miss (here the trained verifier with its cutoff at 0, which
    passes every fire), the second rejects it: the reply, held silent meanwhile, plays on from where
    it stopped, whole and at full volume; the silence is all the false fire cost."""
    room = EchoRoom(shopper(echo_wake=False, over=(NEAR_MISS * 0.5).astype(np.int16)), echo=0.1)
    room.live = True
    assert isinstance(whisper, SoundEncoder)
    passes = VerifierWakeCheck(whisper, replace(load_verifier(verifier_path("okay nabu")), cutoff=0.0))
    check = AllChecks([passes, LikelihoodWakeCheck(whisper, "okay nabu")])
    slug = open_shop(db, str(Path(__file__).resolve().parent.parent / "examples" / "coffee-bar"))
    settings = ListenSettings(barge_in=True, startup_sound=False)
    loop = VoiceLoop(Assistant(db, slug, device="kiosk"), whisper, Pyttsx3Voice(), room, settings, wake_check=check)
    loop.run(room)
    assert room.cuts == 0 and [t.outcome for t in loop.turns][:3] == ["woke", "answered", "rejected"]
    made = list(split(np.concatenate(list(Pyttsx3Voice().sentences(ADDED)))))
    assert loop.turns[1].heard == pytest.approx(len(made) * CHUNK / RATE, abs=CHUNK / RATE)  # all of it played
    pieces = played(room, 1)
    held = len(pieces) - len(made)  # silent pieces put in while the reply was held
    assert held >= 2
    at = next(i for i, (p, m) in enumerate(zip(pieces, made, strict=False)) if m.any() and not p.any())
    assert not any(p.any() for p in pieces[at : at + held])
    # then the reply from where it was held: faded in over one piece, at full volume after it
    assert all(np.array_equal(p, m) for p, m in zip(pieces[at + held + 1 :], made[at + 1 :], strict=True))


class UnpluggedRoom(EchoRoom):
    """The microphone goes away once, while the reply to the order plays."""

    def __init__(self, shopper: Samples, echo: float, lost_at: float) -> None:
        super().__init__(shopper, echo)
        self.lost_at, self.lost = round(lost_at * RATE / CHUNK), False

    def chunks(self) -> Iterator[Samples]:
        for chunk in super().chunks():
            if self.at >= self.lost_at and not self.lost:
                self.lost = True
                raise MicrophoneLost("the microphone stopped sending sound (unplugged?)")
            yield chunk


def test_a_microphone_lost_during_a_reply_stops_the_speaker(
    db: Database, whisper: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voice_module, "RECONNECT_EVERY", 0.01)
    audio = shopper(echo_wake=False)
    room = UnpluggedRoom(audio, echo=0.1, lost_at=len(audio) / RATE - 4.5)  # while "Added..." plays
    run(db, room, whisper)
    assert room.lost and room.cuts == 1  # the reply being played was stopped, not left hanging
    assert room.replies()[1] < len(Pyttsx3Voice().synthesize(ADDED)) / RATE - 0.5
    again = len(Pyttsx3Voice().synthesize("I can hear you again.")) / RATE
    assert room.replies()[-1] == pytest.approx(again, abs=CHUNK / RATE)  # and after it, speaks in full
