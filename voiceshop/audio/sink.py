"""Where sound goes: the speaker, or numbered WAV files (for tests, kiosks without a speaker, logs)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from voiceshop.audio.pcm import Samples, write_wav


class AudioSink(Protocol):
    def play(self, samples: Samples) -> None:
        """Play and return when it has been heard (the microphone is deaf meanwhile)."""
        ...


class WavFolder:
    """Each sound played becomes the next file: ``001-reply.wav``, ``002-earcon.wav``..."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []
        self.label = "reply"

    def play(self, samples: Samples) -> None:
        path = self.folder / f"{len(self.written) + 1:03d}-{self.label}.wav"
        self.written.append(write_wav(path, samples))


class Silent:
    """Plays nothing (``--quiet``, or text-only runs)."""

    def play(self, samples: Samples) -> None:
        pass
