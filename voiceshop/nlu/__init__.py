"""Understanding: transcript -> intent with typed slots and cart items (see ``matcher``).

grammar   language/<lang>/grammar/*.yaml (hassil templates) -> expanded word sequences
lexicon   the shop's phrases (products, options, coupons...) indexed by word
align     transcript words -> tags (which words name which shop thing, numbers, command words)
repair    words beside an item that sound like what it lacks ("a large late") read as it
runs      which stretch of tags is one order (items said together, with gaps and corrections)
items     a stretch of tags -> order items
evidence  how much the words around the items say for an order
matcher   tags -> nearest grammar sentence -> Understanding (result)
"""

from __future__ import annotations

from voiceshop.nlu.grammar import Grammar, grammar_dir
from voiceshop.nlu.matcher import Understander
from voiceshop.nlu.result import Candidate, ItemMention, OptionMention, SlotValue, Understanding

__all__ = [
    "Candidate",
    "Grammar",
    "ItemMention",
    "OptionMention",
    "SlotValue",
    "Understander",
    "Understanding",
    "grammar_dir",
]
