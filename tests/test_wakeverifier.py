"""The trained wake verifier (``asr.wakeverifier``): the packaged weights load, it tells the phrase from a
sound-alike said by a voice it was never trained on, and a damaged file is a clear error, on which the
voice loop checks with the likelihood check alone and says why."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests.speech import needs_espeak, say
from voiceshop.asr.base import Recognizer, SoundEncoder
from voiceshop.asr.wakecheck import LikelihoodWakeCheck
from voiceshop.asr.wakeverifier import VerifierWakeCheck, load_verifier, verifier_path
from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.source import CHUNK, split
from voiceshop.audio.wakeword import AllChecks, MicroWakeWordDetector
from voiceshop.errors import ModelError
from voiceshop.runtime.confirm import default_check, verified
from voiceshop.runtime.engines import open_recognizer

HELD_OUT = "en-029+m6"
"""A voice and a variant ``benchmarks/wake_data.py`` never trains on (``HELD_OUT_BASES``, ``HELD_OUT_VARIANTS``)."""


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return open_recognizer("whisper", "en")


def at_the_fire(text: str, before: float, after: float) -> Samples:
    """``text`` said by the held-out voice, as the check hears it when the wake word model fires on it."""
    audio = np.concatenate([np.zeros(RATE, np.int16), say(text, HELD_OUT, 160), np.zeros(RATE, np.int16)])
    detector = MicroWakeWordDetector("okay nabu")
    fires = [i for i, chunk in enumerate(split(audio)) if detector.feed(chunk)]
    assert fires, f"the wake word model does not fire on {text!r}"
    end = (fires[0] + 1) * CHUNK
    return audio[max(0, end - round(before * RATE)) : end + round(after * RATE)]


def test_the_packaged_weights_load_and_say_how_they_were_trained() -> None:
    path = verifier_path("Okay, Nabu")
    verifier = load_verifier(path)
    assert path.name == "okay_nabu.npz" and path.stat().st_size < 400_000  # small package data
    assert verifier.phrase == "okay nabu" and 0 < verifier.cutoff < 1
    assert "not trained on" in verifier.facts["summary"]
    root = Path(__file__).resolve().parent.parent
    packaged = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "asr/verifiers/*.npz" in packaged["voiceshop"]  # installed with the package, not only in a checkout


@needs_espeak
def test_it_accepts_the_phrase_and_rejects_a_sound_alike_in_a_voice_it_never_heard(whisper: Recognizer) -> None:
    assert isinstance(whisper, SoundEncoder)
    check = VerifierWakeCheck(whisper, load_verifier(verifier_path("okay nabu")))
    real = check.check(at_the_fire("okay nabu, a small latte please", check.before, check.after))
    near = check.check(at_the_fire("okay, now who wants tea", check.before, check.after))  # the model fires on it
    assert real.accepted, real
    assert not near.accepted, near
    # the loop runs it first, then the likelihood check
    loop_check = default_check(whisper, "okay nabu")
    assert isinstance(loop_check, AllChecks) and isinstance(loop_check.checks[0], VerifierWakeCheck)
    assert isinstance(loop_check.checks[1], LikelihoodWakeCheck)


def test_a_damaged_verifier_is_a_clear_error_and_the_loop_says_why_it_checks_without_it(
    whisper: Recognizer, tmp_path: Path
) -> None:
    assert isinstance(whisper, SoundEncoder)
    good = verifier_path("okay nabu").read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good[: len(good) // 2])
    text = tmp_path / "text.npz"
    text.write_text("not weights")
    with pytest.raises(ModelError, match=r"cut\.npz is damaged .*train_wake_verifier\.py"):
        load_verifier(cut)
    with pytest.raises(ModelError, match=r"text\.npz is damaged"):
        load_verifier(text)
    with pytest.raises(ModelError, match="no wake verifier at"):
        load_verifier(tmp_path / "missing.npz")
    verifier = load_verifier(verifier_path("okay nabu"))
    misfit = tmp_path / "misfit.npz"
    dataclasses.replace(verifier, layers=verifier.layers[:1]).save(misfit)  # its last layer has 32 outputs
    with pytest.raises(ModelError, match="layers do not fit together"):
        load_verifier(misfit)
    with pytest.raises(ModelError, match="trained on the encoder of whisper:other"):
        VerifierWakeCheck(whisper, dataclasses.replace(verifier, encoder="whisper:other"))
    said: list[str] = []
    likelihood = LikelihoodWakeCheck(whisper, "okay nabu")  # type: ignore[arg-type]  # Whisper scores phrases
    assert verified(likelihood, whisper, "okay nabu", said.append, cut) is likelihood
    assert len(said) == 1 and "cut.npz is damaged" in said[0] and "likelihood ratio" in said[0], said


def test_weights_are_kept_as_8_bit_integers_that_score_as_the_floats_did(tmp_path: Path) -> None:
    verifier = load_verifier(verifier_path("okay nabu"))
    rng = np.random.default_rng(3)
    features = [rng.standard_normal(verifier.mean.shape[0]).astype(np.float32) * verifier.scale + verifier.mean
                for _ in range(20)]  # fmt: skip
    scores = [verifier.probability(x) for x in features]
    assert max(scores) - min(scores) > 0.2  # not all saturated: a wrong weight would show
    path = tmp_path / "kept.npz"
    verifier.save(path)
    with np.load(path) as kept:
        assert kept["w0"].dtype == np.int8 and kept["q0"].shape == (verifier.layers[0][0].shape[1],)
    again = load_verifier(path)
    for x in features:
        assert abs(again.probability(x) - verifier.probability(x)) < 0.01
    # a file written before (float16 weights, no scales) loads as it was
    older = tmp_path / "older.npz"
    with np.load(path) as kept:
        arrays = {k: kept[k] for k in kept.files if not k.startswith(("w", "q"))}
    for i, (weights, _) in enumerate(verifier.layers):
        arrays[f"w{i}"] = weights.astype(np.float16)
    np.savez_compressed(older, **arrays)
    old = load_verifier(older)
    assert all(abs(old.probability(x) - verifier.probability(x)) < 0.01 for x in features)
