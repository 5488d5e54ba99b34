"""What a speech synthesiser offers the voice loop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from voiceshop.audio.pcm import Samples


class Synthesizer(Protocol):
    name: str
    """``espeak`` or ``piper``."""

    def synthesize(self, text: str, *, pace: int = 0, volume: int = 0) -> Samples:
        """Reply text -> voiceshop PCM; pace and volume are the shopper's steps (-3..3)."""
        ...

    def sentences(self, text: str, *, pace: int = 0, volume: int = 0) -> Iterator[Samples]:
        """The same sound in pieces, each as soon as it is made, so the first can play while the
        rest is synthesised (a voice that renders all at once yields one piece)."""
        ...
