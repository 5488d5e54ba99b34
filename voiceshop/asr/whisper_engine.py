"""faster-whisper (CTranslate2): the engine that works right after ``pip install``, with no download.

The only module that imports faster_whisper. Whisper cannot be constrained to a grammar, so it is
biased instead: the initial prompt lists the shop's phrases (the question's choices first), which
steers it to "oat latte" rather than "o-clartes". Whisper is not a streaming model: the command's audio
is collected as it arrives and transcribed when the endpointer says it ended.

Whisper invents text for silence and noise ("Thank you."); a segment it rates as probably not speech
is dropped, so noise becomes "nothing heard" rather than a command.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voiceshop.asr.base import Hypothesis, Transcript, Word
from voiceshop.audio.pcm import Samples
from voiceshop.errors import ModelError, RecognizerError

PROMPT_WORDS = 120
"""Whisper reads at most 224 prompt tokens; about 120 words of phrases stay safely inside."""
NO_SPEECH = 0.6


def looks_like_whisper_model(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "config.json").is_file()


class WhisperRecognizer:
    name = "whisper"

    def __init__(self, model_path: str | Path, language: str = "en", *, threads: int = 2, beam_size: int = 1) -> None:
        path = Path(model_path)
        if not looks_like_whisper_model(path):
            raise ModelError(
                f"{path} is not a CTranslate2 Whisper model (expected model.bin and config.json in it); "
                "run: voiceshop models list"
            )
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise RecognizerError("faster-whisper is not installed; run: pip install faster-whisper") from None
        try:
            self._model: Any = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads)
        except Exception as exc:  # CTranslate2 raises RuntimeError or ValueError
            raise ModelError(
                f"the Whisper model in {path} cannot be loaded ({exc}); run: voiceshop models verify"
            ) from None
        if not self._model.model.is_multilingual and language != "en":
            raise ModelError(f"the Whisper model in {path} understands English only, not {language!r}")
        self.model_path = str(path)
        self.language = language
        self.beam_size = beam_size
        self._phrases: list[str] = []

    def set_vocabulary(self, words: Sequence[str], phrases: Sequence[str]) -> None:
        self._phrases = list(dict.fromkeys(p.strip() for p in phrases if p.strip()))

    def prompt(self, hints: Sequence[str] = ()) -> str:
        chosen: list[str] = []
        count = 0
        for phrase in [*hints, *self._phrases]:
            n = len(phrase.split())
            if phrase in chosen:
                continue
            if count + n > PROMPT_WORDS:
                break
            chosen.append(phrase)
            count += n
        return ", ".join(chosen) + "." if chosen else ""

    def stream(self, hints: Sequence[str] = ()) -> _WhisperStream:
        return _WhisperStream(self, self.prompt(hints))

    def run(self, audio: np.ndarray[Any, np.dtype[np.float32]], prompt: str) -> Transcript:
        started = time.perf_counter()
        segments, _ = self._model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            initial_prompt=prompt or None,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
            temperature=0.0,
            # a spoken command is short: a bound stops Whisper's habit of running on ("thank you for watching")
            max_new_tokens=min(200, 12 + round(len(audio) / 16000 * 6)),
        )
        kept = [s for s in segments if not (s.no_speech_prob > NO_SPEECH and s.avg_logprob < -0.7)]
        elapsed = time.perf_counter() - started
        text = " ".join(s.text.strip() for s in kept).strip()
        if not text:
            return Transcript(alternatives=(), engine=self.name, compute_seconds=elapsed)
        logprob = sum(s.avg_logprob for s in kept) / len(kept)
        words = tuple(
            Word(w.word.strip(), float(w.start), float(w.end), round(float(w.probability), 4))
            for s in kept
            for w in (s.words or [])
        )
        hypothesis = Hypothesis(text=text, confidence=round(min(1.0, math.exp(logprob)), 4))
        return Transcript(alternatives=(hypothesis,), words=words, engine=self.name, compute_seconds=elapsed)


class _WhisperStream:
    def __init__(self, engine: WhisperRecognizer, prompt: str) -> None:
        self._engine = engine
        self._prompt = prompt
        self._pieces: list[Samples] = []

    def accept(self, samples: Samples) -> str | None:
        self._pieces.append(samples)
        return None

    def finish(self) -> Transcript:
        if not self._pieces:
            return Transcript(alternatives=(), engine=self._engine.name)
        audio = (np.concatenate(self._pieces).astype(np.float32) / 32768.0).astype(np.float32)
        return self._engine.run(audio, self._prompt)
