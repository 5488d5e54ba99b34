"""Echo suppression: the played reply taken back out of the microphone, and double talk told from echo.

A synthesised reply goes through a simulated room (``tests.room``: 45 ms late, duller, with a short
tail, and the room's noise); the canceller sees only what was played and what the microphone heard.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.room import Room, at_level, longest_run, response, rms, spoken
from tests.speech import fan_noise, needs_espeak, say
from voiceshop.audio.echo import MdfEchoCanceller
from voiceshop.audio.echo_fit import estimate_delay, fit
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.residual import LATENCY
from voiceshop.audio.source import CHUNK, split
from voiceshop.tts.voice import Pyttsx3Voice

pytestmark = needs_espeak

REPLY = "Added two large lattes with soy milk and one blueberry muffin. Anything else?"


def run(
    shopper: Samples, reply: Samples, echo_db: float, **room: float | tuple[float, float]
) -> tuple[MdfEchoCanceller, Samples, list[bool], Room, Samples]:
    """The reply played into a room where ``shopper`` is heard too; the canceller's residual and its
    double-talk flag per chunk, and what the microphone heard."""
    place = Room(shopper, echo_db=echo_db, noise=fan_noise(), reply_level=rms(reply), **room)  # type: ignore[arg-type]
    canceller = MdfEchoCanceller()
    canceller.start()
    mic = place.chunks()
    out, near, heard = [], [], []
    for piece in split(reply):
        place.speaker(piece)
        canceller.play(piece)
        heard.append(next(mic))
        out.append(canceller.cancel(heard[-1]))
        near.append(canceller.near_end)
    return canceller, np.concatenate(out), near, place, np.concatenate(heard)


def erle_db(heard: Samples, residual: Samples, since: float) -> float:
    """How much quieter the residual is than what the microphone heard (the echo: nobody spoke)."""
    settled = slice(round(since * RATE), len(residual))
    echo, left = (np.mean(x[settled].astype(float) ** 2) for x in (heard, residual))
    return float(10 * np.log10(echo / left))


@pytest.fixture(scope="module")
def reply() -> Samples:
    return at_level(Pyttsx3Voice().synthesize(REPLY), 3000.0)


def test_the_delay_is_found_by_cross_correlation(reply: Samples) -> None:
    played = reply.astype(np.float64)
    noise = np.random.default_rng(1).standard_normal(len(played)) * 50
    heard = np.concatenate([np.zeros(720), played[:-720] * 0.3]) + noise
    assert estimate_delay(heard[: 2 * RATE], played[: 2 * RATE], 4000)[0] == 720


@pytest.mark.parametrize(
    ("echo_db", "room"),
    [
        (-6.0, {}),
        (6.0, {}),
        (12.0, {}),  # the echo's peaks reach the microphone's full scale: clipped
        (6.0, {"headroom_db": 10.0}),  # a microphone set too loud clips the echo often
        (0.0, {"delay": 0.4}),  # a Bluetooth speaker's buffers
    ],
)
def test_the_reply_heard_back_is_cancelled_and_is_no_double_talk(
    reply: Samples, echo_db: float, room: dict[str, float]
) -> None:
    shopper = silence(len(reply) / RATE + 0.1)
    canceller, residual, near, place, heard = run(shopper, reply, echo_db, **room)
    assert canceller.delay is not None and abs(canceller.delay - place.delay) <= 2
    assert erle_db(heard, residual, since=2.0) > 15.0
    assert longest_run(near) < 3  # a stray chunk at most: the spotter needs three in a row


def test_a_speaker_right_by_the_microphone_is_cancelled_deep_within_two_seconds(reply: Samples) -> None:
    """+12 dB: the reply's echo is four times as loud as the shopper's voice and its peaks clip the
    microphone. The frequency-domain filter learns fast enough that in the reply's second second
    (the delay is found after its first half second) what is left is more than 28 dB below what the
    microphone heard, and in its third more than 44 dB (the time-domain NLMS filter before it: 22 and
    36 dB)."""
    shopper = silence(len(reply) / RATE + 0.1)
    _, residual, _, _, heard = run(shopper, reply, 12.0)
    late = np.concatenate([residual[LATENCY:], np.zeros(LATENCY, np.int16)])  # the suppressor's delay
    depth = [erle_db(heard[: round(end * RATE)], late[: round(end * RATE)], since=end - 1.0) for end in (2.0, 3.0)]
    assert depth[0] > 28.0 and depth[1] > 44.0, depth


def test_cold_the_room_is_solved_as_soon_as_the_delay_is_found(reply: Samples) -> None:
    """With nothing kept, the filter is solved on the sound heard once the delay is found (half a
    second in): it has converged then, and cancels 40 dB over the next 0.4 s (learnt from nothing,
    it converged only at 1.2 s and left the echo 12 dB down there)."""
    shopper = silence(len(reply) / RATE + 0.1)
    place = Room(shopper, echo_db=0.0, noise=fan_noise(), reply_level=rms(reply))
    canceller, mic, out, converged = MdfEchoCanceller(), place.chunks(), [], []
    canceller.start()
    for piece in split(reply):
        place.speaker(piece)
        canceller.play(piece)
        out.append((heard := next(mic), canceller.cancel(heard)))
        converged.append(canceller.converged)
    assert converged.index(True) * CHUNK / RATE <= 0.6
    heard, residual = (np.concatenate(x) for x in zip(*out, strict=True))
    late = np.concatenate([residual[LATENCY:], np.zeros(LATENCY, np.int16)])
    assert erle_db(heard[: round(1.0 * RATE)], late[: round(1.0 * RATE)], since=0.6) > 40.0


def test_a_fit_leaves_the_clipped_samples_out() -> None:
    """The room's response is found by least squares from a broadband sound, where the microphone
    flattened a fifth of it (those samples are left out, not fitted)."""
    played = np.random.default_rng(3).standard_normal(RATE) * 3000
    h = np.zeros(480)
    h[:432] = response(0.002)  # 2 ms late, a 400-sample tail
    echo = np.convolve(played, h)[479:RATE]
    limit = float(np.quantile(np.abs(echo), 0.8))
    solved = fit(played, np.clip(echo, -limit, limit), 480, full_scale=limit)
    assert solved is not None and np.sum((solved[0] - h) ** 2) < 1e-4 * np.sum(h**2) and solved[1] > 30.0
    assert fit(played, np.clip(echo, -limit / 3, limit / 3), 480, full_scale=limit / 3) is None  # mostly flat


def test_a_delay_that_moves_while_the_reply_plays_is_followed(reply: Samples) -> None:
    """The speaker's buffering doubles 2 s into the reply (150 ms -> 300 ms): the canceller finds the
    new delay within a few tenths of a second, and the echo is no double talk meanwhile."""
    shopper = silence(len(reply) / RATE + 0.1)
    canceller, residual, near, _, heard = run(shopper, reply, 0.0, delay=0.15, moves=(2.0, 0.3))
    assert canceller.moves == 1 and canceller.delay is not None and abs(canceller.delay - round(0.3 * RATE)) <= 2
    # while the old delay is still in use the filter adds to what was heard: no voice (7 chunks taken
    # for one, 0.2 s, when only a kept path on trial was held to that)
    assert sum(near) <= 3
    assert erle_db(heard, residual, since=2.6) > 15.0


def test_a_voice_over_the_reply_is_double_talk_and_comes_through(reply: Samples) -> None:
    word = at_level(say("stop"), 3000.0)
    begin, end = spoken(word)
    at = 2.5
    shopper = np.concatenate([silence(at), word, silence(len(reply) / RATE - at - len(word) / RATE + 0.1)])
    _, residual, near, _, _ = run(shopper, reply, echo_db=0.0)
    during = near[round((at + begin) / 0.03) : round((at + end) / 0.03) + 1]
    assert longest_run(during) >= 3
    lo, hi = round((at + begin) * RATE), round((at + end) * RATE)
    late = residual[lo + LATENCY : hi + LATENCY]  # the suppressor holds the residual back a little
    kept = np.corrcoef(late.astype(float), shopper[lo:hi].astype(float))[0, 1]
    assert kept > 0.9  # the shopper's word is what is left, the reply is not


def test_a_word_over_the_reply_does_not_lead_the_filter_astray(reply: Samples) -> None:
    """A "stop" said 2.6 s into the reply, the echo 6 dB louder: in the half second after the word the
    canceller leaves as little of the reply as when nobody spoke (the filter's step shrinks where the
    error is not echo; with one step everywhere it leaves 17 dB more there)."""
    word = at_level(say("stop"), 3000.0)
    at, (_, end) = 2.6, spoken(word)
    shopper = np.concatenate([silence(at), word, silence(len(reply) / RATE - at - len(word) / RATE + 0.1)])
    after = slice(round((at + end + 0.1) * RATE) + LATENCY, round((at + end + 0.6) * RATE) + LATENCY)
    left = [
        float(np.mean(run(heard, reply, echo_db=6.0)[1][after].astype(float) ** 2))
        for heard in (shopper, silence(len(shopper) / RATE))
    ]
    assert 10 * np.log10(left[0] / left[1]) < 3.0, left
