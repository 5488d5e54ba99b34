"""The natural-speech suite (tests/natural/): each case is a test; known failures are strict xfails."""

from __future__ import annotations

import pytest

from tests.conftest import BUNDLED
from tests.natural import cases, check, known_failures

KNOWN = known_failures()
CASES = [
    pytest.param(
        c,
        id=f"{c.shop}-{c.index}-{c.text[:60]}",
        marks=[pytest.mark.xfail(reason=KNOWN[c.key], strict=True)] if c.key in KNOWN else [],
    )
    for c in cases()
]


def test_suite_size() -> None:
    """At least 400 sentences over the bundled shops, with speech that must stay not understood."""
    assert len(CASES) >= 400
    assert {c.values[0].shop for c in CASES} == BUNDLED
    assert sum(c.values[0].intent is None for c in CASES) >= 40


def test_known_failures_are_cases() -> None:
    """A known failure names a case that exists, so the list cannot silently rot."""
    texts = {c.values[0].key for c in CASES}
    assert sorted(t for t in KNOWN if t not in texts) == []


@pytest.mark.parametrize("case", CASES)
def test_case(case: object) -> None:
    assert check(case) == []  # type: ignore[arg-type]
