"""Where sound comes from: one interface for a microphone, a WAV file and raw PCM on stdin.

A source yields chunks of voiceshop PCM (16 kHz mono int16, ``CHUNK`` long) until it ends. The voice
loop cannot tell the sources apart, which is what lets the tests drive the real loop from WAV files at
the chunk sizes a microphone delivers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
import numpy.typing as npt

from voiceshop.audio.pcm import RATE, Resampler, Samples, read_wav, to_int16
from voiceshop.errors import AudioFormatError

CHUNK_MS = 30
CHUNK = RATE * CHUNK_MS // 1000
"""Samples per chunk: 30 ms, the frame the endpointer works in."""


class AudioSource(Protocol):
    """Sound in, as voiceshop PCM."""

    name: str
    live: bool
    """Whether the chunks come as they are heard (a microphone), not faster (a recording)."""

    def chunks(self) -> Iterator[Samples]:
        """``CHUNK``-sample pieces until the source ends (a microphone never does)."""
        ...

    def drain(self) -> None:
        """Forget sound captured while voiceshop was busy (speaking): it must not hear itself."""
        ...

    def close(self) -> None: ...


def split(samples: Samples, size: int = CHUNK) -> Iterator[Samples]:
    for start in range(0, len(samples), size):
        piece = samples[start : start + size]
        if len(piece) < size:
            piece = np.concatenate([piece, np.zeros(size - len(piece), dtype=np.int16)])
        yield piece


class Chunker:
    """Audio at any rate in, ``CHUNK``-sample pieces of voiceshop PCM out, whatever sizes arrive."""

    def __init__(self, rate: int) -> None:
        self._resampler = Resampler(rate)
        self._pending = np.zeros(0, dtype=np.int16)

    def push(self, mono: npt.NDArray[np.float32]) -> Iterator[Samples]:
        self._pending = np.concatenate([self._pending, to_int16(self._resampler.process(mono))])
        while len(self._pending) >= CHUNK:
            yield self._pending[:CHUNK]
            self._pending = self._pending[CHUNK:]

    def rest(self) -> Iterator[Samples]:
        """What is left when the sound ends, padded to a whole chunk."""
        yield from split(self._pending)
        self._pending = self._pending[:0]


class SamplesSource:
    """Audio already in memory, in real chunk sizes; optionally paced like a live microphone."""

    def __init__(self, samples: Samples, name: str = "audio", *, realtime: bool = False) -> None:
        self.samples = samples
        self.name = name
        self.realtime = self.live = realtime

    def chunks(self) -> Iterator[Samples]:
        started = time.monotonic()
        for i, chunk in enumerate(split(self.samples)):
            if self.realtime:
                time.sleep(max(0.0, started + i * CHUNK / RATE - time.monotonic()))
            yield chunk

    def drain(self) -> None:
        """A recording is the shopper's own timeline: what they said while the reply played is kept."""

    def close(self) -> None:
        pass


class WavSource(SamplesSource):
    """A WAV file of any rate, channel count and sample format."""

    def __init__(self, path: str | Path, *, realtime: bool = False) -> None:
        samples, self.info = read_wav(path)
        super().__init__(samples, str(path), realtime=realtime)


class PcmSource:
    """Raw little-endian integer PCM from a stream (``arecord -t raw | voiceshop run --input -``)."""

    def __init__(self, stream: BinaryIO, *, rate: int = RATE, channels: int = 1, width: int = 2) -> None:
        if width not in (1, 2, 4):
            raise AudioFormatError(f"raw PCM of {width} bytes per sample is not supported; use 1, 2 or 4")
        if channels < 1:
            raise AudioFormatError(f"raw PCM needs at least one channel, not {channels}")
        self.stream = stream
        self.name = "stdin"
        self.live = False  # a pipe may be a recording: the reply may pause while "stop" is checked
        self.channels = channels
        self.width = width
        self._chunker = Chunker(rate)  # checks the rate now, not on the first read
        self._read = max(1, round(CHUNK * rate / RATE)) * channels * width

    def chunks(self) -> Iterator[Samples]:
        kind: np.dtype[Any] = np.dtype({1: "u1", 2: "<i2", 4: "<i4"}[self.width])
        frame = self.channels * self.width
        chunker = self._chunker
        leftover = b""
        while True:
            data = self.stream.read(self._read)
            if not data:
                break
            data = leftover + data
            cut = len(data) - len(data) % frame
            data, leftover = data[:cut], data[cut:]
            raw = np.frombuffer(data, dtype=kind).astype(np.float32)
            if self.width == 1:
                raw = ((raw - 128) * 256).astype(np.float32)
            elif self.width == 4:
                raw = (raw / 65536).astype(np.float32)
            yield from chunker.push(raw.reshape(-1, self.channels).mean(axis=1))
        yield from chunker.rest()

    def drain(self) -> None:
        """A pipe cannot be rewound or skipped safely: keep it in order."""

    def close(self) -> None:
        pass
