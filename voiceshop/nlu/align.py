"""Aligning a transcript's words to the shop's phrases: which stretch of words names which thing.

Each word is first given its readings: itself when it is a known word, the words a recognizer
confuses it with (``homophones``), and known words within a small edit distance. Every stretch of up
to ``Lexicon.max_words`` words is then compared with the phrases that share its readings (exactly,
with the spaces removed, or by character edit distance), numbers and ordinals are read, and the
stretches are chosen longest well-explained first, without overlaps. What is left is a command word
of the grammar or an unknown word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from voiceshop.language import load
from voiceshop.nlu.lexicon import KIND_PRIORITY, NUMBER_WORDS, Entity, Lexicon
from voiceshop.nlu.number_tags import digit_run, number_homophones
from voiceshop.nlu.numbers import ORDINALS, parse_number, parse_ordinal, parse_quantity
from voiceshop.nlu.sound import SoundKey
from voiceshop.nlu.tags import HEADS, Tag
from voiceshop.nlu.text import stem

__all__ = ["ARTICLES", "HEADS", "STOP", "Aligner", "Tag"]

_LANGUAGE = load()
# Words a fuzzy stretch may not start or end with: "the latte" must not be a near miss for "latte".
STOP = _LANGUAGE.function_words("stop")
ARTICLES = _LANGUAGE.function_words("articles")
SEPARATORS = frozenset(stem(w) for w in _LANGUAGE.function_words("separators"))  # as spans are read
INDEFINITE = _LANGUAGE.function_words("indefinite")
MIN_SCORE = 0.72
"""Lowest similarity at which a stretch of words is taken to name a phrase."""
STAND_IN = 0.6
"""How alike (1 - edits / length) the words before a phrase's head must be to its own words before it
to be a mishearing of them: "oak milk" may be "oat milk"; "oat milk" is not "nonfat milk", though
every letter of "oat" is in "nonfat" (it names a milk the shop does not have)."""
GOOD_SCORE = 0.85
FUZZY_WORTH = 0.9
"""A reading below ``GOOD_SCORE`` is worth this much less per word when choosing between readings."""
TAG_COST = 0.02
LONGER = 0.1
"""Extra worth per word of a longer phrase."""
KIND_TIE = 0.001
"""Worth per word of a kind's priority, to break ties between readings ("half dozen eggs" before "half a dozen")."""
BACK_TO_BACK = 0.01
"""Cost of two products named with nothing between them: "chicken | tikka masala" (a choice, then the
dish) before "chicken tikka | masala" (a starter, then the dish named by one word), where both explain
every word."""
ALONE = 0.9
"""Worth of a word heard exactly as a command word and left as itself: less than any good one-word tag."""
MAX_CANDIDATES = 400
"""A stretch whose words occur in more phrases than this is too generic to compare one by one."""
ORDINAL_WORDS = frozenset(ORDINALS)
PHONETIC_SCORE = 0.8
FEWER_WORDS = 0.9
"""Fewer words than a fixed list's phrase name it only when they are nearly its letters ("pickup")."""
DISTINCTIVE_SHARE = 0.4
"""A word only one product has names it when it is this much of the name ("drip", not "blue")."""


STUTTER = 3
"""The most letters of a word's stuttered start left out ("b b butter chicken")."""
SOUND_ALIKE = 0.5
"""How alike the sound keys of such words, from the same first letter, must be ("coff" / "cough")."""


