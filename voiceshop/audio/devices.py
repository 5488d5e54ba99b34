"""Sound hardware through PortAudio (sounddevice): the microphone, the speaker, the device list.

The only module that imports sounddevice. A machine without PortAudio, without a microphone or with
one that is unplugged mid-session gets a ``MicrophoneError`` that says what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.source import CHUNK, Chunker
from voiceshop.errors import MicrophoneError, MicrophoneLost, SpeechOutputError

SILENT_FOR = 2.0
"""Seconds without a single chunk from an open stream before the microphone counts as gone."""


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError:  # the Python package is there, the PortAudio library is not
        raise MicrophoneError(
            "the PortAudio library is missing; install it with: sudo apt install libportaudio2"
        ) from None
    except ImportError:
        raise MicrophoneError("sounddevice is not installed; run: pip install sounddevice") from None
    module: ModuleType = sounddevice
    return module


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    inputs: int
    outputs: int
    rate: float
    default_in: bool
    default_out: bool


def list_devices() -> list[Device]:
    sd = _sounddevice()
    try:
        found: Any = sd.query_devices()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise MicrophoneError(f"cannot list sound devices: {exc}") from None
    return [
        Device(
            index=i,
            name=str(d["name"]),
            inputs=int(d["max_input_channels"]),
            outputs=int(d["max_output_channels"]),
            rate=float(d["default_samplerate"]),
            default_in=i == default_in,
            default_out=i == default_out,
        )
        for i, d in enumerate(found)
    ]


def _pick(device: str | int | None, *, output: bool) -> int | None:
    """A device by index or by part of its name; None means the system default."""
    devices = list_devices()
    usable = [d for d in devices if (d.outputs if output else d.inputs) > 0]
    what = "speaker" if output else "microphone"
    if not usable:
        raise (SpeechOutputError if output else MicrophoneError)(
            f"no {what} found; plug one in (and check `voiceshop devices`)"
            + (
                ", or write replies to WAV files with --out DIR"
                if output
                else ", or use --input FILE.wav / --input - for raw PCM on stdin"
            )
        )
    if device is None or device == "":
        return None
    if isinstance(device, int) or str(device).isdigit():
        index = int(device)
        if any(d.index == index for d in usable):
            return index
    else:
        named = [d for d in usable if str(device).lower() in d.name.lower()]
        if len(named) == 1:
            return named[0].index
    names = "; ".join(f"{d.index}: {d.name}" for d in usable)
    raise (SpeechOutputError if output else MicrophoneError)(
        f"no single {what} matches {device!r}; choose one of: {names}"
    )


class Microphone:
    """Live capture at 16 kHz mono; a device that cannot do 16 kHz is resampled from its own rate."""

    def __init__(self, device: str | int | None = None) -> None:
        self.device = device
        self.name = f"microphone {device}" if device is not None else "microphone"
        self.live = True
        self._queue: queue.Queue[tuple[Any, bool]] = queue.Queue()
        self._stream: Any = None
        _pick(device, output=False)  # fail now, not on the first chunk, when there is no microphone

    def _open(self) -> int:
        """Start capturing; returns the rate the device records at."""
        sd = _sounddevice()
        index = _pick(self.device, output=False)
        rate = RATE
        try:
            sd.check_input_settings(device=index, samplerate=RATE, channels=1, dtype="int16")
        except (sd.PortAudioError, ValueError):
            info: Any = sd.query_devices(index, "input")
            rate = int(info["default_samplerate"])

        def captured(data: Any, frames: int, when: Any, status: Any) -> None:
            self._queue.put((data[:, 0].copy(), bool(status.input_overflow)))

        try:
            self._stream = sd.InputStream(
                device=index, samplerate=rate, channels=1, dtype="int16", blocksize=CHUNK * rate // RATE,
                callback=captured,
            )  # fmt: skip
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise MicrophoneError(f"cannot open the microphone: {exc}; check `voiceshop devices`") from None
        return rate

    def chunks(self) -> Iterator[Samples]:
        """Capture starts now, not at the first chunk asked for: a reply the loop starts playing before
        it reads (the greeting) is heard, and its echo known, from its first sample."""
        return self._captured(Chunker(self._open()))

    def _captured(self, chunker: Chunker) -> Iterator[Samples]:
        try:
            while True:
                try:
                    data, _ = self._queue.get(timeout=SILENT_FOR)
                except queue.Empty:
                    raise MicrophoneLost("the microphone stopped sending sound (unplugged?)") from None
                yield from chunker.push(data.astype(np.float32))
                if self._stream is not None and not self._stream.active:
                    raise MicrophoneLost("the microphone stream stopped (unplugged?)")
        finally:
            self.close()

    def drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    def close(self) -> None:
        if self._stream is not None:
            # a vanished device may fail to close; there is nothing left to keep
            with contextlib.suppress(Exception):
                self._stream.close()
            self._stream = None


class Speaker:
    """Plays PCM on the default (or a chosen) output device and waits until it has been heard."""

    def __init__(self, device: str | int | None = None) -> None:
        self.device = _pick(device, output=True)

    def play(self, samples: Samples, label: str = "sound") -> None:
        sd = _sounddevice()
        try:
            sd.play(samples, samplerate=RATE, device=self.device, blocking=True)
        except (sd.PortAudioError, ValueError) as exc:
            raise SpeechOutputError(f"cannot play sound: {exc}; check `voiceshop devices`") from None
        time.sleep(0.05)  # let the last buffer leave the device before the microphone listens again

    def open(self, label: str = "sound") -> _SpeakerPlayback:
        return _SpeakerPlayback(self.device)


class _SpeakerPlayback:
    """An open output stream: each write blocks until the device has room, so pieces play in real time."""

    def __init__(self, device: int | None) -> None:
        sd = _sounddevice()
        self._sd = sd
        try:
            self._stream: Any = sd.OutputStream(device=device, samplerate=RATE, channels=1, dtype="int16")
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise SpeechOutputError(f"cannot play sound: {exc}; check `voiceshop devices`") from None

    def write(self, samples: Samples) -> None:
        try:
            self._stream.write(np.ascontiguousarray(samples.reshape(-1, 1)))
        except (self._sd.PortAudioError, ValueError) as exc:
            raise SpeechOutputError(f"cannot play sound: {exc}; check `voiceshop devices`") from None

    def stop(self) -> None:
        # abort drops what is still buffered: the shopper asked for silence now
        with contextlib.suppress(Exception):
            self._stream.abort()
            self._stream.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stream.stop()  # returns when the buffered sound has been played
            self._stream.close()
        time.sleep(0.05)
