"""Speech out through espeak-ng (its program where installed, else pyttsx3): reply text -> PCM.

The only module that imports pyttsx3 or runs espeak-ng. Voices are listed and chosen through pyttsx3;
where the ``espeak-ng`` program is installed (Linux, the Pi) replies are rendered by it directly, since
pyttsx3's espeak driver now and then returns no samples or crashes the process. Speech is rendered to
PCM rather than played, so that every reply can be written to a file, played on a chosen device, and
kept from the microphone while it plays; espeak-ng's WAV is read from its pipe as it is written, so the
reply's first words play while the rest is made. The shopper's "slower"/"louder" arrive as pace and
volume steps (-3..3) on each reply.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voiceshop.audio.pcm import Samples, WavStream, read_wav, to_int16
from voiceshop.audio.source import CHUNK
from voiceshop.errors import AudioFormatError, SpeechOutputError

PACE_STEP = 0.15
"""Each "slower"/"faster" changes the rate by this share."""
VOLUME_STEP_DB = 3.0
"""Each "louder"/"quieter" changes loudness by this many decibels."""
_LOCK = threading.Lock()  # one pyttsx3 engine per process, used by one caller at a time


@dataclass(frozen=True)
class VoiceSettings:
    voice: str | None = None
    """A voice id or part of its name (``voiceshop doctor`` lists them); None is the system default."""
    rate: int = 165
    """Words per minute at pace 0."""
    volume: float = 0.9
    """Loudness at volume 0, from 0 to 1."""


def _engine() -> Any:
    try:
        import pyttsx3
    except ImportError:
        raise SpeechOutputError("pyttsx3 is not installed; run: pip install pyttsx3") from None
    try:
        return pyttsx3.init()
    except Exception as exc:  # the drivers raise anything from OSError to RuntimeError
        raise SpeechOutputError(
            f"no speech synthesiser works here ({exc}); install espeak-ng: sudo apt install espeak-ng"
        ) from None


def voices() -> list[tuple[str, str]]:
    """(id, name) of every installed voice."""
    with _LOCK:
        return [(str(v.id), str(v.name)) for v in _engine().getProperty("voices")]


RETRIES = 3
ESPEAK_TIMEOUT = 30.0
"""Seconds one reply may take to render; espeak-ng needs well under one."""
READ_BYTES = 65536
"""At most this much of espeak-ng's output is read at once (whatever it has written so far)."""
KNEE = 24000.0
"""Turned up ("louder"), samples beyond this level are compressed towards full scale, not clipped."""


