"""What a speech synthesiser offers the voice loop."""

from __future__ import annotations

from typing import Protocol

from voiceshop.audio.pcm import Samples


class Synthesizer(Protocol):
    def synthesize(self, text: str, *, pace: int = 0, volume: int = 0) -> Samples:
        """Reply text -> voiceshop PCM; pace and volume are the shopper's steps (-3..3)."""
        ...
