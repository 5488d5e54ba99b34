"""Decoding a command early, while the endpointer waits out the trailing silence: the early transcript
is used only when it was made of exactly the audio the command ended with, so it is the transcript."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.speech import conversation, needs_espeak, say
from voiceshop.asr.base import Recognizer, Transcript, transcribe
from voiceshop.audio.endpoint import Endpointer, Utterance
from voiceshop.audio.pcm import silence
from voiceshop.audio.sink import Silent
from voiceshop.audio.source import SamplesSource, split
from voiceshop.nlu import Understander, Understanding
from voiceshop.runtime import Assistant
from voiceshop.runtime.early import EARLY_QUIET, EarlyDecoder
from voiceshop.runtime.engines import open_recognizer
from voiceshop.runtime.listen import ListenSettings
from voiceshop.runtime.shops import open_shop
from voiceshop.runtime.voice import VoiceLoop
from voiceshop.storage import Database
from voiceshop.tts.voice import Pyttsx3Voice

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


def test_a_command_decoded_early_is_understood_there_too(
    whisper: Recognizer, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Understanding runs in the early decode's worker; the turn then only decides and answers (the
    same readings of the same shop: the same understanding), and a command not understood ahead still is."""
    threads: list[str] = []
    understand = Understander.understand_nbest

    def noted(self: Understander, hypotheses: Sequence[tuple[str, float]]) -> Understanding:
        threads.append(threading.current_thread().name)
        return understand(self, hypotheses)

    monkeypatch.setattr(Understander, "understand_nbest", noted)
    slug = open_shop(db, str(Path(__file__).resolve().parent.parent / "examples" / "coffee-bar"))
    assistant = Assistant(db, slug)
    loop = VoiceLoop(assistant, whisper, Pyttsx3Voice(), Silent(), ListenSettings(activation="always"))
    loop.run(SamplesSource(conversation(["two large soy lattes"], lead=0.5)))
    assert loop.decoded_early == 1 and [t.outcome for t in loop.turns] == ["answered"]
    assert threads == ["voiceshop-asr_0"]
    assert "latte" in loop.turns[0].replies[0].text.lower()
    threads.clear()
    assistant.understand_ahead(assistant.understander(), [("two lattes", 0.9)])
    assistant.hear_nbest([("two muffins", 0.9)])  # other readings: understood for themselves
    assert len(threads) == 2 and "muffin" in assistant.state().cart.lines[-1].name.lower()
