"""Where sound goes: the speaker, or numbered WAV files (for tests, kiosks without a speaker, logs)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from voiceshop.audio.pcm import Samples, write_wav


class AudioSink(Protocol):
    def play(self, samples: Samples, label: str = "sound") -> None:
        """Play and return when it has been heard; ``label`` says what it is (reply, listening...)."""
        ...


class WavFolder:
    """Each sound played becomes the next file: ``001-reply.wav``, ``002-listening.wav``..."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def play(self, samples: Samples, label: str = "sound") -> None:
        path = self.folder / f"{len(self.written) + 1:03d}-{label}.wav"
        self.written.append(write_wav(path, samples))


class Silent:
    """Plays nothing (``--quiet``, or text-only runs)."""

    def play(self, samples: Samples, label: str = "sound") -> None:
        pass
