"""A long stream of what a shop's microphone hears when nobody talks to the device, made here, seeded.

``Programme`` is an ``AudioSource``: talk (espeak-ng in several voices, speeds and pitches, ordinary
sentences and ones that start like the wake phrase: "okay now who", "okay, a new one", "oh can you",
names), music (chords, a bass line, drums, sometimes a sung line over it), room noise (a fan, a
kitchen: clatter, water, a grinder) and TV-style mixtures (a presenter through a small speaker over a
music bed, ads that name coffee, laughter). Every piece lies over the room's own quiet noise. With
``wake_every``, a real "okay nabu, <command>" is put in at known points, over the room or under some
of the other sound, followed by enough quiet for the conversation it starts to close, so a benchmark
can check the stream does reach the device. ``phrase`` makes the stream for another packaged wake
phrase: its own near misses, and for "hey jarvis" (which espeak-ng's voices never wake) the phrase and
half the talk said by the packaged Piper voice.

The pieces are made one at a time as the stream is read (an hour would be 115 MB at once), and
``pieces`` records where each lay on the timeline. The same seed gives the same stream, sample for
sample. ``benchmarks/voice.py activations`` plays an hour of it through the voice loop.
"""

from __future__ import annotations

import functools
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tests.speech import ESPEAK
from voiceshop.audio.pcm import RATE, Samples, read_wav_bytes
from voiceshop.audio.source import CHUNK
from voiceshop.tts.base import Synthesizer

Floats = np.ndarray[tuple[int], np.dtype[np.float64]]

VOICES = ["en-us", "en-us+m3", "en-us+f2", "en-gb", "en-gb-scotland", "en-029", "en-us-nyc", "en-gb-x-rp+m5",
          "en-us+klatt", "en-gb-x-gbclan", "en-us+f4", "en-gb+m7"]  # fmt: skip
"""espeak-ng voices and variants that talk in the stream."""
WAKE_VOICES = ["en-us", "en-us+m3", "en-gb", "en-gb-scotland", "en-us-nyc", "en-gb-x-rp+m5", "en-us+klatt",
               "en-gb-x-gbclan"]  # fmt: skip
"""The voices that say the inserted wake phrase: those the packaged "okay nabu" model answers when
spoken clearly (it stays below its cutoff on espeak-ng's female variants, which is the model's limit,
not what this stream measures)."""

PEOPLE = ["Nadia", "Ruben", "Naomi", "Bruno", "Nando", "Mabel", "Nicky", "Abu", "Kenny", "Noah", "Nala"]
NEAR = ["okay now who", "okay, now you", "okay, a new one", "okay number two", "okay, can do", "okay now",
        "okay, not now", "oh can you", "okay Nadia", "okay Ruben", "okay, Nando", "okay Mabel", "hey Nala",
        "OK, Google", "OK boomer", "okay, Nabokov", "oh, Kenny", "okay, Bruno", "all right, no", "okay, Abu",
        "okay, a nap", "okay, no", "hey, nice boots", "OK, thank you"]  # fmt: skip
