"""Segment counting (GSM-7 160/153, UCS-2 70/67) and splitting within a budget at sentence boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.sms.segments import is_gsm7, segments, split_for_sms


class TestSegments:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("", 0),
            ("a", 1),
            ("a" * 160, 1),
            ("a" * 161, 2),
            ("a" * 306, 2),
            ("a" * 307, 3),
            ("a" * 459, 3),
            ("a" * 460, 4),
            ("€" * 80, 1),  # an extension character costs two septets
            ("€" * 81, 2),
            ("a" * 152 + "€" + "a" * 10, 2),  # the escape pair is not split: it moves to segment 2
            ("ł" * 70, 1),  # one non-GSM character makes it UCS-2
            ("ł" * 71, 2),
            ("ł" * 134, 2),
            ("ł" * 135, 3),
            ("a" * 69 + "ł", 1),
            ("😀" * 35, 1),  # two UTF-16 code units each
            ("😀" * 36, 2),
            ("a" * 66 + "😀" + "a" * 66, 3),  # 134 units, but the emoji is not split across segments 1-2
            ("Dzień dobry", 1),
            ("مرحبا", 1),
        ],
    )
    def test_counts(self, text: str, expected: int) -> None:
        assert segments(text) == expected

    def test_gsm7_alphabet(self) -> None:
        assert is_gsm7("Hello £5 @ 10:00 [ok] {é}")
        assert not is_gsm7("Zażółć")
        assert not is_gsm7("don’t")  # a curly apostrophe is not GSM-7: we count without smart encoding


class TestSplit:
    def test_a_text_that_fits_is_whole(self) -> None:
        assert split_for_sms("Hello. Are you safe?") == ["Hello. Are you safe?"]

    def test_it_splits_at_sentence_ends(self) -> None:
        sentence = "This is one synthetic sentence of about fifty chars. "
        parts = split_for_sms(sentence * 20)
        assert len(parts) == 3
        assert all(p.endswith(".") for p in parts)
        assert all(segments(p) <= 3 for p in parts)

    def test_a_word_longer_than_the_budget_is_cut(self) -> None:
        parts = split_for_sms("x" * 1000, max_segments=1)
        assert [len(p) for p in parts] == [160] * 6 + [40]

    def test_urdu_sentences_end_at_its_full_stop(self) -> None:
        text = "یہ ایک مصنوعی جملہ ہے۔ " * 20
        parts = split_for_sms(text, max_segments=1)
        assert all(p.endswith("۔") for p in parts)
        assert all(segments(p) == 1 for p in parts)

    def test_a_blank_text_gives_nothing(self) -> None:
        assert split_for_sms("   ") == []

    @settings(max_examples=200, deadline=None)
    @given(
        st.text(
            alphabet=st.sampled_from(list("abc déł€😀.!? \n")) | st.characters(codec="utf-8"),
            max_size=1500,
        ),
        st.integers(min_value=1, max_value=4),
    )
    def test_every_part_fits_and_nothing_but_whitespace_is_lost(self, text: str, budget: int) -> None:
        parts = split_for_sms(text, budget)
        assert all(1 <= segments(p) <= budget for p in parts)
        assert "".join("".join(p.split()) for p in parts) == "".join(text.split())
