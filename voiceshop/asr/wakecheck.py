"""The second look at a wake word: the speech recogniser scores the phrase in the sound around a fire.

The wake word model fires as readily on talk that merely opens like the phrase ("okay now who",
"okay, Bruno") as on the phrase. When it fires, ``LikelihoodWakeCheck`` asks a ``PhraseScorer``
(Whisper: ``WhisperRecognizer.phrase_odds``) how likely the sound is to open with the phrase, written
any of the usual ways, against the recogniser's own best reading of it: a likelihood ratio. The real
phrase comes out nearly as likely as the best reading (the best reading often is the phrase); a near
miss comes out far less likely, because what was said is heard instead. The sound it hears is the
two seconds up to the fire and a quarter of a second after it (the model fires near the phrase's
end, sometimes just before it). It runs only after a fire, in a few tenths of a second.
"""

from __future__ import annotations

from voiceshop.asr.base import PhraseScorer
from voiceshop.audio.pcm import Samples
from voiceshop.audio.wakeword import WakeVerdict, written_as

MARGIN = 4.5
"""The phrase is accepted when its log-likelihood is at most this far below the best reading's (a
factor of 90). Chosen to keep the real phrase first: on fires of the model on synthesised speech
(``tests/broadcast.py``'s wake voices at three speeds over its four backgrounds, and its near-miss
talk), it kept 69 of 70 fires on the phrase and rejected 17 of 45 on near misses; a margin of 3
rejected 24 of the 45 but lost 3 of the 70."""
BEFORE = 2.0
AFTER = 0.25


def spellings(phrase: str) -> list[str]:
    """The phrase, as the recogniser might write it: its own words, those ``audio/wake_words.toml`` lists
    for a packaged phrase ("okay naboo", "OK Nabu"), capitals, a comma after a greeting."""
    words = phrase.lower().replace(",", " ").split()
    if not words:
        return []
    found = [" ".join(words), *written_as(phrase)]
    capital = [w[0].upper() + w[1:] for w in words]
    found += [" ".join([capital[0], *words[1:]]), " ".join(capital)]
    if len(words) > 1:
        found.append(f"{capital[0]}, {' '.join(capital[1:])}")
    return list(dict.fromkeys(found))


class LikelihoodWakeCheck:
    """Confirms a fire when the phrase is nearly as likely as the recogniser's best reading."""

    before = BEFORE
    after = AFTER
    unsuppressed = True
    """Over a reply it hears the sound before the echo canceller's residual echo suppressor, which carves
    into the shopper's voice there: Whisper read "okay nabu" said over replies as "Okay, not move.",
    "Okay, hot move, and move.", "okay uh we do". Of the 24 real phrases the wake word model found over
    ``benchmarks/voice.py wake-over-talk 30``'s replies (the trained verifier accepted all 24), this
    check confirmed 21 after the suppressor, 24 before it (23 on the room's sound without the echo at
    all: the echo the filter leaves is not what misled it); of the 4 near misses of 34 the verifier let
    through, it confirmed all 4 either way (fires scored one by one, as ``wake-over-talk`` hands them
    over). The verifier keeps hearing the suppressed sound it was measured on: on the unsuppressed one
    it let twice as many near misses through."""

    def __init__(self, scorer: PhraseScorer, phrase: str, *, margin: float = MARGIN) -> None:
        self.scorer = scorer
        self.phrase = phrase
        self.margin = margin
        self.spellings = spellings(phrase)
        self.name = f"likelihood ratio of {phrase!r} against the recogniser's own reading (margin {margin:g})"

    def check(self, samples: Samples) -> WakeVerdict:
        odds = self.scorer.phrase_odds(samples, self.spellings)
        return WakeVerdict(
            accepted=odds.log_ratio >= -self.margin, score=odds.log_ratio, heard=odds.heard, seconds=odds.seconds
        )