"""Openings that sound partly like "okay nabu" (but are not it: no "okay naboo" or "okay no boo")."""
NEAR_BY_PHRASE = {
    "okay nabu": NEAR,
    "hey jarvis": ["hey Jess", "hey, Jasper", "hey Janice", "hey, Charles", "hey, Garvin", "hey, are we",
                   "hey, far as", "hey, Darwin", "hey, Marvel fans", "hey Jack", "hey, car wash", "hey, Harvard",
                   "hey, Travers", "hey Jamie", "hey, Mervyn", "hey, Gervais", "hey, Carvel", "hey, Javier",
                   "hey, Jonas", "hey, Artis", "a jar with this", "hey, Charlotte", "hey, Jarvie", "hey Garvis"],
    "alexa": ["Alexei", "Alessia", "a Tesla", "Alexandra", "Alec, say", "a next one", "unexpected", "elixir",
              "Felix", "Lexi", "an extra shot", "a legacy", "electric", "Alisha", "Alice, uh", "annexes",
              "relax a bit", "a checks up", "Alex, sir", "Alessandro"],
    "hey mycroft": ["hey, my crew", "hey Mike, Croatia", "hey, microphone", "hey, my credit", "hey, Mike Roth",
                    "hey, my cloth", "hey, my gift", "hey, my rock", "hey Michael", "hey, my craving", "hey, mice",
                    "hey, my crossword", "hey, my Ford", "hey, McCarthy", "hey, my scarf", "hey, mind the loft"],
}  # fmt: skip
"""Per packaged wake phrase (``Programme(phrase=...)``), openings that sound partly like it. Made here for
the stream alone: none is among what the wake verifiers' training renders (``wake_words.toml``'s
``near_misses``), so the stream stays a test nothing was tuned on."""
PIPER_PHRASES = {"hey jarvis"}
"""Phrases whose wake word model never fires on espeak-ng's voices: in their stream the real phrase is
said by the packaged Piper voice, and so is half of the talk (the near misses among it)."""
OPENERS = ["", "", "", "", "so", "well", "oh", "and", "but", "you know,", "right,", "okay,", "hey,", "listen,"]
SUBJECTS = ["my sister", "the neighbour", "our manager", "the kids", "Nadia", "Ruben", "the guy from the garage",
            "everyone at work", "the weather man", "my doctor", "the new intern", "grandma", "the landlord",
            "the team", "Bruno", "the bus driver"]  # fmt: skip
VERBS = ["said", "thinks", "told me", "keeps saying", "wrote", "heard", "promised", "forgot", "explained"]
CLAUSES = [
    "the bridge will be closed until the end of the month",
    "it is going to rain all weekend",
    "the meeting moved to Thursday afternoon",
    "the new bakery on the corner sells bread until midnight",
    "the train was forty minutes late again",
    "we should paint the kitchen a lighter colour",
    "the football match went to extra time",
    "the library has a new reading room upstairs",
    "nobody remembered to water the plants",
    "the car needs new tyres before winter",
    "the concert tickets sold out in an hour",
    "the recipe needs two eggs and a cup of flour",
    "the park is full of ducks this year",
    "the printer on the second floor is broken",
    "the garden fence blew down in the storm",
    "the cat learned to open the fridge",
    "the school trip is next Friday",
    "the price of petrol went up again",
    "the museum is free on Sundays",
    "the hotel had no hot water for two days",
    "they are building flats where the cinema used to be",
    "a latte costs more than a sandwich now",
    "the coffee at the station is terrible",
    "two of the lifts are out of order",
    "the muffins at the market are the best in town",
]
PLAIN = [
    "Did you see the game last night?",
    "I can't believe how fast this year is going.",
    "Could you pass me the salt, please?",
    "We need to leave in ten minutes if we want to catch the bus.",
    "That film was much better than I expected.",
    "Honestly, I think we should just order a pizza.",
    "Where did you put the car keys?",
    "My phone keeps running out of battery.",
    "It was freezing this morning, the windows were all frosted.",
    "Let's go for a walk after lunch.",
    "I haven't had a proper holiday in two years.",
    "The shop is out of oat milk again.",
    "Can you believe the price of butter?",
    "I'll call you back in five minutes.",
    "He's been working on that old motorbike all summer.",
    "Turn left at the lights and it's the second house on the right.",
    "No, no, the other one, the blue one.",
    "Thanks, that's really kind of you.",
    "I think I left the oven on.",
    "What time does the pharmacy close on Saturdays?",
    "She wants a puppy for her birthday.",
    "Two large coffees and we'll be fine.",
    "I usually get a cappuccino, but today I fancy tea.",
    "Is that the new café everyone is talking about?",
    "We ran out of sugar, can you get some on the way home?",
]
NEWS = [
    "Good evening, and welcome to the news at six.",
    "The council has approved plans for a new cycle lane along the river.",
    "Traffic is heavy on the ring road after an accident near junction four.",
    "Temperatures will drop below freezing tonight, with snow on high ground.",
    "The home side won three to one, with two goals in the final ten minutes.",
    "Scientists say the comet will be visible without a telescope next week.",
    "Shares rose sharply this morning after the bank's announcement.",
    "And now, the weather for the weekend.",
    "Coming up after the break: the best budget kitchens of the year.",
    "Stay with us, we'll be right back after these messages.",
    "Our reporter is live at the scene.",
    "Now who will win the final? We asked the fans.",
    "Okay, now back to the studio.",
]
ADS = [
    "Hungry? Order now and get two lattes for the price of one!",
    "New at Morning Brew: the pumpkin spice latte, available for a limited time.",
    "Call now, operators are standing by.",
    "Get a large cappuccino and a blueberry muffin for just five dollars.",
    "Add a croissant to any coffee, only at Daily Grind.",
    "Okay, now you can have it all: fast delivery, no fees.",
    "Visit our website today and save twenty percent.",
    "Check out the new espresso machine, now with a milk frother.",
]
LYRICS = [
    "oh baby baby, don't you go away",
    "la la la, la la la la",
    "I've been waiting all night long for you",
    "dancing in the moonlight, singing in the rain",
    "hold me closer, never let me go",
    "oh oh oh, yeah yeah",
    "we were young and we were free",
    "take me home, down the old country road",
    "now who's gonna love you like I do",
    "okay now, okay now, come on",
]


