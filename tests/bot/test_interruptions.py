"""A long or uncertain "stop", "help", "start again"... inside an answer is an answer, not a command."""

from __future__ import annotations

import pytest

from bot.nlu.interruptions import (
    ANSWERABLE,
    answers_about_harm,
    keeps_story,
    may_answer,
    relabel,
    relabel_number,
)

RANKING = [
    {"name": "stop", "confidence": 0.6},
    {"name": "report_asb", "confidence": 0.3},
    {"name": "help", "confidence": 0.1},
]


class TestRelabel:
    @pytest.mark.parametrize("text", ["stop", "stop it now", "STOP"])
    def test_a_short_command_stays_even_when_unsure(self, text: str) -> None:
        assert relabel({"name": "stop", "confidence": 0.4}, RANKING, text) is None

    def test_a_confident_command_of_a_few_words_stays(self) -> None:
        assert relabel({"name": "stop", "confidence": 0.9}, RANKING, "i want to stop this chat") is None

    def test_a_long_message_is_an_answer_however_confident(self) -> None:
        text = "I want them to stop the noise from next door, it's every night"
        assert relabel({"name": "stop", "confidence": 0.95}, RANKING, text) == {
            "name": "report_asb",
            "confidence": 0.3,
        }

    def test_an_uncertain_message_of_some_length_is_an_answer(self) -> None:
        replaced = relabel({"name": "stop", "confidence": 0.6}, RANKING, "make them stop the music")
        assert replaced == {"name": "report_asb", "confidence": 0.3}

    def test_with_nothing_else_ranked_it_is_an_answer(self) -> None:
        replaced = relabel({"name": "help", "confidence": 0.5}, [], "i asked the council for help twice")
        assert replaced == {"name": "inform", "confidence": 0.5}

    def test_danger_is_never_relabelled(self) -> None:
        text = "she won't stop calling me names and now he is outside with a knife"
        assert relabel({"name": "emergency", "confidence": 0.4}, RANKING, text) is None

    def test_other_intents_are_left_alone(self) -> None:
        text = "my neighbours play loud music every single night until three"
        assert relabel({"name": "report_asb", "confidence": 0.5}, RANKING, text) is None


PLAIN = {
    "free_text": False,
    "yes_no": False,
    "consent": False,
    "danger_phrase": False,
    "other_language_named": False,
}


class TestMayAnswer:
    """Which interruption labels may lose to an answer the asked question's parser understands."""

    @pytest.mark.parametrize("intent", ["greet", "choose_language", "help"])
    def test_hello_language_and_help_labels_may_be_answers_however_sure(self, intent: str) -> None:
        assert may_answer(intent, 0.95, **PLAIN)
        assert may_answer(intent, 0.95, **{**PLAIN, "yes_no": True})

    @pytest.mark.parametrize("intent", ["inform", "affirm", "report_asb", None])
    def test_answer_labels_need_no_taking_over(self, intent: str | None) -> None:
        assert not may_answer(intent, 0.3, **PLAIN)

    @pytest.mark.parametrize("intent", ["stop", "start_again", "withdraw_consent"])
    def test_an_ending_command_loses_only_when_unsure_and_never_to_a_yes_or_no(self, intent: str) -> None:
        assert may_answer(intent, 0.4, **PLAIN)
        assert not may_answer(intent, 0.7, **PLAIN)
        assert not may_answer(intent, 0.4, **{**PLAIN, "yes_no": True})  # "no, stop" stops

    def test_an_unsure_emergency_may_be_an_answer_a_sure_one_never(self) -> None:
        assert may_answer("emergency", 0.45, **PLAIN)
        assert not may_answer("emergency", 0.6, **PLAIN)
        assert not may_answer("emergency", 0.95, **PLAIN)

    @pytest.mark.parametrize("guard", ["free_text", "consent", "danger_phrase"])
    def test_never_for_free_text_or_consent_or_with_a_danger_phrase(self, guard: str) -> None:
        for intent in ANSWERABLE:
            assert not may_answer(intent, 0.3, **{**PLAIN, guard: True})

    def test_naming_another_language_stays_a_request(self) -> None:
        assert not may_answer("choose_language", 0.9, **{**PLAIN, "other_language_named": True})
        assert may_answer("greet", 0.9, **{**PLAIN, "other_language_named": True})


class TestKeepsStory:
    def test_a_free_text_answer_taken_for_an_emergency_is_kept(self) -> None:
        assert keeps_story("emergency", free_text=True)

    def test_not_for_other_types_or_labels(self) -> None:
        assert not keeps_story("emergency", free_text=False)
        assert not keeps_story("greet", free_text=True)


class TestAnswersAboutHarm:
    def test_an_emergency_may_answer_a_question_about_harm(self) -> None:
        assert answers_about_harm("emergency", about_harm=True)

    def test_not_another_question_nor_another_label(self) -> None:
        assert not answers_about_harm("emergency", about_harm=False)
        assert not answers_about_harm("greet", about_harm=True)


NUMBER_RANKING = [{"name": "emergency", "confidence": 0.61}, {"name": "inform", "confidence": 0.3}]


class TestBareNumbers:
    @pytest.mark.parametrize(
        "text", ["999679", "998199", "  123 456 ", "07700 900999", "٩٩٨١٩٩", "৯৯৮১৯৯", "34"]
    )
    def test_a_bare_number_is_an_answer_not_an_emergency(self, text: str) -> None:
        assert relabel_number({"name": "emergency", "confidence": 0.61}, NUMBER_RANKING, text) == {
            "name": "inform",
            "confidence": 0.3,
        }

    @pytest.mark.parametrize("text", ["999", " 112 ", "911", "٩٩٩", "9-9-9"])
    def test_an_emergency_number_alone_stays_an_emergency(self, text: str) -> None:
        assert relabel_number({"name": "emergency", "confidence": 0.5}, NUMBER_RANKING, text) is None

    @pytest.mark.parametrize("text", ["call 999", "he has a knife 999", "999!", "x²", ""])
    def test_anything_but_a_bare_number_is_left_alone(self, text: str) -> None:
        assert relabel_number({"name": "emergency", "confidence": 0.5}, NUMBER_RANKING, text) is None

    def test_other_intents_are_left_alone(self) -> None:
        assert relabel_number({"name": "young_person", "confidence": 0.5}, NUMBER_RANKING, "14") is None

    def test_with_no_other_intent_ranked_it_is_an_answer(self) -> None:
        assert relabel_number({"name": "emergency", "confidence": 0.4}, [], "123456") == {
            "name": "inform",
            "confidence": 0.4,
        }
