"""Decoding a command early, while the endpointer waits out the trailing silence: the early transcript
is used only when it was made of exactly the audio the command ended with, so it is the transcript."""

from __future__ import annotations

import numpy as np
import pytest

from tests.speech import needs_espeak, say
from voiceshop.asr.base import Recognizer, Transcript, transcribe
from voiceshop.audio.endpoint import Endpointer, Utterance
from voiceshop.audio.pcm import silence
from voiceshop.audio.source import split
from voiceshop.runtime.early import EARLY_QUIET, EarlyDecoder
from voiceshop.runtime.engines import open_recognizer

pytestmark = needs_espeak
HINTS = ["latte", "soy milk", "blueberry muffin", "large"]
"""The shop's words, as the voice loop hears every command with them (``Assistant.hints``): without
them Whisper may write "two large lattes" as "too large latin"."""


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return open_recognizer("whisper", "en")


def listen(early: EarlyDecoder, audio: np.ndarray) -> tuple[Utterance, int]:  # type: ignore[type-arg]
    """Endpoint ``audio`` as the loop does, starting early decodes; the command and how many started."""
    endpointer, started = Endpointer(), 0
    for chunk in split(audio):
        utterance = endpointer.feed(chunk)
        if utterance is not None:
            return utterance, started
        if endpointer.in_speech and endpointer.quiet == EARLY_QUIET:
            early.start(endpointer.speech_start, endpointer.speech_so_far, HINTS)
            started += 1
    raise AssertionError("no command ended")


def never() -> Transcript:
    raise AssertionError("decoded again although the early transcript was of the same audio")


def test_the_early_transcript_is_the_one_of_the_whole_command(whisper: Recognizer) -> None:
    early = EarlyDecoder(whisper)
    command, started = listen(early, np.concatenate([silence(0.5), say("two large soy lattes"), silence(1.5)]))
    heard = early.finish(command, never)
    assert started == 1 and early.used == 1
    assert heard.text == transcribe(whisper, command.samples, HINTS).text
    assert "large soy latte" in heard.text.lower()  # "two" or "2", as Whisper writes it


def test_speech_after_a_pause_is_decoded_again(whisper: Recognizer) -> None:
    early = EarlyDecoder(whisper)
    audio = np.concatenate([silence(0.5), say("two large lattes"), silence(0.3), say("and a muffin"), silence(1.5)])
    command, started = listen(early, audio)
    heard = early.finish(command, lambda: transcribe(whisper, command.samples, HINTS))
    assert started >= 2 and early.used == 1  # the decode made in the pause was dropped, the last one used
    assert "muffin" in heard.text.lower() and "two large" in heard.text.lower()
