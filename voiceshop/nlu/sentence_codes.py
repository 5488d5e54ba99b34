"""The grammar's sentences as short codes, and the search for those nearest to what was said.

Each sentence is a string of one character per symbol (a command word, a slot such as ``{product}``,
``?`` for a wildcard), so rapidfuzz finds the sentences at the smallest edit distance from a
transcript's symbols over all of them at once; a hit's confidence is that similarity, discounted by
how well the words were heard and by unknown words no wildcard takes.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from voiceshop.nlu.evidence import GAP_PENALTY
from voiceshop.nlu.grammar import Slot, Template
from voiceshop.nlu.symbols import Hit, Symbol, aligned, slot_symbol
from voiceshop.nlu.text import stem

UNKNOWN = "?"
ITEMS = "{items}"
UNEXPLAINED_PENALTY = 0.85
"""Confidence factor per unknown word that no wildcard captures."""
TOP_SENTENCES = 40

Seen = dict[str, list[tuple[str, float, int]]]
"""The sentences nearest to each query already searched."""


class Sentences:
    """The grammar's sentences, encoded; build once per grammar and shop."""

    def __init__(self, templates: Sequence[Template], wildcards: frozenset[str]) -> None:
        self._codes: dict[str, str] = {}
        self.wildcards = wildcards
        self.encoded = [self._encode_template(t) for t in templates]
        self._whole = frozenset(self.encoded)

    def is_sentence(self, encoding: Sequence[Symbol]) -> bool:
        """Whether ``encoding`` is one of the sentences word for word."""
        return "".join(self.code(s.name) for s in encoding) in self._whole

    def hits(self, encoding: tuple[Symbol, ...], rank: int, seen: Seen | None = None) -> list[Hit]:
        """The grammar sentences nearest to ``encoding``; ``seen`` keeps the search per query."""
        query = "".join(self.code(s.name) for s in encoding)
        found = seen.get(query) if seen is not None else None
        if found is None:
            found = process.extract(
                query,
                self.encoded,
                scorer=Levenshtein.normalized_similarity,
                limit=TOP_SENTENCES,
                score_cutoff=0.3,
            )
            if seen is not None:
                seen[query] = found
        return [
            Hit(index, similarity * self.quality(encoding, query, index), encoding, query, rank)
            for _, similarity, index in found
        ]

    def code(self, name: str) -> str:
        code = self._codes.get(name)
        if code is None:
            code = chr(0x4E00 + len(self._codes))
            self._codes[name] = code
        return code

    def _encode_template(self, template: Template) -> str:
        out = []
        for token in template.tokens:
            if isinstance(token, Slot):
                out.append(self.code(UNKNOWN if token.list_name in self.wildcards else slot_symbol(token.list_name)))
            else:
                out.append(self.code(stem(token)))
        return "".join(out)

    def quality(self, encoding: tuple[Symbol, ...], query: str, index: int) -> float:
        sentence = self.encoded[index]
        captured = {j for i, j in aligned(sentence, query) if sentence[i] == self.code(UNKNOWN)}
        quality = 1.0
        scores = [t.heard for s in encoding for t in s.tags if t.kind != "unknown"]
        if scores:
            # Half the mean, half the worst: one badly heard word among good ones still counts.
            quality *= 0.5 * sum(scores) / len(scores) + 0.5 * min(scores)
        for j, s in enumerate(encoding):
            if s.name == UNKNOWN and j not in captured:
                quality *= UNEXPLAINED_PENALTY ** len(s.tags)
            elif s.name == ITEMS:
                quality *= GAP_PENALTY ** sum(t.kind == "unknown" for t in s.tags)
        return quality
