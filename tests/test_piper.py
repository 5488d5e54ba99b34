"""Piper, the natural voice (the optional ``piper`` extra): real synthesis with the packaged English
voice, heard back by the bundled Whisper engine; pace and volume as with espeak-ng; espeak-ng where
Piper or a voice for the language is missing."""

from __future__ import annotations

import re
import sys
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import bundle
from voiceshop.asr.base import transcribe
from voiceshop.audio.pcm import RATE, level_db, silence
from voiceshop.audio.source import split
from voiceshop.audio.wakeword import MicroWakeWordDetector, wake_word_names
from voiceshop.errors import SpeechOutputError
from voiceshop.runtime.engines import open_recognizer, open_voice
from voiceshop.tts.base import Synthesizer
from voiceshop.tts.clauses import LONG, first_clause
from voiceshop.tts.piper_voice import THREADS, WARM_UP_IDS, PiperVoice, packaged_voice, piper_installed

needs_piper = pytest.mark.skipif(
    not (piper_installed() and packaged_voice("en")),
    reason="the piper extra is not installed (pip install '.[piper]'; .[dev] includes it)",
)


@cache
def piper() -> Synthesizer:
    return open_voice("piper", "en")


@needs_piper
def test_piper_speaks_what_whisper_hears() -> None:
    said = piper().synthesize("Two large soy lattes and a blueberry muffin.")
    assert 1.5 < len(said) / RATE < 6 and np.abs(said).max() > 3000
    whisper = open_recognizer("whisper", "en")
    # as voiceshop hears a shopper: with the shop's product names as Whisper's vocabulary
    names = [p.name for p in bundle("coffee-bar").catalog.products]
    whisper.set_vocabulary(sorted({w for n in names for w in n.split()}), names)
    heard = transcribe(whisper, said).text.lower()
    assert "latte" in heard and "muffin" in heard


@needs_piper
def test_piper_follows_pace_and_volume_and_speaks_sentence_by_sentence() -> None:
    voice = piper()
    slow, normal = (len(voice.synthesize("Anything else?", pace=p)) for p in (-2, 0))
    assert slow > normal * 1.2
    loud, soft = (level_db(voice.synthesize("Anything else?", volume=v)) for v in (2, 0))
    assert loud > soft + 3
    pieces = list(voice.sentences("Added one croissant. Anything else?"))
    assert len(pieces) == 2 and all(len(p) > RATE // 4 for p in pieces)


@needs_piper
def test_auto_takes_piper_for_english_and_espeak_elsewhere() -> None:
    assert open_voice("auto", "en").name == "piper"
    assert open_voice("auto", "ko").name == "espeak"  # no packaged Piper voice for Korean


def test_without_the_extra_piper_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)  # as if piper-tts were not installed
    with pytest.raises(SpeechOutputError, match=r"pip install 'voiceshop\[piper\]'"):
        PiperVoice()
    assert open_voice("auto", "en").name == "espeak"
    with pytest.raises(SpeechOutputError, match=r"Piper is not installed; run: pip install 'voiceshop\[piper\]'"):
        open_voice("piper", "sv")


@needs_piper
@pytest.mark.parametrize("phrase", wake_word_names())
def test_each_packaged_wake_word_fires_on_the_piper_voice(phrase: str) -> None:
    """So every ``--wake-word`` choice is known to work: the packaged model fires on the phrase said by
    the packaged Piper voice (espeak-ng's voices never reach "hey jarvis"'s cutoff). Piper says it a
    little differently each time; of three renderings (at three paces) at least two must wake it, each
    as the phrase ends, not later."""
    woke = 0
    for pace in (-1, 0, 1):
        said = piper().synthesize(phrase, pace=pace)
        detector = MicroWakeWordDetector(phrase)
        audio = np.concatenate([silence(1.0), said, silence(1.0)])
        fired = [i * len(c) / RATE for i, c in enumerate(split(audio)) if detector.feed(c)]
        if fired:
            woke += 1
            assert 1.0 < fired[0] < 1.0 + len(said) / RATE + 0.5
    assert woke >= 2


@pytest.mark.parametrize(
    ("reply", "pieces"),
    [
        (
            "Your order is placed, number four two, in about five minutes.",
            ["Your order is placed,", "number four two, in about five minutes."],
        ),
        (
            "How would you like it: pick up at the counter, free, or delivery? Say which.",
            ["How would you like it:", "pick up at the counter, free, or delivery? Say which."],
        ),
        # a short first sentence is made fast enough whole, whatever follows it
        ("Okay, cancelled. What would you like, a latte or a mocha or a muffin today?", None),
        # no clause mark in the first sentence: nothing to cut at, even where a later sentence has one
        ("Added two large lattes with soy milk and one blueberry muffin. Anything else, then?", None),
        ("We only have 1,000 cups of the house blend left today.", None),  # a digit group is no clause
        ("Added two large lattes with soy milk and one blueberry muffin,", None),  # nothing after it
        ("", []),
    ],
)
def test_a_long_first_sentence_is_cut_at_its_first_clause_mark(reply: str, pieces: list[str] | None) -> None:
    assert first_clause(reply) == ([reply] if pieces is None else pieces)


@given(st.lists(st.sampled_from(["two", "large", "lattes,", "oat:", "milk.", "please?", "and", "  "]), max_size=20))
def test_the_pieces_are_the_whole_reply_in_order(words: list[str]) -> None:
    reply = " ".join(words)
    pieces = first_clause(reply)
    assert re.sub(r"\s", "", "".join(pieces)) == re.sub(r"\s", "", reply)
    assert len(pieces) <= 2 and all(p.strip() for p in pieces)
    if len(pieces) == 2:
        assert len(pieces[0].split()) < len(reply.split()) and pieces[0][-1] in ",;:"
        assert len(reply.split(".")[0].split()) > LONG


@needs_piper
def test_a_long_first_sentence_is_said_in_two_pieces_and_all_of_it_is_heard() -> None:
    """The first piece is the first clause alone (so it is made in a fraction of the sentence's time),
    the voice pauses at the cut about as long as at a comma, and Whisper hears the whole reply."""
    voice = piper()
    pieces = list(voice.sentences("Your order is placed, number four two, in about five minutes. Anything else?"))
    assert len(pieces) == 3
    first, rest = (len(p) / RATE for p in pieces[:2])
    assert 0.6 < first < 2.0 and rest > 1.5 * first
    loud = [np.flatnonzero(np.abs(p) > 300) for p in pieces[:2]]
    pause = (len(pieces[0]) - loud[0][-1] + loud[1][0]) / RATE
    assert 0.1 < pause < 0.45
    whisper = open_recognizer("whisper", "en")
    heard = transcribe(whisper, np.concatenate([silence(0.3), *pieces, silence(0.3)])).text.lower()
    assert all(w in heard for w in ("order", "placed", "minutes", "anything else")), heard


@needs_piper
def test_the_voice_is_warmed_up_when_it_loads_and_its_threads_do_not_spin(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    runs: list[int] = []
    run = onnxruntime.InferenceSession.run

    def counted(self: Any, outputs: Any, feed: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        runs.append(int(feed["input"].shape[1]))
        return run(self, outputs, feed, *args, **kwargs)

    monkeypatch.setattr(onnxruntime.InferenceSession, "run", counted)
    voice = PiperVoice()
    assert runs == [WARM_UP_IDS]  # before any reply is asked for
    options = voice._voice.session.get_session_options()
    assert 1 <= options.intra_op_num_threads <= THREADS
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    voice.synthesize("Anything else?")
    assert len(runs) == 2
