"""Understanding a transcript: tag its words, then find the grammar sentence it is closest to.

After ``align`` has read the words as shop things, the transcript becomes a short sequence of symbols:
command words stay words, a product becomes ``{product}``, a stretch of items becomes ``{items}``,
unknown words become ``?``. Every expanded grammar sentence is such a sequence too, so the intent is
the sentence at the smallest edit distance (rapidfuzz, over all sentences at once), and the edit
operations say which words filled which slot. The confidence is that similarity, discounted by how
well the words matched the shop's phrases and by words nothing explains.
"""

from __future__ import annotations

from collections.abc import Sequence

from voiceshop.commerce.catalog import Catalog
from voiceshop.commerce.shop import Shop
from voiceshop.language import load as load_language
from voiceshop.nlu.align import Aligner, Tag
from voiceshop.nlu.clauses import chained, one_request
from voiceshop.nlu.describe import described
from voiceshop.nlu.encoding import NO_MARKS, SaidOptions, encode, refused_options, said_options
from voiceshop.nlu.evidence import GOOD_OPTION, OPTION, Evidence, options_first
from voiceshop.nlu.grammar import Grammar, Slot
from voiceshop.nlu.heads import varieties
from voiceshop.nlu.items import Marks, build_items, is_item_tag, marks_of
from voiceshop.nlu.lexicon import NUMBER_WORDS, Lexicon
from voiceshop.nlu.nbest import best_supported, said_twice
from voiceshop.nlu.readings import named_by, slot_value
from voiceshop.nlu.repair import SoundIndex, complete_corrections, repair, shift_article
from voiceshop.nlu.result import AGREE, HESITATE, IntentGuess, ItemMention, Mention, SlotValue, Understanding
from voiceshop.nlu.runs import separator_before
from voiceshop.nlu.sentence_codes import ITEMS, UNEXPLAINED_PENALTY, UNKNOWN, Seen, Sentences
from voiceshop.nlu.sentences import Rules, speech_rules
from voiceshop.nlu.symbols import Hit, Symbol, aligned, mentions_of, near_words_unknown, slot_symbol
from voiceshop.nlu.text import drop_phrases, find_phrases, join_spelled, looked_up, stem, words

ACCEPT = 0.62
"""Lowest confidence at which an intent is returned; below it the result is "not understood"."""
ACCEPT_WILDCARD = 0.65
"""A sentence with a wildcard ("my coupon is {code}") can absorb any words, so its fixed words must
carry more of the evidence: "the television is very loud" is not a coupon."""
FALLBACK_FACTOR = 0.9
LIGHT_PENALTY = 0.97
"""Confidence factor per light word ("hi", "dear") left out to match a sentence without it."""
EDGE_PENALTY = 0.99
"""The same for a light word at either end ("okay, ..., then"): padding more than meaning."""
ITEMS_FIRST_RANK = 5
OFFER_ITEMS = 0.45
"""Below ``ACCEPT``, items read with at least this confidence still come back with "not understood"."""
TRIM_PENALTY = 0.9
TRIMS = ((0, 1), (0, 2), (0, 3), (1, 0), (2, 0))
"""(symbols left out at the start, at the end) tried when nothing fits the whole."""
SAID_TWICE_MAX = 14
"""Longest request (in symbols) searched for a request said twice."""
ASIDE_PENALTY = 0.96
"""Confidence factor per word of an aside said before or after a whole request that names nothing
the shop has: "actually forget the onions, i've got some"."""
ASIDE_UNSURE = 0.9
"""Asides are looked for only when no reading is at least this sure."""
AGREED_REST = 4
"""Most words after an opening "yeah" that still leave the turn a yes ("yeah, sweet", "sure, too easy")."""


