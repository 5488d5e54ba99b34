"""Golden multi-turn conversations over the example shops: every reply, and what ends up stored.

Each file in tests/conversations/ is a specification (see tests/conversations.py for the format).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import BUNDLED
from tests.conversations import files, load, run


def test_there_are_enough_conversations_over_every_shop() -> None:
    specs = [load(p) for p in files()]
    assert len(specs) >= 40
    assert {s["shop"] for s in specs} == BUNDLED


@pytest.mark.parametrize("path", files(), ids=lambda p: p.stem)
def test_conversation(path: Path, tmp_path: Path) -> None:
    spec = load(path)
    outcome = run(spec, tmp_path / "store.db")
    for i, (turn, reply) in enumerate(zip(spec["turns"], outcome.replies, strict=True)):
        wanted = turn.get("reply") if "say" in turn else turn.get("start")
        if wanted is not None:
            said = turn.get("say", "(start)")
            assert reply == wanted, f"turn {i + 1} ({said!r})"
        assert not re.search(r"[0-9$%&#@]", reply), f"turn {i + 1}: not speakable: {reply!r}"
    expect = spec.get("expect", {})
    assert "cart" in expect and "orders" in expect, "every conversation checks the stored result"
    assert outcome.cart == expect["cart"]
    assert outcome.orders == expect["orders"]
    if "stock" in expect:
        assert outcome.stock == expect["stock"]
    if "callbacks" in expect:
        assert outcome.callbacks == expect["callbacks"]
