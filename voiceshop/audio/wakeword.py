"""Wake word: a small always-on model that says when the shopper called the device ("okay nabu").

The only module that imports pymicro_wakeword (microWakeWord models run by TensorFlow Lite Micro; the
models ship inside the package, so nothing is downloaded). It hears every 30 ms chunk for a few
milliseconds of CPU, so the speech recogniser only runs after it fires. A detector is the small
``WakeWordDetector`` protocol: the voice loop, and the tests, need nothing else of it.

Talk that merely opens like the phrase ("okay now who", "okay, Bruno") can score as high as the phrase
itself, so a fire can be put to a second, slower check that runs only then: a ``WakeCheck`` hears the
sound around the fire (``before`` seconds up to it, ``after`` seconds past it) and confirms or rejects
it (``asr.wakecheck`` scores the phrase with the speech recogniser).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol, runtime_checkable

from voiceshop.audio.pcm import RATE, Samples
from voiceshop.errors import AudioError

PACKAGED: dict[str, Any] = tomllib.loads(
    resources.files("voiceshop.audio").joinpath("wake_words.toml").read_text(encoding="utf-8")
)
"""The packaged models by the phrase that wakes them, as ``wake_words.toml`` (package data) describes them."""
WAKE_WORDS = {phrase: str(entry["model"]) for phrase, entry in PACKAGED.items()}
"""The packaged models' names, by the phrase that wakes them."""
REFRACTORY = 1.0
"""Seconds after firing during which the same wake word does not fire again (it stays high a while)."""


class WakeWordDetector(Protocol):
    name: str
    """The phrase it listens for."""

    def feed(self, chunk: Samples) -> bool:
        """The next chunk of sound; True on the chunk where the wake word has just been said."""
        ...


@dataclass(frozen=True)
class WakeVerdict:
    """What a ``WakeCheck`` made of one fire."""

    accepted: bool
    score: float
    """The check's own measure (accepted at or above its cutoff)."""
    heard: str = ""
    """What the check heard in the sound, for logs."""
    seconds: float = 0.0
    """Computing time the check took."""


class WakeCheck(Protocol):
    name: str
    """How it checks, for logs and ``voiceshop doctor``."""
    before: float
    """Seconds of sound before the fire it hears."""
    after: float
    """Seconds of sound after the fire it waits for (the phrase's end can come a little after it).
    A check may also say ``over_replies = False``: it is not to be trusted on what the echo canceller
    leaves of a reply, so a fire over a reply cuts it without the check (``runtime.ducking``); or
    ``unsuppressed = True``: over a reply it hears the sound before the canceller's residual echo
    suppressor (``EchoCanceller.filtered``) rather than after it."""

    def check(self, samples: Samples) -> WakeVerdict:
        """The sound from ``before`` seconds before the fire to ``after`` seconds past it."""
        ...


def wake_word_names() -> list[str]:
    return list(WAKE_WORDS)


def _entry(phrase: str) -> dict[str, Any]:
    found: dict[str, Any] = PACKAGED.get(" ".join(phrase.lower().replace(",", " ").split()), {})
    return found


def written_as(phrase: str) -> list[str]:
    """Other ways a speech recogniser writes a packaged phrase ("okay naboo", "OK Nabu"); none for another phrase."""
    return [str(w) for w in _entry(phrase).get("written", [])]


def phones_of(phrase: str) -> dict[str, str]:
    """How the words of a packaged phrase that the CMU pronouncing dictionary lacks are said (ARPAbet),
    by word; none for another phrase."""
    return {str(word): str(said) for word, said in _entry(phrase).get("phones", {}).items()}


def sounds_like(phrase: str) -> dict[str, list[str]]:
    """Words a recogniser's lexicon may have instead of an odd word of a packaged phrase ("nah boo" for
    "nabu"), by word; none for another phrase."""
    return {str(word): [str(w) for w in ways] for word, ways in _entry(phrase).get("sounds_like", {}).items()}


