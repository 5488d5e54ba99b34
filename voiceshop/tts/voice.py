"""Speech out through pyttsx3 (espeak-ng on Linux): reply text -> PCM.

The only module that imports pyttsx3. Speech is rendered to a WAV file and read back rather than
played by pyttsx3 itself, so that every reply can be written to a file, played on a chosen device, and
kept from the microphone while it plays. The shopper's "slower"/"louder" arrive as pace and volume
steps (-3..3) on each reply.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import threading
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


class Pyttsx3Voice:
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
