"""Choosing and opening a speech recogniser: ``--engine auto|vosk|whisper`` and ``--model PATH``.

``auto`` takes Vosk when a Vosk model for the shop's language is installed (or shipped in a package),
and otherwise the Whisper model that comes with voiceshop's dependencies, so a fresh machine can hear
without downloading anything. Models are loaded once per process.
"""

from __future__ import annotations

from pathlib import Path

from voiceshop.asr.base import Recognizer
from voiceshop.asr.vosk_engine import VoskRecognizer, looks_like_vosk_model
from voiceshop.asr.whisper_engine import WhisperRecognizer, looks_like_whisper_model
from voiceshop.errors import ModelError
from voiceshop.models import ModelStore, manifest

ENGINES = ("auto", "vosk", "whisper")
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
        recognizer: Recognizer = VoskRecognizer(path, language) if kind == "vosk" else WhisperRecognizer(path, language)
        _LOADED[key] = recognizer
    return _LOADED[key]
