"""Rewrite ``<lang>/known-failures.yaml`` from what understanding does now: ``python -m tests.natural.known``.

Read the diff before committing it: a case leaving the list is progress; a case joining it is a
regression to explain in the commit message.
"""

from __future__ import annotations

import yaml

from tests.natural import HERE, cases, check

HEADER = """\
# Natural-speech cases understanding still gets wrong, each with its kind and what comes out instead.
# Rewritten by `python -m tests.natural.known`; every entry is a strict xfail, so a case that starts
# passing fails its test until it is taken off this list.
"""


def main(language: str = "en") -> None:
    found = {}
    for case in cases(language):
        wrong = check(case)
        if wrong:
            found[case.key] = f"{case.kind}: {'; '.join(wrong)}"[:300]
    path = HERE / language / "known-failures.yaml"
    path.write_text(HEADER + yaml.safe_dump(found, sort_keys=False, allow_unicode=True, width=200), encoding="utf-8")
    print(f"{path}: {len(found)} known failures")


if __name__ == "__main__":
    main()
