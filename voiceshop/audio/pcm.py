"""PCM audio as the rest of voiceshop sees it: 16 kHz, mono, 16-bit samples in a numpy array.

Everything that comes in (a microphone at 44.1 kHz stereo, a 24-bit WAV, raw PCM on stdin) is turned
into that one format here, so no later stage ever asks what the sound came from. WAV files are parsed
by hand rather than with the ``wave`` module because ``wave`` refuses float and WAVE_FORMAT_EXTENSIBLE
files, which many recorders write.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from voiceshop.errors import AudioFormatError

RATE = 16_000
"""Samples per second of every PCM array inside voiceshop."""

Samples = npt.NDArray[np.int16]
"""Mono 16 kHz 16-bit audio."""

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


def silence(seconds: float) -> Samples:
    return np.zeros(round(seconds * RATE), dtype=np.int16)


def seconds(samples: Samples) -> float:
    return len(samples) / RATE


# --- resampling ---------------------------------------------------------------------------------------


class Resampler:
    """Streaming rate conversion: feed chunks of any size, get the same result as one big call.

    Linear interpolation, preceded when downsampling by a windowed-sinc low-pass filter so that sound
    above the new Nyquist frequency does not fold back as noise (a 44.1 kHz microphone hears a lot
    above 8 kHz). Plenty for speech recognition, and cheap enough for a Raspberry Pi.
    """

    TAPS = 63

    def __init__(self, rate_in: int, rate_out: int = RATE) -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise AudioFormatError(f"impossible sample rate {rate_in} Hz: a sample rate must be positive")
        self.rate_in = rate_in
        self.rate_out = rate_out
        self._step = rate_in / rate_out
        self._pos = 0.0
        self._tail: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._fir: npt.NDArray[np.float32] | None = None
        self._history = np.zeros(0, dtype=np.float32)
        if rate_out < rate_in:
            cutoff = 0.45 * rate_out / rate_in  # of the input rate; 0.5 would be the new Nyquist exactly
            n = np.arange(self.TAPS) - (self.TAPS - 1) / 2
            taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(self.TAPS)
            self._fir = (taps / taps.sum()).astype(np.float32)
            self._history = np.zeros(self.TAPS - 1, dtype=np.float32)

    def process(self, chunk: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        if self.rate_in == self.rate_out or len(chunk) == 0:  # (nothing in must not run the filter on its history)
            return np.asarray(chunk, dtype=np.float32)
        signal = chunk.astype(np.float32, copy=False)
        if self._fir is not None:
            padded = np.concatenate([self._history, signal])
            self._history = padded[len(padded) - (self.TAPS - 1) :]
            signal = np.convolve(padded, self._fir, mode="valid").astype(np.float32)
        buf = np.concatenate([self._tail, signal])
        n = len(buf)
        if n < 2:
            self._tail = buf
            return np.zeros(0, dtype=np.float32)
        count = max(0, int(np.ceil((n - 1 - self._pos) / self._step)))
        points = self._pos + self._step * np.arange(count)
        index = np.floor(points).astype(np.int64)
        frac = (points - index).astype(np.float32)
        out: npt.NDArray[np.float32] = buf[index] * (1 - frac) + buf[index + 1] * frac
        self._pos = self._pos + self._step * count - (n - 1)
        self._tail = buf[-1:]
        return out.astype(np.float32)


def to_int16(signal: npt.NDArray[np.float32]) -> Samples:
    return np.clip(np.round(signal), -32768, 32767).astype(np.int16)


def convert(frames: npt.NDArray[np.float32], rate: int) -> Samples:
    """Frames (samples x channels, int16 scale) at any rate -> voiceshop PCM."""
    mono = frames.mean(axis=1) if frames.ndim == 2 else frames
    return to_int16(Resampler(rate).process(mono.astype(np.float32)))


# --- WAV files ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WavInfo:
    rate: int
    channels: int
    bits: int
    floating: bool
    frames: int

    def describe(self) -> str:
        kind = "float" if self.floating else "PCM"
        return f"{self.bits}-bit {kind}, {self.rate} Hz, {self.channels} channel{'s' if self.channels != 1 else ''}"


def read_wav(source: str | Path | BinaryIO) -> tuple[Samples, WavInfo]:
    """A WAV file of any rate, channel count and sample format -> voiceshop PCM, and what it was."""
    name = str(source) if isinstance(source, str | Path) else getattr(source, "name", "<stream>")
    if isinstance(source, str | Path):
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise AudioFormatError(f"{name}: no such file") from None
        except OSError as exc:
            raise AudioFormatError(f"{name}: cannot read it ({exc.strerror})") from None
    else:
        data = source.read()
    info, payload = _parse_wav(data, name)
    frames = _decode(payload, info).reshape(-1, info.channels)
    if len(frames) == 0:
        raise AudioFormatError(f"{name}: the file holds no sound (0 samples); record or export it again")
    return convert(frames, info.rate), info


def _parse_wav(data: bytes, name: str) -> tuple[WavInfo, bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        what = "an empty file" if not data else "not a WAV file"
        raise AudioFormatError(f"{name}: {what}; voiceshop reads WAV audio (convert with: sox IN -r 16000 OUT.wav)")
    fmt: tuple[int, int, int, int] | None = None
    payload: bytes | None = None
    pos = 12
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + size]
        if kind == b"fmt " and len(body) >= 16:
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == _EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, channels, rate, bits)
        elif kind == b"data":
            payload = body  # a truncated file keeps what was written
        pos += 8 + size + (size & 1)
    if fmt is None or payload is None:
        raise AudioFormatError(
            f"{name}: a damaged WAV file (no {'format' if fmt is None else 'data'} section); record or export it "
            "again, or repair it with: sox IN OUT.wav"
        )
    tag, channels, rate, bits = fmt
    if (
        tag not in (_PCM, _FLOAT)
        or (tag == _PCM and bits not in (8, 16, 24, 32))
        or (tag == _FLOAT and bits not in (32, 64))
    ):
        raise AudioFormatError(
            f"{name}: unsupported WAV encoding (format {tag}, {bits}-bit); use PCM or float, "
            "for example: sox IN -e signed -b 16 OUT.wav"
        )
    if channels < 1 or rate < 1000:
        raise AudioFormatError(
            f"{name}: a damaged WAV header ({channels} channels at {rate} Hz); record or export it again"
        )
    width = bits // 8 * channels
    usable = len(payload) - len(payload) % width
    info = WavInfo(rate=rate, channels=channels, bits=bits, floating=tag == _FLOAT, frames=usable // width)
    return info, payload[:usable]


def _decode(payload: bytes, info: WavInfo) -> npt.NDArray[np.float32]:
    """Samples on the int16 scale, whatever the encoding."""
    if info.floating:
        kind = "<f4" if info.bits == 32 else "<f8"
        return (np.frombuffer(payload, dtype=kind) * 32768.0).astype(np.float32)
    if info.bits == 8:
        return ((np.frombuffer(payload, dtype=np.uint8).astype(np.float32) - 128) * 256).astype(np.float32)
    if info.bits == 16:
        return np.frombuffer(payload, dtype="<i2").astype(np.float32)
    if info.bits == 24:
        raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return (value / 256.0).astype(np.float32)
    return (np.frombuffer(payload, dtype="<i4") / 65536.0).astype(np.float32)


class WavStream:
    """A WAV arriving piece by piece (a program writing it to a pipe), as voiceshop PCM as it comes:
    the same sound ``read_wav`` makes of the whole file. A header that says the data is longer than
    what arrives (as a program writing to a pipe must) is fine: the sound ends where the bytes do."""

    def __init__(self, name: str = "<stream>") -> None:
        self.name = name
        self.info: WavInfo | None = None
        self._pending = b""
        self._resampler: Resampler | None = None

    def feed(self, data: bytes) -> Samples:
        """The next bytes; the sound they complete (empty while the header is still arriving)."""
        self._pending += data
        if self.info is None and not self._header():
            return np.zeros(0, dtype=np.int16)
        assert self.info is not None and self._resampler is not None
        width = self.info.bits // 8 * self.info.channels
        usable = len(self._pending) - len(self._pending) % width
        payload, self._pending = self._pending[:usable], self._pending[usable:]
        frames = _decode(payload, self.info).reshape(-1, self.info.channels)
        return to_int16(self._resampler.process(frames.mean(axis=1)))

    def _header(self) -> bool:
        """Parse the header once all of it (up to the data section's start) has arrived."""
        data, pos = self._pending, 12
        if len(data) >= 12 and (data[:4] != b"RIFF" or data[8:12] != b"WAVE"):
            _parse_wav(data, self.name)  # not a WAV: says so at once, not after the whole sound
        while pos + 8 <= len(data) and data[pos : pos + 4] != b"data":
            size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
            pos += 8 + size + (size & 1)
        if pos + 8 > len(data):
            return False
        self.info = _parse_wav(data[: pos + 8], self.name)[0]
        self._resampler = Resampler(self.info.rate)
        self._pending = data[pos + 8 :]
        return True


def wav_bytes(samples: Samples, rate: int = RATE) -> bytes:
    """16-bit mono WAV file contents."""
    body = samples.astype("<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(body), b"WAVE", b"fmt ", 16, _PCM, 1, rate, rate * 2, 2, 16,
        b"data", len(body),
    )  # fmt: skip
    return header + body


def write_wav(path: str | Path, samples: Samples, rate: int = RATE) -> Path:
    """Write atomically enough for a reply file: the whole file or nothing under that name."""
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(wav_bytes(samples, rate))
    partial.replace(target)
    return target


def read_wav_bytes(data: bytes, name: str = "<audio>") -> Samples:
    return read_wav(_Named(data, name))[0]


class _Named(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


# --- levels and mixing --------------------------------------------------------------------------------


def level_db(samples: Samples) -> float:
    """Loudness in dB relative to full scale (silence is -100)."""
    if len(samples) == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    return max(-100.0, 20 * np.log10(rms / 32768.0)) if rms > 0 else -100.0


def mix_at_snr(speech: Samples, noise: Samples, snr_db: float) -> Samples:
    """Speech with noise added so that speech is ``snr_db`` louder than the noise (noise loops)."""
    reps = int(np.ceil(len(speech) / max(1, len(noise))))
    bed = np.tile(noise, reps)[: len(speech)].astype(np.float64)
    voiced = speech.astype(np.float64)
    loud = voiced[np.abs(voiced) > 0.02 * (np.abs(voiced).max() or 1)]  # speech power over the voiced part
    p_speech = float(np.mean(loud**2)) if len(loud) else 0.0
    p_noise = float(np.mean(bed**2)) or 1.0
    gain = np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    return to_int16((voiced + gain * bed).astype(np.float32))


def tone(freqs: list[float], each: float, volume: float = 0.3) -> Samples:
    """A short sequence of soft sine tones (an earcon), with faded edges so it does not click."""
    parts = []
    for freq in freqs:
        t = np.arange(round(each * RATE)) / RATE
        wave = np.sin(2 * np.pi * freq * t)
        fade = min(len(t) // 4, round(0.01 * RATE))
        envelope = np.ones(len(t))
        envelope[:fade] = np.linspace(0, 1, fade)
        envelope[len(t) - fade :] = np.linspace(1, 0, fade)
        parts.append(wave * envelope * volume * 32767)
    return to_int16(np.concatenate(parts).astype(np.float32))


def sweep(low: float, high: float, seconds: float, volume: float = 0.3) -> Samples:
    """A soft sine sweeping from ``low`` to ``high`` Hz, as long in each octave (an exponential
    sweep: every frequency between gets its share), faded in and, more slowly, out."""
    t = np.arange(round(seconds * RATE)) / RATE
    rise = seconds / np.log(high / low)
    wave = np.sin(2 * np.pi * low * rise * (np.exp(t / rise) - 1.0))
    envelope = np.ones(len(t))
    fade_in, fade_out = round(0.02 * RATE), round(0.08 * RATE)
    envelope[:fade_in] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade_in))
    envelope[len(t) - fade_out :] = 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, fade_out))
    return to_int16((wave * envelope * volume * 32767).astype(np.float32))
