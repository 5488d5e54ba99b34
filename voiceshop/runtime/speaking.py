"""A reply's sound made ahead: the first sentence plays while the next ones are synthesised."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from voiceshop.audio.pcm import Samples
from voiceshop.dialog.state import Reply
from voiceshop.tts.base import Synthesizer


def ahead(voice: Synthesizer, reply: Reply) -> Iterator[Samples]:
    """The reply's sound piece by piece. Its synthesis starts now, before the first piece is asked for
    (the caller opens the speaker meanwhile); the pieces after the first are made while it plays."""
    made: queue.Queue[Samples | Exception | None] = queue.Queue()

    def synthesise() -> None:
        try:
            for piece in voice.sentences(reply.text, pace=reply.pace, volume=reply.volume):
                made.put(piece)
        except Exception as exc:  # handed to the loop, which reports it like any other failure
            made.put(exc)
        made.put(None)

    threading.Thread(target=synthesise, daemon=True, name="voiceshop-tts").start()
    return _pieces(made)


def _pieces(made: queue.Queue[Samples | Exception | None]) -> Iterator[Samples]:
    while (piece := made.get()) is not None:
        if isinstance(piece, Exception):
            raise piece
        yield piece
