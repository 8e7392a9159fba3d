"""Choices (flowkit/choices.py): a tapped choice's payload, and a bare number answering the Nth option, as
the SMS channel, the language menu, the answer parser and the call-back offer all read it."""

from __future__ import annotations

import pytest

from flowkit.choices import choice_payload, nth_option, option_number, payload_choice


class TestPayloads:
    def test_a_choice_round_trips(self) -> None:
        assert choice_payload("race") == '/inform{"choice":"race"}'
        assert payload_choice(choice_payload("race")) == "race"

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
