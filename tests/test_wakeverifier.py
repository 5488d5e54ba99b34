"""The trained wake verifiers (``asr.wakeverifier``): the packaged weights load, each tells its phrase
from a sound-alike ("okay nabu" and "hey mycroft" in an espeak-ng voice they were never trained on,
"hey jarvis" in the packaged Piper voice, the only one its model fires on), the loop picks the one of
the phrase it listens for (a phrase without one is checked by the likelihood check alone), and a damaged file is a clear
error, on which the voice loop checks with the likelihood check alone and says why."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests.speech import around_wake_peak, needs_espeak, say
from tests.test_piper import needs_piper, piper
from voiceshop.asr.base import Recognizer, SoundEncoder
from voiceshop.asr.wakecheck import LikelihoodWakeCheck
from voiceshop.asr.wakeverifier import VerifierWakeCheck, load_verifier, verifier_path, with_verifier
from voiceshop.audio.pcm import RATE, Samples, silence
from voiceshop.audio.source import CHUNK, split
from voiceshop.audio.wakeword import AllChecks, MicroWakeWordDetector
from voiceshop.errors import ModelError
from voiceshop.runtime.confirm import default_check, verified, verifier_state
from voiceshop.runtime.engines import open_recognizer

HELD_OUT = "en-029+m6"
"""A voice and a variant ``benchmarks/wake_data.py`` never trains on (``HELD_OUT_BASES``, ``HELD_OUT_VARIANTS``)."""


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return open_recognizer("whisper", "en")


def at_the_fire(text: str, before: float, after: float, phrase: str = "okay nabu") -> Samples:
    """``text`` said by the held-out voice, as the check hears it when ``phrase``'s wake word model fires on it."""
    audio = np.concatenate([np.zeros(RATE, np.int16), say(text, HELD_OUT, 160), np.zeros(RATE, np.int16)])
    detector = MicroWakeWordDetector(phrase)
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


def packaged_first(whisper: Recognizer, said: str, phrase: str, name: str) -> VerifierWakeCheck:
    """The packaged verifier of ``phrase`` (asked for as ``said``), small and described, as the loop
    runs it: first, then the likelihood check."""
    path = verifier_path(said)
    verifier = load_verifier(path)
    assert path.name == name and path.stat().st_size < 400_000 and verifier.phrase == phrase
    assert "not trained on" in verifier.facts["summary"] and 0 < verifier.cutoff < 1
    loop_check = default_check(whisper, phrase)
    assert isinstance(loop_check, AllChecks) and isinstance(loop_check.checks[1], LikelihoodWakeCheck)
    check = loop_check.checks[0]
    assert isinstance(check, VerifierWakeCheck) and check.verifier.phrase == phrase
    return check


@needs_piper
def test_hey_jarvis_has_its_own_verifier_which_the_loop_picks_and_alexa_is_checked_as_before(
    whisper: Recognizer,
) -> None:
    check = packaged_first(whisper, "Hey, Jarvis", "hey jarvis", "hey_jarvis.npz")
    assert with_verifier() == ["okay nabu", "hey jarvis", "hey mycroft"]

    def heard(text: str) -> Samples:  # where the model fires (or comes nearest to), as the check hears it
        audio = np.concatenate([silence(1.0), piper().synthesize(text), silence(1.0)])
        return around_wake_peak(audio, check.before, check.after, "hey jarvis")

    real = check.check(heard("hey jarvis, a small latte please"))
    near = check.check(heard("hey Charles, a small latte please"))  # the model fires on it, most times
    assert real.accepted, real
    assert not near.accepted, near
    # a phrase without a verifier is checked as before, and says so in the doctor
    assert isinstance(default_check(whisper, "alexa"), LikelihoodWakeCheck)
    assert isinstance(whisper, SoundEncoder)
    assert verifier_state("alexa", whisper.encoder_name) == (
        "none for 'alexa' (only the likelihood check; packaged for: okay nabu, hey jarvis, hey mycroft)"
    )
    assert "hey_jarvis.npz (the verifier of 'hey jarvis'" in verifier_state("Hey Jarvis", whisper.encoder_name)
    # one phrase's weights never verify another's
    with pytest.raises(ModelError, match="the wake verifier of 'okay nabu' cannot verify 'hey jarvis'"):
        VerifierWakeCheck(whisper, load_verifier(verifier_path("okay nabu")), "hey jarvis")


@needs_espeak
def test_hey_mycroft_has_its_own_verifier_which_tells_it_from_a_near_miss_the_model_fires_on(
    whisper: Recognizer,
) -> None:
    check = packaged_first(whisper, "Hey, Mycroft", "hey mycroft", "hey_mycroft.npz")
    real = check.check(at_the_fire("hey mycroft, a small latte please", check.before, check.after, "hey mycroft"))
    # the model fires on it in this voice; it is among the stream's near misses, not the training's
    near = check.check(at_the_fire("hey Mike Roth wants tea", check.before, check.after, "hey mycroft"))
    assert real.accepted, real
    assert not near.accepted, near
    assert isinstance(whisper, SoundEncoder)
    assert "hey_mycroft.npz (the verifier of 'hey mycroft'" in verifier_state("hey mycroft", whisper.encoder_name)


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
    jarvis = LikelihoodWakeCheck(whisper, "hey jarvis")  # type: ignore[arg-type]
    assert verified(jarvis, whisper, "hey jarvis", said.append, verifier_path("okay nabu")) is jarvis
    assert "of 'okay nabu' cannot verify 'hey jarvis'" in said[1], said


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
