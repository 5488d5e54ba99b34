"""A reply's sound made ahead: the first sentence plays while the next ones are synthesised, and the
first reply of a turn is synthesised while the store commits the turn."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

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


class Ahead:
    """The first reply of a turn, its synthesis started while the store still commits the turn
    (``Assistant.hear_nbest``'s ``ready``): the speaker gets it only once the turn is stored, and a
    reply that is not the one the turn ends up saying first is made afresh."""

    def __init__(self, voice: Synthesizer) -> None:
        self.voice = voice
        self._reply: Reply | None = None
        self._pieces: Iterator[Samples] | None = None

    def start(self, replies: Sequence[Reply]) -> None:
        if self._pieces is None and replies:
            self._reply, self._pieces = replies[0], ahead(self.voice, replies[0])

    def pieces(self, reply: Reply) -> Iterator[Samples]:
        """``reply``'s sound: the one started early if it is that reply, else made now."""
        if self._pieces is not None and self._reply is reply:
            pieces, self._pieces = self._pieces, None
            return pieces
        return ahead(self.voice, reply)
