"""The wake word's second check with the engines that spot a phrase rather than score it (Vosk, pocketsphinx).

Whisper checks a fire by a likelihood ratio against its own reading (``asr.wakecheck``). Vosk and
pocketsphinx cannot score a given sentence against the sound that way, but each can spot one phrase
by its own means (``KeyphraseSpotter``): pocketsphinx by keyphrase search, the phrase's path against
a loop of any phones; Vosk by a grammar of the phrase and "anything else" (``[unk]``), with the
confidence of each of its words. ``KeyphraseWakeCheck`` puts that behind the same ``WakeCheck`` the
Whisper check is, so the voice loop does not care which engine checks. It hears the same
``wakecheck.BEFORE`` seconds before the fire, but longer after it (``AFTER``).
"""

from __future__ import annotations

from voiceshop.asr.base import KeyphraseSpotter
from voiceshop.asr.wakecheck import BEFORE
from voiceshop.audio.pcm import Samples
from voiceshop.audio.wakeword import WakeVerdict

AFTER = 0.5
"""Seconds after the fire the engine hears: the model fires near the phrase's end, sometimes before
it, and a spotter must hear the whole phrase. With the Whisper check's 0.25 s, pocketsphinx found the
packaged Piper voice's "okay nabu" only up to 1e10 in 3 of 24 renderings (``pocketsphinx_engine``'s
``KEYPHRASE_ACCEPT`` and ``KEYWORD_ACCEPT`` have what it finds with 0.5 s)."""


class KeyphraseWakeCheck:
    """Confirms a fire when the engine spots the phrase in the sound around it."""

    before = BEFORE
    after = AFTER
    over_replies = False
    """Not over a reply: pocketsphinx, hearing what the echo canceller leaves of the shopper's voice
    over a reply (20 dB under it, a fan), confirmed 3 of 15 real "okay nabu" fires (Whisper: 18 of 18),
    so there a fire cuts the reply at once, as without a check; Vosk is unmeasured there."""

    def __init__(self, spotter: KeyphraseSpotter, phrase: str) -> None:
        self.spotter = spotter
        self.phrase = " ".join(phrase.lower().replace(",", " ").split())
        self.name = spotter.keyphrase_method(self.phrase)  # raises when the engine cannot say the phrase

    def check(self, samples: Samples) -> WakeVerdict:
        spot = self.spotter.spot_keyphrase(samples, self.phrase)
        return WakeVerdict(accepted=spot.found, score=spot.score, heard=spot.heard, seconds=spot.seconds)
