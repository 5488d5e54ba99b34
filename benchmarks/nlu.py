"""Understanding benchmark: accuracy on the golden sentences, and speed and memory on generated shops.

    .venv/bin/python benchmarks/nlu.py [--sizes 150 10000 100000] [--queries 300]

For each generated shop size (each in its own process, so memory figures do not mix) it prints the
grammar compile time, the median and p95 time to understand one sentence, the share of generated
sentences understood right (intent and every product), and the process's peak memory. Prints
numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceshop.commerce.catalog import Catalog, OptionChoice, OptionGroup, Product  # noqa: E402  # path set-up first
from voiceshop.commerce.shop import Shop  # noqa: E402
from voiceshop.nlu import Grammar, Understander, grammar_dir  # noqa: E402
from voiceshop.nlu.numbers import number_words  # noqa: E402

ADJECTIVES = (
    "organic fresh classic spicy smoked roasted golden crunchy creamy vanilla lemon berry apple mango honey "
    "garlic tomato chili ginger mint cocoa almond coconut cherry peach maple cinnamon salted toasted rustic "
    "wild herbal citrus smoky tangy zesty nutty fruity savory buttery"
).split()
NOUNS = (
    "tea coffee juice soap bread cheese chips cereal pasta sauce cable lamp towel brush candle cookies crackers "
    "granola yogurt soup noodles shampoo lotion spray wipes"
).split()
SYLLABLES = "ka lo mi ven tor sa ri bel dor fen gal hum jin kel mor nal pim quo ras sul tam vor wex yal zen".split()
CATEGORIES = ["groceries", "drinks", "household", "personal care", "pharmacy", "electronics", "bakery"]


def generate(n: int, seed: int = 11) -> tuple[Shop, Catalog]:
    """A shop of ``n`` products named like real ones: "<brand> <adjective> <adjective> <noun>"."""
    rng = random.Random(seed)
    # Brands grow with the shop (one per 20 products), so the vocabulary grows as a real catalog's does.
    wanted = max(20, n // 20)
    brands_set: set[str] = set()
    while len(brands_set) < wanted:
        brands_set.add("".join(rng.sample(SYLLABLES, rng.choice((2, 3)))))
    brands = sorted(brands_set)
    seen: set[str] = set()
    products = []
    size = OptionGroup(
        name="size", choices=(OptionChoice(name="small"), OptionChoice(name="large", price=100)), default="small"
    )
    while len(products) < n:
        brand = rng.choice(brands)
        a, b = rng.sample(ADJECTIVES, 2)
        name = f"{brand} {a} {b} {rng.choice(NOUNS)}"
        if name in seen:
            continue
        seen.add(name)
        i = len(products)
        products.append(
            Product(
                sku=f"SKU-{i:06d}",
                name=name,
                aliases=(name.split(" ", 1)[1],),
                brand=brand,
                category=rng.choice(CATEGORIES),
                price=rng.randint(50, 5000),
                options=("size",) if i % 10 == 0 else (),
            )
        )
    shop = Shop.model_validate(
        {"slug": "bench", "name": "Bench Shop", "delivery": [{"kind": "pickup", "name": "pick up", "eta": "soon"}]}
    )
    return shop, Catalog(option_groups=(size,), products=tuple(products))


def _garble(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    k = rng.randrange(1, len(word) - 1)
    return word[:k] + word[k + 1 :]  # a dropped letter, as recognizers do with unfamiliar names


def queries(catalog: Catalog, count: int, seed: int = 5) -> list[tuple[str, str, list[str]]]:
    """(sentence, intent, SKUs) triples over full product names, a third of them with a misheard word."""
    rng = random.Random(seed)
    out = []
    for q in range(count):
        first, second = rng.sample(catalog.products, 2)
        names = [first.name, second.name]
        if q % 3 == 2:
            names = [" ".join(_garble(w, rng) if rng.random() < 0.3 else w for w in n.split()) for n in names]
        n1, n2 = rng.randint(2, 12), rng.randint(2, 12)
        shape = q % 4
        if shape == 0:
            out.append((f"i would like {number_words(n1)} {names[0]} and {number_words(n2)} {names[1]}", "AddItems",
                        [first.sku, second.sku]))  # fmt: skip
        elif shape == 1:
            out.append((f"how much is the {names[0]}", "ProductInfo", [first.sku]))
        elif shape == 2:
            out.append((f"um add {number_words(n1)} {names[0]} to my cart please", "AddItems", [first.sku]))
        else:
            out.append((f"remove the {names[0]}", "RemoveItem", [first.sku]))
    return out


def measure(args: tuple[int, int]) -> dict[str, float]:
    n, count = args
    t0 = time.perf_counter()
    shop, catalog = generate(n)
    t1 = time.perf_counter()
    grammar = Grammar.from_dir(grammar_dir("en"))
    t2 = time.perf_counter()
    understander = Understander(shop, catalog, grammar)
    t3 = time.perf_counter()
    times = []
    right = 0
    for sentence, intent, skus in queries(catalog, count):
        start = time.perf_counter()
        u = understander.understand(sentence)
        times.append(time.perf_counter() - start)
        got = [i.sku for i in u.items] or [u.slot("product")]
        right += u.intent == intent and got == skus
    times.sort()
    return {
        "products": n,
        "generate_s": t1 - t0,
        "grammar_s": t2 - t1,
        "compile_s": t3 - t2,
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(len(times) * 0.95)] * 1000,
        "max_ms": times[-1] * 1000,
        "accuracy": right / len(times),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "vocabulary": len(understander.vocabulary()),
        "phrases": len(understander.lexicon.entities),
        "sentences": len(grammar.templates),
    }


def golden_accuracy() -> None:
    from tests.test_sentences import CASES, outcome, understander, wanted

    total = garbled = right = garbled_right = none = none_right = 0
    times = []
    for case in CASES:
        language, intent, block, sentence = case.values
        start = time.perf_counter()
        u = understander(block["shop"], language).understand(sentence)
        times.append(time.perf_counter() - start)
        ok = outcome(u, intent) == wanted(intent, block)
        total += 1
        right += ok
        if block.get("garbled"):
            garbled += 1
            garbled_right += ok
        if intent is None:
            none += 1
            none_right += ok
    times.sort()
    print(f"golden sentences: {right}/{total} right ({right / total:.1%}); garbled {garbled_right}/{garbled}; "
          f"not-for-us speech rejected {none_right}/{none}; median {statistics.median(times) * 1000:.2f} ms, "
          f"p95 {times[int(len(times) * 0.95)] * 1000:.2f} ms")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[150, 10_000, 100_000])
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    golden_accuracy()
    for n in args.sizes:
        with mp.get_context("spawn").Pool(1) as pool:
            r = pool.map(measure, [(n, args.queries)])[0]
        print(f"{n:>7,} products: compile {r['compile_s']:.2f} s (grammar files {r['grammar_s']:.2f} s; "
              f"{r['phrases']:,.0f} phrases, {r['vocabulary']:,.0f} words, {r['sentences']:,.0f} sentences); "
              f"understand median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms, max {r['max_ms']:.1f} ms; "
              f"generated sentences right {r['accuracy']:.1%}; peak memory {r['peak_mb']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
