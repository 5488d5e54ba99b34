"""Audio in: WAV files of every shape, raw PCM, resampling, endpointing in quiet and noisy rooms."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.speech import conversation, needs_espeak, noisy, say
from voiceshop.audio.endpoint import Endpointer, EndpointSettings, Utterance
from voiceshop.audio.pcm import RATE, Resampler, Samples, WavStream, level_db, read_wav, silence, tone, wav_bytes
from voiceshop.audio.source import CHUNK, PcmSource, SamplesSource, WavSource
from voiceshop.errors import AudioFormatError


def sine(freq: float, rate: int, seconds: float, channels: int = 1) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    mono = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.repeat(mono[:, None], channels, axis=1)


def encode(frames: np.ndarray, rate: int, bits: int, floating: bool = False, extensible: bool = False) -> bytes:
    """A WAV file written independently of voiceshop's reader (for the formats ``wave`` cannot write)."""
    channels = frames.shape[1]
    if floating:
        body = frames.astype("<f4").tobytes()
    elif bits == 8:
        body = (frames * 127 + 128).astype(np.uint8).tobytes()
    elif bits == 16:
        body = (frames * 32767).astype("<i2").tobytes()
    elif bits == 24:
        ints = (frames * (2**23 - 1)).astype("<i4").reshape(-1)
        body = b"".join(int(v).to_bytes(4, "little", signed=True)[:3] for v in ints)
    else:
        body = (frames * (2**31 - 1)).astype("<i4").tobytes()
    tag = 3 if floating else 1
    block = channels * bits // 8
    if extensible:
        guid = struct.pack("<H", tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, 0) + guid
    else:
        fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def peak_hz(samples: Samples) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(np.argmax(spectrum))])


@pytest.mark.parametrize(
    ("rate", "channels", "bits", "floating", "extensible"),
    [
        (44_100, 2, 16, False, False),
        (8_000, 1, 8, False, False),
        (48_000, 1, 24, False, False),
        (22_050, 2, 32, False, True),
        (48_000, 2, 32, True, False),
        (16_000, 6, 32, True, True),
    ],
)
def test_any_wav_becomes_16k_mono(
    tmp_path: Path, rate: int, channels: int, bits: int, floating: bool, extensible: bool
) -> None:
    path = tmp_path / "tone.wav"
    path.write_bytes(encode(sine(440, rate, 1.0, channels), rate, bits, floating, extensible))
    samples, info = read_wav(path)
    assert (info.rate, info.channels, info.bits, info.floating) == (rate, channels, bits, floating)
    assert samples.dtype == np.int16
    assert abs(len(samples) - RATE) <= 2
    assert abs(peak_hz(samples) - 440) < 3
    assert -12 < level_db(samples) < -6  # a 0.5 sine is about -9 dB


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "an empty file"),
        (b"hello, this is a text file and not audio at all", "not a WAV file"),
        (encode(np.zeros((0, 1)), 16_000, 16), "holds no sound"),
        (encode(sine(440, 8000, 0.1), 8000, 16)[:40], "damaged WAV file"),
    ],
)
def test_unusable_files_say_what_is_wrong(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFormatError, match=expected):
        read_wav(path)


def test_unsupported_encoding_and_missing_file(tmp_path: Path) -> None:
    adpcm = bytearray(encode(sine(440, 8000, 0.1), 8000, 16))
    adpcm[20:22] = struct.pack("<H", 2)  # Microsoft ADPCM
    path = tmp_path / "adpcm.wav"
    path.write_bytes(bytes(adpcm))
    with pytest.raises(AudioFormatError, match=r"unsupported WAV encoding .*sox"):
        read_wav(path)
    with pytest.raises(AudioFormatError, match="no such file"):
        read_wav(tmp_path / "nothing.wav")


@pytest.mark.parametrize("rate_in", [8_000, 22_050, 44_100, 48_000])
def test_streaming_resampler_equals_one_call(rate_in: int) -> None:
    signal = (sine(300, rate_in, 0.7)[:, 0] * 20000).astype(np.float32)
    whole = Resampler(rate_in).process(signal)
    streaming = Resampler(rate_in)
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.choice(np.arange(1, len(signal)), size=40, replace=False))
    pieces = [streaming.process(p) for p in np.split(signal, cuts)]
    joined = np.concatenate(pieces)
    assert len(joined) == len(whole)
    np.testing.assert_allclose(joined, whole, atol=0.05)
    assert abs(len(whole) - round(len(signal) * RATE / rate_in)) <= 2


@pytest.mark.parametrize("piece", [1, 3, 1000])
def test_a_wav_arriving_in_pieces_is_the_same_sound_as_the_whole_file(piece: int) -> None:
    data = bytearray(encode(sine(440, 22_050, 0.5, 2), 22_050, 24))
    data[4:8] = data[40:44] = struct.pack("<I", 0x7FFFF000)  # as a program writing to a pipe: "length unknown"
    stream = WavStream("pipe")
    pieces = [stream.feed(bytes(data[i : i + piece])) for i in range(0, len(data), piece)]
    whole = read_wav(io.BytesIO(encode(sine(440, 22_050, 0.5, 2), 22_050, 24)))[0]
    np.testing.assert_array_equal(np.concatenate(pieces), whole)
    assert stream.info is not None and stream.info.rate == 22_050
    with pytest.raises(AudioFormatError, match="not a WAV file"):
        WavStream("pipe").feed(b"usage: espeak-ng [options]")


