"""A simulated room: the device's speaker heard back in its microphone, as the tests and benchmarks need.

``Room`` is both the speaker and the microphone of one room. What the voice loop plays piece by piece
reaches the microphone again ``delay`` seconds later (the sound card's buffers and the air), quieter,
duller (a low-pass) and with a short reverberant tail, mixed with the shopper's own timeline and the
room's noise. The echo's loudness is given against the shopper's speech: ``echo_db=0`` is the reply
heard as loud as the shopper, ``+6`` louder (a speaker next to the microphone).

Real devices add what a linear echo canceller finds hard: a microphone whose gain is set too high
clips (``headroom_db``: its full scale only that far above the shopper's speech), and a USB or
Bluetooth speaker's buffers make the delay long (``delay=0.4``) and change it while it plays
(``moves``: from a point on the microphone's timeline on, another delay). A room can also be paced
like a live microphone (``realtime``), for what only shows in real time: the reply pausing while
the loop is busy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.sink import Playback
from voiceshop.audio.source import CHUNK, split

Floats = np.ndarray[tuple[int], np.dtype[np.float64]]


def response(delay: float = 0.0, seed: int = 5) -> Floats:
    """A room's impulse response with unit energy: the delayed direct sound, a low-pass, two early
    reflections and an exponentially decaying tail (about 20 ms)."""
    rng = np.random.default_rng(seed)
    d = round(delay * RATE)
    h = np.zeros(d + 400)
    h[d : d + 3] = [0.6, 1.0, 0.5]  # the speaker and microphone are not flat: a gentle low-pass
    h[d + 37] += 0.35
    h[d + 83] -= 0.25
    h[d + 20 : d + 340] += rng.standard_normal(320) * np.exp(-np.arange(320) / 70) * 0.08
    result: Floats = h / np.sqrt(np.sum(h**2))
    return result


def rms(samples: Samples | Floats) -> float:
    voiced = samples[np.abs(samples) > 0.05 * np.abs(samples).max()] if len(samples) else samples
    return float(np.sqrt(np.mean(np.asarray(voiced, dtype=np.float64) ** 2))) if len(voiced) else 0.0


class _RoomPlayback:
    def __init__(self, room: Speaker, label: str) -> None:
        self.room, self.label = room, label
        self.pieces: list[Samples] = []
        room.sounds.append((label, self.pieces))

    def write(self, samples: Samples) -> None:
        self.pieces.append(samples)
        self.room.speaker(samples)

    def stop(self) -> None:
        self.room.cut()

    def close(self) -> None:
        pass


class Speaker:
    """The speaker half of a simulated room (an ``AudioSink``): what was played, piece by piece.
    A room says what a played piece does to its microphone (``speaker``) and records a cut (``cut``)."""

    live = False
    """A simulated microphone gives its sound as fast as it is asked for (unless paced)."""

    def __init__(self) -> None:
        self.sounds: list[tuple[str, list[Samples]]] = []

    def speaker(self, samples: Samples) -> None:
        raise NotImplementedError

    def cut(self) -> None:
        raise NotImplementedError

    def drain(self) -> None:
        pass

    def close(self) -> None:
        pass

    def play(self, samples: Samples, label: str = "sound") -> None:
        self.sounds.append((label, [samples]))  # earcons: short, played whole

    def open(self, label: str = "sound") -> Playback:
        return _RoomPlayback(self, label)

    def replies(self) -> list[float]:
        """Seconds played of each reply."""
        return [sum(len(p) for p in pieces) / RATE for label, pieces in self.sounds if label == "reply"]


class Room(Speaker):
    """Speaker and microphone of one room (see the module docstring). ``speech_level`` is the
    shopper's speech loudness (RMS) the echo is measured against; the noise sits ``snr_db`` below it."""

    name = "room"

    def __init__(
        self,
        shopper: Samples,
        *,
        echo_db: float = -6.0,
        speech_level: float = 3000.0,
        delay: float = 0.045,
        moves: tuple[float, float] | None = None,
        noise: Samples | None = None,
        snr_db: float = 35.0,
        reply_level: float = 3000.0,
        headroom_db: float | None = None,
        realtime: bool = False,
    ) -> None:
        super().__init__()
        self.shopper = shopper.astype(np.float64)
        # the reply played at ``reply_level`` reaches the microphone ``echo_db`` from the shopper's speech
        self.response = response() * speech_level * 10 ** (echo_db / 20) / reply_level
        """The room's response after the delay (the speaker and the air)."""
        self.delay = round(delay * RATE)
        """Samples from the speaker to the microphone (the buffers and the distance)."""
        self.moves = None if moves is None else (round(moves[0] * RATE / CHUNK), round(moves[1] * RATE))
        """(chunk, delay in samples): from that microphone chunk on, the echo arrives with that delay."""
        self.clip = 32767.0 if headroom_db is None else min(32767.0, speech_level * 10 ** (headroom_db / 20))
        """The microphone's full scale: louder sound is flattened there."""
        self.realtime = self.live = realtime
        self.played = np.zeros(len(shopper) + RATE)
        if noise is not None:
            level = speech_level * 10 ** (-snr_db / 20) / max(rms(noise), 1.0)
            self.shopper = self.shopper + np.resize(noise.astype(np.float64), len(shopper)) * level
        self.at = 0
        self.cuts: list[float] = []
        """Where (seconds on the microphone's timeline) a sound was cut."""

    @property
    def h(self) -> Floats:
        """The whole impulse response from the speaker to the microphone, delay included (as it starts)."""
        result: Floats = np.concatenate([np.zeros(self.delay), self.response])
        return result

    def cut(self) -> None:
        self.cuts.append(self.at * CHUNK / RATE)

    def speaker(self, samples: Samples) -> None:
        """``samples`` leave the speaker now: just before the microphone's next chunk."""
        start = self.at * CHUNK
        end = min(len(self.played), start + len(samples))
        self.played[start:end] += samples[: end - start]

    def echo(self, start: int, length: int) -> Floats:
        """What the microphone hears of the speaker from sample ``start`` on."""
        delay = self.delay
        if self.moves is not None and start >= self.moves[0] * CHUNK:
            delay = self.moves[1]
        taps = len(self.response)
        lo, hi = start - delay - taps + 1, start - delay + length
        source = np.zeros(hi - lo)
        a, b = max(lo, 0), min(hi, len(self.played))
        if b > a:
            source[a - lo : b - lo] = self.played[a:b]
        echo: Floats = np.convolve(source, self.response)[taps - 1 : taps - 1 + length]
        return echo

    def chunks(self) -> Iterator[Samples]:
        pieces = len(list(split(self.shopper.astype(np.int16))))
        started, first = time.monotonic(), self.at
        while self.at < pieces:  # a microphone opened again goes on where it was
            if self.realtime:  # the chunk has been captured only once its last sample was heard
                time.sleep(max(0.0, started + (self.at - first + 1) * CHUNK / RATE - time.monotonic()))
            start = self.at * CHUNK
            near = self.shopper[start : start + CHUNK]
            echo = self.echo(start, len(near))
            self.at += 1
            heard = np.clip(near + echo, -self.clip, self.clip)
            chunk = np.clip(np.round(heard), -32768, 32767).astype(np.int16)
            if len(chunk) < CHUNK:
                chunk = np.concatenate([chunk, np.zeros(CHUNK - len(chunk), dtype=np.int16)])
            yield chunk


