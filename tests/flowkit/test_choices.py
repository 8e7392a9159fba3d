"""Choices (flowkit/choices.py): a tapped choice's payload, and a bare number answering the Nth option, as
the SMS channel, the language menu, the answer parser and the call-back offer all read it."""

from __future__ import annotations

from datetime import date

import pytest

from flowkit.choices import (
    choice_payload,
    nth_option,
    option_number,
    payload_choice,
    tapped_choice,
    yes_no_payload,
)
from flowkit.flows import question_by_id
from flowkit.parse import parse_answer


class TestPayloads:
    def test_a_choice_round_trips(self) -> None:
        assert choice_payload("race") == '/inform{"choice":"race"}'
        assert payload_choice(choice_payload("race")) == "race"

    def test_a_question_s_button_names_its_question(self) -> None:
        payload = choice_payload("race", "hate_strand")
        assert payload == '/inform{"choice":"race","asked":"hate_strand"}'
        assert tapped_choice(payload) == ("race", "hate_strand")
        assert tapped_choice(choice_payload("race")) == ("race", None)
        assert payload_choice(payload) == "race"

    def test_a_button_of_an_earlier_question_answers_nothing_now(self) -> None:
        # "other" is a value of both questions: tapped on the strand question's button, it must not
        # answer the relationship question asked now.
        relationship = question_by_id("da_relationship")
        stale = parse_answer(
            relationship, choice_payload("other", "hate_strand"), "inform", "en", date(2026, 12, 7)
        )
        assert not stale.ok
        fresh = parse_answer(
            relationship, choice_payload("other", "da_relationship"), "inform", "en", date(2026, 12, 7)
        )
        assert fresh.ok and fresh.value == "other"
        bare = parse_answer(relationship, choice_payload("other"), "inform", "en", date(2026, 12, 7))
        assert bare.ok and bare.value == "other"

    @pytest.mark.parametrize(
        "raw", ["race", "/inform", "/inform{not json}", '/inform{"choice": 3}', "/affirm"]
    )
    def test_anything_else_is_no_choice(self, raw: str) -> None:
        assert payload_choice(raw) is None


class TestBareNumbers:
    @pytest.mark.parametrize(
        ("said", "number"), [("1", 1), (" 2 ", 2), ("2.", 2), ("3)", 3), ("4!", 4), ("12", 12)]
    )
    def test_a_number_alone(self, said: str, number: int) -> None:
        assert option_number(said) == number

    @pytest.mark.parametrize("said", ["", "one", "2 please", "123", "1.5", "-1", "#2"])
    def test_not_a_number_alone(self, said: str) -> None:
        assert option_number(said) is None

    def test_the_nth_option(self) -> None:
        options = ["yes", "no", "skip"]
        assert nth_option("1", options) == "yes"
        assert nth_option("3.", options) == "skip"
        assert nth_option("0", options) is None
        assert nth_option("4", options) is None
        assert nth_option("yes", options) is None
        assert nth_option("1", []) is None


class TestAnOldYesOrNoButton:
    """A yes/no question's buttons name it (`/affirm{"asked": "<question>"}`): a tap on the Yes of an
    earlier question, still on the screen, does not answer the one asked now; it is asked again."""

    def test_the_buttons_name_their_question(self) -> None:
        from tools.gen_bot import question_buttons

        payloads = [b["payload"] for b in question_buttons(question_by_id("sms_safe"))]
        assert payloads == ['/affirm{"asked":"sms_safe"}', '/deny{"asked":"sms_safe"}']

    @pytest.mark.parametrize(
        ("payload", "value"), [(yes_no_payload("affirm", "sms_safe"), True), ("/deny", False)]
    )
    def test_its_own_button_answers(self, payload: str, value: bool) -> None:
        parsed = parse_answer(question_by_id("sms_safe"), payload, "affirm", "en", date(2026, 11, 24))
        assert parsed.ok and parsed.value is value

    @pytest.mark.parametrize("old", ["hate_repeat", "consent_share", "answer_confirmed"])
    def test_an_earlier_question_s_button_does_not(self, old: str) -> None:
        for intent in ("affirm", "deny"):
            parsed = parse_answer(
                question_by_id("sms_safe"), yes_no_payload(intent, old), intent, "en", date(2026, 11, 24)
            )
            assert not parsed.ok and not parsed.confirm and parsed.value is None
            assert parsed.error == "utter_validation_yes_no"