def test_downsampling_does_not_fold_high_sound_into_speech() -> None:
    # 12 kHz at 48 kHz would alias to 4 kHz, the middle of speech, without the low-pass filter.
    high = (sine(12_000, 48_000, 0.5)[:, 0] * 20000).astype(np.float32)
    out = Resampler(48_000).process(high)
    assert 20 * np.log10(np.sqrt(np.mean(out[200:] ** 2)) / np.sqrt(np.mean(high**2))) < -30


def test_raw_pcm_on_stdin_becomes_chunks() -> None:
    frames = sine(440, 48_000, 1.0, channels=2)
    stream = io.BytesIO((frames * 32767).astype("<i2").tobytes() + b"\x01")  # a stray odd byte at the end
    chunks = list(PcmSource(stream, rate=48_000, channels=2).chunks())
    assert all(len(c) == CHUNK for c in chunks)
    total = np.concatenate(chunks)
    assert abs(len(total) - RATE) <= CHUNK
    assert abs(peak_hz(total[: RATE // 2]) - 440) < 5


def test_raw_pcm_rejects_impossible_formats() -> None:
    with pytest.raises(AudioFormatError, match="bytes per sample"):
        PcmSource(io.BytesIO(), width=3)
    with pytest.raises(AudioFormatError, match="sample rate"):
        PcmSource(io.BytesIO(), rate=0)


def test_wav_source_gives_real_chunk_sizes(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(wav_bytes(tone([440.0], 1.0)))
    chunks = list(WavSource(path).chunks())
    assert len(chunks) == int(np.ceil(RATE / CHUNK))
    assert {len(c) for c in chunks} == {CHUNK}


# --- endpointing --------------------------------------------------------------------------------------


def endpoint(samples: Samples, settings: EndpointSettings | None = None) -> list[Utterance]:
    endpointer = Endpointer(settings)
    found = [u for c in SamplesSource(samples).chunks() if (u := endpointer.feed(c)) is not None]
    last = endpointer.flush()
    return found + ([last] if last else [])


LINES = ["hey shop", "two large lattes please", "yes"]


def spoken_spans(lines: list[str], gap: float = 1.2, lead: float = 0.8) -> list[tuple[float, float]]:
    """Where each line's voice really is (espeak pads its WAVs with up to 0.4 s of silence)."""
    spans, t = [], lead
    for line in lines:
        audio = say(line)
        voiced = np.nonzero(np.abs(audio) > 500)[0]
        spans.append((t + voiced[0] / RATE, t + voiced[-1] / RATE))
        t += len(audio) / RATE + gap
    return spans


@needs_espeak
@pytest.mark.parametrize("snr", [None, 20, 10])
def test_each_command_is_found_with_its_boundaries(snr: float | None) -> None:
    audio = conversation(LINES)
    if snr is not None:
        audio = noisy(audio, snr)
    found = endpoint(audio)
    assert len(found) == len(LINES)
    for utterance, (start, end) in zip(found, spoken_spans(LINES), strict=True):
        # the pre-roll starts a command up to 0.3 s early; a soft last sound may drown in noise
        assert start - 0.45 <= utterance.start <= start + 0.15
        assert end - 0.25 <= utterance.end <= end + 0.35
        assert not utterance.truncated


@needs_espeak
def test_the_floor_follows_a_room_that_gets_louder() -> None:
    quiet = noisy(conversation(["one espresso"], gap=1.0), 30)
    # a grinder starts: steady noise 20 dB louder than before, then a command over it
    grinder = noisy(np.zeros(RATE * 8, dtype=np.int16) + 1, -100)[: RATE * 6]
    loud_part = noisy(conversation(["two lattes"], lead=0.0), 12)
    audio = np.concatenate([quiet, grinder, loud_part])
    found = endpoint(audio)
    lattes = [u for u in found if u.end > len(quiet) / RATE + 6.0]
    assert len(lattes) == 1 and not lattes[0].truncated
    assert len(found) <= 3  # the grinder's start may sound like one command, never many


def test_short_clicks_are_not_speech() -> None:
    click = tone([2000.0], 0.03, volume=0.8)
    audio = np.concatenate([silence(1), click, silence(1), click, silence(1)])
    assert endpoint(audio) == []


def test_a_command_that_never_ends_is_cut_at_the_maximum_length() -> None:
    # ten seconds of talking: sounds with short pauses between them, never the pause that ends a command
    word = np.concatenate([tone([300.0, 500.0], 0.15, volume=0.3), silence(0.1)])
    endless = np.tile(word, 25)
    found = endpoint(np.concatenate([silence(0.5), endless]), EndpointSettings(max_length=4.0))
    assert found[0].truncated
    assert 3.9 <= found[0].duration <= 4.1


@needs_espeak
def test_trailing_silence_is_tunable() -> None:
    # "two lattes ... and a muffin" with a 0.5 s pause: one command with 0.7 s, two with 0.3 s
    audio = np.concatenate([silence(0.5), say("two lattes"), silence(0.5), say("and a muffin"), silence(1.0)])
    assert len(endpoint(audio, EndpointSettings(trailing_silence=0.9))) == 1
    assert len(endpoint(audio, EndpointSettings(trailing_silence=0.3))) == 2
