"""How long a conversation turn takes: understanding, policy, store transaction and session save.

Runs the golden conversations' shopper lines through the assistant on a fresh store (SQLite on
disk, synchronous=FULL, as in use) and prints the median and p95 time per turn, and per order placed.

    .venv/bin/python benchmarks/dialog.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conversations import files, load, setup
from voiceshop.runtime import Assistant
from voiceshop.storage import Database


def main() -> None:
    turns: list[float] = []
    placing: list[float] = []
    first: list[float] = []
    compiled = False
    for path in files():
        spec = load(path)
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(Path(tmp) / "bench.db")
            slug = setup(db, spec)
            assistant = Assistant(db, slug, device="bench", customer=spec.get("customer"))
            if not compiled:
                t0 = time.perf_counter()
                assistant.understand("hello")
                first.append(time.perf_counter() - t0)
                compiled = True
            assistant.start()
            for turn in spec["turns"]:
                if "say" not in turn:
                    continue
                t = time.perf_counter()
                replies = assistant.hear(str(turn["say"]))
                took = time.perf_counter() - t
                turns.append(took)
                if any("order is placed" in r.text for r in replies):
                    placing.append(took)
            db.close()

    def ms(values: list[float], q: float) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f} ms"

    print(f"conversations: {len(files())}, turns: {len(turns)}")
    print(f"per turn:        median {statistics.median(turns) * 1000:.1f} ms, p95 {ms(turns, 0.95)}")
    print(f"placing an order: median {statistics.median(placing) * 1000:.1f} ms, p95 {ms(placing, 0.95)}")
    print(f"first understanding in a process (loads the grammar, compiles the shop): {first[0] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