@dataclass(frozen=True)
class Piece:
    """One piece of the stream, where it lay on the timeline (seconds)."""

    kind: str
    """``talk``, ``near`` (talk that starts like the wake phrase), ``music``, ``noise``, ``tv`` or
    ``wake`` (the inserted "okay nabu, <command>" and the quiet after it)."""
    start: float
    end: float
    text: str = ""
    """What was said in it (the wake piece: the phrase and command)."""


WAKE_COMMANDS = ["two lattes please", "a small cappuccino", "two large soy lattes", "a blueberry muffin please",
                 "what's in my cart", "a croissant and an espresso"]  # fmt: skip
KINDS = {"talk": 0.3, "near": 0.1, "music": 0.2, "noise": 0.15, "tv": 0.25}
"""The share of the stream's time each kind of piece takes (besides the inserted wake phrases)."""
WAKE_QUIET = 12.0
"""Seconds of the room's quiet after an inserted wake phrase: the conversation it starts closes."""


def speak(text: str, voice: str = "en-us", rate: int = 150, pitch: int = 50) -> Floats:
    """``text`` said by espeak-ng (not cached: a stream says thousands of different sentences), or by the
    packaged Piper voice (``voice`` "piper": its pace from ``rate``, its pitch its own)."""
    if voice == "piper":
        return piper_voice().synthesize(text, pace=round((rate - 160) / 40)).astype(np.float64)
    assert ESPEAK is not None
    args = [ESPEAK, "-v", voice, "-s", str(rate), "-p", str(pitch), "--stdout", text]
    out = subprocess.run(args, capture_output=True, check=True)
    return read_wav_bytes(out.stdout, f"espeak: {text}").astype(np.float64)


@functools.cache
def piper_voice() -> Synthesizer:
    from voiceshop.tts.piper_voice import PiperVoice  # only a stream that needs it needs the piper extra

    return PiperVoice()


def at_rms(signal: Floats, level: float) -> Floats:
    power = float(np.sqrt(np.mean(signal**2))) if len(signal) else 0.0
    return signal * (level / power) if power > 0 else signal


def mix(base: Floats, over: Floats, at: int = 0) -> Floats:
    """``over`` added into ``base`` from sample ``at`` (``base`` grows if needed)."""
    end = at + len(over)
    if end > len(base):
        base = np.concatenate([base, np.zeros(end - len(base))])
    base[at:end] += over
    return base


def band(signal: Floats, low: float, high: float) -> Floats:
    """A crude band-pass (FFT mask): a TV's small speaker, a filtered noise."""
    size = 1 << max(1, (len(signal) - 1).bit_length())  # a power of two: odd lengths make FFTs slow
    spectrum = np.fft.rfft(signal, size)
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    spectrum[(freqs < low) | (freqs > high)] = 0
    out: Floats = np.fft.irfft(spectrum, size)[: len(signal)]
    return out


def pink(rng: np.random.Generator, n: int) -> Floats:
    """1/f-ish noise: white noise shaped in the frequency domain."""
    size = 1 << max(1, (n - 1).bit_length())
    spectrum = np.fft.rfft(rng.standard_normal(size))
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(size, 1 / RATE), 20.0))
    out: Floats = np.fft.irfft(spectrum, size)[:n]
    return out