class Understander:
    """A grammar compiled against one shop. Build once per shop version; ``understand`` many times."""

    def __init__(self, shop: Shop, catalog: Catalog, grammar: Grammar) -> None:
        self.shop = shop
        self.catalog = catalog
        self.grammar = grammar
        self.lexicon = Lexicon.build(shop, catalog, grammar)
        refusals = frozenset(phrase[0] for phrase in grammar.negations if len(phrase) == 1)
        self.aligner = Aligner(self.lexicon, grammar.words, grammar.homophones, grammar.sound, refusals)
        self.wildcards = frozenset(name for name, glist in grammar.lists.items() if glist.wildcard)
        self._index = Sentences(grammar.templates, self.wildcards)
        self._sentences = self._index.encoded
        self._wild_templates = frozenset(
            i for i, t in enumerate(grammar.templates) if any(s.list_name in self.wildcards for s in t.slots)
        )
        rest = {name for name, glist in grammar.lists.items() if glist.rest}
        tails: dict[str, list[int]] = {}
        for i, t in enumerate(grammar.templates):
            if t.tokens and isinstance(t.tokens[-1], Slot) and t.tokens[-1].list_name in rest:
                tails.setdefault(self._sentences[i][:-1], []).append(i)
        self._tail_wild = tails
        """Sentences ending in a wildcard that takes the rest, by the words before it."""
        self._need_phrases = tuple(sorted(grammar.needs, key=len, reverse=True))
        self._units = self.lexicon.units()
        self._named = self.lexicon.opening(grammar.fillers)  # "well done" is no filler and "done"
        self._sounds = SoundIndex.build(self.lexicon, grammar.sound)
        self._light = frozenset(stem(w) for w in grammar.light_words)
        agreeing = {w for phrase in grammar.agreements for w in phrase}
        self._telling = grammar.words - grammar.light_words - agreeing
        """Command words that say more than yes: after an opening "yeah" they make the turn another request."""
        language = load_language(grammar.language)
        self._small = frozenset(stem(w) for w in language.function_words("stop"))
        """Small words ("a", "my", "it"): chatter is made of them and of unknown words."""
        self._only = language.function_words("only")
        self._more = language.function_words("one_before")
        self._refer_open = language.function_words("refer_open")
        self._refer_one = language.function_words("refer_one")
        self._flags = {flag: language.function_words(flag) for flag in ("every", "same")}  # Understanding's
        self._going_on = language.function_words("separators")
        self._joins = language.function_words("request_joins")
        used = {stem(w) for t in grammar.templates for w in t.tokens if isinstance(w, str)}
        marks = {stem(w) for phrase in grammar.corrections for w in phrase}
        self._asides = (self._light - used) | (self._light & marks)
        """Light words no sentence needs ("dear", "actually" taking back what was said before): left
        out of the plain reading's core."""
        self._option_symbols = frozenset((slot_symbol("option"), slot_symbol("amount")))
        self._quantity_symbol = slot_symbol("quantity")
        # The sentence that is nothing but items ("two lattes and a croissant") names the ordering
        # intent; the words its other sentences use support an order, the rest speak against one.
        bare = [i for i, t in enumerate(grammar.templates) if t.tokens == (Slot("items", "items"),)]
        self._items_template = bare[0] if bare else None
        alone = (Slot("option", "option"),)  # the sentence that is nothing but an option ("large")
        self._option_template = next(i for i, t in enumerate(grammar.templates) if t.tokens == alone)
        ordering = grammar.templates[bare[0]].intent if bare else None
        self._ordering_intent = ordering
        self._ordering = frozenset(i for i, t in enumerate(grammar.templates) if t.intent == ordering)
        support = frozenset(
            stem(w) for t in grammar.templates if t.intent == ordering for w in t.tokens if isinstance(w, str)
        )
        self._evidence = Evidence(self._light, support, frozenset(stem(w) for w in grammar.deciding_words))

    # --- vocabulary for the recognizer ----------------------------------------------------------------

    def vocabulary(self) -> list[str]:
        """Every word the grammar and the shop's phrases can use, for constraining a recognizer."""
        found = set(self.grammar.words)
        for phrase in self.lexicon.phrases():
            found.update(phrase.split())
        return sorted(found | NUMBER_WORDS)

    def phrases(self) -> list[str]:
        """Shop phrases (products, options, coupons...) to bias a recognizer towards."""
        return self.lexicon.phrases()

    def speech_rules(self) -> Rules:
        """The grammar's sentences with the shop's phrases, as rules to hold a recognizer to (``sentences``)."""
        return speech_rules(self.grammar, self.lexicon)

    # --- understanding --------------------------------------------------------------------------------

    def understand(self, text: str) -> Understanding:
        """What ``text`` asks for: one request, or several said one after the other (``parts``)."""
        return chained(text, self._alone(text), self._alone, self.understand, ASIDE_UNSURE, self._joins)

    def _alone(self, text: str) -> Understanding:
        return one_request(text, self._understand, ACCEPT, ASIDE_UNSURE, self._ordering_intent)

    def _understand(self, text: str) -> Understanding:
        said = join_spelled(words(text))
        tokens, _ = drop_phrases(said, self.grammar.fillers, self._named)
        thinking, _ = drop_phrases(said, self.grammar.hesitations)
        if len(thinking) < len(said) and not drop_phrases(thinking, self.grammar.fillers)[0]:
            return Understanding(text=text, intent=HESITATE, confidence=1.0)
        tokens = self.aligner.merge_compounds(tokens)
        if not tokens:
            return Understanding(text=text, intent=None, confidence=0.0)
        heard = self.aligner.tag(tokens)
        marks = marks_of(tokens, heard, self.grammar.corrections, self.grammar.negations)
        tags = repair(heard, tokens, self._sounds, self._light | self._evidence.support)
        tags = complete_corrections(shift_article(tags, tokens, self.aligner), tokens, marks, self.aligner)
        found = described(self._read(text, tokens, heard, tags, marks), tokens, tags, self.catalog)
        agreed = tuple(
            Mention(kind=kind, value=" ".join(said[a:b]), text=" ".join(said[a:b]), score=1.0)
            for kind, phrases in (("agreement", self.grammar.agreements), ("decline", self.grammar.declines))
            for a, b in find_phrases(said, phrases)
        )
        kinds = varieties(tags, tokens, marks.strange, self.catalog)  # "oat milk": one the shop lacks
        things = mentions_of(tags, tokens, refused_options(tags, marks), kinds)
        if found.intent is None and not things and self._opens_agreeing(tokens):
            found = found.model_copy(update={"intent": AGREE, "confidence": ACCEPT, "slots": {}, "items": ()})
        opens = find_phrases(tokens, self.grammar.corrections)
        corrects = bool(opens) and (opens[0][0] == 0 or opens[-1][1] == len(tokens))  # or "..., actually"
        corrects |= any(t.kind == "quantity" and t.start - 1 in marks.negations for t in tags)  # "three, not two"
        # "just the latte", not "just one more"; "the black tea" (no count) names the one said
        only = self._more.isdisjoint(said) and (not self._only.isdisjoint(said) or tokens[0] in self._refer_open)
        # "the blueberry one": its "one" is no count
        ones = [m for m in things if m.kind == "quantity"]
        refers = tokens[0] in self._refer_open and not self._refer_one.isdisjoint(tokens[2:])
        if refers and ones and all(m.value == 1 and m.text in self._refer_one for m in ones):
            only = True
            found = found.model_copy(
                update={"items": tuple(i.model_copy(update={"quantity_said": False}) for i in found.items)}
            )
        continues = tokens[0] in self._going_on
        update = {"mentions": agreed + things, "corrects": corrects, "only": only, "continues": continues}
        return found.model_copy(update=update | {f: not w.isdisjoint(said) for f, w in self._flags.items()})

    def _opens_agreeing(self, tokens: Sequence[str]) -> bool:
        """Whether a turn opens with a yes and says nothing after it that asks, refuses or takes
        back: "yeah, sweet", "sure, yes", "yeah too easy" (the words after it match no sentence)."""
        found = find_phrases(tokens, self.grammar.agreements)
        if not found or found[0][0] != 0:
            return False
        rest = tokens[found[0][1] :]
        if len(rest) > AGREED_REST or any(w in self._telling or stem(w) in self._evidence.deciding for w in rest):
            return False
        against = (*self.grammar.negations, *self.grammar.corrections)
        return not find_phrases(rest, against)

    def _read(self, text: str, tokens: list[str], heard: list[Tag], tags: list[Tag], marks: Marks) -> Understanding:
        fine = self._encode(tags, tokens, runs=False)
        coarse = self._encode(tags, tokens, runs=True, marks=marks)
        plain = self._as_words(tags, tokens)
        literal = self._encode(plain, tokens, runs=False)
        hits: list[Hit] = []
        # In this order, so that of two equally good readings the plainer one wins (ties are rare).
        for rank, encoding in enumerate(dict.fromkeys((literal, fine, coarse))):
            hits += self._index.hits(encoding, rank)
        if tags != heard:
            # Words read as a sound-alike item may have been free words after all ("anything for a bad
            # cough"): sentences that capture any words still see them as said.
            as_said = self._encode(self._as_words(heard, tokens), tokens, runs=False)
            hits += [h for h in self._index.hits(as_said, 0) if h.template in self._wild_templates]
        items_first = self._items_first(coarse, tokens, marks)
        if items_first is not None:
            hits.append(items_first)
        core, cost = self._core(coarse)
        # A reading with words left out scores at most what leaving them out costs: when a hit is
        # already that good, it is not searched (the answer is the same, and faster).
        sure = max((h.confidence for h in hits), default=0.0)
        for reading in dict.fromkeys((literal, fine)):
            # Without the asides ("actually", "dear") and unknown words, each word as said or read
            # as a thing: "actually make the latte a large", "do you guys deliver".
            plain_core, plain_cost = self._core(reading, self._asides)
            if plain_core and plain_core not in (core, reading) and plain_cost > sure:
                hits += [
                    Hit(h.template, h.confidence * plain_cost, h.encoding, h.query, h.rank)
                    for h in self._index.hits(plain_core, 3)
                    if h.template not in self._wild_templates and h.template not in self._ordering
                ]
        if core and core != coarse and cost > sure:
            # The same reading with the words that say little (unknown words, "hi", "dear") left out,
            # at their cost: padding around a request must not sink it ("okay i'm done, ring me up").
            # Orders padded so are read items first, above.
            hits += [
                Hit(h.template, h.confidence * cost, h.encoding, h.query, h.rank)
                for h in self._index.hits(core, 3)
                if h.template not in self._wild_templates and h.template not in self._ordering
            ]
        if (not hits or max(h.confidence for h in hits) < ACCEPT) and len(core) > 1:
            # Nothing fits the whole: a request may come with an aside before or after it ("where's
            # my order, it's been like two hours"). Each symbol left out costs ``TRIM_PENALTY``.
            for drop_start, drop_end in TRIMS:
                part = core[drop_start : len(core) - drop_end]
                # What is kept must be a request of its own, not one word out of chatter ("huh huh").
                if len(part) >= max(2, drop_start + drop_end):
                    factor = cost * TRIM_PENALTY ** (drop_start + drop_end)
                    hits += [
                        Hit(h.template, h.confidence * factor, h.encoding, h.query, h.rank)
                        for h in self._index.hits(part, 4)
                        if h.template not in self._wild_templates and h.template not in self._ordering
                    ]
        alone = self._option_template, self._index.code(OPTION), ITEMS_FIRST_RANK  # "ugh, can it have soy milk"
        hits += options_first(fine, tokens, marks.covered, self._evidence, *alone)
        if not hits or max(h.confidence for h in hits) < ASIDE_UNSURE:
            for reading in dict.fromkeys((fine, coarse)):
                hits += self._aside_hits(reading)
        if not hits or max(h.confidence for h in hits) < ACCEPT:
            seen: Seen = {}
            for reading, at in dict.fromkeys(((literal, 1.0), (fine, 1.0), (core, cost))):
                if 4 <= len(reading) <= SAID_TWICE_MAX:
                    hits += said_twice(reading, at, self._index, lambda part: self._sure_intents(part, seen))
        if not hits or max(h.confidence for h in hits) < ACCEPT:
            # Nothing fits: words heard only nearly like command words may be a name for a wildcard
            # to take ("this is ben" is not "been"). A fallback, and a little less sure for it.
            exact = self._encode(near_words_unknown(plain, tokens), tokens, runs=False)
            hits += [
                Hit(h.template, h.confidence * FALLBACK_FACTOR, h.encoding, h.query, h.rank)
                for h in self._index.hits(exact, 4)
                if h.template in self._wild_templates
            ]
            for reading in dict.fromkeys((literal, fine)):  # "{delivery} to the office on ..." is read as a list's
                hits += self._tail_hits(reading)
        if not hits:
            return Understanding(text=text, intent=None, confidence=0.0)
        # Best hit per intent; among equals prefer the longer sentence (it explains more).
        hits.sort(key=lambda h: (-h.confidence, -len(self._sentences[h.template]), h.rank, h.template))
        per_intent: dict[str, Hit] = {}
        for h in hits:
            per_intent.setdefault(self.grammar.templates[h.template].intent, h)
        ranked = list(per_intent.values())
        best = ranked[0]
        others = tuple(
            IntentGuess(intent=self.grammar.templates[h.template].intent, confidence=round(h.confidence, 3))
            for h in ranked[1:4]
        )
        template = self.grammar.templates[best.template]
        wild = any(slot.list_name in self.wildcards for slot in template.slots)
        if best.confidence < (ACCEPT_WILDCARD if wild else ACCEPT):
            closest = (
                IntentGuess(intent=self.grammar.templates[best.template].intent, confidence=round(best.confidence, 3)),
                *others,
            )
            maybe: tuple[ItemMention, ...] = ()
            if items_first is not None and items_first.confidence >= OFFER_ITEMS:
                # Not sure it was an order, but these were heard: the dialog may offer them.
                maybe = self._result(text, tokens, items_first, (), marks).items
            unsure = round(best.confidence, 3)
            return Understanding(text=text, intent=None, confidence=unsure, alternatives=closest, items=maybe)
        found = self._result(text, tokens, best, others, marks)
        if best.template in self._ordering and found.items and all(i.refused for i in found.items):
            # only refused items ("... not the green one") are no order at all
            return Understanding(text=text, intent=None, confidence=found.confidence, alternatives=others)
        return found

    def understand_nbest(self, hypotheses: Sequence[tuple[str, float]]) -> Understanding:
        """The best-supported reading of several recognizer hypotheses (text, confidence 0..1)."""
        return best_supported([(self.understand(text), asr) for text, asr in hypotheses])

    # --- encoding -------------------------------------------------------------------------------------

    def _as_words(self, tags: list[Tag], tokens: Sequence[str]) -> list[Tag]:
        """The same tags, except that whatever is made only of command words (and words nothing knows)
        is read as those words: "the last thing" in "undo the last thing", "coffee" in "where is my
        coffee", "options"."""
        out: list[Tag] = []
        for tag in tags:
            if tag.kind in ("word", "unknown"):
                out.append(tag)
                continue
            as_words = [self.aligner.word(tokens[i], i) for i in range(tag.start, tag.end)]
            # A thing read over a word nothing knows and its whole phrase ("guys deliver") is also
            # read as said; "oat milk" read as "skim milk" is not "milk" and a stray word.
            known = [stem(tokens[w.start]) for w in as_words if w.kind == "word"]
            phrase = list(tag.candidates[0][0].words) if tag.candidates else []
            stray = all(w.kind in ("word", "unknown") for w in as_words) and bool(known) and known == phrase
            literal = all(w.kind == "word" for w in as_words) or stray
            out += as_words if literal else [tag]
        return out

    def _items_first(self, encoding: tuple[Symbol, ...], tokens: Sequence[str], marks: Marks) -> Hit | None:
        """Every item said anywhere in the utterance, as an order weighed by the words around them
        (``evidence``)."""
        if self._items_template is None:
            return None
        heads = [k for k, s in enumerate(encoding) if s.name == ITEMS]
        if not heads:
            return None
        # Options said after an aside still belong to the last item ("small drip coffee, sorry, i'm
        # on the phone, with whole milk").
        runs = [*heads, *(k for k, s in enumerate(encoding) if k > heads[0] and self._clear_option(s))]
        # So does a number that ends what was said ("bagels, we need six", "... three of those").
        final = [k for k, s in enumerate(encoding) if all(r.name in self._light for r in encoding[k + 1 :])]
        runs += [k for k in final if k > heads[-1] and encoding[k].name == self._quantity_symbol]
        runs.sort()
        # A separator said just before a run ("... and a croissant") keeps its items apart from the
        # run before: without one, the same product again is the same item said again.
        tags = tuple(t for k in runs for t in (*separator_before(encoding, k), *encoding[k].tags))
        last = max(runs)
        outside = [(t, k > last) for k, s in enumerate(encoding) if k not in runs for t in s.tags]
        # A refusal or correction right before items is part of how they are said ("not the pods,
        # the liquid one"); elsewhere ("no i said the blue one") it still speaks against an order.
        starts = sorted(min(t.start for t in encoding[k].tags) for k in runs)
        leading = frozenset(m for m in marks.covered if any(m < s <= m + 3 for s in starts))
        confidence = self._evidence.confidence(tags, outside, tokens, leading)
        return Hit(self._items_template, confidence, (Symbol(ITEMS, tags),), self._index.code(ITEMS), ITEMS_FIRST_RANK)

    def _clear_option(self, symbol: Symbol) -> bool:
        """An option (with its amount) heard well enough to join an item across an aside; a near miss
        ("trouble" for "double") is not."""
        return symbol.name in self._option_symbols and min(t.score for t in symbol.tags) >= GOOD_OPTION

    def _core(
        self, encoding: tuple[Symbol, ...], light: frozenset[str] | None = None
    ) -> tuple[tuple[Symbol, ...], float]:
        """``encoding`` without unknown and light words outside items, and what leaving them out costs."""
        edges = light is not None  # a plain reading also loses light words at its ends ("okay, ... then")
        light = self._light if light is None else light
        first = next((k for k, s in enumerate(encoding) if s.name not in self._light), len(encoding))
        last = max((k for k, s in enumerate(encoding) if s.name not in self._light), default=-1)
        kept: list[Symbol] = []
        cost = 1.0
        for k, s in enumerate(encoding):
            if s.name == UNKNOWN:
                cost *= UNEXPLAINED_PENALTY ** len(s.tags)
            elif edges and s.name in self._light and not first <= k <= last:
                cost *= EDGE_PENALTY
            elif s.name in light:
                cost *= LIGHT_PENALTY
            else:
                kept.append(s)
        return tuple(kept), cost

    def _tail_hits(self, encoding: tuple[Symbol, ...]) -> list[Hit]:
        """Sentences that end in a wildcard take all the words after its place, whatever they are:
        "something to {query}" fits "something to wash my clothes with"."""
        hits: list[Hit] = []
        for k in range(1, len(encoding)):
            before = "".join(self._index.code(s.name) for s in encoding[:k])
            for index in self._tail_wild.get(before, ()):
                rest = tuple(Tag(t.start, t.end, "unknown", "", 0.0) for s in encoding[k:] for t in s.tags)
                reading = (*encoding[:k], Symbol(UNKNOWN, rest))
                query = before + self._index.code(UNKNOWN)
                hits.append(Hit(index, self._index.quality(reading, query, index) * FALLBACK_FACTOR, reading, query, 4))
        return hits

    def _aside_hits(self, encoding: tuple[Symbol, ...]) -> list[Hit]:
        """A grammar sentence said word for word, with an aside before or after it that names no
        shop thing ("make it three muffins, i forgot about my son", "my wife sent me, it says ...")."""
        found: list[Hit] = []
        n = len(encoding)
        for k in range(2, n):
            for part, aside in ((encoding[:k], encoding[k:]), (encoding[n - k :], encoding[: n - k])):
                if any(s.name.startswith("{") for s in aside):
                    continue
                kept, cost = (part, 1.0) if self._index.is_sentence(part) else self._core(part, self._asides)
                # the request itself said cleanly (no unknown word in it) and more than two words
                if len(kept) < 3 or any(s.name == UNKNOWN for s in part) or not self._index.is_sentence(kept):
                    continue
                factor = cost
                for s in aside:  # chatter is unknown and small words; a command word left out costs more
                    small = s.name == UNKNOWN or s.name in self._light or s.name in self._small
                    factor *= (ASIDE_PENALTY if small else UNEXPLAINED_PENALTY) ** len(s.tags)
                found += [
                    Hit(h.template, h.confidence * factor, h.encoding, h.query, h.rank)
                    for h in self._index.hits(kept, 4)
                    if h.query == self._sentences[h.template] and h.template not in self._wild_templates
                ]
        return found

    def _sure_intents(self, part: tuple[Symbol, ...], seen: Seen) -> dict[str, Hit]:
        """The best hit per intent that ``part`` alone is understood as, other than orders."""
        best: dict[str, Hit] = {}
        for h in self._index.hits(part, 4, seen):
            if h.confidence >= ACCEPT and h.template not in self._wild_templates | self._ordering:
                intent = self.grammar.templates[h.template].intent
                if intent not in best or h.confidence > best[intent].confidence:
                    best[intent] = h
        return best

    def _encode(
        self, tags: list[Tag], tokens: Sequence[str], *, runs: bool, marks: Marks = NO_MARKS
    ) -> tuple[Symbol, ...]:
        return encode(tags, tokens, self.aligner.command_words, runs=runs, marks=marks)

    # --- scoring and slots ----------------------------------------------------------------------------

    def _result(
        self, text: str, tokens: Sequence[str], hit: Hit, others: tuple[IntentGuess, ...], marks: Marks
    ) -> Understanding:
        template = self.grammar.templates[hit.template]
        sentence = self._sentences[hit.template]
        slots: dict[str, SlotValue] = {name: SlotValue(value=value, text="") for name, value in template.fixed_slots}
        items: list[ItemMention] = []
        spoken = SaidOptions()
        used: set[int] = set()
        pairs = aligned(sentence, hit.query)
        aligned_input = {j for _, j in pairs}
        for i, j in pairs:
            token = template.tokens[i]
            symbol = hit.encoding[j]
            if isinstance(token, Slot) and token.list_name in self.wildcards:
                # A wildcard takes the words after it that the sentence has no place for ("bogus deal").
                k = j + 1
                while k < len(hit.encoding) and k not in aligned_input:
                    symbol = Symbol(UNKNOWN, symbol.tags + hit.encoding[k].tags)
                    k += 1
            if symbol.name != UNKNOWN:
                used.update(k for t in symbol.tags for k in range(t.start, t.end))
            if not isinstance(token, Slot):
                continue
            said = " ".join(tokens[min(t.start for t in symbol.tags) : max(t.end for t in symbol.tags)])
            if token.list_name == "items":
                parts = [t for t in symbol.tags if is_item_tag(t) or t.kind == "word"]
                items += build_items(parts, tokens, self.catalog, self._units, marks)
            elif token.list_name in self.wildcards or symbol.name == UNKNOWN:
                used.update(k for t in symbol.tags for k in range(t.start, t.end))
                wild = token.list_name in self.wildcards
                needs, command_words = self.grammar.needs, self.aligner.command_words
                value = looked_up(said, needs, self._need_phrases, command_words) if wild else None
                slots[token.name] = SlotValue(value=value, text=said, score=1.0 if wild else 0.0)
            else:
                slots[token.name] = slot_value(token.list_name, named_by(symbol.tags), said, self.catalog)
                if token.name == "option":
                    spoken = said_options(symbol.tags, said, self.catalog, marks)
        return Understanding(
            text=text,
            intent=template.intent,
            confidence=round(hit.confidence, 3),
            slots=slots,
            items=tuple(items),
            words=tuple(tokens[k] for k in sorted(used)),
            alternatives=others,
            template=template.source,
            **spoken._asdict(),
        )
