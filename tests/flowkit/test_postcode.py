"""UK postcodes (flowkit/postcode.py): the one rule the answer parser, the agency form, the api's answer
checks and the police feed share."""

from __future__ import annotations

import pytest

from flowkit.postcode import canonical_postcode, full_postcode, is_postcode, postcode_in


class TestCanonical:
    @pytest.mark.parametrize(
        ("typed", "canonical"),
        [
            ("st4 1aa", "ST4 1AA"),
            ("ST41AA", "ST4 1AA"),
            (" st4 ", "ST4"),
            ("WS11 9zz", "WS11 9ZZ"),
            ("b79", "B79"),
        ],
    )
    def test_typed_forms(self, typed: str, canonical: str) -> None:
        assert canonical_postcode(typed) == canonical
        assert is_postcode(canonical)

    @pytest.mark.parametrize("value", ["st4 1aa", "ST41AA", "ST", "12345", "ST4  1AA", ""])
    def test_only_the_canonical_form_is_a_postcode(self, value: str) -> None:
        assert not is_postcode(value)


class TestFull:
    def test_a_full_postcode_with_or_without_its_space(self) -> None:
        assert full_postcode("st4 1aa") == full_postcode(" ST41AA ") == "ST4 1AA"

    @pytest.mark.parametrize("value", ["ST4", "stoke", "ST4 1A"])
    def test_half_or_no_postcode(self, value: str) -> None:
        assert full_postcode(value) is None


class TestInAMessage:
    @pytest.mark.parametrize(
        ("said", "found"),
        [("it's st4 1aa thanks", "ST4 1AA"), ("ST41AA", "ST4 1AA"), ("st4", "ST4"), ("ws 11", "WS11")],
    )
    def test_found(self, said: str, found: str) -> None:
        assert postcode_in(said) == found

    @pytest.mark.parametrize("said", ["stoke", "near st4", "12345"])
    def test_not_found(self, said: str) -> None:
        assert postcode_in(said) is None