class Maker:
    """Makes the pieces; every choice comes from one seeded generator."""

    def __init__(self, rng: np.random.Generator, phrase: str = "okay nabu", piper: bool | None = None) -> None:
        self.rng = rng
        self.phrase = phrase
        self.near = NEAR_BY_PHRASE[phrase]
        self.piper = phrase in PIPER_PHRASES if piper is None else piper
        self.talkers = VOICES + ["piper"] * len(VOICES) if self.piper else VOICES

    def pick(self, options: list[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def sentence(self) -> str:
        if self.rng.random() < 0.4:
            return self.pick(PLAIN)
        opener = self.pick(OPENERS)
        line = f"{self.pick(SUBJECTS)} {self.pick(VERBS)} {self.pick(CLAUSES)}."
        said = f"{opener} {line}".strip()
        return said[0].upper() + said[1:]

    def voice(self, voices: list[str] = VOICES) -> tuple[str, int, int]:
        return self.pick(voices), int(self.rng.integers(120, 200)), int(self.rng.integers(25, 75))

    def room(self, seconds: float) -> Floats:
        """The room's own quiet: a far fan, never digital silence."""
        return at_rms(pink(self.rng, round(seconds * RATE)), 60.0)

    def talk(self, near: bool = False) -> tuple[Floats, str]:
        """Two or three people talking in turns; ``near``: every line opens like the wake phrase."""
        people = [self.voice(self.talkers) for _ in range(int(self.rng.integers(2, 4)))]
        level = float(self.rng.uniform(800, 4000))
        out, said = np.zeros(0), []
        for _ in range(int(self.rng.integers(4, 10))):
            line = self.sentence()
            if near:
                line = f"{self.pick(self.near)}, {line[0].lower()}{line[1:]}"
            voice, rate, pitch = people[int(self.rng.integers(len(people)))]
            gap = np.zeros(round(float(self.rng.uniform(0.15, 1.2)) * RATE))
            out = np.concatenate([out, at_rms(speak(line, voice, rate, pitch), level), gap])
            said.append(line)
        return out, " / ".join(said)

    def music(self, seconds: float, singing: bool | None = None) -> tuple[Floats, str]:
        """A song: a chord progression with harmonics, a bass line, drums and maybe a sung line."""
        rng = self.rng
        bpm = float(rng.uniform(70, 140))
        beat = 60 / bpm
        root = 110 * 2 ** (int(rng.integers(0, 12)) / 12)
        progression = [[0, 4, 7], [7, 11, 14], [9, 12, 16], [5, 9, 12]]  # I V vi IV
        n = round(seconds * RATE)
        bar = round(4 * beat * RATE)
        t = np.arange(bar) / RATE
        bars = []
        for chord in progression:  # each chord's bar is made once; the song repeats them
            sound = np.zeros(bar)
            for step in chord:
                f = root * 2 ** (step / 12) * 2
                sound += sum(np.sin(2 * np.pi * f * k * t) / k**1.5 for k in range(1, 6))
            sound *= np.exp(-t * 0.8) * 0.3
            bass_f = root * 2 ** (chord[0] / 12) / 2
            sound += np.sin(2 * np.pi * bass_f * t) * np.exp(-(t % beat) * 4) * 0.8
            for k in range(4):  # kick on every beat, a snare on two and four, hi-hats between
                i = round(k * beat * RATE)
                m = min(bar - i, 4000)
                kt = np.arange(m) / RATE
                sound[i : i + m] += np.sin(2 * np.pi * (50 + 100 * np.exp(-kt * 30)) * kt) * np.exp(-kt * 20)
                if k % 2:
                    sound[i : i + m] += band(rng.standard_normal(m), 1000, 6000) * np.exp(-kt * 25) * 1.5
                h = i + round(beat * RATE / 2)
                if h + 800 < bar:
                    sound[h : h + 800] += band(rng.standard_normal(800), 6000, 8000) * np.exp(-np.arange(800) / 120)
            bars.append(sound)
        song = np.concatenate(bars)
        out = np.tile(song, n // len(song) + 1)[:n]
        out = at_rms(out, float(rng.uniform(600, 3500)))
        sung = ""
        if singing if singing is not None else rng.random() < 0.5:
            level = float(np.sqrt(np.mean(out**2))) * float(rng.uniform(0.7, 1.6))
            at, lines = round(float(rng.uniform(1, 4)) * RATE), []
            while at < n - 3 * RATE:
                line = self.pick(LYRICS)
                voice = self.pick(VOICES)
                sound = at_rms(speak(line, voice, int(rng.integers(80, 120)), int(rng.integers(60, 99))), level)
                out = mix(out, sound, at)[:n]
                lines.append(line)
                at += len(sound) + round(float(rng.uniform(1, 4)) * RATE)
            sung = " / ".join(lines)
        return out, sung

    def noise(self, seconds: float) -> tuple[Floats, str]:
        """A fan, a kitchen (clatter, running water, a grinder), or both."""
        rng = self.rng
        n = round(seconds * RATE)
        what = self.pick(["fan", "kitchen", "fan and kitchen"])
        out = np.zeros(n)
        if "fan" in what:
            hum = np.sin(2 * np.pi * float(rng.uniform(90, 140)) * np.arange(n) / RATE)
            out += at_rms(pink(rng, n), float(rng.uniform(300, 1500))) + hum * 150
        if "kitchen" in what:
            for _ in range(int(seconds * rng.uniform(0.3, 1.5))):  # cups, plates, cutlery
                at = int(rng.integers(0, max(1, n - 3000)))
                m = int(rng.integers(300, 3000))
                ring = np.sin(2 * np.pi * float(rng.uniform(800, 4000)) * np.arange(m) / RATE)
                hit = (rng.standard_normal(m) * 0.6 + ring) * np.exp(-np.arange(m) / (m / 5))
                out = mix(out, hit * float(rng.uniform(1000, 8000)), at)[:n]
            if rng.random() < 0.6:  # a tap or a grinder for a few seconds
                at, m = int(rng.integers(0, n // 2)), int(min(n // 2, rng.uniform(2, 10) * RATE))
                if rng.random() < 0.5:
                    sound = band(rng.standard_normal(m), 500, 7000) * 1500
                else:
                    t = np.arange(m) / RATE
                    f = float(rng.uniform(150, 300))
                    sound = (np.sign(np.sin(2 * np.pi * f * t)) * 0.5 + rng.standard_normal(m) * 0.5) * 2500
                out = mix(out, sound, at)[:n]
        return out, what

    def tv(self, seconds: float) -> tuple[Floats, str]:
        """A presenter and ads through a small speaker, over a music bed, with an audience laughing."""
        rng = self.rng
        out, said = np.zeros(0), []
        presenter = self.voice()
        level = float(rng.uniform(800, 3500))
        while len(out) < seconds * RATE:
            line = self.pick(ADS) if rng.random() < 0.3 else self.pick(NEWS) if rng.random() < 0.6 else self.sentence()
            voice, rate, pitch = presenter if rng.random() < 0.7 else self.voice()
            gap = np.zeros(round(float(rng.uniform(0.1, 0.8)) * RATE))
            out = np.concatenate([out, at_rms(speak(line, voice, rate + 15, pitch), level), gap])
            said.append(line)
        n = len(out)
        bed, _ = self.music(n / RATE + 0.1, singing=False)
        out += at_rms(bed[:n], level * float(rng.uniform(0.1, 0.4)))
        for _ in range(int(n / RATE / 20)):  # laughter and applause: bursts of shaped noise
            at, m = int(rng.integers(0, n)), int(rng.uniform(1, 3) * RATE)
            swell = np.sin(np.pi * np.arange(m) / m) * (1 + 0.5 * np.sin(2 * np.pi * 5 * np.arange(m) / RATE))
            out = mix(out, band(rng.standard_normal(m), 300, 5000) * swell * level * 0.5, at)[:n]
        return band(out, 200, 6000), " / ".join(said)

    def wake(self) -> tuple[Floats, str]:
        """Someone calls the device and orders, over the room or under other sound, then quiet."""
        rng = self.rng
        text = f"{self.phrase}, {self.pick(WAKE_COMMANDS)}"
        voice, rate, _ = self.voice(["piper"] if self.piper else WAKE_VOICES)
        speech = at_rms(speak(text, voice, min(rate, 170)), float(rng.uniform(2000, 4000)))
        lead = np.zeros(RATE)
        said = np.concatenate([lead, speech])
        under = self.pick(["room", "room", "fan", "music", "tv"])
        if under != "room":  # other sound going on 10 to 20 dB below the shopper
            other, _ = self.noise(len(said) / RATE) if under == "fan" else getattr(self, under)(len(said) / RATE + 1)
            power = float(np.sqrt(np.mean(speech**2)))
            said = said + at_rms(other[: len(said)], power * 10 ** (-float(rng.uniform(10, 20)) / 20))
        return np.concatenate([said, np.zeros(round(WAKE_QUIET * RATE))]), f"{text} ({voice}, over {under})"


class Programme:
    """The stream, as an ``AudioSource``: ``seconds`` of pieces, chosen and made from ``seed``."""

    def __init__(
        self,
        seconds: float,
        *,
        seed: int = 1,
        wake_every: float | None = None,
        kinds: dict[str, float] | None = None,
        phrase: str = "okay nabu",
        piper: bool | None = None,
    ) -> None:
        self.seconds = seconds
        self.seed = seed
        self.phrase = phrase
        """The wake phrase said at the inserted points, whose near misses the ``near`` talk opens with."""
        self.piper = piper
        """The real phrases and half the talk said by the packaged Piper voice (default: for the phrases
        espeak-ng's voices never wake, ``PIPER_PHRASES``); a stream another engine hears better."""
        self.wake_every = wake_every
        self.kinds = kinds or KINDS
        """The share of time each kind of piece takes (``KINDS`` unless given)."""
        self.name = f"programme (seed {seed})"
        self.pieces: list[Piece] = []
        self.making = 0.0
        """Seconds of CPU spent making the stream (not the loop's)."""

    def chunks(self) -> Iterator[Samples]:
        pending = np.zeros(0, dtype=np.int16)
        for piece in self._pieces():
            pending = np.concatenate([pending, piece])
            whole = len(pending) - len(pending) % CHUNK
            for i in range(0, whole, CHUNK):
                yield pending[i : i + CHUNK]
            pending = pending[whole:]
        if len(pending):
            yield np.concatenate([pending, np.zeros(CHUNK - len(pending), dtype=np.int16)])

    def _pieces(self) -> Iterator[Samples]:
        rng = np.random.default_rng(self.seed)
        make = Maker(rng, self.phrase, self.piper)
        kinds, shares = list(self.kinds), np.array(list(self.kinds.values()))
        at = 0.0
        next_wake = self.wake_every / 2 if self.wake_every else None
        while at < self.seconds:
            started = time.perf_counter()
            if next_wake is not None and at >= next_wake:
                kind = "wake"
                sound, text = make.wake()
                next_wake += self.wake_every or 0.0
            else:
                kind = str(rng.choice(kinds, p=shares / shares.sum()))
                length = float(rng.uniform(15, 60)) if kind != "tv" else float(rng.uniform(30, 90))
                length = min(length, max(5.0, self.seconds - at))
                if kind in ("talk", "near"):
                    sound, text = make.talk(near=kind == "near")
                else:
                    sound, text = getattr(make, kind)(length)
            sound = sound + make.room(len(sound) / RATE)
            samples = np.clip(np.round(sound), -32768, 32767).astype(np.int16)
            end = at + len(samples) / RATE
            self.pieces.append(Piece(kind=kind, start=at, end=end, text=text))
            self.making += time.perf_counter() - started
            at = end
            yield samples

    def piece_at(self, seconds: float) -> Piece:
        """The piece playing at ``seconds`` on the timeline."""
        for piece in self.pieces:
            if piece.start <= seconds < piece.end:
                return piece
        return self.pieces[-1]

    def drain(self) -> None:
        """A recording: the timeline runs on under the replies, nothing is dropped."""

    def close(self) -> None:
        pass
