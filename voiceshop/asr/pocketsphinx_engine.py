"""pocketsphinx (CMU Sphinx): a streaming engine held to the shop's grammar, with its English model
inside the PyPI wheel (nothing to download).

The only module that imports pocketsphinx. It hears what the grammar's sentences allow: the rules
(``set_grammar``, from understanding's ``speech_rules``) become a small trigram language model
(``asr.ngram``) over the shop's few hundred words, and the pronunciation dictionary is cut down to
those words. Held to that model the engine decodes a command at about a tenth of real time, while the
shopper is still speaking, so almost nothing is left to do when they stop.

``search="jsgf"`` holds it to the rules exactly instead (a JSGF grammar): every sentence the grammar
allows is searched at once, and with a shop's ten thousand templates, each with an order's items
inside, that search is many times slower than speech (``benchmarks/agree.py`` prints both). It is kept
for small grammars and for measuring.

Words the dictionary does not know (a brand, "8 oz") cannot be heard: the sentences that need them
are left out of the model. Without a grammar (before ``set_grammar``) the model is made from the
shop's words and phrases alone.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from voiceshop.asr.base import Hypothesis, PhraseSpot, Transcript, Word, normalise_words
from voiceshop.asr.ngram import SpeechRules, arpa, is_ref, sample
from voiceshop.audio.pcm import Samples
from voiceshop.audio.wakeword import phones_of
from voiceshop.errors import ModelError, RecognizerError

Search = Literal["ngram", "jsgf"]
FRAME = 0.01
"""Seconds per feature frame (pocketsphinx's default frame rate is 100 a second)."""
DECODER_SETTINGS: dict[str, Any] = {
    # a second, flat pass at the end heard 15 of the first 20 barista-dev orders instead of 13, but it
    # takes 0.5-1 s after the audio ends instead of 0.02 s: the point of a streaming engine is lost
    "fwdflat": False,
    "bestpath": True,  # the lattice gives word posteriors and alternatives
    "loglevel": "FATAL",
}
_VARIANT = re.compile(r"\(\d+\)$")
NO_SHOP = (
    "pocketsphinx hears only a shop's sentences, and was given none; "
    "use it where a shop is open (voiceshop run, voiceshop understand FILE.wav --engine pocketsphinx)"
)
KEYPHRASE_FLOOR = -40
"""The threshold (a power of ten) of the wake check's keyphrase search: low enough that the phrase,
and its last word, are reported wherever they are anywhere near as likely as the best path through any
phones, each detection with its own likelihood ratio, so one decode gives the scores both cues need."""
KEYPHRASE_ACCEPT = 10
"""The likelihood ratio (a power of ten) of the phrase's path against the best path through any phones
that a fire's phrase must reach. Alone it cannot tell the phrase from talk that opens like it: the
phrase's first words ("okay") are said in both and lift the whole path. Measured on 30 renderings at
each of three paces by the packaged Piper voice (``benchmarks/keyphrase.py``: the 2 s
before the wake word model's peak and 0.5 s after, the renderings it fired on), "okay nabu" alone and
"okay nabu, two lattes please" scored 1e0-1e50 (5th percentile 1e13 and 1e15.5, median 1e26 and 1e27),
"okay number two" up to 1e20 (3 of 90 at 1e15 or more) and "okay now who" up to 1e23 (14 of 90 at
1e15 or more, 4 at 1e20): no threshold keeps the phrase and drops both (at 1e20, 148 of 179 real and
4 near misses pass; at 1e15, 167 and 17). ``KEYWORD_ACCEPT`` is the cue that separates them."""
KEYWORD_ACCEPT = 5
"""The likelihood ratio (a power of ten) the phrase's last word, spotted alone, must reach within the
phrase's span: the word that tells the phrase from talk that opens like it, scored without the first
words' help. On the same renderings "nabu" scored 1e0.5-1e33 in the real phrases (11 of 179 under
1e5), 1e2.7 at most in "okay number two" and 1e4.7 at most in "okay now who" (medians 1e-11 and 1e-7.5).
With ``KEYPHRASE_ACCEPT`` at 1e10 both cues kept 165 of the 179 real phrases (the phrase alone at 1e15,
as before: 167) and let none of the 180 near misses through (before: 17)."""
WORD_SLACK = 5
"""Frames the last word, spotted alone, may end after the phrase's own end and still be within it."""
_KWS_MAX = 1500
_SENSCR_SHIFT = 10
_SAMPLED: dict[str, list[tuple[str, ...]]] = {}
"""The sentences sampled from the last grammar, by the grammar's hash."""


def _pocketsphinx() -> ModuleType:
    try:
        import pocketsphinx
    except ImportError:
        raise RecognizerError(
            "the pocketsphinx package is not installed; run: pip install 'voiceshop[pocketsphinx]'"
        ) from None
    module: ModuleType = pocketsphinx
    return module


def packaged_model() -> Path:
    """The English acoustic model inside the pocketsphinx wheel."""
    return Path(_pocketsphinx().get_model_path()) / "en-us" / "en-us"


def installed() -> bool:
    try:
        _pocketsphinx()
    except RecognizerError:
        return False
    return True


class PocketsphinxRecognizer:
    name = "pocketsphinx"

    def __init__(self, language: str = "en", *, search: Search = "ngram", alternatives: int = 5) -> None:
        if language != "en":
            raise ModelError(f"pocketsphinx's packaged model hears English only, not {language!r}")
        ps = _pocketsphinx()
        self._ps = ps
        self.language = language
        self.search = search
        self.alternatives = alternatives
        model = packaged_model()
        self.model_path = str(model)
        self._lexicon = _read_dict(model.parent / "cmudict-en-us.dict")
        self._files = tempfile.TemporaryDirectory(prefix="voiceshop-sphinx-")
        self._words: list[str] = []
        self._phrases: list[str] = []
        self._rules: SpeechRules | None = None
        self._top = ""
        self._settings: dict[str, Any] | None = None
        self._pool: list[Any] = []
        self._lock = threading.Lock()
        self._version = 0
        self._spotters: dict[tuple[str, ...], Any] = {}
        self._vocabulary: frozenset[str] = frozenset()
        self._keyphrases: dict[str, Any] = {}
        """A decoder per wake phrase, searching for the phrase and its last word (``KEYPHRASE_FLOOR``)."""
        self._keyphrase_lock = threading.Lock()
        self.build_seconds = 0.0
        """Time the last vocabulary or grammar took to compile into the engine's model."""

    # --- what it may hear ------------------------------------------------------------------------

    def knows(self, word: str) -> bool:
        return word in self._lexicon

    def set_vocabulary(self, words: Sequence[str], phrases: Sequence[str]) -> None:
        known = [w for w in normalise_words(words) if self.knows(w)]
        said = [p for p in (" ".join(p.lower().split()) for p in phrases) if p]
        if self._settings is not None and (known, said) == (self._words, self._phrases):
            return  # the same shop again: the model is as it was
        self._words, self._phrases = known, said
        self._rebuild()

    def set_grammar(self, rules: Mapping[str, Sequence[Sequence[str]]], top: str) -> None:
        """Hold the engine to ``rules`` (see ``asr.ngram.SpeechRules``), whose sentence is ``top``."""
        if top not in rules:
            raise RecognizerError(f"the grammar has no rule {top!r} to start from")
        self._rules = heard_rules(rules, self.knows)
        self._top = top
        self._rebuild()

    def _rebuild(self) -> None:
        started = time.perf_counter()
        sentences = self._sentences()
        folder = Path(self._files.name)
        vocabulary = sorted({w for s in sentences for w in s} | set(self._words))
        if not vocabulary:
            raise RecognizerError("pocketsphinx was given no word it can pronounce")
        dictionary = folder / "words.dict"
        dictionary.write_text(
            "".join(
                f"{w}{f'({i + 1})' if i else ''} {p}\n" for w in vocabulary for i, p in enumerate(self._lexicon[w])
            ),
            encoding="utf-8",
        )
        settings: dict[str, Any] = {"hmm": self.model_path, "dict": str(dictionary), **DECODER_SETTINGS}
        if self.search == "jsgf" and self._rules is not None:
            grammar = folder / "shop.gram"
            grammar.write_text(jsgf(self._rules, self._top), encoding="utf-8")
            settings["jsgf"] = str(grammar)
        else:
            model = folder / "shop.arpa"
            # the shop's other words (a wake phrase, "stop") get the little probability of unseen words;
            # as sentences of their own they would start every command ("thousand, a latte")
            model.write_text(arpa(sentences, words=self._words), encoding="utf-8")
            settings["lm"] = str(model)
        with self._lock:
            self._vocabulary = frozenset(vocabulary)
            self._settings = settings
            self._pool.clear()
            self._spotters.clear()
            self._version += 1
        self.build_seconds = time.perf_counter() - started

    def _sentences(self) -> list[tuple[str, ...]]:
        if self._rules is not None:
            key = hashlib.sha256(json.dumps([self._top, self._rules], sort_keys=True).encode()).hexdigest()
            if key not in _SAMPLED:  # the same shop again (another engine, a reloaded loop): sampled once
                _SAMPLED.clear()
                _SAMPLED[key] = sample(self._rules, self._top)
            return _SAMPLED[key]
        return [tuple(p.split()) for p in self._phrases if all(self.knows(w) for w in p.split())]

    def take(self) -> tuple[Any, int]:
        """A decoder of the current model to itself, and the model's version: one per stream, so an
        early decode and the stream still listening never share one."""
        with self._lock:
            if self._settings is None:
                raise RecognizerError(NO_SHOP)
            decoder = self._pool.pop() if self._pool else None
            settings, version = self._settings, self._version
        return (decoder if decoder is not None else self._ps.Decoder(**settings)), version

    def give_back(self, decoder: Any, version: int) -> None:
        """A decoder whose utterance has ended; kept for the next stream unless the model changed."""
        with self._lock:
            if version == self._version:
                self._pool.append(decoder)

    # --- hearing ----------------------------------------------------------------------------------

    def stream(self, hints: Sequence[str] = ()) -> _SphinxStream:
        return _SphinxStream(self)

    def spot(self, samples: Samples, phrases: Sequence[str]) -> Transcript:
        """Decoded with a model of just the phrases and the shop's single words (so anything else
        comes out as other words, not as a phrase)."""
        started = time.perf_counter()
        if self._settings is None:
            raise RecognizerError(NO_SHOP)
        key = tuple(sorted({" ".join(p.lower().split()) for p in phrases}))
        decoder = self._spotters.get(key)
        if decoder is None:
            said = [tuple(p.split()) for p in key if p and all(w in self._vocabulary for w in p.split())]
            model = Path(self._files.name) / f"spot-{len(self._spotters)}.arpa"
            model.write_text(arpa([*said, *((w,) for w in self._words)]), encoding="utf-8")
            settings = {k: v for k, v in (self._settings or {}).items() if k != "jsgf"}
            decoder = self._ps.Decoder(**{**settings, "lm": str(model), "bestpath": False})
            self._spotters[key] = decoder
        decoder.start_utt()
        decoder.process_raw(samples.astype("<i2").tobytes(), False, True)
        decoder.end_utt()
        hyp = decoder.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        heard = (Hypothesis(text=text, confidence=1.0),) if text else ()
        return Transcript(alternatives=heard, engine=self.name, compute_seconds=time.perf_counter() - started)

    # --- a wake phrase's second check ----------------------------------------------------------------

    def keyphrase_method(self, phrase: str) -> str:
        self._pronounce(phrase)
        last = phrase.split()[-1]
        return (
            f"pocketsphinx keyphrase search for {phrase!r} against a loop of any phones "
            f"(found at 1e{KEYPHRASE_ACCEPT} or likelier, {last!r} alone within it at 1e{KEYWORD_ACCEPT})"
        )

    def _pronounce(self, phrase: str) -> list[str]:
        lines = []
        extra = phones_of(phrase)  # words of a packaged phrase CMUdict lacks (``audio/wake_words.toml``)
        for word in dict.fromkeys(phrase.split()):
            said = self._lexicon.get(word) or ([extra[word]] if word in extra else [])
            if not said:
                raise RecognizerError(f"pocketsphinx cannot pronounce {word!r} of the wake phrase {phrase!r}")
            lines += [f"{word}{f'({i + 1})' if i else ''} {p}" for i, p in enumerate(said)]
        return lines

    def spot_keyphrase(self, samples: Samples, phrase: str) -> PhraseSpot:
        """The phrase found when both cues of ``keyphrase_scores`` reach their thresholds. The score is
        the phrase's likelihood ratio (a power of ten), or its last word's raised by ``KEYPHRASE_ACCEPT
        - KEYWORD_ACCEPT`` where that is lower: found when it reaches ``KEYPHRASE_ACCEPT``."""
        started = time.perf_counter()
        whole, word = self.keyphrase_scores(samples, phrase)
        score = min(whole, word + KEYPHRASE_ACCEPT - KEYWORD_ACCEPT)
        accepted = score >= KEYPHRASE_ACCEPT
        return PhraseSpot(
            found=accepted,
            score=round(score, 1),
            heard=phrase if accepted else "",
            seconds=time.perf_counter() - started,
        )

    def keyphrase_scores(self, samples: Samples, phrase: str) -> tuple[float, float]:
        """The likelihood ratios (powers of ten) of the phrase where it is likeliest in the sound and of
        its last word, spotted alone, within that span (the phrase's again for a one-word phrase); a
        keyphrase search over the whole sound (its own cepstral mean, so one check does not depend on
        the sound checked before it) finds both in one pass. ``KEYPHRASE_FLOOR - 10`` for one not found."""
        last = phrase.split()[-1]
        with self._keyphrase_lock:
            decoder = self._keyphrases.get(phrase) or self._keyphrase_decoder(phrase)
            decoder.start_utt()
            decoder.process_raw(samples.astype("<i2").tobytes(), False, True)
            decoder.end_utt()
            log = decoder.get_logmath()
            found = decoder.seg() or []
            spotted = [(s.word.strip(), s.start_frame, s.end_frame, _exponent(log, s.prob)) for s in found]
        nowhere = KEYPHRASE_FLOOR - 10.0
        phrases = [s for s in spotted if s[0] == phrase]
        if not phrases:
            return nowhere, nowhere
        _, begin, end, whole = max(phrases, key=lambda s: s[3])
        within = [s[3] for s in spotted if s[0] == last and s[1] >= begin and s[2] <= end + WORD_SLACK]
        return whole, (whole if last == phrase else max(within, default=nowhere))

    def _keyphrase_decoder(self, phrase: str) -> Any:
        folder = Path(self._files.name)
        name = re.sub(r"[^a-z0-9]+", "-", phrase)
        dictionary = folder / f"wake-{name}.dict"
        dictionary.write_text("\n".join(self._pronounce(phrase)) + "\n", encoding="utf-8")
        keys = folder / f"wake-{name}.kws"
        searched = dict.fromkeys([phrase, phrase.split()[-1]])
        keys.write_text("".join(f"{k} /1e{KEYPHRASE_FLOOR}/\n" for k in searched), encoding="utf-8")
        decoder = self._ps.Decoder(hmm=self.model_path, dict=str(dictionary), kws=str(keys), loglevel="FATAL")
        self._keyphrases[phrase] = decoder
        return decoder


def _exponent(log: Any, prob: float) -> float:
    """A keyphrase detection's likelihood ratio against the phone loop, as a power of ten. pocketsphinx
    keeps it in its log base (1.0001), scaled down by ``SENSCR_SHIFT`` (10 bits) and less ``KWS_MAX``
    (1500), and the binding hands it over exponentiated: undone here."""
    return float(log.log_to_log10((log.log(prob) + _KWS_MAX) << _SENSCR_SHIFT))


class _SphinxStream:
    """One command: its audio is decoded as it arrives, so ``finish`` only closes the search."""

    def __init__(self, engine: PocketsphinxRecognizer) -> None:
        self._engine = engine
        # a stream dropped unfinished (the shopper went on) keeps its decoder: it is never reused mid-way
        self._decoder, self._version = engine.take()
        self._decoder.start_utt()
        self.decode_seconds = 0.0
        """Time spent decoding while the audio arrived (before ``finish``)."""

    def accept(self, samples: Samples) -> str | None:
        started = time.perf_counter()
        self._decoder.process_raw(samples.astype("<i2").tobytes(), False, False)
        hyp = self._decoder.hyp()
        self.decode_seconds += time.perf_counter() - started
        return hyp.hypstr.strip() or None if hyp is not None else None

    def finish(self) -> Transcript:
        started = time.perf_counter()
        decoder = self._decoder
        try:
            decoder.end_utt()
            hyp = decoder.hyp()
            text = hyp.hypstr.strip() if hyp is not None else ""
            if not text:
                return Transcript(alternatives=(), engine=self._engine.name, compute_seconds=_since(started))
            logmath = decoder.get_logmath()
            best = Hypothesis(text=text, confidence=round(min(1.0, logmath.exp(hyp.prob)), 4))
            others = _alternatives(decoder, text, self._engine.alternatives)
            words = tuple(
                Word(s.word, s.start_frame * FRAME, (s.end_frame + 1) * FRAME, round(min(1.0, logmath.exp(s.prob)), 4))
                for s in decoder.seg()
                if not s.word.startswith(("<", "[")) and s.word != "<sil>"
            )
            return Transcript(
                alternatives=(best, *others),
                words=words,
                engine=self._engine.name,
                compute_seconds=_since(started),
                extra={"decode_seconds": f"{self.decode_seconds:.3f}"},
            )
        finally:
            self._engine.give_back(decoder, self._version)


def _alternatives(decoder: Any, best: str, count: int) -> tuple[Hypothesis, ...]:
    """The lattice's next distinct readings, scored against the best one (scores are log-likelihoods
    in the decoder's log base)."""
    if count <= 1:
        return ()
    logmath = decoder.get_logmath()
    readings: dict[str, float] = {}
    try:
        for i, h in enumerate(decoder.nbest()):
            if i >= 3 * count or len(readings) >= count:
                break
            text = " ".join(w for w in h.hypstr.split() if not w.startswith(("<", "[")))
            if text and text not in readings:
                readings[text] = logmath.log_to_ln(h.score)
    except RuntimeError:  # no lattice (nothing decoded): the best reading is all there is
        return ()
    if best not in readings or len(readings) < 2:
        return ()
    top = readings[best]
    return tuple(
        Hypothesis(text=t, confidence=round(min(1.0, math.exp((s - top) / 10.0)), 4))
        for t, s in readings.items()
        if t != best
    )[: count - 1]


def _since(started: float) -> float:
    return time.perf_counter() - started


def _read_dict(path: Path) -> dict[str, list[str]]:
    """CMUdict as word -> pronunciations (variants "word(2)" gathered under "word")."""
    lexicon: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if phones:
                lexicon.setdefault(_VARIANT.sub("", word), []).append(phones.strip())
    return lexicon


def heard_rules(rules: Mapping[str, Sequence[Sequence[str]]], knows: Any) -> dict[str, tuple[tuple[str, ...], ...]]:
    """``rules`` without the alternatives that need a word ``knows`` rejects (or a rule left empty)."""
    kept = {
        name: tuple(tuple(a) for a in alternatives if all(is_ref(t) or knows(t) for t in a))
        for name, alternatives in rules.items()
    }
    while True:
        empty = {name for name, alternatives in kept.items() if not alternatives}
        pruned = {
            name: tuple(a for a in alternatives if not any(is_ref(t) and (t[1:-1] in empty or t[1:-1] not in kept)
                                                            for t in a))
            for name, alternatives in kept.items()
            if name not in empty
        }  # fmt: skip
        if pruned == kept:
            return pruned
        kept = pruned


def jsgf(rules: Mapping[str, Sequence[Sequence[str]]], top: str) -> str:
    """The rules as a JSGF grammar whose public rule is ``top``."""

    def name(ref: str) -> str:
        return "<r_" + re.sub(r"[^a-z0-9_]", "_", ref) + ">"

    def alternative(seq: Sequence[str]) -> str:
        return " ".join(name(t[1:-1]) if is_ref(t) else t for t in seq) or "<NULL>"

    lines = ["#JSGF V1.0;", "grammar shop;"]
    for rule, alternatives in rules.items():
        public = "public " if rule == top else ""
        lines.append(f"{public}{name(rule)} = {' | '.join(alternative(a) for a in alternatives)};")
    return "\n".join(lines) + "\n"
