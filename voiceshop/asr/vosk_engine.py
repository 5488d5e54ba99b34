"""Vosk (Kaldi): small, streaming, low latency; the recommended engine on a Raspberry Pi.

The only module that imports vosk. The recogniser is constrained to the shop's vocabulary: Vosk's
runtime grammar takes a JSON list of words, and words outside the model's own lexicon are dropped
first (Vosk would warn about each and may refuse them). A model that knows too few of the shop's words
is for another language, and is refused with a message rather than heard as gibberish. A model is
always opened from a folder: ``vosk.Model(lang=...)`` would reach for the network.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from voiceshop.asr.base import Hypothesis, PhraseSpot, Transcript, Word, normalise_words
from voiceshop.audio.pcm import RATE, Samples
from voiceshop.audio.wakeword import sounds_like
from voiceshop.errors import ModelError, RecognizerError

MIN_COVERAGE = 0.5
"""Share of the shop's words the model must know; below it the model is for another language."""
UNKNOWN = "[unk]"
KEYPHRASE_CONFIDENCE = 0.9
"""A wake phrase counts as found when each of its words was heard with at least this confidence (the
share of the lattice that holds the word there). Set on the Korean model (the only Vosk model this
project's tests can install: a two-word phrase said came out at 1.0, another word in its place at 0 or
at 0.87-0.89); not yet measured on English speech (``benchmarks/voice.py wake-checks`` does, where
``vosk-en-us-small`` has been pulled)."""
FILLERS = 400
"""At most this many of the shop's words stand for "anything else" beside the phrase in a wake check."""


def _vosk() -> ModuleType:
    try:
        import vosk
    except ImportError:
        raise RecognizerError("the vosk package is not installed; run: pip install vosk") from None
    except OSError as exc:
        raise RecognizerError(f"the vosk library cannot load on this machine: {exc}") from None
    vosk.SetLogLevel(-1)
    module: ModuleType = vosk
    return module


