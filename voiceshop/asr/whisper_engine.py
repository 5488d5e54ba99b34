"""faster-whisper (CTranslate2): the engine that works right after ``pip install``, with no download.

The only module that imports faster_whisper. Whisper cannot be constrained to a grammar, so it is
biased instead: the initial prompt lists the shop's phrases (the question's choices first), which
steers it to "oat latte" rather than "o-clartes". Whisper is not a streaming model: the command's audio
is collected as it arrives and transcribed when the endpointer says it ended.

Whisper invents text for silence and noise ("Thank you."); a decode it rates as probably not speech
is dropped, so noise becomes "nothing heard" rather than a command. A command that fits Whisper's 30 s
window is decoded with a beam whose best distinct readings all go back as alternatives: understanding picks the
one it understands best (in a noisy room the right words are often the second or third reading).
Only readings nearly as likely as the best go back: a far-fetched one that happens to match a command
("I'm picking up" for "I'll pick it up") must not outvote what was clearly said.
Punctuation is never written: understanding ignores it, and the beam's places go to other words
instead of to the same words with other commas.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voiceshop.asr.base import Floats, Hypothesis, PhraseOdds, Transcript, Word
from voiceshop.audio.pcm import Samples
from voiceshop.errors import ModelError, RecognizerError

PROMPT_WORDS = 120
"""Whisper reads at most 224 prompt tokens; about 120 words of phrases stay safely inside."""
NO_SPEECH = 0.6
RATE = 16000
WINDOW = 30 * RATE
"""Whisper hears 30 s at a time; a longer recording is transcribed segment by segment, best reading only."""
PUNCTUATION = set(",.!?;:-")
SPOT_WINDOW = 10 * RATE
"""Samples of the window ``spot`` decodes in: a third of the encoder's work for a short phrase."""
SHORT_WINDOWS = (10, 20)
"""Seconds of the shorter windows a command is encoded in when it fits with a second to spare: the
encoder's time grows with the window (a 3 s command: about 0.15 s in 10 s, 0.6 s in 30 s here)."""
SURE = 0.75
"""A reading in a short window below this certainty (``certainty``) is heard again in the full 30 s one."""
ALTERNATIVE_SHARE = 0.7
"""An alternative reading goes back only with at least this share of the best one's confidence."""


