"""Finding products by what people call them: names, aliases, brands, categories and tags.

Tolerates split or merged words ("tooth paste" / "toothpaste"), plurals and small misspellings. This
is catalog browsing; understanding whole spoken sentences is the nlu stage's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from voiceshop.commerce.catalog import LANGUAGE, Catalog, Product

MIN_SCORE = 80.0


search_key = LANGUAGE.key


@dataclass(frozen=True)
class SearchHit:
    product: Product
    score: float
    matched: str
    """The name, alias, brand, category or tag that matched best."""


class CatalogIndex:
    """A search index over one catalog; build once, query many times."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._owner: list[int] = []
        self._texts: list[str] = []
        self._keys: list[str] = []
        for i, p in enumerate(catalog.products):
            fields = [p.name, *p.aliases, p.category, *p.tags]
            if p.brand:
                fields += [p.brand, f"{p.brand} {p.name}"]
            for text in dict.fromkeys(fields):
                self._owner.append(i)
                self._texts.append(text)
                self._keys.append(search_key(text))
        self._compact = [k.replace(" ", "") for k in self._keys]

    def search(self, query: str, limit: int = 20, min_score: float = MIN_SCORE) -> list[SearchHit]:
        """Products best matching ``query``, best first; an empty list when nothing is close."""
        key = search_key(query)
        if not key:
            return []
        compact = key.replace(" ", "")
        qwords = set(key.split())
        # Candidates cheaply, in C: any entry sharing words, or close once spaces are dropped.
        candidates = {
            e
            for _, _, e in process.extract(
                key, self._keys, scorer=fuzz.token_set_ratio, limit=None, score_cutoff=min_score
            )
        }
        candidates |= {
            e
            for _, _, e in process.extract(
                compact, self._compact, scorer=fuzz.ratio, limit=None, score_cutoff=min_score
            )
        }
        if len(compact) >= 5:
            candidates |= {
                e
                for _, _, e in process.extract(
                    compact, self._compact, scorer=fuzz.partial_ratio, limit=None, score_cutoff=90
                )
            }
        best: dict[int, tuple[float, str]] = {}
        for entry in candidates:
            score = self._score(key, compact, qwords, entry)
            owner = self._owner[entry]
            if score >= min_score and score > best.get(owner, (-1.0, ""))[0]:
                best[owner] = (score, self._texts[entry])
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], self.catalog.products[kv[0]].name))
        return [SearchHit(self.catalog.products[i], round(s, 1), m) for i, (s, m) in ranked[:limit]]

    def _score(self, key: str, compact: str, qwords: set[str], entry: int) -> float:
        ekey, ecompact = self._keys[entry], self._compact[entry]
        scores = [
            fuzz.ratio(compact, ecompact),  # same words, maybe split or merged differently
            (fuzz.token_set_ratio(key, ekey) + fuzz.token_sort_ratio(key, ekey)) / 2,
        ]
        if qwords <= set(ekey.split()):
            # every word asked for is in this name: the shorter the name, the closer the match
            scores.append(90 + 10 * len(key) / len(ekey))
        if len(compact) >= 5 and len(ecompact) > len(compact):
            scores.append(fuzz.partial_ratio(compact, ecompact) * 0.95)
        return max(scores)


COMMON_SHARE = 0.2
"""A word found in more than this share of the products says nothing about which one is meant."""
NEED_SHARE = 0.7
"""A product found by need is offered when it scores at least this share of the best one."""


def lookup(catalog: Catalog, query: str, limit: int = 50) -> list[Product]:
    """The products ``query`` names for someone looking one up (staff, a shop's system): the exact
    SKU, name or alias first (``Catalog.find``), then the forgiving search's hits."""
    exact = catalog.find(query)
    hits = [h.product for h in CatalogIndex(catalog).search(query, limit=limit)]
    return ([exact] if exact is not None else []) + [p for p in hits if exact is None or p.sku != exact.sku]


def by_need(catalog: Catalog, query: str, limit: int = 8) -> list[Product]:
    """Products whose name, aliases, brand, category, tags or description share the query's telling
    words, best first: "something for heartburn" finds the antacid, "that stuff for my cold" the
    cold medicines. Words most products have ("for", "the") and words none has count for nothing; a
    rarer word counts more, and more in each field that has it (a cold medicine is named, aliased and
    filed under "cold", a cold brew coffee only named so). Products far behind the best are left out.
    A query that is one of the shop's tags ("vegetarian") finds what is tagged so, however common.
    """
    key = search_key(query)
    tagged = [p for p in catalog.products if key in {search_key(t) for t in p.tags}]
    if tagged:  # "anything vegetarian": what is tagged so, however many are
        return tagged[:limit]
    wanted = set(key.split())
    fields = [
        [
            set(search_key(text).split())
            for text in (p.name, *p.aliases, p.brand or "", p.category, *p.tags, p.description)
        ]
        for p in catalog.products
    ]
    scores = [0.0] * len(fields)
    for word in wanted:
        having = [i for i, f in enumerate(fields) if any(word in words for words in f)]
        if not having or len(having) > max(1, COMMON_SHARE * len(fields)):
            continue
        for i in having:
            scores[i] += sum(word in words for words in fields[i]) / len(having)
    best = max(scores, default=0.0)
    ranked = sorted(
        (i for i, sc in enumerate(scores) if sc > 0 and sc >= NEED_SHARE * best),
        key=lambda i: (-scores[i], catalog.products[i].name),
    )
    return [catalog.products[i] for i in ranked[:limit]]
