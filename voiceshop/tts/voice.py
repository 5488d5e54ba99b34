"""Speech out through espeak-ng (its program where installed, else pyttsx3): reply text -> PCM.

The only module that imports pyttsx3 or runs espeak-ng. Voices are listed and chosen through pyttsx3;
where the ``espeak-ng`` program is installed (Linux, the Pi) replies are rendered by it directly, since
pyttsx3's espeak driver now and then returns no samples or crashes the process. Speech is rendered to
a WAV file and read back rather than played, so that every reply can be written to a file, played on
a chosen device, and kept from the microphone while it plays. The shopper's "slower"/"louder" arrive as pace and volume
steps (-3..3) on each reply.
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

from voiceshop.audio.pcm import Samples, read_wav, to_int16
from voiceshop.errors import SpeechOutputError

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
        # espeak-ng renders a reply in a few tens of milliseconds: one piece is as quick as several
        yield self.synthesize(text, pace=pace, volume=volume)

    def synthesize(self, text: str, *, pace: int = 0, volume: int = 0) -> Samples:
        if not text.strip():
            return np.zeros(0, dtype=np.int16)
        rate = round(self.settings.rate * (1 + PACE_STEP * pace))
        # The espeak driver now and then finishes an utterance without handing over its samples
        # (a race in its callback); rendering again is cheap (~20 ms) and has always worked.
        for _ in range(RETRIES):
            samples = self._render(text, rate)
            if samples is not None:
                break
        else:
            raise SpeechOutputError("the speech synthesiser produced no sound; check `voiceshop doctor`")
        gain = 10 ** (VOLUME_STEP_DB * volume / 20)
        if gain != 1.0:
            loud = samples.astype(np.float32) * gain
            peak = float(np.abs(loud).max()) or 1.0
            samples = to_int16(loud * min(1.0, 32000 / peak))
        return samples

    def _render(self, text: str, rate: int) -> Samples | None:
        with _LOCK, tempfile.TemporaryDirectory(prefix="voiceshop-tts-") as folder:
            path = Path(folder) / "reply.wav"
            espeak = shutil.which("espeak-ng")
            if espeak is not None:
                return self._render_espeak(espeak, text, rate, path)
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

    def _render_espeak(self, espeak: str, text: str, rate: int, path: Path) -> Samples | None:
        """The espeak-ng program itself, where it is installed: the voice pyttsx3 would use, without
        its driver's callback thread, which now and then hands back no samples or crashes the process."""
        command = [espeak, "-w", str(path), "-s", str(rate), "-a", str(round(self.settings.volume * 100)), "--stdin"]
        if self._voice is not None:
            command[1:1] = ["-v", self._voice]
        try:
            done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=ESPEAK_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0 or not path.is_file() or path.stat().st_size <= 44:
            return None
        return read_wav(path)[0]
