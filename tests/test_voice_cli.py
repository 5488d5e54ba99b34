"""The voice commands through the CLI: run, transcribe, understand FILE.wav, say, devices, doctor, models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.speech import conversation, needs_espeak, say
from tests.test_voice import ORDER
from voiceshop.audio.pcm import RATE, read_wav, write_wav
from voiceshop.models import manifest
from voiceshop.runtime.engines import open_voice
from voiceshop.storage import Database
from voiceshop.storage.orders import OrderRepository
from voiceshop.tts.piper_voice import PiperVoice, piper_installed

COFFEE = str(Path(__file__).resolve().parent.parent / "examples" / "coffee-bar")
Vs = Callable[..., str]


@needs_espeak
def test_run_from_a_recording_to_a_stored_order(vs: Vs, tmp_path: Path) -> None:
    recording = write_wav(tmp_path / "shopper.wav", conversation(ORDER))
    out = vs(
        "run", "--shop", COFFEE, "--input", str(recording), "--out", str(tmp_path / "replies"), "--engine", "whisper"
    )
    assert "large soy lattes" in out.lower()
    assert "Your order is placed," in out
    with Database(tmp_path / "cli.db") as db:
        assert len(OrderRepository(db).list()) == 1
    assert len(list((tmp_path / "replies").glob("*-reply.wav"))) == 5


@needs_espeak
def test_transcribe_and_understand_wav_files(vs: Vs, tmp_path: Path) -> None:
    a = write_wav(tmp_path / "a.wav", conversation(["two large soy lattes and a blueberry muffin"], gap=0.5, lead=0.5))
    lines = vs("understand", str(a), "--shop", COFFEE, "--json", "--engine", "whisper").strip().splitlines()
    assert len(lines) == 1
    found = json.loads(lines[0])
    assert found["intent"] == "AddItems" and found["engine"] == "whisper"
    assert [(i["sku"], i["quantity"]) for i in found["items"]] == [("DRK-LATTE", 2), ("BAK-MUFFIN-BB", 1)]
    assert found["alternatives"][0]["text"] == found["transcript"]
    b = write_wav(tmp_path / "b.wav", say("yes"))
    text = vs("transcribe", str(a), str(b), "--json")
    rows = [json.loads(line) for line in text.strip().splitlines()]
    assert rows[1]["text"].lower().startswith("yes") and rows[0]["words"]


def test_bad_audio_files_are_one_line_each(vs: Vs, tmp_path: Path) -> None:
    (tmp_path / "text.wav").write_text("not audio")
    (tmp_path / "empty.wav").write_bytes(b"")
    out = vs("transcribe", str(tmp_path / "text.wav"), str(tmp_path / "empty.wav"), str(tmp_path / "no.wav"), code=1)
    assert "not a WAV file" in out and "an empty file" in out and "no such file" in out
    out = vs("run", "--shop", COFFEE, "--input", str(tmp_path / "text.wav"), "--out", str(tmp_path), code=1)
    assert out.startswith("error:") and "not a WAV file" in out


def test_run_without_a_microphone_says_what_to_do(vs: Vs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voiceshop.audio import devices

    monkeypatch.setattr(devices, "list_devices", lambda: [])
    out = vs("run", "--shop", COFFEE, code=1)
    assert "no microphone found" in out and "--input FILE.wav" in out


def test_an_unknown_wake_word_is_one_line(vs: Vs, tmp_path: Path) -> None:
    write_wav(tmp_path / "quiet.wav", np.zeros(RATE, dtype=np.int16))
    args = ("run", "--shop", COFFEE, "--input", str(tmp_path / "quiet.wav"), "--out", str(tmp_path / "out"))
    out = vs(*args, "--wake-word", "hey shop", code=1)
    assert out.startswith("error:") and "okay nabu" in out and "--activation phrase" in out
    assert '(say "hey shop")' in vs(*args, "--activation", "phrase", "--wake-phrase", "hey shop", "--tts", "espeak")


def test_say_writes_a_wav(vs: Vs, tmp_path: Path) -> None:
    out = vs("say", "Your order is placed.", "--out", str(tmp_path / "r.wav"))
    assert "wrote" in out
    samples, info = read_wav(tmp_path / "r.wav")
    assert info.rate == RATE and len(samples) > RATE // 2


def test_devices_doctor_and_models(vs: Vs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICESHOP_MODELS", str(tmp_path / "models"))
    vs("devices")
    report = vs("doctor")
    assert "ok       whisper: whisper model in" in report and "speech out" in report
    assert "PROBLEM  vosk: no vosk speech model for language 'en'" in report
    listing = vs("models", "list")
    assert "vosk-en-us-small" in listing and "packaged" in listing
    assert vs("models", "path", "whisper-tiny-en").strip().endswith("model")
    assert "whisper-tiny-en: ok" in vs("models", "verify", "whisper-tiny-en")
    assert "not installed" in vs("models", "path", "vosk-en-us-small", code=1)
    assert "known models" in vs("models", "pull", "vosk-klingon", code=1)
    assert "pip uninstall" in vs("models", "remove", "whisper-tiny-en", code=1)
    assert "unknown engine" in vs("transcribe", str(tmp_path / "x.wav"), "--engine", "sphinx", code=1)


def test_doctor_shows_what_the_voice_loop_will_use(vs: Vs, tmp_path: Path) -> None:
    report = lines_of(vs("doctor"))
    wake = report["wake word"]
    assert wake.startswith("ok") and "'okay nabu' (microWakeWord model okay_nabu.tflite, fires above 0.85" in wake
    assert "also packaged: hey jarvis, hey mycroft, alexa" in wake
    assert "Silero VAD, model ggml-silero-v" in report["voice activity"]
    confirm = report["wake check"]  # on with Whisper (the engine a fresh machine has), else says why not
    assert "on for 'okay nabu' with the whisper engine (--no-wake-check" in confirm or "--engine whisper" in confirm
    verifier = report["wake verifier"]  # the trained verifier, before the likelihood check, with its figures
    assert verifier.startswith("ok") and "runs first, then the likelihood check: okay_nabu.npz" in verifier
    assert "phrases kept" in verifier and "held silent once it accepts" in verifier
    # with another engine, that engine's own check (pocketsphinx is a dev dependency)
    sphinx = lines_of(vs("doctor", "--engine", "pocketsphinx", "--wake-word", "hey jarvis"))["wake check"]
    assert sphinx.startswith("ok") and "with the pocketsphinx engine" in sphinx, sphinx
    assert "keyphrase search for 'hey jarvis'" in sphinx and "0.5 s after, not over a reply" in sphinx
    assert "--no-wake-check" in vs("run", "--help")
    # the voice the loop itself picks: Piper where its extra and a voice for the language are here
    voice = open_voice("auto", "en")
    if isinstance(voice, PiperVoice):
        assert report["voice"].startswith(f"ok       voice: Piper, voice {voice.model_path}")
        # whether a sentence plays from its first stretch (onnx installed) or once made whole
        assert ("plays from its first stretch" in report["voice"]) == (voice.stream is not None)
    else:
        assert "espeak-ng" in report["voice"] and "pip install 'voiceshop[piper]'" in report["voice"]
    barge_in = report["barge-in"]
    assert "on with a microphone" in barge_in and "MdfEchoCanceller" in barge_in and "stop: stop" in barge_in

    damaged = tmp_path / "echo-path.json"
    damaged.write_text("{not the room")
    tiny = manifest().get("whisper-tiny-en").package_path()
    other = lines_of(
        vs(
            "doctor", "--tts", "espeak", "--wake-word", "alexa", "--language", "de", "--echo-path", str(damaged),
            "--wake-check-model", str(tiny),
        )
    )  # fmt: skip
    assert f"on for 'alexa' with the Whisper model {tiny} (--wake-check-model)" in other["wake check"]
    assert "not used with --wake-check-model" in other["wake verifier"]
    assert f"{damaged} is damaged" in other["barge-in"] and "the room is learnt on it" in other["barge-in"]
    assert "'alexa' (microWakeWord model alexa.tflite" in other["wake word"] and "okay nabu" in other["wake word"]
    assert "espeak-ng" in other["voice"] and "because asked for with --tts espeak" in other["voice"]
    assert "none for 'de', so only the wake word cuts a reply" in other["barge-in"]
    if piper_installed():
        german = lines_of(vs("doctor", "--language", "de"))["voice"]
        assert "espeak-ng" in german and "no Piper voice for language 'de'" in german

    # a wrong choice is a problem line saying what there is, not a failure of the whole report
    wrong = lines_of(vs("doctor", "--wake-word", "hey shop", "--tts", "sphinx"))
    assert wrong["wake word"].startswith("PROBLEM") and "choose one of: okay nabu" in wrong["wake word"]
    assert wrong["voice"].startswith("PROBLEM") and "unknown voice engine 'sphinx'" in wrong["voice"]


def lines_of(report: str) -> dict[str, str]:
    """The doctor's lines by what they check ("ok       wake word: ..." -> "wake word")."""
    return {line[9:].split(":")[0]: line for line in report.splitlines() if line[:9].strip() in ("ok", "PROBLEM")}
