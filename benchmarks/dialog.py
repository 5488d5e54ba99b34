"""Conversations: how fast a turn is, how short the replies are, and how often a shopper gets the order
they meant.

Two sets of conversations run through the assistant on a fresh store each (SQLite on disk,
synchronous=FULL, as in use):

- the golden conversations (``tests/conversations``): time per turn and per order placed, words per
  reply, turns per completed order;
- scripted shoppers (``benchmarks/conversations/<language>/*.yaml``, written by someone other than
  the dialog's authors): each is a list of shopper lines said one after the other, whatever the
  assistant replies, and the order the shopper meant. A conversation **ends in the intended order**
  when exactly one order was placed, with exactly those items, options and delivery. Every third
  conversation is held out of tuning and reported on its own.

    .venv/bin/python benchmarks/dialog.py [--scripted FOLDER] [--failures] [--held-out-failures]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conversations import files, load, setup  # noqa: E402  (the path above makes it importable)
from voiceshop.cli.orders_cmds import parse_item  # noqa: E402
from voiceshop.commerce.cart import price_item  # noqa: E402
from voiceshop.commerce.catalog import Catalog  # noqa: E402
from voiceshop.commerce.order import Order  # noqa: E402
from voiceshop.runtime import Assistant  # noqa: E402
from voiceshop.storage import Database  # noqa: E402
from voiceshop.storage.orders import OrderRepository  # noqa: E402
from voiceshop.storage.shops import ShopRepository  # noqa: E402

LONG_REPLY = 25
"""Words above which a reply is long for a listener (unless the shopper asked for detail)."""
HOLD_OUT = 3
"""Every third scripted conversation is held out of tuning."""


@dataclass
class Talk:
    """What one conversation produced."""

    replies: list[str] = field(default_factory=list)
    turns: int = 0
    seconds: list[float] = field(default_factory=list)
    placing: list[float] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    catalog: Catalog | None = None


def talk(spec: dict[str, Any], lines: list[str]) -> Talk:
    out = Talk()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        slug = setup(db, spec)
        assistant = Assistant(db, slug, device="bench", customer=spec.get("customer"))
        out.replies += [r.text for r in assistant.start()]
        for line in lines:
            t = time.perf_counter()
            replies = assistant.hear(line)
            took = time.perf_counter() - t
            out.turns += 1
            out.seconds.append(took)
            out.replies += [r.text for r in replies]
            if any("order is placed" in r.text for r in replies):
                out.placing.append(took)
        shops = ShopRepository(db)
        stored = shops.resolve(slug)
        out.catalog = shops.catalog(stored)
        out.orders = list(OrderRepository(db).list(stored))
        db.close()
    return out


def _canonical(catalog: Catalog, sku: str, options: Any, quantity: int) -> tuple[str, tuple[str, ...]]:
    line = price_item(catalog, sku, options, 1)
    return line.sku, tuple(sorted(o.describe() for o in line.options))


def intended(spec: dict[str, Any], catalog: Catalog) -> tuple[Counter[tuple[str, tuple[str, ...]]], str]:
    items: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for text in spec["items"]:
        sku, qty, options = parse_item(text, catalog)
        items[_canonical(catalog, sku, options, qty)] += qty
    return items, str(spec.get("delivery", ""))


def placed(order: Order, catalog: Catalog) -> tuple[Counter[tuple[str, tuple[str, ...]]], str]:
    items: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for line in order.lines:
        items[(line.sku, tuple(sorted(o.describe() for o in line.options)))] += line.quantity
    return items, str(order.delivery)


def words_per_reply(replies: list[str]) -> list[int]:
    return [len(r.split()) for r in replies if r]


def ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f} ms"


def golden() -> None:
    turns: list[float] = []
    placing: list[float] = []
    lengths: list[int] = []
    per_order: list[int] = []
    t0 = time.perf_counter()
    for path in files():
        spec = load(path)
        lines = [str(turn["say"]) for turn in spec["turns"] if "say" in turn]
        out = talk(spec, lines)
        turns += out.seconds
        placing += out.placing
        lengths += words_per_reply(out.replies)
        if out.placing:
            per_order.append(out.turns)
    print(f"golden conversations: {len(files())}, turns: {len(turns)} ({time.perf_counter() - t0:.1f} s)")
    print(f"  per turn:         median {statistics.median(turns) * 1000:.1f} ms, p95 {ms(turns, 0.95)}")
    print(f"  placing an order: median {statistics.median(placing) * 1000:.1f} ms, p95 {ms(placing, 0.95)}")
    print(f"  shopper turns per conversation that placed an order: median {statistics.median(per_order):.0f}")
    _lengths("  ", lengths)


def _lengths(indent: str, lengths: list[int]) -> None:
    ordered = sorted(lengths)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    long = sum(n > LONG_REPLY for n in lengths) / len(lengths)
    print(
        f"{indent}words per reply:  median {statistics.median(lengths):.0f}, p95 {p95}, "
        f"over {LONG_REPLY}: {long:.1%} of {len(lengths)}"
    )


def scripted(folder: Path, failures: bool, held_out_failures: bool = False) -> None:
    results: dict[str, list[bool]] = {"tuning": [], "held-out": []}
    lengths: list[int] = []
    per_order: list[int] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for n, conv in enumerate(data["conversations"]):
            spec = {"shop": data["shop"]}
            out = talk(spec, [str(t) for t in conv["turns"]])
            assert out.catalog is not None
            want = intended(conv["intended"], out.catalog)
            got = [placed(o, out.catalog) for o in out.orders]
            ok = got == ([want] if want[0] else [])  # nothing intended: no order placed
            held_out = n % HOLD_OUT == HOLD_OUT - 1
            results["held-out" if held_out else "tuning"].append(ok)
            lengths += words_per_reply(out.replies)
            if ok:
                per_order.append(out.turns)
            if not ok and (held_out_failures or (failures and not held_out)):
                print(f"--- {conv['id']} ({conv.get('shopper', '')}): wanted {dict(want[0])} {want[1]}")
                print(f"    got {[(dict(g[0]), g[1]) for g in got]}")
                for said, reply in zip(["(start)", *conv["turns"]], out.replies, strict=False):
                    print(f"    > {said}\n      < {reply}")
    total = results["tuning"] + results["held-out"]
    print(f"scripted shoppers ({folder}): {len(total)} conversations")
    for name, oks in (*results.items(), ("all", total)):
        print(f"  ends in the intended order, {name:8}: {sum(oks) / max(1, len(oks)):.1%} ({sum(oks)}/{len(oks)})")
    if per_order:
        print(f"  shopper turns per completed order: median {statistics.median(per_order):.0f}, max {max(per_order)}")
    _lengths("  ", lengths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripted", type=Path, default=ROOT / "benchmarks" / "conversations" / "en")
    parser.add_argument("--failures", action="store_true", help="print each tuning conversation that failed")
    parser.add_argument("--held-out-failures", action="store_true", help="print the held-out failures too")
    parser.add_argument("--only", choices=("golden", "scripted"), help="run one of the two sets")
    args = parser.parse_args()
    if args.only != "scripted":
        golden()
    if args.only != "golden":
        scripted(args.scripted, args.failures, args.held_out_failures)


if __name__ == "__main__":
    main()