def looks_like_vosk_model(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() and (path / "conf" / "model.conf").is_file()


class VoskRecognizer:
    name = "vosk"

    def __init__(self, model_path: str | Path, language: str, *, alternatives: int = 5) -> None:
        path = Path(model_path)
        if not looks_like_vosk_model(path):
            raise ModelError(
                f"{path} is not a Vosk model (expected am/final.mdl and conf/model.conf in it); "
                "pass the unpacked model folder, or run: voiceshop models list"
            )
        vosk = _vosk()
        try:
            self._model: Any = vosk.Model(str(path))
        except Exception as exc:  # Kaldi reports a broken model as a bare Exception
            raise ModelError(
                f"the Vosk model in {path} cannot be loaded ({exc}); run: voiceshop models verify"
            ) from None
        self._vosk = vosk
        self.model_path = str(path)
        self.language = language
        self.alternatives = alternatives
        self._grammar: str | None = None
        self.known: list[str] = []

    def knows(self, word: str) -> bool:
        return int(self._model.vosk_model_find_word(word)) >= 0

    def set_vocabulary(self, words: Sequence[str], phrases: Sequence[str]) -> None:
        wanted = normalise_words(words)
        known = [w for w in wanted if self.knows(w)]
        if wanted and len(known) < MIN_COVERAGE * len(wanted):
            raise ModelError(
                f"the Vosk model in {self.model_path} knows only {len(known)} of the shop's {len(wanted)} "
                f"words: it is for another language than {self.language!r}; "
                f"run: voiceshop models pull vosk-{self.language}"
            )
        self.known = known
        extra = [UNKNOWN] if self.knows(UNKNOWN) else []
        # Non-ASCII words must reach Kaldi as UTF-8 text, not \\u escapes, or they match nothing.
        self._grammar = json.dumps(known + extra, ensure_ascii=False) if known else None

    def stream(self, hints: Sequence[str] = ()) -> _VoskStream:
        args: list[Any] = [self._model, float(RATE)]
        if self._grammar is not None:
            args.append(self._grammar)
        recognizer = self._vosk.KaldiRecognizer(*args)
        recognizer.SetMaxAlternatives(self.alternatives)
        recognizer.SetWords(True)
        return _VoskStream(recognizer)

    def spot(self, samples: Samples, phrases: Sequence[str]) -> Transcript:
        """Decoded with a grammar of just the phrases' words and ``[unk]`` for anything else."""
        started = time.perf_counter()
        words = [w for w in normalise_words([w for p in phrases for w in p.split()]) if self.knows(w)]
        grammar = json.dumps([*words, *([UNKNOWN] if self.knows(UNKNOWN) else [])], ensure_ascii=False)
        recognizer = self._vosk.KaldiRecognizer(self._model, float(RATE), grammar)
        recognizer.AcceptWaveform(samples.astype("<i2").tobytes())
        text = " ".join(w for w in str(json.loads(recognizer.FinalResult()).get("text", "")).split() if w != UNKNOWN)
        elapsed = time.perf_counter() - started
        heard = (Hypothesis(text=text, confidence=1.0),) if text else ()
        return Transcript(alternatives=heard, engine="vosk", compute_seconds=elapsed)

    # --- a wake phrase's second check ----------------------------------------------------------------

    def keyphrase_method(self, phrase: str) -> str:
        spellings = self._spellings(phrase)
        others = f"{UNKNOWN} and " if self.knows(UNKNOWN) else ""
        return (
            f"vosk grammar of {' / '.join(map(repr, spellings))}, {others}the shop's words for anything else; "
            f"found when each word of the phrase has confidence {KEYPHRASE_CONFIDENCE:g} or more"
        )

    def _spellings(self, phrase: str) -> list[str]:
        """The phrase written with words the model knows (a packaged phrase's odd word in the sound-alikes
        ``audio/wake_words.toml`` lists for it)."""
        options: list[list[str]] = [[]]
        alike = sounds_like(phrase)
        for word in phrase.split():
            ways = [w for w in [word, *alike.get(word, [])] if all(self.knows(p) for p in w.split())]
            if not ways:
                raise RecognizerError(f"the Vosk model in {self.model_path} does not know {word!r} of {phrase!r}")
            options = [[*o, *w.split()] for o in options for w in ways]
        return [" ".join(o) for o in options]

    def spot_keyphrase(self, samples: Samples, phrase: str) -> PhraseSpot:
        """The sound decoded with a grammar of the phrase (as the model can write it), the shop's other
        words and ``[unk]``, so anything else said has somewhere to go; the phrase's score is the lowest
        confidence of its words, where the best reading holds them in order."""
        started = time.perf_counter()
        spellings = self._spellings(phrase)
        said = {w for s in spellings for w in s.split()}
        fillers = [w for w in self.known if w not in said][:FILLERS]
        grammar = json.dumps([*spellings, *fillers, *([UNKNOWN] if self.knows(UNKNOWN) else [])], ensure_ascii=False)
        recognizer = self._vosk.KaldiRecognizer(self._model, float(RATE), grammar)
        recognizer.SetWords(True)
        results = []
        audio = samples.astype("<i2").tobytes()
        step = 2 * RATE // 5  # 0.2 s: a pause in the sound may end one result and start another
        for at in range(0, len(audio), step):
            if recognizer.AcceptWaveform(audio[at : at + step]):
                results.append(json.loads(recognizer.Result()))
        results.append(json.loads(recognizer.FinalResult()))
        words = [(str(w["word"]), float(w.get("conf", 1.0))) for r in results for w in r.get("result", [])]
        score = 0.0
        for spelling in spellings:
            wanted = spelling.split()
            for i in range(len(words) - len(wanted) + 1):
                if [w for w, _ in words[i : i + len(wanted)]] == wanted:
                    score = max(score, min(c for _, c in words[i : i + len(wanted)]))
        return PhraseSpot(
            found=score >= KEYPHRASE_CONFIDENCE,
            score=round(score, 3),
            heard=" ".join(w for w, _ in words),
            seconds=time.perf_counter() - started,
        )


class _VoskStream:
    def __init__(self, recognizer: Any) -> None:
        self._recognizer = recognizer
        self._results: list[dict[str, Any]] = []

    def accept(self, samples: Samples) -> str | None:
        if self._recognizer.AcceptWaveform(samples.astype("<i2").tobytes()):
            self._results.append(json.loads(self._recognizer.Result()))
            return None
        partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
        done = " ".join(_best_text(r) for r in self._results)
        return f"{done} {partial}".strip() or None

    def finish(self) -> Transcript:
        started = time.perf_counter()
        self._results.append(json.loads(self._recognizer.FinalResult()))
        segments = [r for r in self._results if r.get("alternatives") or r.get("text")]
        elapsed = time.perf_counter() - started
        if not segments:
            return Transcript(alternatives=(), engine="vosk", compute_seconds=elapsed)
        # A pause can split one command into segments: join the best of each, and vary the last one.
        head = " ".join(_best_text(s) for s in segments[:-1])
        options = _alternatives(segments[-1])
        scores = [c for _, c, _ in options]
        top = max(scores)
        weights = [math.exp((c - top) / 10.0) for c in scores]  # Vosk scores are log-like
        total = sum(weights)
        hypotheses = tuple(
            Hypothesis(text=f"{head} {text}".strip(), confidence=round(w / total, 4))
            for (text, _, _), w in zip(options, weights, strict=True)
        )
        words = tuple(_words(segments, options, weights))
        return Transcript(alternatives=hypotheses, words=words, engine="vosk", compute_seconds=elapsed)


def _best_text(result: dict[str, Any]) -> str:
    if result.get("alternatives"):
        return str(result["alternatives"][0].get("text", ""))
    return str(result.get("text", ""))


def _alternatives(result: dict[str, Any]) -> list[tuple[str, float, list[dict[str, Any]]]]:
    if "alternatives" in result:
        found = [
            (str(a.get("text", "")), float(a.get("confidence", 0.0)), a.get("result", []))
            for a in result["alternatives"]
        ]
        return found or [("", 0.0, [])]
    return [(str(result.get("text", "")), 1.0, result.get("result", []))]


def _words(
    segments: list[dict[str, Any]], options: list[tuple[str, float, list[dict[str, Any]]]], weights: list[float]
) -> list[Word]:
    """Words of the best transcript; with n-best on, a word's confidence is the share of the
    alternatives (by weight) that heard the same word at about the same time."""
    total = sum(weights) or 1.0
    out: list[Word] = []
    for segment in segments[:-1]:
        for w in _alternatives(segment)[0][2]:
            out.append(Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w.get("conf", 1.0))))
    for w in options[0][2]:
        if "conf" in w:
            confidence = float(w["conf"])
        else:
            agree = sum(
                weight
                for (_, _, words), weight in zip(options, weights, strict=True)
                if any(o["word"] == w["word"] and abs(float(o["start"]) - float(w["start"])) < 0.15 for o in words)
            )
            confidence = agree / total
        out.append(Word(str(w["word"]), float(w["start"]), float(w["end"]), round(confidence, 4)))
    return out