def spoken(samples: Samples) -> tuple[float, float]:
    """Where speech starts and ends in ``samples`` (seconds): espeak pads its words with silence."""
    loud = np.nonzero(np.abs(samples.astype(np.int32)) > 0.05 * np.abs(samples.astype(np.int32)).max())[0]
    return float(loud[0] / RATE), float((loud[-1] + 1) / RATE)


def at_level(samples: Samples, level: float) -> Samples:
    """``samples`` scaled so their speech has RMS ``level``."""
    return np.clip(samples.astype(np.float64) * level / max(rms(samples), 1.0), -32768, 32767).astype(np.int16)


def through(room: Room, reply: Samples, hear: Callable[[Samples, Samples], bool]) -> float | None:
    """Play ``reply`` into ``room`` a chunk at a time as the voice loop does (the piece, then the
    microphone's next chunk, handed to ``hear`` with the piece); where (seconds into the reply) ``hear``
    said to cut it, or None."""
    mic = room.chunks()
    for n, piece in enumerate(split(reply)):
        room.speaker(piece)
        chunk = next(mic, None)
        if chunk is None:
            return None
        if hear(piece, chunk):
            return (n + 1) * CHUNK / RATE
    return None


def longest_run(flags: list[bool]) -> int:
    """The most flags in a row that are set (chunks in a row the canceller took for a voice)."""
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best
