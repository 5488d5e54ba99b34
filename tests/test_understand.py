"""Understanding beyond single sentences: n-best input, the recognizer vocabulary, results as data,
the ``voiceshop understand`` command."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import EXAMPLES
from tests.test_sentences import understander
from voiceshop.cli.app import app
from voiceshop.commerce.catalog import OptionKind
from voiceshop.nlu import Understanding

runner = CliRunner()


def test_nbest_prefers_the_hypothesis_that_makes_sense() -> None:
    u = understander("coffee-bar")
    best = u.understand_nbest([("too latte is an a croissant", 0.5), ("two lattes and a croissant", 0.45)])
    assert best.text == "two lattes and a croissant"
    assert [(i.sku, i.quantity) for i in best.items] == [("DRK-LATTE", 2), ("BAK-CROISSANT", 1)]


def test_nbest_agreeing_hypotheses_support_each_other() -> None:
    u = understander("coffee-bar")
    best = u.understand_nbest(
        [("a large mocha", 0.40), ("a large latte", 0.35), ("large latte", 0.30), ("a large lottie", 0.2)]
    )
    assert [i.sku for i in best.items] == ["DRK-LATTE"]


def test_nbest_of_nothing_is_not_understood() -> None:
    u = understander("coffee-bar")
    assert not u.understand_nbest([]).understood
    assert not u.understand_nbest([("the weather for tuesday", 0.9), ("cough", 0.1)]).understood


def test_not_understood_names_the_closest_intents() -> None:
    result = understander("corner-store").understand("flux capacitor blue")
    assert result.intent is None
    assert result.alternatives and result.confidence < 0.62
    assert result.items == ()


def test_ambiguous_product_is_a_question_not_a_guess() -> None:
    result = understander("corner-store").understand("two toothpaste")
    (item,) = result.items
    assert item.sku is None and item.ambiguous
    assert {c.value for c in item.candidates} == {"PC-TP-COLG", "PC-TP-SENS", "PC-TP-CREST"}
    assert item.quantity == 2


def test_options_the_product_does_not_offer_are_kept_apart() -> None:
    result = understander("coffee-bar").understand("a large croissant with soy milk")
    (item,) = result.items
    assert item.sku == "BAK-CROISSANT"
    assert item.options == ()
    assert {o.choice for o in item.unfit_options} == {"large", "soy milk"}


def test_matched_words_and_fillers() -> None:
    result = understander("coffee-bar").understand("um uh could you add a latte please")
    assert result.intent == "AddItems"
    assert result.words == ("add", "a", "latte")


def test_vocabulary_covers_grammar_and_shop() -> None:
    u = understander("corner-store")
    vocabulary = set(u.vocabulary())
    assert {"toothpaste", "sensodyne", "checkout", "cart", "twenty", "second"} <= vocabulary
    assert "colgate total toothpaste" in u.phrases()
    assert all(w == w.lower() and " " not in w for w in vocabulary)


def test_result_round_trips_through_json() -> None:
    result = understander("coffee-bar").understand("two large soy lattes and a croissant")
    again = Understanding.model_validate_json(result.model_dump_json())
    assert again == result


def test_cli_understand_text() -> None:
    out = runner.invoke(app, ["understand", "--shop", str(EXAMPLES / "coffee-bar"), "-t", "two large lattes"])
    assert out.exit_code == 0, out.output
    assert "intent: AddItems" in out.output
    assert "2 x latte [DRK-LATTE]; size=large" in out.output


def test_cli_understand_stdin_json() -> None:
    out = runner.invoke(
        app,
        ["understand", "--shop", str(EXAMPLES / "corner-store"), "--json"],
        input="i need toothpaste\n\nthe weather for tuesday\n",
    )
    assert out.exit_code == 0, out.output
    decoder = json.JSONDecoder()
    first, end = decoder.raw_decode(out.output)
    second, _ = decoder.raw_decode(out.output[end:].lstrip())
    assert first["intent"] == "AddItems" and first["items"][0]["sku"] is None
    assert second["intent"] is None


def test_cli_understand_shows_questions() -> None:
    out = runner.invoke(app, ["understand", "--shop", str(EXAMPLES / "corner-store"), "-t", "some toothpaste"])
    assert "which one?" in out.output and "sensodyne toothpaste" in out.output
    out = runner.invoke(app, ["understand", "--shop", str(EXAMPLES / "corner-store"), "-t", "blah blah"])
    assert "not understood" in out.output


def test_cli_understand_bad_input(tmp_path: object) -> None:
    out = runner.invoke(app, ["understand", "--shop", str(EXAMPLES / "coffee-bar"), "-l", "xx", "-t", "hi"])
    assert out.exit_code == 1
    assert "no grammar for language 'xx'" in out.output
    out = runner.invoke(app, ["--db", f"{tmp_path}/x.db", "understand", "--shop", "nosuchshop", "-t", "hi"])
    assert out.exit_code == 1
    assert "Traceback" not in out.output


ORDER_WORDS = (
    "a two three large small medium twelve ounce latte lattes mocha croissant with soy almond milk "
    "sugar no sorry actually and um brew dear please one of them dark roast double shot iced"
).split()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ORDER_WORDS), min_size=1, max_size=14))
def test_any_word_salad_gives_items_with_one_value_per_one_of_group(said: list[str]) -> None:
    """Whatever order the words come in, understanding returns (no exception) items whose one-of
    groups (size, roast, shots) have at most one value and whose quantities are positive."""
    u = understander("coffee-bar").understand(" ".join(said))
    catalog = understander("coffee-bar").catalog
    for item in u.items:
        assert item.quantity >= 1
        one_of = [o.group for o in item.options if (g := catalog.group(o.group)) and g.kind is OptionKind.ONE_OF]
        assert len(one_of) == len(set(one_of)), item


def test_phrases_put_the_menu_before_aliases_and_grammar_lists() -> None:
    """A recognizer that reads only the first phrases (Whisper's prompt) gets the shop's own names."""
    phrases = understander("coffee-bar").phrases()
    first = phrases[:40]
    assert {"latte", "iced mocha", "soy milk", "triple shot", "twelve ounce"} <= set(first)
    assert phrases.index("latte") < phrases.index("cafe latte")  # the name before its alias
    assert phrases.index("soy milk") < phrases.index("kilogram")  # the shop before the unit list


def test_two_requests_in_one_turn_are_read_as_parts() -> None:
    u = understander("corner-store")
    said = u.understand("make the cokes three, and add a diet coke")
    assert [p.intent for p in said.parts] == ["ChangeQuantity", "AddItems"]
    assert [i.sku for i in said.parts[1].items] == ["DRK-DIETCOLA"]
    # without punctuation, as a recogniser writes it, and three requests
    said = u.understand("take off the chips then add a diet coke and read me the cart")
    assert [p.intent for p in said.parts] == ["RemoveItem", "AddItems", "ReadCart"]


def test_one_request_has_no_parts() -> None:
    corner, coffee = understander("corner-store"), understander("coffee-bar")
    assert not corner.understand("two cokes and a diet coke").parts  # one order, not two
    assert not corner.understand("two cokes, and make it three").parts
    # options said after an order are the order's, not a change of the line
    assert not coffee.understand("an iced mocha but with almond, not dairy, medium").parts
    # an order said complete is checked out by the order itself
    assert not coffee.understand("a medium mocha and a croissant, that's everything, for pick up").parts
    # "and" inside a product's name is no cut
    assert not understander("nonnas-pizza").understand("a pumpkin and feta pizza, large").parts