def _similar_length(a: str, b: str) -> bool:
    """Misheard words keep roughly their length; "blah" is not a short "bleach", nor "anna" a "banana"."""
    return abs(len(a) - len(b)) <= max(1, len(a) // 3)


def _priority(kind: str) -> int:
    return KIND_PRIORITY.index(kind) if kind in KIND_PRIORITY else len(KIND_PRIORITY)


class Aligner:
    def __init__(
        self,
        lexicon: Lexicon,
        command_words: frozenset[str],
        homophones: Mapping[str, tuple[str, ...]],
        sound: SoundKey | None = None,
        refusals: frozenset[str] = frozenset(),
    ):
        self.lexicon = lexicon
        self.refusals = refusals
        """One-word refusals ("no", "not", "without"): a phrase without them does not take them in
        ("but no sweetener" is not a near "sweetener"), so the refusal stays with what follows."""
        self.command_words = frozenset(stem(w) for w in command_words)
        self.vocab = sorted(lexicon.words | self.command_words | NUMBER_WORDS)
        self._known = frozenset(self.vocab)
        self.homophones = homophones
        self.sound = sound or SoundKey()
        self._cache: dict[str, tuple[tuple[str, float], ...]] = {}
        self._sounds: dict[str, list[str]] = {}
        self._owners: dict[str, str | None] = {}
        for w in self.vocab:
            if len(w) >= 3:
                self._sounds.setdefault(self.sound(w), []).append(w)

    def readings(self, token: str) -> tuple[tuple[str, float], ...]:
        """The known words ``token`` may stand for, with how sure that reading is (1.0 = as written)."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        s = stem(token)
        out: dict[str, float] = {}
        if s in self._known or token.isdecimal():
            out[s] = 1.0
        for meant in self.homophones.get(token, ()):
            out.setdefault(stem(meant), 0.9)
        command = s in self.command_words or s in NUMBER_WORDS
        if not command and not token.isdecimal() and len(s) >= 3:
            # Unknown words get near spellings; known shop words only very near ones ("soya" -> "soy").
            cutoff = (80 if len(s) <= 4 else 72) if s not in self._known else 85
            for w, score, _ in process.extract(s, self.vocab, scorer=fuzz.ratio, score_cutoff=cutoff, limit=6):
                if _similar_length(s, w):
                    out.setdefault(w, score / 100)
            if s not in self._known and len(s) >= 4:
                key = self.sound(s)
                # A short sound key ("bl") fits too many words; the spelling must also be close-ish.
                floor = 65 if len(key) <= 2 else 55
                for w in self._sounds.get(key, ()):
                    if fuzz.ratio(s, w) >= floor and _similar_length(s, w):
                        out.setdefault(w, PHONETIC_SCORE)
        result = tuple(sorted(out.items(), key=lambda kv: -kv[1])) or ((s, 0.0),)
        if len(self._cache) < 100_000:
            self._cache[token] = result
        return result

    def merge_compounds(self, tokens: Sequence[str]) -> list[str]:
        """Join two words the shop writes as one ("tooth paste" -> "toothpaste"), and leave out a word's
        stuttered start ("a j j jasmine milk tea", "w w with"): a few letters that are no known word,
        said right before a word that starts with them."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            t = tokens[i]
            if len(t) <= STUTTER and t.isalpha() and stem(t) not in self._known and nxt.startswith(t) and nxt != t:
                i += 1
                continue
            if t == nxt and i + 2 < len(tokens) and len(t) <= STUTTER and t.isalpha() and stem(t) not in self._known:
                i += 1  # "j j jasmine": the first of two
                continue
            if i + 1 < len(tokens) and tokens[i].isalpha() and tokens[i + 1].isalpha():
                first, second = stem(tokens[i]), stem(tokens[i + 1])
                joined = tokens[i] + tokens[i + 1]  # never a small word: "an d batteries" is not "and batteries"
                if stem(joined) in self.lexicon.postings and joined not in STOP and not self._adjacent(first, second):
                    out.append(tokens[i] + tokens[i + 1])
                    i += 2
                    continue
            out.append(tokens[i])
            i += 1
        return out

    def _adjacent(self, first: str, second: str) -> bool:
        both = self.lexicon.postings.get(first, frozenset()) & self.lexicon.postings.get(second, frozenset())
        for e in both:
            ws = self.lexicon.entities[e].words
            if any(ws[k] == first and ws[k + 1] == second for k in range(len(ws) - 1)):
                return True
        return False

    def tag(self, tokens: Sequence[str]) -> list[Tag]:
        """Read ``tokens`` (normalised words, fillers removed) as a sequence of non-overlapping tags."""
        stems = [stem(t) for t in tokens]
        readings = [self.readings(t) for t in tokens]
        found: list[Tag] = []
        n = len(tokens)
        for i in range(n):
            found += self._numbers(tokens, i)
            for j in range(i + 1, min(n, i + self.lexicon.max_words + 1) + 1):
                tag = self._phrase(tokens, stems, readings, i, j)
                if tag is not None:
                    found.append(tag)
        plain = [self.word(tokens[i], i) for i in range(n)]
        chosen = _segment(found, [ALONE if t.kind == "word" and t.score >= 1.0 else 0.0 for t in plain])
        taken = [False] * n
        for t in chosen:
            for k in range(t.start, t.end):
                taken[k] = True
        chosen += [plain[i] for i in range(n) if not taken[i]]
        chosen.sort(key=lambda t: t.start)
        return number_homophones(chosen, tokens)

    def phrase(self, tokens: Sequence[str]) -> Tag | None:
        """``tokens`` read as one shop phrase, if they name one."""
        return self._phrase(tokens, [stem(t) for t in tokens], [self.readings(t) for t in tokens], 0, len(tokens))

    def word(self, token: str, i: int) -> Tag:
        """``token`` read as a command word of the grammar, or as unknown."""
        readings = self.readings(token)
        # A shop word heard exactly is not a near spelling of a command word ("cold" is not "could");
        # the homophone table (0.9) still applies ("card" may be "cart").
        floor = 0.9 if stem(token) in self.lexicon.postings else 0.8
        for word, score in readings:
            if word in self.command_words and score >= floor:
                return Tag(i, i + 1, "word", word, score)
        if token in self.command_words:
            return Tag(i, i + 1, "word", token, 1.0)
        return Tag(i, i + 1, "unknown", token, 0.0)

    def _numbers(self, raw: Sequence[str], i: int) -> list[Tag]:
        tokens, corrected = self._number_spellings(raw, i)
        out: list[Tag] = []
        if corrected:  # "secund" -> "second": one misheard number word
            o = parse_ordinal(tokens, i, count=-1)
            return [Tag(i, i + o.length, "ordinal", o.value, 0.85)] if o is not None else []
        q = parse_quantity(tokens, i)
        if q is not None:
            weak = tokens[i] in INDEFINITE and q.length == 1
            out.append(Tag(i, i + q.length, "quantity", q.value, 1.0, weak=weak))
            if tokens[i] in INDEFINITE and q.length > 1:  # "a half dozen eggs" may be "a" + a product
                out.append(Tag(i, i + 1, "quantity", 1, 1.0, weak=True))
        o = parse_ordinal(tokens, i, count=-1)
        if o is not None:
            out.append(Tag(i, i + o.length, "ordinal", o.value, 1.0))
        digits = digit_run(tokens, i)
        if digits is not None:
            out.append(digits)
        return out

    def _number_spellings(self, tokens: Sequence[str], i: int) -> tuple[Sequence[str], bool]:
        """``tokens`` with the one at ``i`` replaced by the number word it is a misspelling of, if any."""
        token = tokens[i]
        if token in NUMBER_WORDS or token.isdecimal() or len(token) < 4:
            return tokens, False
        s = stem(token)
        if s in NUMBER_WORDS and s not in self.lexicon.postings:
            return [*tokens[:i], s, *tokens[i + 1 :]], True
        for word, score in self.readings(token):
            if word in ORDINAL_WORDS and score >= 0.75:
                return [*tokens[:i], word, *tokens[i + 1 :]], True
        return tokens, False

    def _phrase(
        self,
        tokens: Sequence[str],
        stems: Sequence[str],
        readings: Sequence[tuple[tuple[str, float], ...]],
        i: int,
        j: int,
    ) -> Tag | None:
        lex = self.lexicon
        span = tuple(stems[i:j])
        scored: dict[int, float] = {}
        fit = 1.0
        for e in lex.exact.get(span, ()):
            scored[e] = 1.0
        for e in lex.despaced.get("".join(span), ()):
            scored.setdefault(e, 0.97)
        split = tokens[i] in ARTICLES and j - i > 1 and readings[i + 1][0][1] < 1.0  # "a sai bowl": maybe "acai"
        opens = tokens[i] not in STOP or split
        if not scored and opens and tokens[j - 1] not in STOP and not _has_number(tokens[i:j]):
            scored, fit = self._fuzzy(span, readings[i:j])
        if not scored:
            return None
        ranked = sorted(
            ((lex.entities[e], s) for e, s in scored.items()),
            key=lambda es: (-es[1], _priority(es[0].kind), not es[0].exact_name),
        )
        best = ranked[0][1]
        keep = tuple((e, s) for e, s in ranked if s >= best - 0.1)
        head = keep[0][0]
        if head.kind == "unit" and best < GOOD_SCORE:
            return None  # a unit is a short word: "round" is not "pound", "little" not "litre"
        plural = tokens[j - 1] != head.text.split()[-1]
        if head.kind == "unit" and j - i > 1 and _has_number(tokens[i : i + 1]) and plural:
            return None  # "four packs of paper towels" counts packs; "a four pack" is the pack's size
        # A command word that only partly names a phrase ("card" in "pay by card" vs "sd card") stays a
        # word outside an item.
        weak = head.kind in ("unit", "amount") or (j - i == 1 and best < GOOD_SCORE and span[0] in self.command_words)
        return Tag(i, j, head.kind, head.value, best, keep, weak=weak, fit=max(fit, best))

    def _same_kind(
        self, span: tuple[str, ...], readings: Sequence[tuple[tuple[str, float], ...]], words: tuple[str, ...]
    ) -> bool:
        """Whether words ending in the phrase's own last word ("X milk" for "soy milk") may say the phrase:
        the words before it must read as, or be spelled like, the phrase's words before it. A different
        word before the same head names a different thing ("oat milk", "hemp milk"), however alike the
        whole stretches look letter by letter. Nor do words said beside a phrase said whole ("large oat"
        is not a near "large")."""
        if len(span) > len(words) and set(words) <= set(span) and any(w not in STOP for w in span if w not in words):
            return False
        if len(span) < 2 or span[-1] != words[-1]:
            return True
        said = [k for k in range(len(span) - 1) if span[k] not in STOP]
        if not said or any(w in words[:-1] for k in said for w, _ in readings[k]):
            return True
        meant = "".join(words[:-1])  # nothing: "oat milk" for "milk" is a milk of its own too
        heard = "".join(span[k] for k in said)
        if not meant:
            return False
        # spelled alike ("oak" / "oat"), or sounding alike from the same first letter ("coff" / "cough");
        # an article may be the word's first letter, split off ("a sai bowl": "acai bowl")
        glued = "".join(span[:-1]) if span[0] in ARTICLES else heard
        if max(Levenshtein.normalized_similarity(w, meant) for w in (heard, glued)) >= STAND_IN:
            return True
        alike = Levenshtein.normalized_similarity(self.sound(heard), self.sound(meant))
        return heard[0] == meant[0] and alike >= SOUND_ALIKE

    def _distinctive(self, span: tuple[str, ...], ent: Entity) -> bool:
        """Whether every word of ``span`` (articles aside) occurs in the names of ``ent``'s product only."""
        return all(w in STOP or self._owner(w) == ent.value for w in span)

    def _owner(self, word: str) -> str | None:
        """The one product whose names alone have ``word`` (not a command word), else None; cached."""
        if word not in self._owners:
            lex = self.lexicon
            found = {(lex.entities[e].kind, lex.entities[e].value) for e in lex.postings.get(word, ())}
            only = len(found) == 1 and next(iter(found))[0] == "product" and word not in self.command_words
            self._owners[word] = next(iter(found))[1] if only else None
        return self._owners[word]

    def _fuzzy(
        self, span: tuple[str, ...], readings: Sequence[tuple[tuple[str, float], ...]]
    ) -> tuple[dict[int, float], float]:
        """Phrases the words may name with their scores, and how well the words themselves were heard."""
        lex = self.lexicon
        per_word = [frozenset().union(*(lex.postings.get(w, frozenset()) for w, _ in r)) for r in readings]
        # Small words ("of", "a") only count when the phrase has them; a known word that names nothing
        # of the shop ("need", "more") cannot be part of a phrase; unknown words can (misheard parts of
        # the name, "sense of dine toothpaste"), up to half of the content words, if the rest agree.
        content = [k for k in range(len(span)) if span[k] not in STOP]
        outside = [k for k in content if not per_word[k]]
        if any(readings[k][0][1] >= 1.0 for k in outside) or len(outside) > max(1, (len(content) + 1) // 2):
            return {}, 0.0
        inside = [per_word[k] for k in content if k not in outside]
        if not inside:
            return {}, 0.0
        ids = frozenset.intersection(*inside)
        if not ids and len(inside) >= 2:
            # Leave one word out ("ice coffee" for "iced coffee"), but never a command word ("more"); a
            # word heard exactly may only have been misheard for another ("oat mill"), not be extra
            # ("drip" in "light roast drip" is a product, not part of "light roast").
            kept = [k for k in content if k not in outside]
            found: set[int] = set()
            for n, k in enumerate(kept):
                if span[k] in self.command_words:
                    continue
                others = frozenset.intersection(*(inside[:n] + inside[n + 1 :]))
                if readings[k][0][1] >= 1.0:
                    others = frozenset(e for e in others if len(lex.entities[e].words) == len(span))
                found |= others
            ids = frozenset(found)
        if not ids or len(ids) > MAX_CANDIDATES:
            return {}, 0.0
        text = " ".join(span)
        joined = "".join(span)
        out: dict[int, float] = {}
        heard = 0.0
        articles = ARTICLES.intersection(span)
        joins = SEPARATORS.intersection((span[0], span[-1]))
        bare = tuple(w for w in span if w not in ARTICLES)
        for e in ids:
            ent = lex.entities[e]
            if not ent.fuzzy:
                continue
            if not articles <= set(ent.words) and bare != ent.words and not _glued(span, readings, ent):
                # An article the phrase lacks starts a new phrase ("brew | a coffee" is not "brewed
                # coffee"), unless it only sits inside the phrase's words ("half a dozen eggs").
                continue
            if not joins <= set(ent.words):
                continue  # "protein plus | a ginger shot" is not "protein balls": "plus" at an end joins two things
            if self.refusals.intersection(span) ^ self.refusals.intersection(ent.words):
                continue  # a negation said or left out changes the meaning: "sugar" is not "no sugar"
            if not self._same_kind(span, readings, ent.words):
                continue  # "oat milk" is not "soy milk": a milk of its own, not a mishearing
            full = max(fuzz.ratio(text, ent.joined), fuzz.ratio(joined, "".join(ent.words))) / 100
            if len(ent.words) > len(span) and ent.kind not in KIND_PRIORITY and full < FEWER_WORDS:
                continue  # "sore" is not "in store": a grammar list's phrase is said whole
            if len(ent.words) == len(span):
                full = max(full, _by_readings(ent, readings))
            score = full
            if len(ent.words) > len(span) and ent.kind == "product":
                partial, words_heard = _partial(ent, readings, self._distinctive(span, ent))
                # Every word said as a word of the name: the words left out make a shorter name ("pack
                # of aa batteries" is not "big pack of aa batteries"), not a mishearing of it; a
                # number left out may have been heard as another word ("to percent milk").
                left_out = [w for w in ent.words if w not in span]
                shorter = words_heard >= 1.0 and not all(_has_number((w,)) for w in left_out)
                score = partial if shorter else max(full, partial)
                if partial >= MIN_SCORE:
                    heard = max(heard, words_heard)
            if score >= MIN_SCORE:
                out[e] = score
                heard = max(heard, full)
        return out, heard


GLUED = 85
"""How alike (0-100) the letters of words opening with an article must be to a phrase's to be the
phrase split by the recognizer ("a sai bowl" for "acai bowl")."""


def _glued(span: tuple[str, ...], readings: Sequence[tuple[tuple[str, float], ...]], ent: Entity) -> bool:
    """Whether an article opening ``span`` is the first letter of a word the recognizer split in two:
    the word after it is no known word, and the letters together are nearly the phrase's."""
    if len(span) < 2 or span[0] not in ARTICLES or readings[1][0][1] >= 1.0:
        return False
    return fuzz.ratio("".join(span), "".join(ent.words)) >= GLUED


def _segment(found: list[Tag], alone: list[float]) -> list[Tag]:
    """The non-overlapping tags that together explain the words best.

    Each tag is worth its length times its score (a fuzzy reading a little less), a well-heard longer
    phrase a little more ("half a dozen eggs" is one product, not a quantity and "eggs"), so two
    exact phrases ("double shot" + "ice mocha") beat one longer near miss ("double shot ice" +
    "mocha"); every tag costs a little, so of two equal readings the one in fewer pieces wins. Of two tags over
    the same words, the better-scored (then the higher-priority kind) is tried first and kept on a tie.
    """
    n = len(alone)
    found = sorted(found, key=lambda t: (t.score, -_priority(t.kind)), reverse=True)
    starting: list[list[Tag]] = [[] for _ in range(n)]
    for t in found:
        starting[t.start].append(t)
    best = [0.0] * (n + 1)
    pick: list[Tag | None] = [None] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i] = best[i + 1] + alone[i]
        for t in starting[i]:
            good = t.score >= GOOD_SCORE
            worth = t.score * (1 + LONGER * (t.length - 1) if good else FUZZY_WORTH)
            value = t.length * worth - TAG_COST + best[t.end]
            value += KIND_TIE * t.length * (len(KIND_PRIORITY) - _priority(t.kind))  # a longer product first
            after = pick[t.end] if t.end < n else None
            if t.kind == "product" and after is not None and after.start == t.end and after.kind == "product":
                value -= BACK_TO_BACK
            if value > best[i] + 1e-9:
                best[i] = value
                pick[i] = t
    out: list[Tag] = []
    i = 0
    while i < n:
        chosen = pick[i]
        if chosen is None:
            i += 1
        else:
            out.append(chosen)
            i = chosen.end
    return out


def _by_readings(ent: Entity, readings: Sequence[tuple[tuple[str, float], ...]]) -> float:
    """How sure we are that the words, each read as one of its readings, say the phrase ("lady" -> latte)."""
    score = 1.0
    for word, r in zip(ent.words, readings, strict=True):
        score = min(score, max((s for w, s in r if w == word), default=0.0))
    return score


def _has_number(tokens: Sequence[str]) -> bool:
    return any(parse_number(tokens, k) is not None for k in range(len(tokens)))


def _partial(
    ent: Entity, readings: Sequence[tuple[tuple[str, float], ...]], distinctive: bool = False
) -> tuple[float, float]:
    """How well a shorter stretch names a longer phrase ("toothpaste" for "sensodyne toothpaste"), and
    how well its words were heard.

    Never as good as a full match, and nearly flat in how much of the phrase was said, so that several
    products sharing the said words come out close together: a question, not a guess.
    """
    names = set(ent.words)
    covered = 0
    worst = 1.0
    said: set[str] = set()
    for r in readings:
        hits = [(w, s) for w, s in r if w in names]
        if not hits:
            return 0.0, 0.0
        word, score = max(hits, key=lambda ws: ws[1])
        covered += len(word)
        worst = min(worst, score)
        said.add(word)
    total = sum(len(w) for w in ent.words)
    # English names end in their head noun: "ice" alone does not name "ice coffee", "coffee" may;
    # a word only one product's names have ("drip" of "drip coffee") names it all the same.
    head = 1.0 if ent.words[-1] in said or (distinctive and covered >= DISTINCTIVE_SHARE * total) else 0.85
    return (0.74 + 0.1 * covered / total) * worst * head, worst
