"""Echo suppression: the played reply taken back out of the microphone, and double talk told from echo.

A synthesised reply goes through a simulated room (``tests.room``: 45 ms late, duller, with a short
tail, and the room's noise); the canceller sees only what was played and what the microphone heard.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.room import Room, at_level, rms, spoken
from tests.speech import fan_noise, needs_espeak, say
from voiceshop.audio.echo import NlmsEchoCanceller, estimate_delay
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.source import split
from voiceshop.tts.voice import Pyttsx3Voice

pytestmark = needs_espeak

REPLY = "Added two large lattes with soy milk and one blueberry muffin. Anything else?"


def run(shopper: Samples, reply: Samples, echo_db: float) -> tuple[NlmsEchoCanceller, Samples, list[bool], Room]:
    """The reply played into a room where ``shopper`` is heard too; the canceller's residual and its
    double-talk flag per chunk."""
    room = Room(shopper, echo_db=echo_db, noise=fan_noise(), reply_level=rms(reply))
    canceller = NlmsEchoCanceller()
    canceller.start()
    mic = room.chunks()
    out, near = [], []
    for piece in split(reply):
        room.speaker(piece)
        canceller.play(piece)
        out.append(canceller.cancel(next(mic)))
        near.append(canceller.near_end)
    return canceller, np.concatenate(out), near, room


@pytest.fixture(scope="module")
def reply() -> Samples:
    return at_level(Pyttsx3Voice().synthesize(REPLY), 3000.0)


def longest_run(flags: list[bool]) -> int:
    best = run_ = 0
    for f in flags:
        run_ = run_ + 1 if f else 0
        best = max(best, run_)
    return best


def test_the_delay_is_found_by_cross_correlation(reply: Samples) -> None:
    played = reply.astype(np.float64)
    noise = np.random.default_rng(1).standard_normal(len(played)) * 50
    heard = np.concatenate([np.zeros(720), played[:-720] * 0.3]) + noise
    assert estimate_delay(heard[: 2 * RATE], played[: 2 * RATE], 4000)[0] == 720


@pytest.mark.parametrize("echo_db", [-6.0, 6.0])
def test_the_reply_heard_back_is_cancelled_and_is_no_double_talk(reply: Samples, echo_db: float) -> None:
    shopper = silence(len(reply) / RATE + 0.1)
    canceller, residual, near, room = run(shopper, reply, echo_db)
    assert canceller.delay is not None and abs(canceller.delay - round(0.045 * RATE)) <= 2
    echo = np.convolve(reply.astype(np.float64), room.h)[: len(residual)]
    settled = slice(2 * RATE, len(reply))
    erle = 10 * np.log10(np.mean(echo[settled] ** 2) / np.mean(residual[settled].astype(np.float64) ** 2))
    assert erle > 15.0
    assert longest_run(near) < 3  # a stray chunk at most: the spotter needs three in a row


def test_a_voice_over_the_reply_is_double_talk_and_comes_through(reply: Samples) -> None:
    word = at_level(say("stop"), 3000.0)
    begin, end = spoken(word)
    at = 2.5
    shopper = np.concatenate([silence(at), word, silence(len(reply) / RATE - at - len(word) / RATE + 0.1)])
    _, residual, near, _ = run(shopper, reply, echo_db=0.0)
    during = near[round((at + begin) / 0.03) : round((at + end) / 0.03) + 1]
    assert longest_run(during) >= 3
    lo, hi = round((at + begin) * RATE), round((at + end) * RATE)
    kept = np.corrcoef(residual[lo:hi].astype(float), shopper[lo:hi].astype(float))[0, 1]
    assert kept > 0.9  # the shopper's word is what is left, the reply is not
