"""A sound key for words: how a word sounds, roughly, from its spelling, by one language's rules.

The rules come from the language's grammar folder (``sound_rules``, ``sound_silent`` in
``_common.yaml``): spellings of one sound merged ("ph" -> "f", "ck" -> "k"), then the letters that
carry little of a word's sound (English vowels, "h", "w", "y") dropped after the first letter, and
doubled letters made single. "moka", "mocha" and "mocca" all give "mk"; "late" and "latte" "lt".
Both sides of a comparison use the same key, so its crudeness only costs precision, which the
scoring of whole phrases gives back. Without rules a word's key is its spelling.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SoundKey:
    rules: tuple[tuple[str, str], ...] = ()
    """(spelling, replacement), applied in order."""
    silent: str = ""
    """Letters dropped after the first letter."""

    def __call__(self, word: str) -> str:
        w = word.lower()
        if not w:
            return ""
        for spelled, sound in self.rules:
            w = w.replace(spelled, sound)
        if not w:
            return ""
        key = w[0] + "".join(ch for ch in w[1:] if ch not in self.silent)
        return "".join(ch for i, ch in enumerate(key) if i == 0 or ch != key[i - 1])
