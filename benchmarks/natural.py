"""Natural-speech figures: the share of tests/natural cases understood fully right, per shop and kind,
for the tuning part and the held-out part (every third case) separately.

    .venv/bin/python benchmarks/natural.py [--failures] [--held-out-failures]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.natural import cases, check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--failures", action="store_true", help="print the tuning part's failures")
    parser.add_argument("--held-out-failures", action="store_true", help="print the held-out part's failures too")
    args = parser.parse_args()
    total: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in cases():
        wrong = check(case)
        part = "held-out" if case.held_out else "tuning"
        for key in ((case.shop, part), ("all", part)):
            total[key][0] += not wrong
            total[key][1] += 1
        kinds[case.kind][0] += not wrong
        kinds[case.kind][1] += 1
        if wrong and (args.held_out_failures or (args.failures and not case.held_out)):
            print(f"  [{case.shop} {case.index} {case.kind}] {case.text!r}: {'; '.join(wrong)}")
    for (shop, part), (ok, n) in sorted(total.items()):
        print(f"{shop:>13} {part:>9}: {ok:>3}/{n:<3} {100 * ok / n:5.1f}%")
    print("by kind: " + ", ".join(f"{k} {100 * ok / n:.0f}% ({n})" for k, (ok, n) in sorted(kinds.items())))


if __name__ == "__main__":
    main()