class MicroWakeWordDetector:
    """A packaged microWakeWord model (``okay nabu``, ``hey jarvis``, ``hey mycroft``, ``alexa``)."""

    def __init__(self, phrase: str = "okay nabu", *, cutoff: float | None = None) -> None:
        key = " ".join(phrase.lower().replace(",", " ").split())
        if key not in WAKE_WORDS:
            raise AudioError(
                f"no packaged wake word model for {phrase!r}; choose one of: {', '.join(WAKE_WORDS)} "
                "(or --activation phrase --wake-phrase TEXT for a phrase of your own)"
            )
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model
        except ImportError:
            raise AudioError(
                "the wake word engine is not installed; run: pip install pymicro-wakeword "
                "(or use --activation phrase, push or always)"
            ) from None
        except OSError as exc:  # the bundled TensorFlow Lite library does not load on this platform
            raise AudioError(
                f"the wake word engine cannot load here ({exc}); use --activation phrase, push or always"
            ) from None
        try:
            self._model: Any = MicroWakeWord.from_builtin(Model(WAKE_WORDS[key]))
        except (OSError, ValueError) as exc:
            raise AudioError(
                f"the wake word model {key!r} cannot be loaded ({exc}); reinstall pymicro-wakeword"
            ) from None
        self._features: Any = MicroWakeWordFeatures()
        self.name = key
        self.model_path = str(self._model.tflite_model)
        """The TensorFlow Lite model file (inside the pymicro-wakeword package)."""
        self.cutoff = float(cutoff if cutoff is not None else self._model.probability_cutoff)
        """The probability (averaged over the model's sliding window) above which it fires."""
        self.probability = 0.0
        """The latest probability the model gave (for logs and tuning)."""
        self._seen = 0
        self._quiet_until = 0
        self._armed = True

    def feed(self, chunk: Samples) -> bool:
        self._seen += len(chunk)
        fired = False
        heard: list[float] = []
        for features in self._features.process_streaming(chunk.astype("<i2").tobytes()):
            probability = self._model.process_streaming_prob(features)
            if probability is None:
                continue
            heard.append(float(probability))
            if heard[-1] > self.cutoff and self._seen >= self._quiet_until and self._armed:
                fired = True
        if heard:
            # the model runs once per 30 ms (three 10 ms feature frames); the other calls answer 0.0
            # while it gathers frames, so the chunk's probability is the largest answer, not the last
            self.probability = max(heard)
            # one phrase, one fire: it fires again only once its probability has fallen below the
            # cutoff ("hey mycroft" stays above it for 1.4 s, longer than the refractory period)
            self._armed = not fired and (self._armed or self.probability <= self.cutoff)
        if fired:
            self._quiet_until = self._seen + round(REFRACTORY * RATE)
        return fired


@runtime_checkable
class StagedCheck(WakeCheck, Protocol):
    """A check made of stages, each with a verdict of its own (``AllChecks``), so a caller can act on
    the first before the slower ones are done (``runtime.ducking`` silences a reply at once)."""

    def stages(self, samples: Samples, unsuppressed: Samples | None = None) -> Iterator[WakeVerdict]:
        """Each stage's verdict on the sound around one fire, in order, up to the first that rejects
        (``unsuppressed``: the same sound before residual echo suppression, for the stages that want it)."""
        ...


def stages(check: WakeCheck, samples: Samples, unsuppressed: Samples | None = None) -> Iterator[WakeVerdict]:
    """The verdicts of ``check``'s stages on one fire, in order, up to the first that rejects (a check
    of one stage: its verdict). Over a reply, ``unsuppressed`` is the same sound before the echo
    canceller's residual echo suppressor, heard by the checks that say ``unsuppressed = True``."""
    if isinstance(check, StagedCheck):
        yield from check.stages(samples, unsuppressed)
    else:
        yield check.check(heard_by(check, samples, unsuppressed))


def heard_by(check: WakeCheck, samples: Samples, unsuppressed: Samples | None) -> Samples:
    """The sound ``check`` hears of a fire: ``unsuppressed`` when there is one and it wants it."""
    return unsuppressed if unsuppressed is not None and getattr(check, "unsuppressed", False) else samples


def combined(verdicts: Sequence[WakeVerdict]) -> WakeVerdict:
    """Stages' verdicts as one: accepted when every one accepted, the score of the last, what each heard
    and the time they took together."""
    if not verdicts:
        raise ValueError("no verdict to combine")
    heard = " / ".join(v.heard for v in verdicts if v.heard)
    last = verdicts[-1]
    return WakeVerdict(last.accepted, last.score, heard, sum(v.seconds for v in verdicts))


class AllChecks:
    """Checks in a row: a fire is confirmed when every one confirms it, and the first that rejects it
    decides (the fastest goes first, so most false fires cost only it). Each hears its own window of the
    sound, cut from the widest any of them wants. Each check is a stage (``stages``)."""

    def __init__(self, checks: list[WakeCheck]) -> None:
        if not checks:
            raise ValueError("AllChecks needs at least one check")
        self.checks = checks
        self.before = max(c.before for c in checks)
        self.after = max(c.after for c in checks)
        self.over_replies = all(getattr(c, "over_replies", True) for c in checks)
        self.name = ", then ".join(c.name for c in checks)

    def stages(self, samples: Samples, unsuppressed: Samples | None = None) -> Iterator[WakeVerdict]:
        fire = len(samples) - round(self.after * RATE)  # the fire's place in what was heard
        for check in self.checks:
            start = max(0, fire - round(check.before * RATE))
            heard = heard_by(check, samples, unsuppressed)
            verdict = check.check(heard[start : fire + round(check.after * RATE)])
            yield verdict
            if not verdict.accepted:
                return

    def check(self, samples: Samples) -> WakeVerdict:
        return combined(list(self.stages(samples)))
