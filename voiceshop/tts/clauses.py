"""Where a reply can be cut so that its first piece is short: the shopper hears the reply start as
soon as that piece is made.

A neural voice (Piper) makes a sentence in one go, in time that grows with its length: a seven-word
first sentence takes 0.2-0.6 s on two cores before any of it can play. Cut at its first clause mark
(a comma, colon or semicolon), the first piece is a few words, and the rest is made while it plays.
The voice pauses at the cut about as long as it pauses at that mark inside the sentence, and each
piece keeps its mark, so it is said with the same rise or pause. Only the first sentence is cut:
later ones are made while earlier ones play.
"""

from __future__ import annotations

import re

LONG = 6
"""A first sentence of more words than this is cut; a shorter one is made fast enough whole."""
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f](?=\s|$)")
_CLAUSE_MARK = re.compile(r"[,;:\u060c\u061b\u3001\uff0c\uff1b\uff1a](?=\s)")


def first_clause(text: str) -> list[str]:
    """``text`` as the pieces to synthesise in turn: its first sentence's first clause and the rest,
    or the whole text when the first sentence is short or has no clause mark with words on both
    sides. In order, the pieces are the text (only the space at the cut and at the ends left out)."""
    text = text.strip()
    end = _SENTENCE_END.search(text)
    first = text[: end.end()] if end else text
    if len(first.split()) <= LONG:
        return [text] if text else []
    mark = _CLAUSE_MARK.search(first)
    if mark is None or not first[: mark.start()].strip() or not first[mark.end() :].strip(" .!?"):
        return [text]
    return [text[: mark.end()], text[mark.end() :].strip()]