def unrepeated(text: str) -> str:
    """``text`` without Whisper's loop: "a latte with cream a latte with cream a latte with" (the same
    words again and again, the last time cut off by the token bound) is said once."""
    said = text.split()
    for period in range(3, len(said) // 2 + 1):
        if all(said[i] == said[i - period] for i in range(period, len(said))):
            return " ".join(said[:period])
    return text


def certainty(readings: dict[str, tuple[list[int], float]]) -> float:
    """How sure a window is of its best reading's words: its confidence with the readings that differ
    from it only in letter case counted in (Whisper splits "That's all" and "that's all" between two
    readings of the same words; understanding cares only about the words). A reading's probability is
    its length-normalised log-probability times its length; the sum is normalised back the same way."""
    best, (tokens, _) = next(iter(readings.items()))
    same = [(t, lp) for text, (t, lp) in readings.items() if text.casefold() == best.casefold()]
    probability = sum(math.exp(lp * (len(t) + 1)) for t, lp in same)
    return float(min(1.0, probability ** (1 / (len(tokens) + 1))))


def window_frames(samples: int) -> int:
    """Feature frames (10 ms each) of the window a command of ``samples`` is encoded in."""
    seconds = next((s for s in SHORT_WINDOWS if samples <= (s - 1) * RATE), WINDOW // RATE)
    return seconds * 100


def encoder_fingerprint(path: Path) -> str:
    """Which Whisper model this is, whatever its folder is called: a digest of its configuration, the
    weights' size and their first 64 KB (a trained wake verifier names the encoder it was trained on)."""
    weights = path / "model.bin"
    digest = hashlib.sha1((path / "config.json").read_bytes())
    digest.update(str(weights.stat().st_size).encode())
    with weights.open("rb") as opened:
        digest.update(opened.read(65536))
    return f"whisper:{digest.hexdigest()[:12]}"


def looks_like_whisper_model(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "config.json").is_file()


class WhisperRecognizer:
    name = "whisper"

    def __init__(self, model_path: str | Path, language: str = "en", *, threads: int = 2, beam_size: int = 5) -> None:
        path = Path(model_path)
        if not looks_like_whisper_model(path):
            raise ModelError(
                f"{path} is not a CTranslate2 Whisper model (expected model.bin and config.json in it); "
                "run: voiceshop models list"
            )
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
            from faster_whisper.transcribe import get_suppressed_tokens
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
        self.encoder_name = encoder_fingerprint(path)
        self.language = language
        self.beam_size = beam_size
        self._phrases: list[str] = []
        self._tokenizer: Any = Tokenizer(
            self._model.hf_tokenizer, self._model.model.is_multilingual, "transcribe", language
        )
        written = ((t, self._tokenizer.decode([t]).strip()) for t in range(self._tokenizer.eot))
        punctuation = [t for t, text in written if text and set(text) <= PUNCTUATION]
        self._suppress: list[int] = sorted({*get_suppressed_tokens(self._tokenizer, [-1]), *punctuation})

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
        if len(audio) > WINDOW:
            hypotheses, words = self._segments(audio, prompt)
        else:
            frames = window_frames(len(audio))
            decoded = self._decode(audio, prompt, frames)
            if frames < WINDOW // 160 and decoded.certainty < SURE:
                # unsure in the short window (noise, a mumble): hear it again the way Whisper was trained
                decoded = self._decode(audio, prompt, WINDOW // 160)
            hypotheses, words = decoded.hypotheses, decoded.words()
        elapsed = time.perf_counter() - started
        return Transcript(alternatives=hypotheses, words=words, engine=self.name, compute_seconds=elapsed)

    def spot(self, samples: Samples, phrases: Sequence[str]) -> Transcript:
        """Greedy, over a window of ``SPOT_WINDOW`` seconds rather than 30 (the encoder's time grows
        faster than the window), prompted with the phrases alone."""
        from faster_whisper.audio import pad_or_trim

        started = time.perf_counter()
        audio = (samples.astype(np.float32) / 32768.0)[:SPOT_WINDOW]
        # silence, not zero features, after the sound: Whisper was trained on padded audio
        padded = np.concatenate([audio, np.zeros(SPOT_WINDOW - len(audio), dtype=np.float32)])
        model, tokenizer = self._model, self._tokenizer
        features = model.feature_extractor(padded, padding=0)
        encoded = model.encode(pad_or_trim(features, SPOT_WINDOW // 160))
        prompt = ", ".join(dict.fromkeys(phrases))
        previous = tokenizer.encode(" " + prompt + ".") if prompt else []
        prefix = model.get_prompt(tokenizer, previous, without_timestamps=True)
        result = model.model.generate(
            encoded,
            [prefix],
            beam_size=1,
            max_length=len(prefix) + self._max_new_tokens(audio),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )[0]
        tokens = result.sequences_ids[0]
        text = tokenizer.decode(tokens).strip()
        logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        elapsed = time.perf_counter() - started
        if not text or (result.no_speech_prob > NO_SPEECH and logprob < -0.7):
            return Transcript(alternatives=(), engine=self.name, compute_seconds=elapsed)
        heard = Hypothesis(text, round(min(1.0, math.exp(logprob)), 4))
        return Transcript(alternatives=(heard,), engine=self.name, compute_seconds=elapsed)

    def phrase_odds(self, samples: Samples, spellings: Sequence[str]) -> PhraseOdds:
        """The log-probability of the transcript opening with the best of ``spellings`` (forced, then
        Whisper's own greedy continuation to the end of text) minus that of Whisper's free reading
        (beam search), both prompted with the phrase and scored the same way, token by token from the
        decoder's distributions. Whisper's free reading is what the sound most likely says: a phrase
        nearly as likely as it is there; "okay now who" makes "okay nabu" far less likely."""
        from faster_whisper.audio import pad_or_trim

        started = time.perf_counter()
        audio = (samples.astype(np.float32) / 32768.0)[:SPOT_WINDOW]
        model, tokenizer = self._model, self._tokenizer
        frames = SPOT_WINDOW // 160
        features = model.feature_extractor(audio, padding=max(160, SPOT_WINDOW - len(audio)))
        encoded = model.encode(pad_or_trim(features, frames))
        prefix = model.get_prompt(tokenizer, tokenizer.encode(f" {spellings[0]}."), without_timestamps=True)
        free = model.model.generate(encoded, [prefix], beam_size=self.beam_size, max_length=len(prefix) + 25)
        readings = [free[0].sequences_ids[0], *(tokenizer.encode(f" {s}") for s in spellings)]
        # all readings at once: the encoded sound repeated once per reading (a batch of one sound each)
        batch = type(encoded).from_array(np.repeat(np.asarray(encoded), len(readings), axis=0))
        results = model.model.generate(
            batch,
            [prefix + forced for forced in readings],
            beam_size=1,
            max_length=len(prefix) + 30,
            return_logits_vocab=True,
            suppress_blank=False,
        )
        scored: list[tuple[float, str]] = []
        for result in results:
            tokens = [*result.sequences_ids[0], tokenizer.eot]
            total = 0.0
            for token, logits in zip(tokens, result.logits[0], strict=False):
                row = np.asarray(logits, dtype=np.float64)
                top = float(row.max())
                total += float(row[token]) - top - math.log(float(np.exp(row - top).sum()))
            scored.append((total, tokenizer.decode(result.sequences_ids[0]).strip()))
        best = max(range(1, len(scored)), key=lambda i: scored[i][0])
        return PhraseOdds(
            log_ratio=round(scored[best][0] - scored[0][0], 3),
            heard=scored[0][1],
            phrase=spellings[best - 1],
            seconds=time.perf_counter() - started,
        )

    def encode_sound(self, samples: Samples, frames: int) -> Floats:
        """Whisper's encoder alone over a short window (a 2.4 s window costs about 30 ms, against 0.2 s
        for the 10 s one ``phrase_odds`` decodes in): what a trained wake verifier hears."""
        from faster_whisper.audio import pad_or_trim

        audio = (samples.astype(np.float32) / 32768.0)[: frames * 160]
        features = self._model.feature_extractor(audio, padding=max(160, frames * 160 - len(audio)))
        encoded = self._model.encode(pad_or_trim(features, frames))
        found: Floats = np.asarray(encoded, dtype=np.float32)[0]
        return found

    def _max_new_tokens(self, audio: np.ndarray[Any, Any]) -> int:
        # a spoken command is short: a bound stops Whisper's habit of running on ("thank you for watching")
        return min(200, 12 + round(len(audio) / RATE * 6))

    def _decode(self, audio: np.ndarray[Any, np.dtype[np.float32]], prompt: str, frames: int) -> _Decoded:
        """One window, beam-decoded without timestamps: its distinct readings."""
        from faster_whisper.audio import pad_or_trim

        model, tokenizer = self._model, self._tokenizer
        # the window is filled with silence after the command, as Whisper was trained (not zero features)
        features = model.feature_extractor(audio, padding=max(160, frames * 160 - len(audio)))
        encoded = model.encode(pad_or_trim(features, frames))
        previous = tokenizer.encode(" " + prompt) if prompt else []
        prefix = model.get_prompt(tokenizer, previous, without_timestamps=True)
        result = model.model.generate(
            encoded,
            [prefix],
            beam_size=self.beam_size,
            num_hypotheses=self.beam_size,
            max_length=len(prefix) + self._max_new_tokens(audio),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )[0]
        readings: dict[str, tuple[list[int], float]] = {}
        for tokens, score in zip(result.sequences_ids, result.scores, strict=True):
            text = unrepeated(tokenizer.decode(tokens).strip())
            logprob = score * len(tokens) / (len(tokens) + 1)  # the scores are length-normalised
            if text and text not in readings and not (result.no_speech_prob > NO_SPEECH and logprob < -0.7):
                readings[text] = (tokens, logprob)
        if not readings:
            return _Decoded(self, (), 0.0)
        hypotheses = tuple(Hypothesis(t, round(min(1.0, math.exp(lp)), 4)) for t, (_, lp) in readings.items())
        hypotheses = tuple(h for h in hypotheses if h.confidence >= ALTERNATIVE_SHARE * hypotheses[0].confidence)
        best = next(iter(readings.values()))[0]
        return _Decoded(self, hypotheses, certainty(readings), encoded, best, min(frames, len(audio) // 160))

    def _segments(
        self, audio: np.ndarray[Any, np.dtype[np.float32]], prompt: str
    ) -> tuple[tuple[Hypothesis, ...], tuple[Word, ...]]:
        """A recording longer than one window: faster-whisper's own segment-by-segment transcription."""
        segments, _ = self._model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            initial_prompt=prompt or None,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=False,
            temperature=0.0,
            suppress_tokens=self._suppress,
            max_new_tokens=self._max_new_tokens(audio[:WINDOW]),
        )
        kept = [s for s in segments if not (s.no_speech_prob > NO_SPEECH and s.avg_logprob < -0.7)]
        text = " ".join(s.text.strip() for s in kept).strip()
        if not text:
            return (), ()
        logprob = sum(s.avg_logprob for s in kept) / len(kept)
        words = tuple(
            Word(w.word.strip(), float(w.start), float(w.end), round(float(w.probability), 4))
            for s in kept
            for w in (s.words or [])
        )
        return (Hypothesis(text=text, confidence=round(min(1.0, math.exp(logprob)), 4)),), words


class _Decoded:
    """A window's readings; the words of the best with their times are aligned only when asked for
    (a reading heard again in the full window, or in the voice loop, never needs them)."""

    def __init__(
        self,
        engine: WhisperRecognizer,
        hypotheses: tuple[Hypothesis, ...],
        certainty: float,
        encoded: Any = None,
        best: Sequence[int] = (),
        frames: int = 0,
    ) -> None:
        self.hypotheses = hypotheses
        self.certainty = certainty
        self._engine, self._encoded, self._best, self._frames = engine, encoded, best, frames

    def words(self) -> tuple[Word, ...]:
        if not self._best:
            return ()
        model, tokenizer = self._engine._model, self._engine._tokenizer
        aligned = model.find_alignment(tokenizer, [list(self._best)], self._encoded, self._frames)[0]
        return tuple(
            Word(w["word"].strip(), float(w["start"]), float(w["end"]), round(float(w["probability"]), 4))
            for w in aligned
        )


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
