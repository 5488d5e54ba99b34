"""Choosing and opening a speech recogniser (``--engine auto|vosk|whisper|pocketsphinx|whisper+pocketsphinx``,
``--model PATH``) and a voice (``--tts auto|piper|espeak``).

``auto`` takes Vosk when a Vosk model for the shop's language is installed (or shipped in a package),
and otherwise the Whisper model that comes with voiceshop's dependencies, so a fresh machine can hear
without downloading anything. ``pocketsphinx`` (the optional extra, English model in its wheel) is held
to the shop's grammar; ``whisper+pocketsphinx`` has both hear every command and asks about a slot they
heard apart (``asr.agreeing``, ``nlu.agree``); ``--model`` then names the Whisper model. Models are
loaded once per process.
"""

from __future__ import annotations

from pathlib import Path

from voiceshop.asr.agreeing import AgreeingRecognizer
from voiceshop.asr.base import GrammarRecognizer, Recognizer, Transcript
from voiceshop.asr.pocketsphinx_engine import PocketsphinxRecognizer, packaged_model
from voiceshop.asr.vosk_engine import VoskRecognizer, looks_like_vosk_model
from voiceshop.asr.whisper_engine import WhisperRecognizer, looks_like_whisper_model
from voiceshop.errors import ModelError, SpeechOutputError
from voiceshop.models import ModelStore, manifest
from voiceshop.nlu import Understander, Understanding
from voiceshop.nlu.agree import agree
from voiceshop.nlu.sentences import TOP
from voiceshop.tts.base import Synthesizer
from voiceshop.tts.piper_voice import PiperVoice, packaged_voice, piper_installed
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


def open_voice(
    tts: str = "auto", language: str = "en", settings: VoiceSettings | None = None, model: Path | None = None
) -> Synthesizer:
    """The voice ``--tts`` comes to: ``auto`` is Piper where the piper extra and a Piper voice for the
    shop's language are installed (or ``model`` is given), else espeak-ng."""
    if tts not in VOICES:
        raise SpeechOutputError(f"unknown voice engine {tts!r}; choose one of: {', '.join(VOICES)}")
    settings = settings or VoiceSettings()
    piper_here = piper_installed() and (model is not None or packaged_voice(language) is not None)
    if tts == "piper" or (tts == "auto" and piper_here):
        key = (str(model or packaged_voice(language)), settings)
        if key not in _VOICES:
            _VOICES[key] = PiperVoice(model, settings)
        return _VOICES[key]
    return Pyttsx3Voice(settings)


_VOICES: dict[tuple[str, VoiceSettings], Synthesizer] = {}
