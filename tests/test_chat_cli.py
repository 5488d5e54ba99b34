"""``voiceshop chat``: scripted sessions, the device's default customer, clear errors for bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import EXAMPLES

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE = EXAMPLES / "coffee-bar" / "chat-example.txt"


def test_readme_example_script_prints_a_complete_order(vs) -> None:  # type: ignore[no-untyped-def]
    assert f"--script {EXAMPLE.relative_to(EXAMPLES.parent)}" in README.read_text(encoding="utf-8")
    lines = vs("chat", "--shop", str(EXAMPLES / "coffee-bar"), "--script", str(EXAMPLE)).splitlines()
    assert lines[0] == "assistant: Hi, welcome to The Daily Grind. What can I get you?"
    assert "you: um can i get two large lattes with soy milk" in lines
    assert "assistant: Added two large lattes with soy milk. Anything else?" in lines
    spoken = re.search(r"^assistant: Your order is placed, number ((?:\w+ ){5}\w+),", lines[-1])
    assert spoken is not None
    stored = json.loads(vs("orders", "list", "--json"))
    assert len(stored) == 1 and stored[0]["total"] == 1495
    digits = "".join(
        str(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"].index(w))
        for w in spoken.group(1).split()
    )
    assert digits == stored[0]["number"]


def test_the_device_remembers_its_customer_and_her_cart(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    vs("shop", "load", str(EXAMPLES / "coffee-bar"))
    vs("customers", "add", "Anna")
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("a bagel\nwhat's in my cart\n", encoding="utf-8")
    second.write_text("# a comment line\n\nwhat's in my cart\n", encoding="utf-8")
    out = vs("chat", "--customer", "Anna", "--script", str(first))
    assert "assistant: Hi Anna. What would you like?" in out
    assert "assistant: You have one bagel. That comes to two dollars seventy five." in out
    again = vs("chat", "--script", str(second))
    assert "assistant: You have one bagel." in again
    assert "comment" not in again


def test_bad_input_is_one_clear_line(vs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "no shop is loaded yet" in vs("chat", code=1)
    vs("shop", "load", str(EXAMPLES / "coffee-bar"))
    assert "no customer called 'Zed'" in vs("chat", "--customer", "Zed", code=1)
    assert "cannot read" in vs("chat", "--script", str(tmp_path / "missing.txt"), code=2)
    assert "no shop 'nope'" in vs("chat", "--shop", "nope", code=1)
