"""What the voice loop is told (``ListenSettings``) and what it reports per command (``HeardTurn``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz

from voiceshop.asr.base import Transcript
from voiceshop.audio.endpoint import EndpointSettings, Utterance
from voiceshop.dialog.state import Reply
from voiceshop.nlu.text import words

Activation = Literal["wake", "phrase", "push", "always"]
Outcome = Literal["answered", "woke", "ignored", "not_heard", "rejected"]
"""``rejected``: the wake word model fired and its check (``ListenSettings.wake_check``) did not confirm it."""
Cut = Literal["wake word", "stop", "cancel"]


@dataclass(frozen=True)
class ListenSettings:
    activation: Activation = "wake"
    wake_word: str = "okay nabu"
    """The packaged wake word model ``wake`` listens for (``audio.wakeword.WAKE_WORDS``)."""
    wake_check: bool = True
    """Confirm each fire of the wake word model with the recogniser before listening or cutting a reply
    (Whisper: ``asr.wakecheck``; Vosk, pocketsphinx: ``asr.keyphrase``): talk that opens like the phrase
    does not wake it."""
    wake_phrase: str = "hey shop"
    """What ``phrase`` looks for at the start of a transcript."""
    vad: bool = True
    """Count only what a voice activity model takes for speech (music and fans start no command)."""
    barge_in: bool = False
    """Listen while a reply plays, and cut it on the wake word, "stop" or "cancel". Only for a live
    microphone: a recording cannot hear the replies, and its timeline would run on under them."""
    answer_window: float = 8.0
    """Seconds after a question during which the answer needs no wake phrase."""
    follow_up_window: float = 5.0
    """Seconds after any other reply during which the shopper can go on without the wake phrase."""
    command_window: float = 6.0
    """Seconds after the bare wake phrase (or a press) during which a command is heard."""
    earcons: bool = True
    startup_sound: bool = True
    """With barge-in, on a start where the echo canceller has no room kept from an earlier one (the
    first ever, or the kept one unusable): a 0.35 s sweep before anything else, on which it measures
    the room, so "stop" is heard from the first reply's first words (``tts.earcons.STARTING``)."""
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)


@dataclass
class HeardTurn:
    """One command and what came of it (printed by ``voiceshop run``, checked by the tests)."""

    utterance: Utterance
    transcript: Transcript
    outcome: Outcome
    said: str = ""
    """What reached the assistant (the transcript without the wake phrase)."""
    replies: list[Reply] = field(default_factory=list)
    latency: float = 0.0
    """Seconds from the end of speech being detected to the reply starting to play."""
    cut: bool = False
    """The shopper cut a reply short (barge-in): the last reply was not heard in full."""
    heard: float = 0.0
    """Seconds of the replies played before the cut (all of them when not cut)."""
    cut_by: Cut | None = None
    """What cut the reply: the wake word, a stop phrase or a cancel phrase."""


WAKE_PHRASE_MATCH = 65.0
WAKE_WORD_MATCH = 80.0


def strip_phrase(text: str, phrase: Sequence[str]) -> tuple[str, bool]:
    """The words after a wake phrase (its words ``phrase``), and whether it was there (allowing a
    recogniser's slips)."""
    heard = words(text)
    n = len(phrase)
    if n == 0 or len(heard) < n:
        return " ".join(heard), False
    # The last word of the phrase is the distinctive one ("shop"): it must be nearly right, while
    # the phrase as a whole may slip ("case shop"); "they stop" is not a wake phrase.
    whole = fuzz.ratio(" ".join(heard[:n]), " ".join(phrase))
    if whole >= WAKE_PHRASE_MATCH and fuzz.ratio(heard[n - 1], phrase[-1]) >= WAKE_WORD_MATCH:
        return " ".join(heard[n:]), True
    return " ".join(heard), False
