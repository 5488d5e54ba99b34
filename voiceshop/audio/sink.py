"""Where sound goes: the speaker, or numbered WAV files (for tests, kiosks without a speaker, logs).

A sink plays a whole sound (``play``), or opens a ``Playback`` that takes it piece by piece, so the
voice loop can listen between pieces while a reply plays and cut it at once (barge-in).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from voiceshop.audio.pcm import Samples, write_wav


class Playback(Protocol):
    def write(self, samples: Samples) -> None:
        """The next piece; on a device it returns about when the piece before it has been heard."""
        ...

    def stop(self) -> None:
        """Cut the sound now: what was not heard yet is dropped."""
        ...

    def close(self) -> None:
        """Let everything written be heard, then release the device."""
        ...


class AudioSink(Protocol):
    def play(self, samples: Samples, label: str = "sound") -> None:
        """Play and return when it has been heard; ``label`` says what it is (reply, listening...)."""
        ...

    def open(self, label: str = "sound") -> Playback:
        """Start a sound that arrives piece by piece (and may be cut)."""
        ...


class _FilePlayback:
    """What was played (up to a cut) becomes one file when the sound ends."""

    def __init__(self, folder: WavFolder, label: str) -> None:
        self._folder = folder
        self._label = label
        self._pieces: list[Samples] = []
        self.cut = False

    def write(self, samples: Samples) -> None:
        self._pieces.append(samples)

    def stop(self) -> None:
        self.cut = True
        self.close()

    def close(self) -> None:
        if self._pieces:
            self._folder.play(np.concatenate(self._pieces), self._label)
            self._pieces = []


class WavFolder:
    """Each sound played becomes the next file: ``001-reply.wav``, ``002-listening.wav``..."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def play(self, samples: Samples, label: str = "sound") -> None:
        path = self.folder / f"{len(self.written) + 1:03d}-{label}.wav"
        self.written.append(write_wav(path, samples))

    def open(self, label: str = "sound") -> Playback:
        return _FilePlayback(self, label)


class _NoPlayback:
    def write(self, samples: Samples) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


class Silent:
    """Plays nothing (``--quiet``, or text-only runs)."""

    def play(self, samples: Samples, label: str = "sound") -> None:
        pass

    def open(self, label: str = "sound") -> Playback:
        return _NoPlayback()