class Pyttsx3Voice:
    name = "espeak"

    def __init__(self, settings: VoiceSettings | None = None) -> None:
        self.settings = settings or VoiceSettings()
        with _LOCK:
            engine = _engine()
            self._voice = self._find(engine, self.settings.voice)

    @staticmethod
    def _find(engine: Any, wanted: str | None) -> str | None:
        if not wanted:
            return None
        found = [v for v in engine.getProperty("voices") if wanted == v.id or wanted.lower() in str(v.name).lower()]
        if not found:
            raise SpeechOutputError(f"no voice called {wanted!r}; `voiceshop doctor` lists the installed voices")
        return str(found[0].id)

    def sentences(self, text: str, *, pace: int = 0, volume: int = 0) -> Iterator[Samples]:
        """The reply's sound as espeak-ng makes it, in whole chunks of the microphone's size (so a reply
        heard over, with barge-in, keeps in step with the microphone): the first plays while the rest
        is made."""
        if not text.strip():
            return
        rate = round(self.settings.rate * (1 + PACE_STEP * pace))
        gain = 10 ** (VOLUME_STEP_DB * volume / 20)
        # The espeak driver now and then finishes an utterance without handing over its samples
        # (a race in its callback); rendering again is cheap (~20 ms) and has always worked.
        for _ in range(RETRIES):
            made = np.zeros(0, dtype=np.int16)
            spoke = False
            for piece in self._pieces(text, rate):
                made = np.concatenate([made, piece])
                whole = len(made) - len(made) % CHUNK
                if whole:
                    spoke = True
                    yield _louder(made[:whole], gain)
                    made = made[whole:]
            if len(made):
                yield _louder(made, gain)
            if spoke or len(made):
                return
        raise SpeechOutputError("the speech synthesiser produced no sound; check `voiceshop doctor`")

    def synthesize(self, text: str, *, pace: int = 0, volume: int = 0) -> Samples:
        pieces = list(self.sentences(text, pace=pace, volume=volume))
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)

    def _pieces(self, text: str, rate: int) -> Iterator[Samples]:
        espeak = shutil.which("espeak-ng")
        if espeak is not None:
            yield from self._stream_espeak(espeak, text, rate)
            return
        samples = self._render(text, rate)
        if samples is not None:
            yield samples

    def _render(self, text: str, rate: int) -> Samples | None:
        with _LOCK, tempfile.TemporaryDirectory(prefix="voiceshop-tts-") as folder:
            path = Path(folder) / "reply.wav"
            engine = _engine()
            if self._voice is not None:
                engine.setProperty("voice", self._voice)
            engine.setProperty("rate", rate)
            engine.setProperty("volume", self.settings.volume)
            with contextlib.redirect_stdout(io.StringIO()):  # the espeak driver prints "Audio saved to ..."
                engine.save_to_file(text, str(path))
                engine.runAndWait()
            if not path.is_file() or path.stat().st_size <= 44:
                return None
            return read_wav(path)[0]

    def _stream_espeak(self, espeak: str, text: str, rate: int) -> Iterator[Samples]:
        """The espeak-ng program itself, where it is installed: the voice pyttsx3 would use, without
        its driver's callback thread (which now and then hands back no samples or crashes the process).
        Its WAV is read from the pipe as it is written, so the first words can play before it is done."""
        command = [espeak, "--stdout", "-s", str(rate), "-a", str(round(self.settings.volume * 100)), "--stdin"]
        if self._voice is not None:
            command[1:1] = ["-v", self._voice]
        try:
            process = subprocess.Popen(
                # unbuffered: a read returns what espeak-ng has written so far, not a full buffer
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
            )
        except OSError:
            return
        assert process.stdin is not None and process.stdout is not None
        timer = threading.Timer(ESPEAK_TIMEOUT, process.kill)  # a hung espeak-ng must not hang the loop
        timer.start()
        try:
            with contextlib.suppress(BrokenPipeError):  # it died at once: no sound, tried again
                process.stdin.write(text.encode("utf-8"))  # --stdin: it reads all of it before speaking
                process.stdin.close()
            wav = WavStream("espeak-ng")
            while data := process.stdout.read(READ_BYTES):
                try:
                    yield wav.feed(data)
                except AudioFormatError as exc:
                    raise SpeechOutputError(f"espeak-ng wrote no sound ({exc}); check `voiceshop doctor`") from None
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()  # the reply was cut: what it still had to say is not wanted
            process.wait()
            process.stdout.close()


def _louder(samples: Samples, gain: float) -> Samples:
    """``samples`` turned up or down by ``gain``; turned up, the peaks are rounded off smoothly above
    ``KNEE`` rather than clipped (a piece is made before the reply's loudest moment is known)."""
    if gain == 1.0:
        return samples
    return limited(samples.astype(np.float32) * gain)


def limited(loud: npt.NDArray[np.float32]) -> Samples:
    """Sound on the int16 scale, its peaks beyond ``KNEE`` rounded off smoothly towards full scale."""
    loud = loud.copy()
    over = np.abs(loud) > KNEE
    if over.any():
        room = 32767.0 - KNEE
        loud[over] = np.sign(loud[over]) * (KNEE + room * np.tanh((np.abs(loud[over]) - KNEE) / room))
    return to_int16(loud)
