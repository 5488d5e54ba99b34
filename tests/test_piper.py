"""Piper, the natural voice (the optional ``piper`` extra): real synthesis with the packaged English
voice, heard back by the bundled Whisper engine; pace and volume as with espeak-ng; espeak-ng where
Piper or a voice for the language is missing."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import bundle
from voiceshop.asr.base import transcribe
from voiceshop.audio.pcm import RATE, level_db, silence
from voiceshop.audio.source import split
from voiceshop.audio.wakeword import MicroWakeWordDetector, wake_word_names
from voiceshop.errors import SpeechOutputError
from voiceshop.runtime.engines import open_recognizer, open_voice
from voiceshop.tts.base import Synthesizer
from voiceshop.tts.piper_stream import CONTEXT, FIRST_FRAMES, open_stream
from voiceshop.tts.piper_voice import THREADS, WARM_UP_IDS, PiperVoice, packaged_voice, piper_installed

needs_piper = pytest.mark.skipif(
    not (piper_installed() and packaged_voice("en")),
    reason="the piper extra is not installed (pip install '.[piper]'; .[dev] includes it)",
)

needs_onnx = pytest.mark.skipif(
    importlib.util.find_spec("onnx") is None,
    reason="onnx (part of the piper extra) is not installed: Piper makes each sentence whole",
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
    # a sentence at a time, or in stretches of a sentence where the model is cut
    assert len(pieces) == (2 if voice.stream is None else 4) and all(len(p) > RATE // 4 for p in pieces)


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


@needs_piper
@needs_onnx
def test_a_sentence_decoded_in_stretches_is_the_sentence_decoded_whole() -> None:
    """The model cut in two gives the very sound of the whole model (with Piper's randomness turned
    off, so both make the same), and its first stretch is short whatever the sentence's length."""
    import onnxruntime

    path = str(packaged_voice("en"))
    options = onnxruntime.SessionOptions()
    stream = open_stream(path, options, 256)
    assert stream is not None
    whole = onnxruntime.InferenceSession(path, options, ["CPUExecutionProvider"])
    ids = [1, 0] + [i for p in (20, 31, 14, 59, 27, 120, 24, 32, 15, 55) for i in (p, 0)] * 14 + [2]
    inputs = {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32),  # no noise: the same every time
    }
    made = whole.run(None, inputs)[0].reshape(-1)
    stretches = list(stream.audio(inputs))
    assert len(made) > 8 * FIRST_FRAMES * 256 and len(stretches) >= 3
    assert len(stretches[0]) == FIRST_FRAMES * 256 and len(stretches[1]) == 2 * FIRST_FRAMES * 256
    joined = np.concatenate(stretches)
    assert len(joined) == len(made)
    assert np.abs(joined - made).max() < 1e-4  # an int16 step is 3e-5
    # without the context either side, the seams would be heard: the test can tell
    cut = stream.back.run(None, {stream.latent: stream.front.run(None, inputs)[0][:, :, :FIRST_FRAMES]})[0]
    assert (
        np.abs(cut.reshape(-1)[-256 * CONTEXT :] - made[(FIRST_FRAMES - CONTEXT) * 256 : FIRST_FRAMES * 256]).max()
        > 1e-3
    )


@needs_piper
@needs_onnx
def test_a_long_sentence_starts_playing_from_its_first_stretch_and_all_of_it_is_heard() -> None:
    voice = piper()
    reply = "Your order is placed, number four two, in about five minutes. Anything else?"
    pieces = list(voice.sentences(reply))
    assert len(pieces) >= 4 and len(pieces[0]) / RATE < 0.5
    whisper = open_recognizer("whisper", "en")
    heard = transcribe(whisper, np.concatenate([silence(0.3), *pieces, silence(0.3)])).text.lower()
    assert all(w in heard for w in ("order", "placed", "minutes", "anything else")), heard


@needs_piper
def test_without_onnx_piper_makes_each_sentence_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if onnx were not installed
    voice = PiperVoice()
    assert voice.stream is None
    pieces = list(voice.sentences("Added one croissant. Anything else?"))
    assert len(pieces) == 2 and all(len(p) > RATE // 4 for p in pieces)
    assert -35 < level_db(np.concatenate(pieces)) < -12


@needs_piper
@needs_onnx
def test_a_voice_whose_decoder_is_not_found_is_made_whole(tmp_path: Path) -> None:
    import onnx

    source = packaged_voice("en")
    assert source is not None
    model = onnx.load(str(source))
    for node in model.graph.node:  # the decoder's weights under another name, as an older export might
        node.input[:] = ["renamed" if i == "dec.conv_pre.weight" else i for i in node.input]
    for weights in model.graph.initializer:
        if weights.name == "dec.conv_pre.weight":
            weights.name = "renamed"
    path = tmp_path / "voice.onnx"
    onnx.save(model, str(path))
    Path(f"{path}.json").write_bytes(Path(f"{source}.json").read_bytes())
    voice = PiperVoice(path)
    assert voice.stream is None and piper().stream is not None
    pieces = list(voice.sentences("Added one croissant. Anything else?"))
    assert len(pieces) == 2 and all(len(p) > RATE // 4 for p in pieces)


@needs_piper
def test_the_voice_is_warmed_up_when_it_loads_and_its_threads_do_not_spin(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    runs: list[int] = []
    run = onnxruntime.InferenceSession.run

    def counted(self: Any, outputs: Any, feed: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if "input" in feed:  # the model's first (or only) part: one run a sentence
            runs.append(int(feed["input"].shape[1]))
        return run(self, outputs, feed, *args, **kwargs)

    monkeypatch.setattr(onnxruntime.InferenceSession, "run", counted)
    voice = PiperVoice()
    assert runs == [WARM_UP_IDS]  # before any reply is asked for
    sessions = [voice.stream.front, voice.stream.back] if voice.stream else [voice._voice.session]
    for session in sessions:
        options = session.get_session_options()
        assert 1 <= options.intra_op_num_threads <= THREADS
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    voice.synthesize("Anything else?")
    assert len(runs) == 2
