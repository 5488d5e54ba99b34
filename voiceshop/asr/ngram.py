"""A small n-gram language model made from a grammar's rules, for an engine that reads ARPA files.

An engine held to a finite-state grammar must search every sentence the grammar allows at once; a
shop's grammar (ten thousand sentence templates, each with an order's items inside) makes that
search slow. An n-gram model of the same sentences is small (a few hundred words, a few thousand
trigrams), searched as fast as any, and still steers the engine to the shop's sentences, while
letting it recover from a word the grammar did not foresee.

The model is estimated from sentences sampled from the rules (every top-level alternative a few
times, its references filled at random), with absolute discounting and back-off, and written in
the ARPA text format every engine reads.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence

SpeechRules = Mapping[str, Sequence[Sequence[str]]]
"""Rule name -> alternatives; each a sequence of words and ``<rule>`` references."""
START, END = "<s>", "</s>"
DISCOUNT = 0.5
OPTIONAL = 0.7
"""How often an optional part (a rule with an empty alternative) is left out of a sampled sentence."""
MAX_DEPTH = 6
"""A recursive rule ("items": item and items) is not followed deeper than this."""


def is_ref(token: str) -> bool:
    return token.startswith("<") and token.endswith(">") and len(token) > 2


def sample(rules: SpeechRules, top: str, per_sentence: int = 3, seed: int = 0) -> list[tuple[str, ...]]:
    """Sentences of the rules: each alternative of ``top`` ``per_sentence`` times, filled at random."""
    rng = random.Random(seed)
    out: list[tuple[str, ...]] = []
    for alternative in rules[top]:
        for _ in range(per_sentence):
            said: list[str] = []
            _fill(rules, alternative, rng, said, 0)
            if said:
                out.append(tuple(said))
    return out


def _fill(rules: SpeechRules, seq: Sequence[str], rng: random.Random, said: list[str], depth: int) -> None:
    for token in seq:
        if not is_ref(token):
            said.append(token)
            continue
        alternatives = rules.get(token[1:-1], ())
        if not alternatives:
            continue
        if depth >= MAX_DEPTH:  # the way out of a recursion: an alternative that does not refer back
            choice = min(alternatives, key=lambda a: (token in a, sum(is_ref(t) for t in a)))
        elif () in alternatives and rng.random() < OPTIONAL:
            choice = ()
        else:
            choice = alternatives[rng.randrange(len(alternatives))]
        _fill(rules, choice, rng, said, depth + 1)


def arpa(sentences: Sequence[Sequence[str]], order: int = 3, words: Sequence[str] = ()) -> str:
    """A back-off model of ``sentences`` in ARPA format (log10 probabilities); ``words`` that no
    sentence has are in it too, with the little probability left for unseen words."""
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        padded = (START, *sentence, END)
        for n in range(1, order + 1):
            counts[n].update(zip(*(padded[i:] for i in range(n)), strict=False))  # counted in C
    del counts[1][(START,)]
    vocabulary = sorted({g[0] for g in counts[1]} | {START} | set(words))
    probs: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    backoff: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    total = sum(counts[1].values())
    # unigrams: discounted counts, the mass taken spread over every word (none is impossible)
    spare = DISCOUNT * len(counts[1]) / total
    said = [w for w in vocabulary if w != START]  # a sentence never goes on to its start
    for word in said:
        c = counts[1].get((word,), 0)
        probs[1][(word,)] = max(c - DISCOUNT, 0.0) / total + spare / len(said)
    probs[1][(START,)] = 1.0  # written as -99: ARPA's "never predicted"
    for n in range(2, order + 1):
        history: Counter[tuple[str, ...]] = Counter()
        followers: Counter[tuple[str, ...]] = Counter()
        for gram, c in counts[n].items():
            history[gram[:-1]] += c
            followers[gram[:-1]] += 1
        for gram, c in counts[n].items():
            probs[n][gram] = (c - DISCOUNT) / history[gram[:-1]]
        for h, seen in history.items():
            backoff[n - 1][h] = DISCOUNT * followers[h] / seen  # the mass the discount left for unseen words
    # back-off weights normalise: alpha(h) = left mass / (1 - lower-order mass of the words seen after h)
    for n in range(2, order + 1):
        seen_after: dict[tuple[str, ...], float] = {}
        for gram in probs[n]:
            seen_after[gram[:-1]] = seen_after.get(gram[:-1], 0.0) + _prob(probs, gram[1:])
        for h, left in list(backoff[n - 1].items()):
            backoff[n - 1][h] = left / max(1e-9, 1.0 - seen_after.get(h, 0.0))
    lines = ["\\data\\", *(f"ngram {n}={len(probs[n])}" for n in range(1, order + 1)), ""]
    for n in range(1, order + 1):
        lines.append(f"\\{n}-grams:")
        for gram in sorted(probs[n]):
            p = -99.0 if gram == (START,) else math.log10(probs[n][gram])
            row = f"{p:.5f}\t{' '.join(gram)}"
            if n < order and gram in backoff[n]:
                row += f"\t{math.log10(backoff[n][gram]):.5f}"
            lines.append(row)
        lines.append("")
    lines.append("\\end\\")
    return "\n".join(lines) + "\n"


def _prob(probs: list[dict[tuple[str, ...], float]], gram: tuple[str, ...]) -> float:
    """P(last word | the words before) of a gram whose shorter suffix grams were all seen (as those
    of a seen gram are): no back-off weight is ever needed."""
    n = len(gram)
    if gram in probs[n]:
        return probs[n][gram]
    return _prob(probs, gram[1:]) if n > 1 else 0.0
