"""Two engines agreeing: pocketsphinx held to the shop's grammar hears a command, and what it and the
leading engine hear apart becomes a question instead of a guess."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from tests.speech import needs_espeak, say
from voiceshop.asr import transcribe
from voiceshop.asr.agreeing import AgreeingRecognizer
from voiceshop.asr.base import Hypothesis, Transcript
from voiceshop.asr.ngram import arpa, sample
from voiceshop.asr.pocketsphinx_engine import PocketsphinxRecognizer, installed
from voiceshop.audio.pcm import Samples, silence
from voiceshop.audio.sink import WavFolder
from voiceshop.audio.source import SamplesSource
from voiceshop.nlu import Grammar, Understander, Understanding, grammar_dir
from voiceshop.nlu.agree import agree
from voiceshop.nlu.sentences import TOP
from voiceshop.runtime import Assistant
from voiceshop.runtime.engines import tune
from voiceshop.runtime.listen import ListenSettings
from voiceshop.runtime.shops import open_shop
from voiceshop.runtime.voice import VoiceLoop
from voiceshop.shopfiles.loader import ShopBundle
from voiceshop.storage import Database
from voiceshop.tts.voice import Pyttsx3Voice

needs_pocketsphinx = pytest.mark.skipif(
    not installed(),
    reason="pocketsphinx is not installed: pip install 'voiceshop[pocketsphinx]' (scripts/setup.sh does)",
)
COFFEE = Path(__file__).resolve().parent.parent / "examples" / "coffee-bar"


@pytest.fixture(scope="module")
def understander() -> Understander:
    from tests.conftest import bundle

    coffee: ShopBundle = bundle("coffee-bar")
    return Understander(coffee.shop, coffee.catalog, Grammar.from_dir(grammar_dir("en")))


@pytest.fixture(scope="module")
def sphinx(understander: Understander) -> PocketsphinxRecognizer:
    engine = PocketsphinxRecognizer("en")
    tune(engine, understander)
    return engine


# --- the model the engine is held to -------------------------------------------------------------------


def test_the_language_model_is_a_distribution_over_the_grammar_sentences() -> None:
    rules = {
        TOP: (("<want>", "<item>"), ("<item>",)),
        "want": (("i'd", "like"), ("give", "me")),
        "item": (("a", "latte"), ("two", "mochas")),
    }
    sentences = sample(rules, TOP, per_sentence=20)
    assert set(sentences) >= {("i'd", "like", "a", "latte"), ("two", "mochas")}
    model = arpa(sentences, words=["stop"])
    unigrams = model.split("\\1-grams:\n")[1].split("\n\n")[0].splitlines()
    probs = {row.split("\t")[1]: 10 ** float(row.split("\t")[0]) for row in unigrams}
    assert "stop" in probs  # a word of the shop no sentence has is possible, if unlikely
    assert math.isclose(sum(p for w, p in probs.items() if w != "<s>"), 1.0, abs_tol=1e-3)
    assert probs["stop"] < probs["latte"]


# --- pocketsphinx hears a command through the shop's grammar -----------------------------------------


@needs_pocketsphinx
@needs_espeak
def test_pocketsphinx_held_to_the_grammar_hears_a_spoken_order(
    sphinx: PocketsphinxRecognizer, understander: Understander
) -> None:
    # (espeak-ng's voice is far from the speech pocketsphinx's model learnt: a sentence it hears whole)
    audio = np.concatenate([silence(0.4), say("can i get a large latte with soy milk"), silence(0.6)])
    heard = transcribe(sphinx, audio)
    assert heard.engine == "pocketsphinx" and heard.words
    u = understander.understand_nbest(heard.nbest())
    assert u.intent == "AddItems", heard.text
    (item,) = u.items
    assert (item.sku, item.quantity) == ("DRK-LATTE", 1), heard.text
    assert {(o.group, o.choice) for o in item.options} == {("size", "large"), ("milk", "soy milk")}, heard.text
    # decoded while the audio streamed in: next to nothing is left when it ends
    assert float(heard.extra["decode_seconds"]) > heard.compute_seconds


@needs_pocketsphinx
def test_words_the_dictionary_cannot_say_are_left_out_not_a_crash() -> None:
    engine = PocketsphinxRecognizer("en")
    engine.set_vocabulary(["latte", "zzyzxq"], ["latte", "zzyzxq latte"])
    engine.set_grammar({TOP: (("a", "<thing>"),), "thing": (("latte",), ("zzyzxq",))}, TOP)
    assert not engine.knows("zzyzxq")
    heard = transcribe(engine, np.zeros(8000, dtype=np.int16))
    assert "zzyzxq" not in heard.text


# --- agreement: accept what both heard, ask what they heard apart -----------------------------------------


def understood(understander: Understander, text: str) -> Understanding:
    return understander.understand(text)


def test_the_same_order_heard_twice_is_agreed(understander: Understander) -> None:
    first = understood(understander, "a large latte with soy milk please")
    found = agree(first, understood(understander, "a large latte with soy milk"))
    assert found.verdict == "agreed" and found.understanding == first


def test_an_option_heard_apart_is_left_open_with_both_readings(understander: Understander) -> None:
    found = agree(understood(understander, "a large latte"), understood(understander, "a small latte"))
    assert found.verdict == "confirm" and found.disputed == ("option:size",)
    (item,) = found.understanding.items
    assert item.sku == "DRK-LATTE" and not item.options
    assert [o.choice for o in item.doubts] == ["large", "small"]


def test_a_product_heard_apart_is_asked_between_the_two(understander: Understander) -> None:
    found = agree(understood(understander, "a large latte"), understood(understander, "a large mocha"))
    assert found.verdict == "confirm" and found.disputed == ("product",)
    (item,) = found.understanding.items
    assert item.sku is None and item.doubted and [c.value for c in item.candidates] == ["DRK-LATTE", "DRK-MOCHA"]


def test_what_no_question_settles_keeps_the_leading_reading(understander: Understander) -> None:
    first = understood(understander, "a large latte with sugar")
    assert agree(first, understood(understander, "a large latte")).verdict == "differ"  # one heard sugar
    assert agree(first, understood(understander, "what's in my cart")).disputed == ("intent",)
    assert agree(first, Understanding(text="", intent=None, confidence=0.0)).verdict == "alone"


def test_a_slot_heard_apart_becomes_a_confirmation_in_the_dialog(db: Database) -> None:
    assistant = Assistant(db, open_shop(db, str(COFFEE)), device="agree")
    (asked,) = assistant.hear_nbest([("a large latte", 1.0)], second=[("a small latte", 1.0)])
    assert asked.expects_answer and re.search(r"large or small\?$", asked.text), asked.text
    assert assistant.awaiting() == "option"
    replies = assistant.hear("large")
    assert "large latte" in " ".join(r.text for r in replies).lower()
    (line,) = assistant.state().cart.lines
    assert line.sku == "DRK-LATTE" and [o.choice for o in line.options if o.group == "size"] == ["large"]


def test_an_order_both_heard_alike_is_added_without_a_question(db: Database) -> None:
    assistant = Assistant(db, open_shop(db, str(COFFEE)), device="agree")
    assistant.hear_nbest([("two large lattes", 1.0)], second=[("two large lattes", 1.0)])
    assert [(ln.sku, ln.quantity) for ln in assistant.state().cart.lines] == [("DRK-LATTE", 2)]


class _Heard:
    """An engine that hears what it was told to (the leading engine, misled on purpose)."""

    name, language, model_path = "told", "en", ""

    def __init__(self, text: str) -> None:
        self.text = text

    def set_vocabulary(self, words: object, phrases: object) -> None:
        pass

    def stream(self, hints: object = ()) -> _Heard:
        return self

    def accept(self, samples: Samples) -> str | None:
        return None

    def finish(self) -> Transcript:
        return Transcript(alternatives=(Hypothesis(self.text, 0.9),), engine=self.name)

    def spot(self, samples: Samples, phrases: object) -> Transcript:
        return self.finish()


@needs_pocketsphinx
@needs_espeak
def test_the_voice_loop_asks_when_pocketsphinx_hears_another_size(db: Database, tmp_path: Path) -> None:
    """The spoken "large latte" is heard as "small" by the leading engine (as a noisy room may), and as
    said by pocketsphinx: the loop asks which, rather than adding either."""
    engines = AgreeingRecognizer(_Heard("can i get a small latte with soy milk"), PocketsphinxRecognizer("en"))
    assistant = Assistant(db, open_shop(db, str(COFFEE)), device="agree")
    settings = ListenSettings(activation="always", earcons=False, vad=False)
    loop = VoiceLoop(assistant, engines, Pyttsx3Voice(), WavFolder(tmp_path), settings)
    audio = np.concatenate([silence(0.5), say("can i get a large latte with soy milk"), silence(1.5)])
    turns = loop.run(SamplesSource(audio), reconnect=False)
    (turn,) = [t for t in turns if t.outcome == "answered"]
    assert turn.transcript.second is not None and "large latte" in turn.transcript.second.text
    assert "small or large" in turn.replies[0].text.lower()
    assert assistant.awaiting() == "option" and not assistant.state().cart.lines
