"""Disclosure first (flowkit/disclosure.py): which messages tell a story, and which question keeps it."""

from __future__ import annotations

import pytest

from flowkit.disclosure import (
    DISCLOSURE_INTENTS,
    description_question,
    disclosure_flow,
    is_disclosure,
    kept,
    request_words,
)
from flowkit.flows import load_flow
from flowkit.words import languages, own_text


@pytest.mark.parametrize(
    ("intent", "text", "story"),
    [
        ("report_hate_crime", "someone keeps shouting abuse at me because I'm gay", True),
        ("report_hate_crime", "sąsiad ciągle mnie wyzywa, bo jestem gejem", True),
        ("report_hate_crime", "сусід постійно ображає мене, бо я гей", True),
        ("report_hate_crime", "hate crime", False),
        ("report_hate_crime", "i want to report a hate crime", False),
        ("report_hate_crime", "chcę zgłosić przestępstwo z nienawiści", False),
        ("report_hate_crime", "хочу повідомити про злочин на ґрунті ненависті", False),
        ("report_hate_crime", "بدي بلغ عن جريمة كراهية", False),
        ("report_hate_crime", "i want to report my neighbour, he shouts racist abuse at me every day", True),
        ("report_asb", "my neighbours are really noisy", True),
        ("report_hate_crime", "/report_hate_crime", False),
        ("report_asb", "report antisocial behaviour", False),
        ("affirm", "yes I am safe to talk", False),
        ("report_domestic_abuse", "my partner hits me when he drinks", True),
        ("perpetrator_help", None, False),
        ("report_hate_crime", "vreau sa raportez o infractiune din ura", False),
        ("report_hate_crime", "میں نفرت انگیز جرم کی رپورٹ کرنا چاہتا ہوں", False),
        ("report_hate_crime", "আমি একটি ঘৃণা অপরাধের রিপোর্ট করতে চাই", False),
        ("report_hate_crime", "ਮੈਂ ਨਫ਼ਰਤੀ ਅਪਰਾਧ ਦੀ ਰਿਪੋਰਟ ਕਰਨੀ ਹੈ", False),
    ],
)
def test_is_disclosure(intent: str, text: str | None, story: bool) -> None:
    assert is_disclosure(intent, text) is story


@pytest.mark.parametrize("language", languages())
def test_the_request_words_are_data_in_every_language(language: str) -> None:
    own = own_text("bot.answers.any.request", language)
    assert own, f"{language}: no bot.answers.any.request"
    assert {w.lower() for w in own.split("|")} <= request_words()


def test_every_story_intent_names_a_journey_with_a_description_question() -> None:
    expected = {
        "report_hate_crime": ("hate_crime", "incident_description"),
        "report_asb": ("asb", "asb_description"),
        "report_domestic_abuse": ("domestic_abuse", "da_description"),
        "perpetrator_help": ("perpetrator", "perp_description"),
    }
    for intent in DISCLOSURE_INTENTS:
        flow_id = disclosure_flow(intent)
        assert flow_id is not None
        assert (flow_id, description_question(load_flow(flow_id))) == expected[intent]
    assert disclosure_flow("greet") is None


def test_kept() -> None:
    story = {"intent": "report_asb", "text": "loud music"}
    assert kept(story) == story
    assert kept({"text": "loud music"}) is None
    assert kept("loud music") is None
